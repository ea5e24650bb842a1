package rewardserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/internal/httpx"
	"github.com/terse-dev/terse/reward"
)

// RewardVerdict is a grader's decision on one response.
type RewardVerdict struct {
	// Correct reports that the final answer matches a gold answer.
	Correct bool
	// Reason is the grader's snake_case reason (grade.Reason).
	Reason string
	// Extracted is the final answer the grader read ("" if none).
	Extracted string
}

// RewardGrader grades a response (special tokens and EOS removed) against
// its gold answers. It must be safe for concurrent use and bound its own
// work; the service runs it on a bounded worker pool.
type RewardGrader func(response string, gold []string) RewardVerdict

// GradeRewardGrader returns a RewardGrader backed by grade.Grade with opts.
func GradeRewardGrader(opts grade.Options) RewardGrader {
	return func(response string, gold []string) RewardVerdict {
		v := grade.Grade(response, gold, opts)
		return RewardVerdict{Correct: v.Correct, Reason: string(v.Reason), Extracted: v.Extracted}
	}
}

// RewardTokenizer counts tokens the way the policy model does. terse's
// engine/tokenizer satisfies it.
type RewardTokenizer interface {
	Encode(text string) []int32
}

// Options configures a Server. Zero values take the defaults
// named in each field's doc (New fills them in).
type Options struct {
	// Addr is the listen address; default "127.0.0.1:8008" (loopback).
	// A non-loopback address needs Token.
	Addr string
	// Token, when set, is the bearer token every request but GET /healthz
	// must carry (Authorization: Bearer <token>; compared in constant
	// time). Load it with LoadToken, from a file or the environment.
	Token string
	// Shape is the reward shape; default truncation:target=4096.
	Shape reward.Shape
	// GroupSize is the number of rollouts per prompt (N). When > 1 and the
	// shape is group-relative (reward.GroupRelative), the OpenRLHF endpoint
	// holds each rollout until its group is complete. Default 8.
	GroupSize int
	// GroupWait is how long a partial group waits for its missing rollouts,
	// from its first rollout's arrival, before it is scored as it is (see
	// rsAssembler); default 10 min. It may exceed RequestTimeout: a request
	// whose deadline comes first gets 503 and its rollouts stay in their
	// group for the client's retry (rsRetries). The default fits
	// OpenRLHF's client (180 s × 5 tries): the 4th try gets the answer.
	GroupWait time.Duration
	// Grader grades responses; default grade.Grade with grade.DefaultOptions.
	Grader RewardGrader
	// Tokenizer counts response tokens. Nil means the approximation
	// ⌈characters/4⌉, flagged as length_approx in every answer.
	Tokenizer RewardTokenizer
	// EOS lists end-of-sequence token texts. A response that ends with none
	// of them is truncated (OpenRLHF endpoint). Default: <|im_end|>,
	// <|endoftext|> and <｜end▁of▁sentence｜> (Qwen, Qwen3, DeepSeek-R1).
	// Empty after defaults only if NoEOS is set.
	EOS []string
	// NoEOS turns EOS detection off: only RolloutLimit detects truncation.
	NoEOS bool
	// Pad is a padding token text stripped (repeatedly) from the end of a
	// response before the EOS check; "" strips nothing.
	Pad string
	// RolloutLimit is L_R in tokens: a response of at least this many tokens
	// is truncated, and longer counts are clipped to it. 0 disables the check.
	RolloutLimit int
	// MaskedReward is the reward the OpenRLHF endpoint returns for a masked
	// rollout, which that protocol cannot express (default 0); the mask
	// itself goes to extra_logs["masked"].
	MaskedReward float64
	// AdaptiveStep is, for a reward.Stateful shape, the number of rollouts
	// that make one training step: the shape's Update runs after every
	// AdaptiveStep rollouts scored. Default 1024 (128 prompts × 8).
	AdaptiveStep int
	// StateFile, for a reward.Stateful shape, is a JSON file holding the
	// shape's state (reward.Stateful.MarshalState): loaded at start when it
	// exists, rewritten atomically after every Update, so a restarted
	// service continues the training run's L_T. The rollouts of a step in
	// progress when the service stops are not kept. "" keeps no state.
	StateFile string
	// MaxBodyBytes caps a request body; default 64 MiB. A request that
	// declares a larger Content-Length is refused with 413 before its body
	// is read; the body buffer grows with what arrives, never from the
	// header alone.
	MaxBodyBytes int64
	// BodyTimeout bounds reading a request's body, from its arrival; a
	// client slower than that gets 408. Default 30 s.
	BodyTimeout time.Duration
	// RequestTimeout bounds one request once its body is in (504 after;
	// 503 and a kept rollout when it ends while the group is incomplete);
	// the answer must be written within it plus 10 s. Default 170 s,
	// under OpenRLHF's 180 s client timeout (openrlhf/utils/agent.py at
	// 3c3be62), so the client gets an answer it can retry on.
	RequestTimeout time.Duration
	// MaxInFlight caps concurrent requests whose body has arrived (those
	// waiting for their group included); more get 429. A request takes its
	// slot only once its body is in, so clients trickling their bodies
	// cannot lock others out. Default 4096.
	MaxInFlight int
	// MaxPendingBytes is the memory budget of group assembly: requests
	// whose rollouts wait for the rest of their group hold about twice
	// their body size (the body and the decoded texts) until the group is
	// scored. A request that would pass the budget is refused with 503 and
	// Retry-After. Default 512 MiB.
	MaxPendingBytes int64
	// Workers bounds concurrent grading and tokenising; default GOMAXPROCS.
	Workers int
	// ShutdownTimeout bounds the graceful shutdown; default 30 s.
	ShutdownTimeout time.Duration
	// Logger receives one line per failed request and lifecycle events;
	// default slog.Default().
	Logger *slog.Logger
}

