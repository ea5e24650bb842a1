package eval_test

import (
	"testing"

	"github.com/terse-dev/terse/eval"
)

func TestSplitThinking(t *testing.T) {
	for _, tc := range []struct {
		name, in            string
		open                bool
		reasoning, response string
	}{
		{"tags", "<think>hmm</think>\n\\boxed{2}", false, "hmm", `\boxed{2}`},
		{"open tag in prompt", "hmm\n</think>\n\n\\boxed{2}", true, "hmm", `\boxed{2}`},
		{"template opened it, not declared", "hmm</think>\\boxed{2}", false, "hmm", `\boxed{2}`},
		{"no thinking", "\\boxed{2}", false, "", `\boxed{2}`},
		{"truncated inside thinking, open", "hmm and then", true, "hmm and then", ""},
		{"truncated inside thinking, tag", "<think>hmm and then", false, "hmm and then", ""},
		{"leading space before tag", "\n <think>a</think>b", false, "a", "b"},
		{"answer mentions the tag later", "<think>a</think>b </think> c", false, "a", "b </think> c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, a := eval.SplitThinking(tc.in, tc.open)
			if r != tc.reasoning || a != tc.response {
				t.Errorf("SplitThinking(%q, %v) = %q, %q; want %q, %q", tc.in, tc.open, r, a, tc.reasoning, tc.response)
			}
		})
	}
}

func TestAtBudget(t *testing.T) {
	base := eval.Rollout{Status: eval.StatusOK, MaxTokens: 32768, Correct: true, Reason: "equal", Extracted: "2"}
	for _, tc := range []struct {
		name          string
		tokens        int
		finish        string
		budget        int
		wantTokens    int
		wantFinish    string
		wantCorrect   bool
		wantDerivedOf int
	}{
		{"finished within", 5000, "stop", 8192, 5000, "stop", true, 32768},
		{"finished exactly at", 8192, "stop", 8192, 8192, "stop", true, 32768},
		{"finished after", 9000, "stop", 8192, 8192, "length", false, 32768},
		{"truncated at 32k", 32768, "length", 8192, 8192, "length", false, 32768},
		{"same budget", 32768, "length", 32768, 32768, "length", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			r.CompletionTokens, r.FinishReason = tc.tokens, tc.finish
			if !r.CanAnswer(tc.budget) {
				t.Fatalf("CanAnswer(%d) = false", tc.budget)
			}
			v := r.AtBudget(tc.budget)
			if v.CompletionTokens != tc.wantTokens || v.FinishReason != tc.wantFinish || v.Correct != tc.wantCorrect || v.DerivedFromMaxTokens != tc.wantDerivedOf || v.MaxTokens != tc.budget {
				t.Errorf("AtBudget(%d) = tokens %d finish %q correct %v derived %d max %d", tc.budget, v.CompletionTokens, v.FinishReason, v.Correct, v.DerivedFromMaxTokens, v.MaxTokens)
			}
			if !v.Correct && v.Reason != "truncated" && tc.wantFinish == "length" && tc.finish != "length" {
				t.Errorf("reason = %q, want truncated", v.Reason)
			}
		})
	}
	short := base
	short.MaxTokens = 8192
	if short.CanAnswer(32768) {
		t.Error("an 8k rollout must never answer 32k")
	}
}

// TestKeyCoversSampling: every field of Sampling changes the key.
func TestKeyCoversSampling(t *testing.T) {
	s := eval.Sampling{Model: "m", API: eval.APIChat, PromptTemplate: eval.DefaultPromptTemplate, Temperature: 0.6, TopP: 0.95, TopK: 20}
	k := s.Key()
	for name, mod := range map[string]func(*eval.Sampling){
		"model":       func(s *eval.Sampling) { s.Model = "n" },
		"api":         func(s *eval.Sampling) { s.API = eval.APICompletions },
		"system":      func(s *eval.Sampling) { s.SystemPrompt = "x" },
		"template":    func(s *eval.Sampling) { s.PromptTemplate += " " },
		"prefill":     func(s *eval.Sampling) { s.Prefill = "<think>\n" },
		"temperature": func(s *eval.Sampling) { s.Temperature = 1 },
		"top_p":       func(s *eval.Sampling) { s.TopP = 1 },
		"top_k":       func(s *eval.Sampling) { s.TopK = -1 },
		"seed":        func(s *eval.Sampling) { s.Seed = 1 },
	} {
		c := s
		mod(&c)
		if c.Key() == k {
			t.Errorf("changing %s keeps the key", name)
		}
	}
	if s.Key() != k {
		t.Error("Key is not deterministic")
	}
}
