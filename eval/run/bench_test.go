package run_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/eval/store"
)

// trivialServer answers every request with the same small completion.
func trivialServer() *httptest.Server {
	body := []byte(`{"choices":[{"index":0,"message":{"content":"<think>ok</think>\\boxed{1}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7}}`)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sink [4096]byte
		for {
			if _, err := r.Body.Read(sink[:]); err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

// BenchmarkHarness measures the whole pipeline's overhead (client, retries
// bookkeeping, grading, JSONL append) against a trivial local server:
// each iteration samples 1000 rollouts with 64 requests in flight.
//
//	go test ./eval/run -run '^$' -bench Harness -benchtime 5x
func BenchmarkHarness(b *testing.B) {
	srv := trivialServer()
	defer srv.Close()
	c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, MaxConnsPerEndpoint: 64})
	if err != nil {
		b.Fatal(err)
	}
	ps := problems(250)
	st, err := store.Open(filepath.Join(b.TempDir(), "r.jsonl"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	requests := 0
	seed := int64(0)
	for b.Loop() {
		s := sampling()
		s.Seed = seed // a new key each iteration: nothing is cached
		seed += 1000
		sum, err := run.Sample(context.Background(), run.Options{Problems: ps, Sampling: s, MaxTokens: 100, Samples: 4,
			Concurrency: 64, Client: c, Store: st, Grade: grader})
		if err != nil || sum.Sampled != 1000 {
			b.Fatalf("%+v, %v", sum, err)
		}
		requests += sum.Sampled
	}
	b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkClient measures the bare client: 1000 requests per iteration
// from 64 goroutines.
//
//	go test ./eval/run -run '^$' -bench Client -benchtime 5x
func BenchmarkClient(b *testing.B) {
	srv := trivialServer()
	defer srv.Close()
	c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, MaxConnsPerEndpoint: 64})
	if err != nil {
		b.Fatal(err)
	}
	req := sampler.Request{API: sampler.APIChat, Model: "m", Prompt: "What is 1+1?", MaxTokens: 100, TopP: 1}
	requests := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for g := range 64 {
			wg.Go(func() {
				for i := g; i < 1000; i += 64 {
					if _, err := c.Do(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		requests += 1000
	}
	b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "requests/s")
}

// writeRollouts writes n rollouts (1000 problems × n/1000 samples, with
// ~1 KB of text each) to path.
func writeRollouts(tb testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	text := strings.Repeat("Let me think about this. ", 40)
	s := sampling()
	key := s.Key()
	for i := range n {
		tokens := 100 + (i*7919)%32000
		finish := eval.FinishStop
		if tokens > 30000 {
			finish = eval.FinishLength
		}
		r := eval.Rollout{Key: key, Benchmark: "math500", ProblemID: fmt.Sprintf("test/%d.json", i%1000), Sample: i / 1000,
			Status: eval.StatusOK, Sampling: s, MaxTokens: 32768, Prompt: "What is x?", Reasoning: text, Response: `\boxed{1}`,
			Gold: []string{"1"}, Level: i%5 + 1, CompletionTokens: tokens, FinishReason: finish, Correct: i%3 == 0, Reason: "equal_string"}
		if err := enc.Encode(&r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkMetrics100k streams 100,000 rollouts through Collect and
// Compute and reports the peak heap (sampled every 5 ms) and rollouts/s.
//
//	go test ./eval/run -run '^$' -bench Metrics100k -benchtime 1x
func BenchmarkMetrics100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "r.jsonl")
	writeRollouts(b, path, n)
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	for b.Loop() {
		ps, _, err := run.Collect([]string{path}, run.Selection{MaxTokens: 32768})
		if err != nil {
			b.Fatal(err)
		}
		res := metrics.Compute(ps, metrics.Options{Bootstrap: 1000})
		if res.Benchmarks[0].Rollouts != n {
			b.Fatalf("rollouts = %d", res.Benchmarks[0].Rollouts)
		}
	}
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rollouts/s")
}
