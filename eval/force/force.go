package force

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/internal/progress"
)

// Modes.
const (
	// ModeForced cuts the thinking at each budget and forces the answer.
	ModeForced = "forced"
	// ModePrefix probes along the thinking for the early-exit upper bound.
	ModePrefix = "prefix"
)

// DefaultClosing ends the thinking before a forced answer (the wording
// NVIDIA NIM and several budget-forcing recipes use), closing the think
// block so the model writes its answer next.
const DefaultClosing = "\n\nConsidering the limited time by the user, I have to give the solution based on the thinking directly now.\n</think>\n\n"

// DefaultMarkers are the reflection markers prefix mode probes before: the
// words with which reasoning models change course (DEER's trial-answer
// points, evalscope's thought switches).
var DefaultMarkers = []string{"Wait", "Alternatively", "But wait", "Hmm", "Let me double-check", "Let me verify"}

// Sampler draws one completion; *sampler.Client implements it.
type Sampler interface {
	Do(ctx context.Context, req sampler.Request) (sampler.Response, error)
}

var _ Sampler = (*sampler.Client)(nil)

// Options configures Run. Zero values take the defaults in brackets.
type Options struct {
	// Mode is ModeForced or ModePrefix.
	Mode string
	// Budgets are the thinking budgets of the curves (tokens).
	Budgets []int
	// Every places a prefix-mode probe every Every thinking tokens [0: off].
	Every int
	// Markers place a prefix-mode probe before each marker that starts a
	// sentence or a line [DefaultMarkers when Every is 0; none otherwise
	// unless given].
	Markers []string
	// MaxProbes caps prefix-mode probes per rollout, budget probes
	// excepted; the probes kept are spread evenly [64].
	MaxProbes int
	// Closing is appended after the cut thinking [DefaultClosing].
	Closing string
	// ClosingIDs are Closing's token ids under the served model's
	// tokenizer, and ThinkEndID the id of its "</think>" token. With them,
	// a server without /tokenize can still cut token-exact by the token ids
	// each rollout stored (eval.Rollout.TokenIDs): the forced prompt is sent
	// as ids to the completions API, prompt_token_ids + the first B
	// generated ids + ClosingIDs. ClosingIDs must contain ThinkEndID.
	ClosingIDs []int
	ThinkEndID int
	// AnswerTokens is max_tokens of each forced answer [512].
	AnswerTokens int
	// Concurrency bounds requests in flight [16].
	Concurrency int
	Client      Sampler
	Tokenizer   Tokenizer
	Grade       eval.Grader
	// GradeCut grades a forced answer cut at AnswerTokens (finish_reason
	// length), e.g. grade.Options.CutByLength, so unfinished work has no
	// answer; nil uses Grade.
	GradeCut eval.Grader
	Store    *Store
	// Progress receives a progress line every few seconds when not nil.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if o.Closing == "" {
		o.Closing = DefaultClosing
	}
	if o.AnswerTokens <= 0 {
		o.AnswerTokens = 512
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.MaxProbes <= 0 {
		o.MaxProbes = 64
	}
	if o.Mode == ModePrefix && o.Every <= 0 && o.Markers == nil {
		o.Markers = DefaultMarkers
	}
	return o
}

// cut is one probe position along a rollout's thinking.
type cut struct {
	at     int
	text   string
	marker string
}

// Plan is one rollout with its thinking measured and its probes placed.
type Plan struct {
	Rollout *eval.Rollout
	// Thinking is T, the reasoning's length in the server's tokens.
	Thinking int
	// Closed: the thinking ended on its own (finish_reason stop).
	Closed bool
	cuts   []cut
	// byIDs: cut by the rollout's stored token ids (no /tokenize).
	byIDs bool
	// Probes holds the forced answers by position, filled by Run.
	Probes map[int]*Probe
}

// Summary counts what Run did.
type Summary struct {
	Rollouts, Probes, Cached, Requested, Failed int
	AnswerTokens, PromptTokens                  int64
	Elapsed                                     time.Duration
}

