package modelserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/internal/httpx"
)

// Chat template names (Options.ChatTemplate).
const (
	// ChatTemplateAuto picks ChatTemplateQwen when the tokenizer's own chat
	// template uses <|im_start|>, ChatTemplateDeepSeekR1 when it uses
	// <｜Assistant｜>, ChatTemplatePlain otherwise.
	ChatTemplateAuto = "auto"
	// ChatTemplatePlain concatenates the message contents as they are (the
	// lab models' format: the prompt is the question itself), then appends
	// the prefill. It is what the char-level tokenizer's default template
	// renders.
	ChatTemplatePlain = "plain"
	// ChatTemplateQwen renders "<|im_start|>role\ncontent<|im_end|>\n" per
	// message, then "<|im_start|>assistant\n" and the prefill.
	ChatTemplateQwen = "qwen"
	// ChatTemplateDeepSeekR1 is DeepSeek-R1-Distill's template: BOS, the
	// system prompt, "<｜User｜>"+content and
	// "<｜Assistant｜>"+answer+"<｜end▁of▁sentence｜>" per message, then
	// "<｜Assistant｜><think>\n" and the prefill: the output starts inside
	// the thought and the reasoning parser splits it at </think>.
	ChatTemplateDeepSeekR1 = "deepseek-r1"
)

// ChatTemplates lists the accepted Options.ChatTemplate values.
func ChatTemplates() []string {
	return []string{ChatTemplateAuto, ChatTemplatePlain, ChatTemplateQwen, ChatTemplateDeepSeekR1}
}

// Options configures an Server. Zero values take the defaults
// in brackets.
type Options struct {
	// Model and Tokenizer are required. The server's scheduler goroutine
	// owns Model: nothing else may use it while the server runs.
	Model     *model.Model
	Tokenizer tokenizer.Tokenizer
	// Addr is the listen address of ListenAndServe ["127.0.0.1:8000"].
	Addr string
	// ModelName is the id /v1/models lists and responses carry ["terse"].
	ModelName string
	// StrictModelName rejects requests whose "model" is neither empty nor
	// ModelName (404 model_not_found). By default any name is accepted.
	StrictModelName bool
	// ChatTemplate is one of ChatTemplates() [ChatTemplateAuto].
	ChatTemplate string
	// Prefill starts every assistant turn that /v1/chat/completions adds
	// with its generation prompt (e.g. "<think>"). It is part of the
	// prompt, not of the returned content.
	Prefill string
	// ReasoningParser splits chat output at </think> into
	// message.reasoning_content and message.content, as vLLM's
	// --reasoning-parser does; a request's "separate_reasoning" overrides it.
	ReasoningParser bool
	// ThinkingClosing is appended when a request's thinking budget runs out
	// [DefaultThinkingClosing]; it should end with </think> (added if not).
	ThinkingClosing string
	// ThinkingExtension is the window in tokens after a thinking budget
	// within which the last thought may reach a sentence end: 0 means a
	// tenth of the budget, at least 8; negative means none.
	ThinkingExtension int
	// StopTokens end every sequence unless a request sets ignore_eos
	// [the tokenizer's EOS, the config's eos_token_id and, with the qwen
	// template, <|im_end|>].
	StopTokens []int32
	// MaxBatch bounds the sequences decoded together [256].
	MaxBatch int
	// MaxQueue bounds the requests waiting to join the batch (429 above) [1024].
	MaxQueue int
	// MaxN bounds a request's n [min(64, MaxBatch)].
	MaxN int
	// MaxBodyBytes caps a request body (413 above) [4 MiB].
	MaxBodyBytes int64
	// RequestTimeout bounds one request, queueing included (504 after) [10m].
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown [60s].
	ShutdownTimeout time.Duration
	// Logger receives lifecycle events and failed requests [discard].
	Logger *slog.Logger
}

// Errors of New.
var (
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("modelserver: invalid options")
)

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8000"
	}
	if o.ModelName == "" {
		o.ModelName = "terse"
	}
	if o.ChatTemplate == "" {
		o.ChatTemplate = ChatTemplateAuto
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 256
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = 1024
	}
	if o.MaxN == 0 {
		o.MaxN = min(64, o.MaxBatch)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 10 * time.Minute
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ThinkingClosing == "" {
		o.ThinkingClosing = DefaultThinkingClosing
	}
	return o
}

