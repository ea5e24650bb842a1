package sampler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// ollamaLike answers like Ollama's OpenAI-compatible endpoint
// (ollama/ollama openai/openai.go at 00988753: system_fingerprint
// "fp_ollama", message.reasoning, no top_k) and serves /api/version.
func ollamaLike(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"version":"0.12.3"}`))
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"chatcmpl-1","object":"chat.completion","model":"qwen3:0.6b","system_fingerprint":"fp_ollama",` +
			`"choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning":"2+2"},"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestOllamaIgnoredSettings(t *testing.T) {
	ts := ollamaLike(t)
	c, err := New(Options{Endpoints: []string{ts.URL}, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := Request{API: APIChat, Model: "m", Prompt: "2+2?", MaxTokens: 10, Temperature: 0.6, TopP: 0.95}
	if k := c.Probe(ctx); len(k) != 1 || k[0] != ServerOllama {
		t.Fatalf("Probe = %v, want [ollama]", k)
	}
	// Honoured settings: sampled, reasoning read from "reasoning".
	resp, err := c.Do(ctx, base)
	if err != nil || resp.Server != ServerOllama || resp.ReasoningContent != "2+2" || resp.Content != "4" {
		t.Fatalf("plain request: %+v %v", resp, err)
	}
	if err := c.CheckSettings(ctx, base); err != nil {
		t.Errorf("CheckSettings(no top_k, no prefill): %v", err)
	}
	for _, tc := range []struct {
		mod  func(*Request)
		want string
	}{
		{func(r *Request) { r.TopK = 20 }, "top_k"},
		{func(r *Request) { r.Prefill = "<think>\n" }, "prefill"},
	} {
		req := base
		tc.mod(&req)
		if err := c.CheckSettings(ctx, req); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckSettings(%s): %v, want ErrUnsupported naming it", tc.want, err)
		}
		// Without the probe, the answer itself gives Ollama away.
		_, err := c.Do(ctx, req)
		var se *Error
		if !errors.Is(err, ErrUnsupported) || !errors.As(err, &se) || se.Attempts != 1 {
			t.Errorf("Do(%s): %v, want ErrUnsupported after 1 attempt", tc.want, err)
		}
	}
	// The completions API appends a prefill to the prompt: nothing ignored.
	req := base
	req.API, req.Prefill = APICompletions, "<think>\n"
	if got := Unsupported(ServerOllama, req); len(got) != 0 {
		t.Errorf("completions prefill: %v", got)
	}
}

func TestProbeOtherServer(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	c, err := New(Options{Endpoints: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if k := c.Probe(context.Background()); k[0] != "" {
		t.Errorf("Probe of a non-Ollama server = %q", k[0])
	}
	if err := c.CheckSettings(context.Background(), Request{TopK: 20, Prefill: "x", API: APIChat}); err != nil {
		t.Errorf("CheckSettings on an unknown server: %v", err)
	}
}