// Run measures and plans every rollout, then requests every forced answer
// the store lacks, grades it and appends it. It returns the plans with
// their probes for Compute. Failed requests are stored with status failed
// and count as wrong answers; rerunning retries them.
func Run(ctx context.Context, rollouts []eval.Rollout, opts Options) ([]*Plan, Summary, error) {
	start := time.Now()
	opts = opts.withDefaults()
	switch {
	case opts.Mode != ModeForced && opts.Mode != ModePrefix:
		return nil, Summary{}, fmt.Errorf("force: mode %q is neither %q nor %q", opts.Mode, ModeForced, ModePrefix)
	case opts.Client == nil || opts.Tokenizer == nil || opts.Grade == nil || opts.Store == nil:
		return nil, Summary{}, fmt.Errorf("force: client, tokenizer, grader and store are all required")
	case len(opts.Budgets) == 0:
		return nil, Summary{}, fmt.Errorf("force: no budgets")
	case !strings.Contains(opts.Closing, "</think>"):
		return nil, Summary{}, fmt.Errorf("force: closing message %q does not close the thinking (no </think>)", opts.Closing)
	case len(opts.ClosingIDs) > 0 && !slices.Contains(opts.ClosingIDs, opts.ThinkEndID):
		return nil, Summary{}, fmt.Errorf("force: closing ids %v do not contain the </think> id %d", opts.ClosingIDs, opts.ThinkEndID)
	}
	plans := make([]*Plan, len(rollouts))
	for i := range rollouts {
		plans[i] = &Plan{Rollout: &rollouts[i], Probes: map[int]*Probe{}}
	}
	sum := Summary{Rollouts: len(plans)}
	// 1. Measure the thinking and place the probes (tokenizer calls), or,
	// without /tokenize, by the rollouts' stored token ids.
	err := parallel(ctx, opts.Concurrency, len(plans), func(i int) error {
		return place(ctx, plans[i], opts)
	})
	if errors.Is(err, ErrNoTokenize) {
		if why := cannotCutByIDs(rollouts, opts); why != "" {
			return nil, sum, fmt.Errorf("%w; %s", err, why)
		}
		for _, p := range plans {
			*p = Plan{Rollout: p.Rollout, Probes: map[int]*Probe{}, byIDs: true}
			placeByIDs(p, opts)
		}
		err = nil
	}
	if err != nil {
		return nil, sum, err
	}
	// 2. Request every probe the store lacks.
	type job struct {
		p *Plan
		c cut
	}
	var jobs []job
	for _, p := range plans {
		for _, c := range p.cuts {
			sum.Probes++
			q := p.probe(c, opts)
			if old, ok := opts.Store.Get(q); ok {
				p.Probes[c.at] = old
				sum.Cached++
				continue
			}
			jobs = append(jobs, job{p, c})
		}
	}
	prog := progress.New(opts.Progress, "forced answers", len(jobs), sum.Cached)
	defer prog.Stop()
	var mu sync.Mutex
	err = parallel(ctx, opts.Concurrency, len(jobs), func(i int) error {
		j := jobs[i]
		q := j.p.probe(j.c, opts)
		answer(ctx, j.p, j.c, q, opts)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := opts.Store.Append(q); err != nil {
			return err
		}
		mu.Lock()
		j.p.Probes[j.c.at] = q
		sum.Requested++
		if q.Status != eval.StatusOK {
			sum.Failed++
		}
		sum.AnswerTokens += int64(q.AnswerTokens)
		sum.PromptTokens += int64(q.PromptTokens)
		mu.Unlock()
		prog.Done(q.Status == eval.StatusOK, q.AnswerTokens)
		return nil
	})
	sum.Elapsed = time.Since(start)
	if err != nil {
		return plans, sum, fmt.Errorf("force: stopped after %d of %d forced answers (rerun the same command to resume): %w", sum.Requested, len(jobs), err)
	}
	return plans, sum, nil
}

// probe returns the identity (and request fields) of the probe at c.
func (p *Plan) probe(c cut, opts Options) *Probe {
	r := p.Rollout
	q := &Probe{
		Key: r.Key, Benchmark: r.Benchmark, ProblemID: r.ProblemID, Sample: r.Sample,
		At: c.at, Thinking: p.Thinking, Marker: c.marker, Closing: opts.Closing, AnswerMaxTokens: opts.AnswerTokens,
	}
	if p.byIDs {
		q.CutBy, q.ClosingIDs = CutByTokenIDs, opts.ClosingIDs
	}
	return q
}

// CutByTokenIDs marks a probe cut by the rollout's stored token ids.
const CutByTokenIDs = "token_ids"

// cannotCutByIDs says why rollouts cannot be cut by their stored token
// ids, or "" when they can: every rollout with thinking needs its
// completion's and its prompt's ids, and the closing message its ids;
// prefix mode's marker probes need text offsets turned into token counts,
// which only a tokenizer can do.
func cannotCutByIDs(rollouts []eval.Rollout, opts Options) string {
	for i := range rollouts {
		r := &rollouts[i]
		if r.Reasoning != "" && (len(r.TokenIDs) == 0 || len(r.PromptTokenIDs) == 0) {
			return fmt.Sprintf("rollout %s has no token ids to cut by (sample with --store-token-ids on a server that returns them)", r.ID())
		}
	}
	switch {
	case len(opts.ClosingIDs) == 0:
		return "the rollouts have token ids, but the closing message has none (give --closing-ids and --think-end-id)"
	case opts.Mode == ModePrefix && len(opts.Markers) > 0:
		return "prefix mode without /tokenize places probes only with --every (give --markers '' to drop the marker probes)"
	}
	return ""
}

