package run_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
)

// TestSampleRefusesIgnoredSettings: Ollama's OpenAI-compatible API drops
// top_k and does not continue a prefilled assistant turn (ollama/ollama
// openai/openai.go at 00988753). A run whose sampling sets them is refused
// before any sample, naming the setting, instead of recording top_k = 20
// for samples drawn without it. Without them, the run goes ahead.
func TestSampleRefusesIgnoredSettings(t *testing.T) {
	var posts atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"version":"0.12.3"}`)) })
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Write([]byte(`{"system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":"\\boxed{1}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3}}`))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	st := openStore(t, filepath.Join(t.TempDir(), "r.jsonl"))
	defer st.Close()
	s := sampling() // top_k 20
	_, err := run.Sample(context.Background(), run.Options{Problems: problems(2), Sampling: s, MaxTokens: 64, Samples: 2,
		Client: client(t, ts.URL, 1), Store: st, Grade: grader})
	if !errors.Is(err, sampler.ErrUnsupported) || !strings.Contains(err.Error(), "top_k") {
		t.Fatalf("top_k 20 on Ollama: %v, want ErrUnsupported naming top_k", err)
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d samples drawn before the refusal", n)
	}
	s.TopK = 0
	sum, err := run.Sample(context.Background(), run.Options{Problems: problems(2), Sampling: s, MaxTokens: 64, Samples: 2,
		Client: client(t, ts.URL, 1), Store: st, Grade: grader})
	if err != nil || sum.Sampled != 4 {
		t.Errorf("top_k 0 on Ollama: %+v %v, want 4 samples", sum, err)
	}
}
