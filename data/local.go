package data

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
)

var _ run.Sampler = (*Local)(nil)

// ErrLocalClosed is returned by Local.Do after Close.
var ErrLocalClosed = errors.New("data: local sampler closed")

// Local samples from a terse model in-process, so a checkpoint can be
// profiled without a server. Concurrent Do calls are decoded together in
// one continuously batched model.Decoder (up to MaxBatch sequences), so
// run.Sample's concurrency becomes the batch size.
//
// Prompts are rendered without a chat template: the token ids are those of
// Prompt + Prefill (for the chat API too; the lab models' chat template is
// the identity). A system prompt is refused. Lengths are the generated
// token counts, the stop token included (as vLLM's usage counts it).
type Local struct {
	m        *model.Model
	tok      tokenizer.Tokenizer
	stop     []int32
	maxBatch int

	reqs chan *localReq
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

type localReq struct {
	ctx context.Context
	req sampler.Request
	ids []int32
	out chan localResult
}

type localResult struct {
	resp sampler.Response
	err  error
}

// NewLocal starts an in-process sampler on m and tok decoding up to
// maxBatch sequences at once (≤ 0: 64). Stop tokens are the tokenizer's
// EOS and the model's eos_token_id. Call Close to stop it.
func NewLocal(m *model.Model, tok tokenizer.Tokenizer, maxBatch int) *Local {
	if maxBatch <= 0 {
		maxBatch = 64
	}
	var stop []int32
	if e := tok.Special().EOS; e >= 0 {
		stop = append(stop, e)
	}
	for _, id := range m.Config.EOSTokenID {
		if !slices.Contains(stop, int32(id)) {
			stop = append(stop, int32(id))
		}
	}
	l := &Local{m: m, tok: tok, stop: stop, maxBatch: maxBatch,
		reqs: make(chan *localReq), quit: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

// Close stops the decoding loop; pending and later Do calls fail with
// ErrLocalClosed.
func (l *Local) Close() error {
	l.once.Do(func() { close(l.quit) })
	<-l.done
	return nil
}

// Do samples one completion. It implements run.Sampler.
func (l *Local) Do(ctx context.Context, req sampler.Request) (sampler.Response, error) {
	if req.System != "" {
		return sampler.Response{}, fmt.Errorf("data: local sampler: a system prompt needs a chat template, which in-process sampling does not apply")
	}
	if req.MaxTokens <= 0 {
		return sampler.Response{}, fmt.Errorf("data: local sampler: max tokens %d ≤ 0", req.MaxTokens)
	}
	r := &localReq{ctx: ctx, req: req, ids: l.tok.Encode(req.Prompt + req.Prefill), out: make(chan localResult, 1)}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		return sampler.Response{}, ctx.Err()
	case <-l.quit:
		return sampler.Response{}, ErrLocalClosed
	case <-l.done:
		return sampler.Response{}, ErrLocalClosed
	}
	res := <-r.out
	return res.resp, res.err
}

// loop owns the decoder: it admits requests between steps, steps the batch
// and answers finished or cancelled sequences.
func (l *Local) loop() {
	defer close(l.done)
	d := l.m.NewDecoder()
	active := map[*model.Sequence]*localReq{}
	admit := func(r *localReq) {
		// Prompt plus completion fit in the context, as in terse serve and
		// vLLM (max_model_len), so both give the same rollouts.
		maxNew := min(r.req.MaxTokens, l.m.Config.MaxPositionEmbeddings-len(r.ids))
		if maxNew < 1 {
			r.out <- localResult{err: fmt.Errorf("data: local sampler: prompt of %d tokens leaves no room in the %d-token context", len(r.ids), l.m.Config.MaxPositionEmbeddings)}
			return
		}
		opts := model.SampleOptions{
			Temperature: float32(r.req.Temperature), TopP: float32(r.req.TopP), TopK: max(r.req.TopK, 0),
			Seed: uint64(r.req.Seed), MaxNewTokens: maxNew, StopTokens: l.stop,
		}
		s, err := d.Add(r.ids, opts)
		if err != nil {
			r.out <- localResult{err: fmt.Errorf("data: local sampler: %w", err)}
			return
		}
		active[s] = r
	}
	fail := func(err error) {
		for s, r := range active {
			r.out <- localResult{err: err}
			delete(active, s)
		}
	}
	for {
		if len(active) == 0 {
			select {
			case r := <-l.reqs:
				admit(r)
			case <-l.quit:
				return
			}
		}
	admitMore:
		for len(active) < l.maxBatch {
			select {
			case r := <-l.reqs:
				admit(r)
			case <-l.quit:
				fail(ErrLocalClosed)
				return
			default:
				break admitMore
			}
		}
		for s, r := range active {
			if err := r.ctx.Err(); err != nil {
				d.Remove(s)
				delete(active, s)
				r.out <- localResult{err: err}
			}
		}
		if len(active) == 0 {
			continue
		}
		finished, err := d.Step(context.Background())
		if err != nil {
			fail(fmt.Errorf("data: local sampler: %w", err))
			return
		}
		for _, s := range finished {
			r := active[s]
			delete(active, s)
			r.out <- localResult{resp: l.response(s)}
		}
	}
}

// response turns a finished sequence into a sampler.Response.
func (l *Local) response(s *model.Sequence) sampler.Response {
	toks := s.Tokens
	if s.FinishReason == model.FinishStop && len(toks) > 0 && slices.Contains(l.stop, toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	return sampler.Response{
		Content: l.tok.Decode(toks), FinishReason: s.FinishReason,
		CompletionTokens: len(s.Tokens), PromptTokens: len(s.Prompt),
		Endpoint: "local", Attempts: 1,
	}
}