// placeByIDs places p's probes on its stored token ids: the thinking T is
// every generated token before the first </think> (ThinkEndID), or all of
// them when the rollout was cut by length without closing it; a rollout
// that stopped without </think> has no thinking to cut.
func placeByIDs(p *Plan, opts Options) {
	r := p.Rollout
	p.Closed = r.FinishReason == eval.FinishStop
	T := slices.Index(r.TokenIDs, opts.ThinkEndID)
	if T < 0 {
		if p.Closed {
			return
		}
		T = len(r.TokenIDs)
	}
	p.Thinking = T
	seen := map[int]bool{}
	add := func(at int) {
		if at > 0 && at <= T && !seen[at] {
			seen[at] = true
			p.cuts = append(p.cuts, cut{at: at})
		}
	}
	for _, B := range opts.Budgets {
		if !p.Closed || T > B {
			add(min(B, T))
		}
	}
	if opts.Mode == ModePrefix && opts.Every > 0 {
		var at []int
		for a := opts.Every; a < T; a += opts.Every {
			at = append(at, a)
		}
		for _, a := range spreadEvenly(at, opts.MaxProbes) {
			add(a)
		}
		if !p.Closed {
			add(T)
		}
	}
}

// Opening is what precedes the thinking in the assistant turn: the
// rollout's prefill, plus "<think>\n" unless the prefill already opens the
// thinking (the model or the chat template opened it when the rollout was
// sampled; a continued assistant message gets no generation prompt).
func Opening(s eval.Sampling) string {
	if s.ThinkingOpen() {
		return s.Prefill
	}
	return s.Prefill + "<think>\n"
}

// answer requests and grades the forced answer of q, filling it.
func answer(ctx context.Context, p *Plan, c cut, q *Probe, opts Options) {
	r := p.Rollout
	req := sampler.Request{
		API: r.API, Model: r.Model, System: r.SystemPrompt, Prompt: r.Prompt,
		Prefill:   Opening(r.Sampling) + c.text + opts.Closing,
		MaxTokens: opts.AnswerTokens, Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK, Seed: r.SampleSeed,
	}
	if p.byIDs { // the exact tokens the model saw and wrote, then the closing
		ids := slices.Concat(r.PromptTokenIDs, r.TokenIDs[:c.at], opts.ClosingIDs)
		req.API, req.System, req.Prompt, req.Prefill, req.PromptIDs = eval.APICompletions, "", "", "", ids
	}
	resp, err := opts.Client.Do(ctx, req)
	q.FinishedAt = time.Now().UTC()
	if err != nil {
		q.Status, q.Error, q.Reason = eval.StatusFailed, err.Error(), "request_failed"
		return
	}
	text := resp.ReasoningContent + resp.Content
	if i := strings.LastIndex(text, "</think>"); i >= 0 {
		text = text[i+len("</think>"):]
	}
	q.Status = eval.StatusOK
	q.Answer = strings.TrimSpace(text)
	q.AnswerTokens, q.PromptTokens, q.FinishReason = resp.CompletionTokens, resp.PromptTokens, resp.FinishReason
	g := opts.Grade
	if q.FinishReason == eval.FinishLength && opts.GradeCut != nil {
		g = opts.GradeCut
	}
	v := g(q.Answer, r.Problem())
	q.Correct, q.Reason, q.Extracted = v.Correct, v.Reason, v.Extracted
}

// place tokenizes p's thinking and chooses its probe positions.
func place(ctx context.Context, p *Plan, opts Options) error {
	r := p.Rollout
	p.Closed = r.FinishReason == eval.FinishStop
	if r.Reasoning == "" {
		return nil // no thinking: nothing to cut; its own answer stands
	}
	ids, err := opts.Tokenizer.Tokenize(ctx, r.Model, r.Reasoning)
	if err != nil {
		return fmt.Errorf("force: tokenize the thinking of %s: %w", r.ID(), err)
	}
	p.Thinking = len(ids)
	T := p.Thinking
	seen := map[int]bool{}
	add := func(at int, marker string) error {
		if at <= 0 || at > T || seen[at] {
			return nil
		}
		seen[at] = true
		text := r.Reasoning
		if at < T {
			if text, err = opts.Tokenizer.Detokenize(ctx, r.Model, ids[:at]); err != nil {
				return fmt.Errorf("force: detokenize %s: %w", r.ID(), err)
			}
		}
		p.cuts = append(p.cuts, cut{at: at, text: text, marker: marker})
		return nil
	}
	// Budget cuts: forced mode and the forced curve of prefix mode.
	for _, B := range opts.Budgets {
		if !p.Closed || T > B {
			if err := add(min(B, T), ""); err != nil {
				return err
			}
		}
	}
	if opts.Mode != ModePrefix {
		return nil
	}
	var extra []cut
	if opts.Every > 0 {
		for at := opts.Every; at < T; at += opts.Every {
			extra = append(extra, cut{at: at})
		}
	}
	for _, off := range MarkerOffsets(r.Reasoning, opts.Markers) {
		prefix := r.Reasoning[:off]
		n, err := opts.Tokenizer.Tokenize(ctx, r.Model, prefix)
		if err != nil {
			return fmt.Errorf("force: tokenize %s: %w", r.ID(), err)
		}
		extra = append(extra, cut{at: len(n), text: prefix, marker: markerAt(r.Reasoning[off:], opts.Markers)})
	}
	slices.SortStableFunc(extra, func(a, b cut) int { return cmp.Compare(a.at, b.at) })
	extra = slices.CompactFunc(extra, func(a, b cut) bool { return a.at == b.at })
	for _, c := range spreadEvenly(extra, opts.MaxProbes) {
		if c.text == "" {
			if err := add(c.at, c.marker); err != nil {
				return err
			}
			continue
		}
		if c.at > 0 && c.at < T && !seen[c.at] {
			seen[c.at] = true
			p.cuts = append(p.cuts, c)
		}
	}
	if !p.Closed { // the end of unfinished thinking: forced at T
		return add(T, "")
	}
	return nil
}

