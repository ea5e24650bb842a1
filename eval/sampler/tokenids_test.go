package sampler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/terse-dev/terse/eval/sampler"
)

// TestReturnTokenIDs replays vLLM's token-id response shapes, from
// vllm-project/vllm at commit d5dba2d7b0ab9b98096560c69db7126b54b14d79:
//
//	vllm/entrypoints/openai/chat_completion/protocol.py: request field
//	  return_token_ids; ChatCompletionResponseChoice.token_ids and
//	  ChatCompletionResponse.prompt_token_ids (on the response).
//	vllm/entrypoints/openai/completion/protocol.py:
//	  CompletionResponseChoice.token_ids and .prompt_token_ids (on the choice).
//
// The request carries return_token_ids only when asked, and ids whose count
// disagrees with usage.completion_tokens are not kept.
func TestReturnTokenIDs(t *testing.T) {
	var asked []bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("request: %v", err)
		}
		v, ok := req["return_token_ids"]
		asked = append(asked, ok && v == true)
		switch r.URL.Path {
		case "/v1/chat/completions":
			w.Write([]byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"2"},"finish_reason":"stop","token_ids":[7,8,9]}],
				"prompt_token_ids":[1,2],"usage":{"prompt_tokens":2,"completion_tokens":3}}`))
		case "/v1/completions":
			w.Write([]byte(`{"choices":[{"index":0,"text":"2","finish_reason":"stop","token_ids":[7,8],"prompt_token_ids":[4,5,6]}],
				"usage":{"prompt_tokens":3,"completion_tokens":2}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/v1")
	ctx := context.Background()

	req := chat(1)
	req.ReturnTokenIDs = true
	resp, err := c.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.TokenIDs, []int{7, 8, 9}) || !slices.Equal(resp.PromptTokenIDs, []int{1, 2}) {
		t.Errorf("chat: token ids %v, prompt %v; want [7 8 9], [1 2]", resp.TokenIDs, resp.PromptTokenIDs)
	}

	comp := sampler.Request{API: sampler.APICompletions, Model: "m", Prompt: "1+1=", MaxTokens: 10, ReturnTokenIDs: true}
	if resp, err = c.Do(ctx, comp); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.TokenIDs, []int{7, 8}) || !slices.Equal(resp.PromptTokenIDs, []int{4, 5, 6}) {
		t.Errorf("completions: token ids %v, prompt %v; want [7 8], [4 5 6]", resp.TokenIDs, resp.PromptTokenIDs)
	}

	// Not asked: the field is not sent (the server still answers with ids here).
	if _, err = c.Do(ctx, chat(2)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []bool{true, true, false}) {
		t.Errorf("return_token_ids sent = %v, want [true true false]", asked)
	}
}

// TestTokenIDsCountMismatch: ids that disagree with usage are dropped, not
// stored as if exact.
func TestTokenIDsCountMismatch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"choices":[{"message":{"content":"2"},"finish_reason":"stop","token_ids":[7,8]}],"usage":{"completion_tokens":3}}`))
	}))
	defer srv.Close()
	req := chat(1)
	req.ReturnTokenIDs = true
	resp, err := newClient(t, srv.URL).Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.TokenIDs != nil {
		t.Errorf("token ids %v kept although usage says 3 tokens", resp.TokenIDs)
	}
}