// Errors returned by New.
var (
	// ErrOptions reports an invalid Options field.
	ErrOptions = errors.New("rewardserver: invalid reward options")
)

// DefaultOptions returns the defaults of Options' plain fields, those a
// command line sets (terse reward serve takes its flag defaults from it).
// New also fills Shape, Grader, EOS, Workers and Logger when left zero.
func DefaultOptions() Options {
	return Options{
		Addr: "127.0.0.1:8008", GroupSize: 8, GroupWait: 10 * time.Minute, AdaptiveStep: 1024,
		MaxBodyBytes: 64 << 20, BodyTimeout: 30 * time.Second, RequestTimeout: 170 * time.Second,
		MaxInFlight: 4096, MaxPendingBytes: 512 << 20, ShutdownTimeout: 30 * time.Second,
	}
}

// orDefault sets *v to d when it is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	orDefault(&o.Addr, d.Addr)
	orDefault(&o.GroupSize, d.GroupSize)
	orDefault(&o.GroupWait, d.GroupWait)
	orDefault(&o.AdaptiveStep, d.AdaptiveStep)
	orDefault(&o.MaxBodyBytes, d.MaxBodyBytes)
	orDefault(&o.BodyTimeout, d.BodyTimeout)
	orDefault(&o.RequestTimeout, d.RequestTimeout)
	orDefault(&o.MaxInFlight, d.MaxInFlight)
	orDefault(&o.MaxPendingBytes, d.MaxPendingBytes)
	orDefault(&o.ShutdownTimeout, d.ShutdownTimeout)
	if o.Shape == nil {
		o.Shape = reward.Truncation{TargetLen: 4096}
	}
	if o.Grader == nil {
		o.Grader = GradeRewardGrader(grade.DefaultOptions())
	}
	if len(o.EOS) == 0 && !o.NoEOS {
		o.EOS = []string{"<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>"}
	}
	if o.NoEOS {
		o.EOS = nil
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func (o Options) validate() error {
	bad := func(f string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(f, args...))
	}
	switch {
	case o.GroupSize < 1:
		return bad("group size %d, want ≥ 1", o.GroupSize)
	case o.GroupWait < 0:
		return bad("group wait %v, want ≥ 0", o.GroupWait)
	case o.RolloutLimit < 0:
		return bad("rollout limit %d, want ≥ 0", o.RolloutLimit)
	case o.AdaptiveStep < 1:
		return bad("adaptive step %d, want ≥ 1", o.AdaptiveStep)
	case o.StateFile != "" && !isStateful(o.Shape):
		return bad("state file %s: shape %s keeps no state", o.StateFile, o.Shape)
	case o.MaxBodyBytes < 1:
		return bad("max body bytes %d, want ≥ 1", o.MaxBodyBytes)
	case o.RequestTimeout < 0:
		return bad("request timeout %v, want > 0", o.RequestTimeout)
	case o.BodyTimeout < 0:
		return bad("body timeout %v, want > 0", o.BodyTimeout)
	case o.MaxPendingBytes < 1:
		return bad("max pending bytes %d, want ≥ 1", o.MaxPendingBytes)
	case o.MaxInFlight < 1:
		return bad("max in flight %d, want ≥ 1", o.MaxInFlight)
	case o.Workers < 1:
		return bad("workers %d, want ≥ 1", o.Workers)
	}
	for _, e := range o.EOS {
		if e == "" {
			return bad("empty EOS token text")
		}
	}
	if err := rsFiniteShape(o.Shape, o.RolloutLimit); err != nil {
		return bad("%v", err)
	}
	if err := rsCheckBind(o.Addr, o.Token); err != nil {
		return err
	}
	return nil
}

