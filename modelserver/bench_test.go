package modelserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/terse-dev/terse/engine/model"
)

// BenchmarkOpenAIThroughput measures generated tokens/s through the HTTP
// server with C concurrent clients, each asking for 64 tokens (ignore_eos)
// per request, on the TinyConfig model (≈0.4M parameters, default BLAS).
// clients=1 is the unbatched baseline; clients=32 shows continuous batching.
func BenchmarkOpenAIThroughput(b *testing.B) {
	tok := oaiTestTokenizer(b)
	cfg := model.TinyConfig()
	cfg.VocabSize = tok.VocabSize()
	cfg.EOSTokenID = model.TokenIDs{int(tok.Special().EOS)}
	m, err := model.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m.InitRandom(1, 0.3)
	s, err := New(Options{Model: m, Tokenizer: tok})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer s.Close()
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const maxTokens = 64
	post := func(seed int) (int, error) {
		body, _ := json.Marshal(map[string]any{"prompt": fmt.Sprintf("%d+%d=", seed, seed*7), "max_tokens": maxTokens, "ignore_eos": true, "seed": seed})
		resp, err := client.Post(ts.URL+"/v1/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		var got struct{ Usage oaiUsage }
		if resp.StatusCode != 200 || json.Unmarshal(data, &got) != nil {
			return 0, fmt.Errorf("status %d: %s", resp.StatusCode, data)
		}
		return got.Usage.CompletionTokens, nil
	}
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			var tokens int64
			var mu sync.Mutex
			steps0 := s.sched.steps.Load()
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range clients {
					wg.Go(func() {
						n, err := post(c)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						tokens += int64(n)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
			if steps := s.sched.steps.Load() - steps0; steps > 0 {
				b.ReportMetric(float64(tokens)/float64(steps), "seqs/step")
			}
		})
	}
}
