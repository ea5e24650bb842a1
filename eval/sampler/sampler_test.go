package sampler_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/eval/sampler"
)

func newClient(t *testing.T, endpoints ...string) *sampler.Client {
	t.Helper()
	c, err := sampler.New(sampler.Options{
		Endpoints: endpoints, Timeout: 2 * time.Second, MaxAttempts: 4,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func chat(seed int64) sampler.Request {
	return sampler.Request{API: sampler.APIChat, Model: "m", Prompt: "What is 1+1?", MaxTokens: 1000, Temperature: 0.6, TopP: 0.95, TopK: 20, Seed: seed}
}

func TestProtocol(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	c := newClient(t, srv.URL+"/v1/")
	ctx := context.Background()

	resp, err := c.Do(ctx, chat(3))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != `<think>let me think</think>The answer is \boxed{3}.` || resp.FinishReason != "stop" || resp.CompletionTokens != 40 || resp.Attempts != 1 {
		t.Errorf("chat response = %+v", resp)
	}

	req := chat(1)
	req.API, req.Prefill, req.TopK = sampler.APICompletions, "<think>\n", 0
	if _, err := c.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	req = chat(2)
	req.Prefill, req.System = "<think>\n", "be brief"
	if _, err := c.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	seen := srv.Seen()
	if len(seen) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(seen))
	}
	if s := seen[0]; s.N != 1 || s.Seed != 3 || s.TopK != 20 || s.MaxTokens != 1000 || s.Text() != "What is 1+1?" || s.ContinueFinalMessage {
		t.Errorf("chat request = %+v", s)
	}
	if s := seen[1]; s.Prompt == nil || *s.Prompt != "What is 1+1?<think>\n" || s.TopK != 0 || len(s.Messages) != 0 {
		t.Errorf("completions request = %+v", s)
	}
	if s := seen[2]; !s.ContinueFinalMessage || len(s.Messages) != 3 || s.Messages[0].Role != "system" || s.Messages[2].Role != "assistant" || s.Messages[2].Content != "<think>\n" {
		t.Errorf("prefilled chat request = %+v", s)
	}
}

func TestReasoningContent(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.Reasoning = true
	resp, err := newClient(t, srv.URL).Do(context.Background(), chat(0))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ReasoningContent != "let me think" || resp.Content != `The answer is \boxed{0}.` {
		t.Errorf("got reasoning %q content %q", resp.ReasoningContent, resp.Content)
	}
}

// TestFaults: each fault on the first two attempts is retried and the third
// attempt succeeds.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakeserver.Fault
	}{
		{"5xx", fakeserver.Status500},
		{"429 Retry-After", fakeserver.Status429},
		{"hung", fakeserver.Hang},
		{"reset mid-body", fakeserver.Reset},
		{"truncated JSON", fakeserver.Truncated},
		{"no choices", fakeserver.NoChoices},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeserver.New()
			defer srv.Close()
			srv.Faults = func(i int64) fakeserver.Fault {
				if i < 2 {
					return tc.fault
				}
				return fakeserver.None
			}
			c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, Timeout: 100 * time.Millisecond,
				MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(context.Background(), chat(5))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Attempts != 3 || srv.Requests() != 3 {
				t.Errorf("attempts %d, server requests %d; want 3, 3", resp.Attempts, srv.Requests())
			}
		})
	}
}

// TestRetryAfterHonoured: with a backoff of an hour, only the server's
// Retry-After (10 ms) lets the request finish.
func TestRetryAfterHonoured(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.Faults = func(i int64) fakeserver.Fault {
		if i == 0 {
			return fakeserver.Status429
		}
		return fakeserver.None
	}
	c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, BackoffBase: time.Hour, BackoffMax: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.Do(ctx, chat(1))
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("Do = %+v, %v; want success on attempt 2", resp, err)
	}
}

func TestPermanentAndExhausted(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.Faults = func(int64) fakeserver.Fault { return fakeserver.Status400 }
	_, err := newClient(t, srv.URL).Do(context.Background(), chat(1))
	var se *sampler.Error
	if !errors.As(err, &se) || se.Attempts != 1 {
		t.Errorf("400: err = %v, want a sampler.Error after 1 attempt", err)
	}

	srv.Faults = func(int64) fakeserver.Fault { return fakeserver.Status500 }
	_, err = newClient(t, srv.URL).Do(context.Background(), chat(1))
	if !errors.As(err, &se) || se.Attempts != 4 || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("500s: err = %v, want a sampler.Error after 4 attempts", err)
	}
}

// TestNoUsage: a server that never reports usage fails every attempt with
// ErrNoUsage (terse never re-tokenises to count); plausible_test.go shows
// one missing usage block retried.
func TestNoUsage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`))
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).Do(context.Background(), chat(1))
	if !errors.Is(err, sampler.ErrNoUsage) {
		t.Errorf("err = %v, want ErrNoUsage", err)
	}
}

func TestCancelled(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.Faults = func(int64) fakeserver.Fault { return fakeserver.Hang }
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := newClient(t, srv.URL).Do(ctx, chat(1))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLoadBalance(t *testing.T) {
	a, b := fakeserver.New(), fakeserver.New()
	defer a.Close()
	defer b.Close()
	c := newClient(t, a.URL, b.URL)
	for i := range 10 {
		if _, err := c.Do(context.Background(), chat(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if a.Requests() == 0 || b.Requests() == 0 || a.Requests()+b.Requests() != 10 {
		t.Errorf("requests: %d and %d; want both used, 10 in all", a.Requests(), b.Requests())
	}
	// A dead endpoint: requests fail over to the live one.
	b.Close()
	for i := range 4 {
		if _, err := c.Do(context.Background(), chat(int64(i))); err != nil {
			t.Fatalf("with one endpoint down: %v", err)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := sampler.New(sampler.Options{}); err == nil {
		t.Error("no endpoint: want an error")
	}
	if _, err := sampler.New(sampler.Options{Endpoints: []string{"localhost:8000"}}); err == nil {
		t.Error("endpoint without scheme: want an error")
	}
	c := newClient(t, "http://127.0.0.1:1")
	if _, err := c.Do(context.Background(), sampler.Request{API: "x", Model: "m", MaxTokens: 1}); err == nil {
		t.Error("unknown API: want an error")
	}
}