// Server serves a model over the OpenAI API: GET /v1/models, POST
// /v1/completions and POST /v1/chat/completions (stream: true sends
// Server-Sent Events), plus GET /health. One scheduler goroutine owns the
// model and runs a continuous-batching decode loop; handlers submit
// sequences to it and wait, and new requests join the batch between steps.
// Create it with New and run it with Serve or ListenAndServe.
//
// The contract clients rely on:
//   - Seeds: with "seed" s, choice i of a prompt uses seed s+i, so n = 4
//     equals four n = 1 requests with seeds s..s+3. A sequence's output
//     depends only on its seed, prompt, parameters and the weights, never
//     on what else is batched. Without a seed each request draws one.
//   - usage.completion_tokens is the exact number of generated tokens,
//     summed over the choices, a final EOS or stop token included;
//     usage.prompt_tokens counts each prompt once (not once per choice), as
//     OpenAI and vLLM do. Logprobs have one entry per generated token: the
//     log-prob under softmax(logits/temperature) before top-k/top-p
//     (temperature 1 when greedy), see model.Sequence.
//   - finish_reason is "stop" when EOS, a stop token or a stop string ended
//     the choice (the text leaves the stop token and the stop string out;
//     stop_reason names a stop string or stop_token_ids entry) and "length"
//     at max_tokens or when the context is full. A max_tokens beyond the
//     context is cut to what fits (vLLM would answer 400); a prompt that
//     leaves no room is a 400.
//   - Bad parameters get 400 with {"error":{"message","type","param","code"}};
//     unknown fields are ignored, unsupported features (min_p > 0,
//     penalties, logit_bias, top alternatives, echo, tools) are 400s.
type Server struct {
	opts     Options
	template oaiTemplate
	sched    *oaiScheduler
	mux      *http.ServeMux
	created  int64 // unix time of New, for /v1/models

	startOnce sync.Once
	schedCtx  context.Context
	stopSched context.CancelFunc
	schedDone chan struct{}
}

// New validates opts (after defaults) and returns a server. The
// scheduler starts with Serve, or with the first request to Handler.
func New(opts Options) (*Server, error) {
	o := opts.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case o.Model == nil:
		return nil, bad("no model")
	case o.Tokenizer == nil:
		return nil, bad("no tokenizer")
	case o.Tokenizer.VocabSize() > o.Model.Config.VocabSize:
		return nil, bad("tokenizer has %d tokens, model vocab_size is %d", o.Tokenizer.VocabSize(), o.Model.Config.VocabSize)
	case o.MaxBatch < 1 || o.MaxQueue < 1 || o.MaxN < 1:
		return nil, bad("MaxBatch (%d), MaxQueue (%d) and MaxN (%d) must be at least 1", o.MaxBatch, o.MaxQueue, o.MaxN)
	case o.MaxN > o.MaxBatch:
		return nil, bad("MaxN %d exceeds MaxBatch %d: such a request could never join the batch", o.MaxN, o.MaxBatch)
	case o.MaxBodyBytes < 1 || o.RequestTimeout <= 0 || o.ShutdownTimeout <= 0:
		return nil, bad("MaxBodyBytes, RequestTimeout and ShutdownTimeout must be positive")
	}
	tmpl, err := oaiNewTemplate(o.ChatTemplate, o.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOptions, err)
	}
	if o.StopTokens == nil {
		o.StopTokens = oaiDefaultStops(o.Model.Config, o.Tokenizer, tmpl.name)
	}
	for _, t := range o.StopTokens {
		if t < 0 || int(t) >= o.Model.Config.VocabSize {
			return nil, bad("stop token %d outside the vocabulary [0,%d)", t, o.Model.Config.VocabSize)
		}
	}
	s := &Server{
		opts: o, template: tmpl, created: time.Now().Unix(),
		sched:     oaiNewScheduler(o.Model, o.MaxBatch, o.MaxQueue),
		schedDone: make(chan struct{}),
	}
	s.schedCtx, s.stopSched = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("POST /v1/completions", s.oaiHandle(s.handleCompletions))
	mux.HandleFunc("POST /v1/chat/completions", s.oaiHandle(s.handleChat))
	mux.HandleFunc("GET /health", s.handleHealth)
	for _, prefix := range []string{"", "/v1"} { // vLLM serves them at the root, SGLang under /v1
		mux.HandleFunc("POST "+prefix+"/tokenize", s.oaiHandle(s.handleTokenize))
		mux.HandleFunc("POST "+prefix+"/detokenize", s.oaiHandle(s.handleDetokenize))
	}
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		oaiWriteError(w, &oaiError{status: http.StatusNotFound, typ: "not_found_error",
			msg: fmt.Sprintf("no route %s %s (have GET /v1/models, POST /v1/completions, POST /v1/chat/completions, GET /health)", r.Method, r.URL.Path)})
	})
	s.mux = mux
	return s, nil
}

