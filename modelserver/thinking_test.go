package modelserver

import (
	"strings"
	"testing"
)

// thinkResp is a completions response with token ids and usage details.
type thinkResp struct {
	Choices []struct {
		Text         string  `json:"text"`
		FinishReason string  `json:"finish_reason"`
		TokenIDs     []int32 `json:"token_ids"`
	} `json:"choices"`
	Usage struct {
		PromptTokens            int `json:"prompt_tokens"`
		CompletionTokens        int `json:"completion_tokens"`
		CompletionTokensDetails *struct {
			ReasoningTokens int `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	} `json:"usage"`
}

// TestThinkingBudget: with the thinking open in the prompt, a budget of B
// tokens and no extension, the completion is the first B tokens of the
// unbudgeted completion, then the closing message, then exactly what a
// plain request continuing prompt + those B tokens + closing generates
// (the continuation eval/force requests offline). usage counts all of it;
// reasoning_tokens counts the thinking through </think>.
func TestThinkingBudget(t *testing.T) {
	const closing = "\nok\n</think>\n"
	s, ts := oaiTestServer(t, func(o *Options) { o.ThinkingClosing = closing; o.ThinkingExtension = -1 })
	tok := s.opts.Tokenizer
	prompt := "1+2=?<think>"
	base := map[string]any{"model": "tiny", "prompt": prompt, "max_tokens": 40, "temperature": 0.7, "seed": 5, "return_token_ids": true, "ignore_eos": true}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var plain, budgeted thinkResp
	if code := oaiPost(t, ts.URL+"/v1/completions", base, &plain); code != 200 {
		t.Fatalf("plain: %d", code)
	}
	const B = 7
	if code := oaiPost(t, ts.URL+"/v1/completions", with(map[string]any{"thinking_token_budget": B}), &budgeted); code != 200 {
		t.Fatalf("budgeted: %d %+v", code, budgeted)
	}
	p, b := plain.Choices[0].TokenIDs, budgeted.Choices[0].TokenIDs
	if i := indexOf(p[:B], tok.Special().ThinkEnd); i >= 0 {
		t.Skipf("the random model closed its thinking within %d tokens; pick another seed", B)
	}
	cl := tok.Encode(closing)
	if len(b) < B+len(cl) || !equal32(b[:B], p[:B]) || !equal32(b[B:B+len(cl)], cl) {
		t.Fatalf("budgeted tokens %v: want the first %d plain tokens %v, then the closing %v", b, B, p[:B], cl)
	}
	// Phase two equals a plain continuation of prompt + cut + closing.
	var cont thinkResp
	cut := tok.Decode(p[:B])
	oaiPost(t, ts.URL+"/v1/completions", with(map[string]any{"prompt": prompt + cut + closing, "max_tokens": 40 - B - len(cl)}), &cont)
	if !equal32(b[B+len(cl):], cont.Choices[0].TokenIDs) {
		t.Errorf("answer %v, a plain continuation gives %v", b[B+len(cl):], cont.Choices[0].TokenIDs)
	}
	// The thinking runs through the closing's </think>; the "\n" after it
	// is the answer's.
	u, think := budgeted.Usage, B+indexOf(cl, tok.Special().ThinkEnd)+1
	if u.CompletionTokens != len(b) || u.CompletionTokens > 40 || u.CompletionTokensDetails == nil || u.CompletionTokensDetails.ReasoningTokens != think {
		t.Errorf("usage %+v (details %+v) for %d tokens; want reasoning_tokens %d", u, u.CompletionTokensDetails, len(b), think)
	}
	if !strings.Contains(budgeted.Choices[0].Text, closing) {
		t.Errorf("text %q lacks the closing message", budgeted.Choices[0].Text)
	}
	// Every server's field name sets the same budget.
	for _, extra := range []map[string]any{
		{"thinking_budget": B}, {"max_thinking_tokens": B}, {"reasoning_budget_tokens": B}, {"reasoning_budget": B},
		{"custom_params": map[string]any{"thinking_budget": B}},
	} {
		var r thinkResp
		if code := oaiPost(t, ts.URL+"/v1/completions", with(extra), &r); code != 200 || !equal32(r.Choices[0].TokenIDs, b) {
			t.Errorf("%v: status %d, tokens %v; want %v", extra, code, r.Choices[0].TokenIDs, b)
		}
	}
	// A negative budget (llama.cpp's -1) is no budget.
	var none thinkResp
	oaiPost(t, ts.URL+"/v1/completions", with(map[string]any{"reasoning_budget_tokens": -1}), &none)
	if !equal32(none.Choices[0].TokenIDs, p) {
		t.Errorf("budget -1 changed the output")
	}
	if plain.Usage.CompletionTokensDetails == nil || plain.Usage.CompletionTokensDetails.ReasoningTokens != plain.Usage.CompletionTokens-answerAfterThink(p, tok.Special().ThinkEnd) {
		t.Errorf("plain usage details %+v", plain.Usage)
	}
	// Conflicting fields and streaming are refused with the field named.
	for _, bad := range []map[string]any{
		{"thinking_token_budget": 5, "max_thinking_tokens": 6},
		{"thinking_budget": 5, "stream": true},
	} {
		var e oaiTestError
		if code := oaiPost(t, ts.URL+"/v1/completions", with(bad), &e); code != 400 || e.Error.Param == nil {
			t.Errorf("%v: status %d, error %+v; want 400 naming a field", bad, code, e)
		}
	}
}

// TestThinkingBudgetExtension: after the budget the thought may run on to a
// sentence end, at most the extension window.
func TestThinkingBudgetExtension(t *testing.T) {
	const closing = "\nq</think>"
	s, ts := oaiTestServer(t, func(o *Options) { o.ThinkingClosing = closing; o.ThinkingExtension = 6 })
	tok := s.opts.Tokenizer
	cl := tok.Encode(closing)
	checked := 0
	for seed := range 12 {
		var r thinkResp
		oaiPost(t, ts.URL+"/v1/completions", map[string]any{"model": "tiny", "prompt": "9*9=?<think>", "max_tokens": 60,
			"temperature": 1, "seed": seed, "return_token_ids": true, "ignore_eos": true, "thinking_budget": 4}, &r)
		toks := r.Choices[0].TokenIDs
		j := indexSeq(toks, cl)
		if j < 0 || indexOf(toks[:j], tok.Special().ThinkEnd) >= 0 {
			continue // the thinking closed on its own
		}
		checked++
		if j < 4 || j > 4+6 {
			t.Errorf("seed %d: thinking cut after %d tokens, want budget 4 to 4 + extension 6", seed, j)
		}
		if j < 4+6 && !sentenceEnd(tok.Decode(toks[j-1:j])) {
			t.Errorf("seed %d: cut after %d tokens on %q, not a sentence end", seed, j, tok.Decode(toks[j-1:j]))
		}
	}
	if checked == 0 {
		t.Fatal("no seed hit the budget")
	}
}

func indexSeq(toks, seq []int32) int {
	for i := 0; i+len(seq) <= len(toks); i++ {
		if equal32(toks[i:i+len(seq)], seq) {
			return i
		}
	}
	return -1
}

// TestTokenizeEndpoints: vLLM's /tokenize and /detokenize shapes, at the
// root and under /v1.
func TestTokenizeEndpoints(t *testing.T) {
	s, ts := oaiTestServer(t, nil)
	for _, prefix := range []string{"", "/v1"} {
		var tk struct {
			Count       int     `json:"count"`
			MaxModelLen int     `json:"max_model_len"`
			Tokens      []int32 `json:"tokens"`
		}
		if code := oaiPost(t, ts.URL+prefix+"/tokenize", map[string]any{"model": "tiny", "prompt": "ab<think>1", "add_special_tokens": false}, &tk); code != 200 {
			t.Fatalf("%s/tokenize: %d", prefix, code)
		}
		want := s.opts.Tokenizer.Encode("ab<think>1")
		if tk.Count != 4 || !equal32(tk.Tokens, want) || tk.MaxModelLen != s.opts.Model.Config.MaxPositionEmbeddings {
			t.Errorf("%s/tokenize = %+v, want %v", prefix, tk, want)
		}
		var dt struct {
			Prompt string `json:"prompt"`
		}
		oaiPost(t, ts.URL+prefix+"/detokenize", map[string]any{"model": "tiny", "tokens": tk.Tokens[:3]}, &dt)
		if dt.Prompt != "ab<think>" {
			t.Errorf("%s/detokenize = %q", prefix, dt.Prompt)
		}
		var e oaiTestError
		if code := oaiPost(t, ts.URL+prefix+"/detokenize", map[string]any{"tokens": []int{-1}}, &e); code != 400 {
			t.Errorf("bad token id: status %d", code)
		}
	}
}

func indexOf(toks []int32, id int32) int {
	for i, t := range toks {
		if t == id {
			return i
		}
	}
	return -1
}

func equal32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// answerAfterThink is the number of tokens after the first end (all of
// them thinking when there is none: 0).
func answerAfterThink(toks []int32, end int32) int {
	if i := indexOf(toks, end); i >= 0 {
		return len(toks) - i - 1
	}
	return 0
}