// MarkerOffsets returns the byte offsets in text where one of markers
// starts a sentence or a line (after the start of a line, or after ".",
// "!", "?" or ")" and white space) and is followed by a non-letter.
func MarkerOffsets(text string, markers []string) []int {
	var offs []int
	for _, m := range markers {
		if m == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(text[i:], m)
			if j < 0 {
				break
			}
			off := i + j
			i = off + len(m)
			if off == 0 || !sentenceStart(text[:off]) {
				continue
			}
			if r, _ := utf8.DecodeRuneInString(text[off+len(m):]); r != utf8.RuneError && unicode.IsLetter(r) {
				continue
			}
			offs = append(offs, off)
		}
	}
	slices.Sort(offs)
	return slices.Compact(offs)
}

// sentenceStart reports whether the text before a marker ends a line or a
// sentence.
func sentenceStart(before string) bool {
	t := strings.TrimRight(before, " \t")
	if len(t) == len(before) && !strings.HasSuffix(before, "\n") {
		return false // the marker is glued to the previous word
	}
	if t == "" || strings.HasSuffix(t, "\n") {
		return true
	}
	switch t[len(t)-1] {
	case '.', '!', '?', ')':
		return true
	}
	return false
}

func markerAt(s string, markers []string) string {
	best := ""
	for _, m := range markers {
		if strings.HasPrefix(s, m) && len(m) > len(best) {
			best = m
		}
	}
	return best
}

// parallel runs fn(0..n−1) on at most workers goroutines, stopping at the
// first error.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// LoadRollouts reads rollout files and returns, per sample, the ok rollout
// with the largest max_tokens whose key starts with keyPrefix (all must
// share one key), sorted by benchmark, problem and sample. benchmarks,
// when not empty, keeps only those; samples > 0 keeps sample indices below.
func LoadRollouts(paths []string, keyPrefix string, benchmarks []string, samples int, warnf func(string, ...any)) ([]eval.Rollout, error) {
	picked := map[eval.SampleID]eval.Rollout{}
	keys := map[string]bool{}
	for _, path := range paths {
		err := store.Scan(path, warnf, func(_ int, r *eval.Rollout) error {
			if r.Status != eval.StatusOK || !strings.HasPrefix(r.Key, keyPrefix) ||
				(len(benchmarks) > 0 && !slices.Contains(benchmarks, r.Benchmark)) || (samples > 0 && r.Sample >= samples) {
				return nil
			}
			keys[r.Key] = true
			id := r.ID()
			if old, ok := picked[id]; !ok || r.MaxTokens > old.MaxTokens {
				picked[id] = *r
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("force: %w", err)
		}
	}
	if len(keys) > 1 {
		return nil, fmt.Errorf("force: rollouts from %d runs (keys %s); choose one with --key", len(keys), strings.Join(slices.Sorted(maps.Keys(keys)), ", "))
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("force: no ok rollouts in %s", strings.Join(paths, ", "))
	}
	out := slices.Collect(maps.Values(picked))
	slices.SortFunc(out, func(a, b eval.Rollout) int {
		return cmp.Or(cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.ProblemID, b.ProblemID), cmp.Compare(a.Sample, b.Sample))
	})
	return out, nil
}

// spreadEvenly keeps at most n of xs, spread evenly over them (the first
// always kept); xs itself when it has n or fewer.
func spreadEvenly[T any](xs []T, n int) []T {
	if len(xs) <= n {
		return xs
	}
	kept := make([]T, n)
	for i := range kept {
		kept[i] = xs[i*len(xs)/n]
	}
	return kept
}
