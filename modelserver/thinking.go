package modelserver

import (
	"context"
	"strings"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// Per-request thinking budget.
//
// A request may cap the tokens a model spends thinking. The field names of
// the major servers are all accepted (at most one distinct value):
//
//	thinking_token_budget            vLLM (SamplingParams.thinking_token_budget;
//	                                 vllm/v1/sample/thinking_budget_state.py, commit 0278c178)
//	thinking_budget                  SGLang (also as custom_params.thinking_budget, read by its
//	                                 ThinkingBudgetLogitProcessor,
//	                                 python/sglang/srt/sampling/custom_logit_processor.py)
//	max_thinking_tokens              NVIDIA NIM
//	reasoning_budget_tokens          llama.cpp server (tools/server/server-task.cpp,
//	                                 commit 00efb3e1; -1 = unlimited)
//	reasoning_budget                 llama.cpp's --reasoning-budget, as a request field
//
// and the closing message as reasoning_budget_message (llama.cpp) or
// thinking_budget_message. A negative budget means no budget.
//
// Protocol. The thinking is the text from the opening <think> (in the
// prompt or generated) to the first </think>. When it reaches the budget
// without closing, generation goes on for at most the extension window
// (Options.ThinkingExtension; default a tenth of the budget, at least 8
// tokens) until a token ends a sentence or a line, so the last thought is
// not cut mid-word; then the closing message (Options.ThinkingClosing, or
// the request's) is appended — its tokens end with </think> — and
// generation continues with the answer within what is left of max_tokens.
// A request whose thinking closes within the budget is decoded exactly as
// without one.
//
// Accounting. usage.completion_tokens counts every token of the choice:
// thinking, extension, the forced closing tokens and the answer (the forced
// tokens are part of the completion, as in vLLM, whose budget forces them
// through the logits). usage.completion_tokens_details.reasoning_tokens
// counts the thinking: the completion's tokens up to and including the
// </think> that closes it (all of them when it never closes; 0 when the
// completion does not think); the answer tokens are the rest.
// Log-probs of the forced closing tokens are reported as 0.

// DefaultThinkingClosing is the closing message appended when a thinking
// budget runs out.
const DefaultThinkingClosing = "\n\nConsidering the limited time by the user, I have to give the solution based on the thinking directly now.\n</think>\n\n"

// oaiThinkingFields are the request fields that set a thinking budget.
type oaiThinkingFields struct {
	ThinkingTokenBudget   *int `json:"thinking_token_budget"`
	ThinkingBudget        *int `json:"thinking_budget"`
	MaxThinkingTokens     *int `json:"max_thinking_tokens"`
	ReasoningBudgetTokens *int `json:"reasoning_budget_tokens"`
	ReasoningBudget       *int `json:"reasoning_budget"`
	CustomParams          *struct {
		ThinkingBudget *int `json:"thinking_budget"`
	} `json:"custom_params"`
	ReasoningBudgetMessage *string `json:"reasoning_budget_message"`
	ThinkingBudgetMessage  *string `json:"thinking_budget_message"`
}

// oaiThinking is a validated thinking budget.
type oaiThinking struct {
	budget    int // < 0: none
	closing   []int32
	extension int
}

// thinking resolves the budget fields: at most one distinct value; the
// closing message must end the thinking.
func (f *oaiThinkingFields) thinking(o *Options, tok tokenizer.Tokenizer) (oaiThinking, *oaiError) {
	th := oaiThinking{budget: -1}
	type field struct {
		name string
		v    *int
	}
	fields := []field{
		{"thinking_token_budget", f.ThinkingTokenBudget}, {"thinking_budget", f.ThinkingBudget},
		{"max_thinking_tokens", f.MaxThinkingTokens}, {"reasoning_budget_tokens", f.ReasoningBudgetTokens},
		{"reasoning_budget", f.ReasoningBudget},
	}
	if f.CustomParams != nil {
		fields = append(fields, field{"custom_params.thinking_budget", f.CustomParams.ThinkingBudget})
	}
	set := ""
	for _, fl := range fields {
		if fl.v == nil {
			continue
		}
		if set != "" && *fl.v != th.budget {
			return th, oaiBad(fl.name, "%s = %d disagrees with %s = %d; give one thinking budget", fl.name, *fl.v, set, th.budget)
		}
		set, th.budget = fl.name, *fl.v
	}
	if th.budget < 0 {
		th.budget = -1
		return th, nil
	}
	msg := o.ThinkingClosing
	param := "reasoning_budget_message"
	switch {
	case f.ReasoningBudgetMessage != nil && f.ThinkingBudgetMessage != nil && *f.ReasoningBudgetMessage != *f.ThinkingBudgetMessage:
		return th, oaiBad("thinking_budget_message", "reasoning_budget_message and thinking_budget_message disagree")
	case f.ReasoningBudgetMessage != nil:
		msg = *f.ReasoningBudgetMessage
	case f.ThinkingBudgetMessage != nil:
		msg, param = *f.ThinkingBudgetMessage, "thinking_budget_message"
	}
	if !strings.Contains(msg, tokenizer.ThinkEnd) {
		msg += tokenizer.ThinkEnd // llama.cpp appends its end tag after the message too
	}
	sp := tok.Special()
	if sp.ThinkEnd < 0 {
		return th, oaiBad(set, "%s: this model's tokenizer has no %s token, so its thinking cannot be budgeted", set, tokenizer.ThinkEnd)
	}
	th.closing = tok.Encode(msg)
	if len(th.closing) == 0 {
		return th, oaiBad(param, "%s encodes to no tokens", param)
	}
	switch th.extension = o.ThinkingExtension; {
	case th.extension == 0:
		th.extension = max(th.budget/10, 8)
	case th.extension < 0:
		th.extension = 0
	}
	return th, nil
}

// promptThinkOpen reports whether prompt tokens leave a <think> open.
func promptThinkOpen(prompt []int32, sp tokenizer.Special) bool {
	for i := len(prompt) - 1; i >= 0; i-- {
		switch prompt[i] {
		case sp.ThinkEnd:
			return false
		case sp.ThinkStart:
			return sp.ThinkStart >= 0
		}
	}
	return false
}

// thinkState tracks one sequence's thinking while it decodes.
type thinkState struct {
	budget, extension int
	sp                tokenizer.Special
	tok               tokenizer.Tokenizer
	open              bool // the prompt left <think> open
	// hit is set when the budget (plus extension) ended phase one.
	hit bool
}

// thinkingTokens returns how many of toks are thinking tokens, counted
// from the thinking's start, and whether the thinking is still open.
func (st *thinkState) thinkingTokens(toks []int32) (n int, open bool) {
	start := -1
	if st.open {
		start = 0
	}
	for i, t := range toks {
		switch {
		case t == st.sp.ThinkEnd && start >= 0:
			return i - start, false
		case t == st.sp.ThinkStart && start < 0:
			start = i + 1
		}
	}
	if start < 0 {
		return 0, false
	}
	return len(toks) - start, true
}

// stop is the phase-one stop callback: it ends the sequence once the open
// thinking has spent the budget and then reached a sentence end or the
// extension window.
func (st *thinkState) stop(prev func([]int32) bool) func([]int32) bool {
	return func(toks []int32) bool {
		if prev != nil && prev(toks) {
			return true
		}
		n, open := st.thinkingTokens(toks)
		if !open || n < st.budget {
			return false
		}
		if n >= st.budget+st.extension || st.budget == 0 || sentenceEnd(st.tok.Decode(toks[len(toks)-1:])) {
			st.hit = true
			return true
		}
		return false
	}
}

func sentenceEnd(s string) bool { return strings.ContainsAny(s, ".!?\n") }

// reasoningTokens counts the completion's thinking tokens for usage: up to
// and including the closing </think> (see the accounting note above).
func reasoningTokens(toks []int32, promptOpen bool, sp tokenizer.Special) int {
	open := promptOpen
	started := promptOpen
	for i, t := range toks {
		switch {
		case t == sp.ThinkEnd && open:
			return i + 1
		case t == sp.ThinkStart && !started:
			open, started = true, true
		}
	}
	if started {
		return len(toks)
	}
	return 0
}

// generateThinking runs specs under a thinking budget: phase one decodes
// each sequence until its thinking spends the budget (then stops, see
// thinkState.stop); the sequences that hit it continue in phase two from
// prompt + phase one + closing message. It returns each choice's whole
// completion as one sequence.
func (s *Server) generateThinking(ctx context.Context, specs []oaiSeqSpec, th oaiThinking) ([]*model.Sequence, *oaiError) {
	if th.budget < 0 {
		return s.generate(ctx, specs)
	}
	sp := s.opts.Tokenizer.Special()
	states := make([]*thinkState, len(specs))
	one := make([]oaiSeqSpec, len(specs))
	for i, spec := range specs {
		st := &thinkState{budget: th.budget, extension: th.extension, sp: sp, tok: s.opts.Tokenizer, open: promptThinkOpen(spec.prompt, sp)}
		states[i] = st
		spec.opts.Stop = st.stop(spec.opts.Stop)
		one[i] = spec
	}
	first, e := s.generate(ctx, one)
	if e != nil {
		return nil, e
	}
	out := make([]*model.Sequence, len(specs))
	var two []oaiSeqSpec
	var which []int
	for i, seq := range first {
		out[i] = seq
		if !states[i].hit {
			continue
		}
		left := specs[i].opts.MaxNewTokens - len(seq.Tokens) - len(th.closing)
		if left < 1 { // no room for an answer: the closing is cut at max_tokens
			forced := th.closing[:max(0, specs[i].opts.MaxNewTokens-len(seq.Tokens))]
			out[i] = joinSequences(seq, forced, nil, model.FinishLength)
			continue
		}
		prompt := append(append(append([]int32(nil), specs[i].prompt...), seq.Tokens...), th.closing...)
		o := specs[i].opts
		o.MaxNewTokens = left
		two = append(two, oaiSeqSpec{prompt: prompt, opts: o})
		which = append(which, i)
	}
	if len(two) == 0 {
		return out, nil
	}
	second, e := s.generate(ctx, two)
	if e != nil {
		return nil, e
	}
	for k, seq := range second {
		out[which[k]] = joinSequences(first[which[k]], th.closing, seq, seq.FinishReason)
	}
	return out, nil
}

// joinSequences is one choice made of phase one a, the forced tokens and
// phase two b (nil when there was none); forced tokens get log-prob and
// entropy 0.
func joinSequences(a *model.Sequence, forced []int32, b *model.Sequence, finish string) *model.Sequence {
	j := &model.Sequence{ID: a.ID, Prompt: a.Prompt, Options: a.Options, FinishReason: finish}
	j.Tokens = append(append(j.Tokens, a.Tokens...), forced...)
	j.Logp = append(append(j.Logp, a.Logp...), make([]float32, len(forced))...)
	j.Entropy = append(append(j.Entropy, a.Entropy...), make([]float32, len(forced))...)
	if b != nil {
		j.Tokens = append(j.Tokens, b.Tokens...)
		j.Logp = append(j.Logp, b.Logp...)
		j.Entropy = append(j.Entropy, b.Entropy...)
	}
	return j
}

// oaiCompletionDetails is usage.completion_tokens_details.
type oaiCompletionDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// errThinkingStream rejects a thinking budget on a streamed request.
func errThinkingStream() *oaiError {
	return oaiBad("stream", "a thinking budget is not supported with stream: true; send the request without streaming")
}

// addReasoning adds one choice's reasoning tokens to usage's details (0
// when the tokenizer has no </think>).
func (s *Server) addReasoning(u *oaiUsage, toks []int32, promptOpen bool) {
	if sp := s.opts.Tokenizer.Special(); sp.ThinkEnd >= 0 {
		u.CompletionTokensDetails.ReasoningTokens += reasoningTokens(toks, promptOpen, sp)
	}
}

// withReasoning adds the reasoning tokens of streamed outputs to u; open(i)
// says whether choice i's prompt left the thinking open.
func (s *Server) withReasoning(u *oaiUsage, outs []oaiOutput, open func(i int) bool) *oaiUsage {
	for i, o := range outs {
		s.addReasoning(u, o.tokens, open(i))
	}
	return u
}