// oaiDefaultStops returns the tokenizer's EOS, the config's eos_token_id and
// <|im_end|> for the qwen template, each once.
func oaiDefaultStops(c model.Config, tok tokenizer.Tokenizer, template string) []int32 {
	var stops []int32
	add := func(id int32) {
		if id >= 0 && int(id) < c.VocabSize && !slices.Contains(stops, id) {
			stops = append(stops, id)
		}
	}
	add(tok.Special().EOS)
	for _, id := range c.EOSTokenID {
		add(int32(id))
	}
	if template == ChatTemplateQwen {
		if id, ok := tok.TokenID("<|im_end|>"); ok {
			add(id)
		}
	}
	return stops
}

// Options returns the options in force, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// ChatTemplate returns the chat template in use (auto resolved).
func (s *Server) ChatTemplate() string { return s.template.name }

// Handler returns the HTTP handler; it starts the scheduler if Serve has not.
func (s *Server) Handler() http.Handler {
	s.start()
	return s.mux
}

func (s *Server) start() {
	s.startOnce.Do(func() {
		go func() {
			defer close(s.schedDone)
			s.sched.run(s.schedCtx, s.opts.Logger)
		}()
	})
}

// Close stops the scheduler at once: requests still decoding fail with 503.
// Serve calls it after its graceful shutdown; call it after using Handler
// without Serve.
func (s *Server) Close() {
	s.start() // so that schedDone closes
	s.stopSched()
	<-s.schedDone
}

// ListenAndServe listens on Options().Addr and serves until ctx is
// cancelled, then shuts down gracefully (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := httpx.Listen(s.opts.Addr)
	if err != nil {
		return fmt.Errorf("modelserver: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled. Then it stops accepting
// connections, lets in-flight requests finish decoding within
// ShutdownTimeout, stops the scheduler (requests still running then get 503)
// and returns nil. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.start()
	srv := httpx.NewServer(ctx, s.mux, time.Minute) // the whole request, body included
	c := s.opts.Model.Config
	s.opts.Logger.Info("openai server listening", "addr", ln.Addr().String(), "model", s.opts.ModelName,
		"chat_template", s.template.name, "context", c.MaxPositionEmbeddings, "max_batch", s.opts.MaxBatch)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("modelserver: %w", err)
	case <-ctx.Done():
	}
	s.opts.Logger.Info("openai server shutting down", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(sctx) }()
	var err error
	select {
	case err = <-done:
	case <-sctx.Done():
	}
	if err != nil || sctx.Err() != nil {
		s.opts.Logger.Warn("openai server: shutdown deadline passed; failing the requests still running", "err", err)
	}
	s.Close() // handlers still waiting get 503 and return
	if sctx.Err() != nil {
		// Let the handlers write their 503s, then cut what remains.
		gctx, gcancel := context.WithTimeout(context.Background(), 5*time.Second)
		if srv.Shutdown(gctx) != nil {
			srv.Close()
		}
		gcancel()
	}
	<-errc // http.ErrServerClosed
	s.opts.Logger.Info("openai server stopped")
	return nil
}
