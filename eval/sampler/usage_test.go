package sampler

import "testing"

// TestDecodeReasoningTokens: usage.completion_tokens_details.reasoning_tokens
// (OpenAI's field; terse serve reports it on every response) is kept when it
// is a plausible share of completion_tokens, and ignored otherwise.
func TestDecodeReasoningTokens(t *testing.T) {
	for _, tc := range []struct {
		name, usage string
		want        int
	}{
		{"reported", `{"prompt_tokens":5,"completion_tokens":40,"completion_tokens_details":{"reasoning_tokens":31}}`, 31},
		{"absent", `{"prompt_tokens":5,"completion_tokens":40}`, 0},
		{"null details", `{"prompt_tokens":5,"completion_tokens":40,"completion_tokens_details":null}`, 0},
		{"more than the completion", `{"prompt_tokens":5,"completion_tokens":40,"completion_tokens_details":{"reasoning_tokens":41}}`, 0},
	} {
		body := `{"choices":[{"text":"x","finish_reason":"stop"}],"usage":` + tc.usage + `}`
		r, err := decode([]byte(body), 100)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.ReasoningTokens != tc.want || r.CompletionTokens != 40 {
			t.Errorf("%s: reasoning %d, completion %d; want %d, 40", tc.name, r.ReasoningTokens, r.CompletionTokens, tc.want)
		}
	}
}