// Server is the reward service: it grades rollouts, counts their
// tokens, detects truncation and applies a reward shape. Create it with
// New; it is safe for concurrent use.
type Server struct {
	opts     Options
	shape    *rsShape
	pool     *rsPool
	asm      *rsAssembler
	retries  *rsRetries // rollouts kept for a client's retry
	metrics  *rsMetrics
	inflight chan struct{}
	pending  rsBudget // group assembly memory (MaxPendingBytes)
	mux      *http.ServeMux
}

// New validates opts (after defaults) and returns a server.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	shape := rsNewShape(opts.Shape, opts.AdaptiveStep)
	if opts.StateFile != "" {
		if err := shape.load(opts.StateFile); err != nil {
			return nil, err
		}
		shape.stateFile, shape.log = opts.StateFile, opts.Logger
	}
	s := &Server{
		opts:     opts,
		shape:    shape,
		pool:     rsNewPool(opts.Workers),
		metrics:  rsNewMetrics(),
		inflight: make(chan struct{}, opts.MaxInFlight),
		pending:  rsBudget{limit: opts.MaxPendingBytes},
	}
	s.asm = rsNewAssembler(opts.GroupSize, opts.GroupWait, s.finishGroup)
	s.retries = rsNewRetries(opts.GroupWait + 2*opts.RequestTimeout)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /get_reward", s.instrument("openrlhf", s.handleOpenRLHF))
	mux.HandleFunc("POST /{$}", s.instrument("openrlhf", s.handleOpenRLHF))
	mux.HandleFunc("POST /v1/reward", s.instrument("native", s.handleNative))
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux = mux
	return s, nil
}

// Options returns the options in force, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return rsAuth(s.opts.Token, s.mux) }

// ListenAndServe listens on Options().Addr and serves until ctx is
// cancelled, then shuts down gracefully (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := httpx.Listen(s.opts.Addr)
	if err != nil {
		return fmt.Errorf("rewardserver: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled. Then it stops accepting
// connections, scores every partial group at once (so that no request waits
// for rollouts that will not come), lets in-flight requests finish within
// ShutdownTimeout and returns nil. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := rsCheckBind(ln.Addr().String(), s.opts.Token); err != nil {
		ln.Close()
		return err
	}
	srv := httpx.NewServer(ctx, s.Handler(), 0) // instrument sets each request's deadline
	s.opts.Logger.Info("reward service listening", "addr", ln.Addr().String(), "shape", s.opts.Shape.String(),
		"group_size", s.opts.GroupSize, "rollout_limit", s.opts.RolloutLimit)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("rewardserver: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Shutdown(sctx); err != nil {
			s.opts.Logger.Warn("reward service shutdown", "err", err)
		}
	})
	s.asm.close()
	wg.Wait()
	<-errc // http.ErrServerClosed
	s.opts.Logger.Info("reward service stopped")
	return nil
}
