package sampler_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/terse-dev/terse/eval/sampler"
)

// lyingServer answers the first lies requests with body(lie) and the rest
// honestly: 42 completion tokens, finish_reason stop.
func lyingServer(t *testing.T, lies int, lie string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) <= lies {
			w.Write([]byte(lie))
			return
		}
		w.Write([]byte(`{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":42}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// implausible are answers a server must not give for max_tokens 1000
// (issue 16 items 9 and 10); each names the fault kind terse records.
var implausible = []struct {
	name, body, kind string
}{
	{"negative completion_tokens", `{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"usage":{"completion_tokens":-5}}`, sampler.FaultNegativeTokens},
	{"completion_tokens over max_tokens", `{"choices":[{"message":{"content":"x"},"finish_reason":"length"}],"usage":{"completion_tokens":1000000000}}`, sampler.FaultTokensOverMax},
	{"finish_reason null", `{"choices":[{"message":{"content":"x"},"finish_reason":null}],"usage":{"completion_tokens":7}}`, sampler.FaultFinishReason},
	{"finish_reason eos", `{"choices":[{"message":{"content":"x"},"finish_reason":"eos"}],"usage":{"completion_tokens":7}}`, sampler.FaultFinishReason},
	{"no usage", `{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}`, sampler.FaultNoUsage},
	{"two choices", `{"choices":[{"text":"a","finish_reason":"stop"},{"text":"b","finish_reason":"stop"}],"usage":{"completion_tokens":7}}`, sampler.FaultChoices},
	{"not JSON", `{"choices":[{"mess`, sampler.FaultMalformed},
}

// TestImplausibleAnswersRetried: an answer that cannot be true is a failed
// attempt, retried like a 5xx, and the fault is reported with the answer
// that finally came. Before the fix the first (lying) answer was returned.
func TestImplausibleAnswersRetried(t *testing.T) {
	for _, tc := range implausible {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := lyingServer(t, 2, tc.body)
			resp, err := newClient(t, srv.URL).Do(context.Background(), chat(1))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.CompletionTokens != 42 || resp.FinishReason != "stop" || resp.Attempts != 3 || n.Load() != 3 {
				t.Errorf("got %d tokens, finish %q after %d attempts (%d requests); want the honest 42, stop, after 3", resp.CompletionTokens, resp.FinishReason, resp.Attempts, n.Load())
			}
			if want := []string{tc.kind, tc.kind}; !slices.Equal(resp.Faults, want) {
				t.Errorf("faults %q, want %q", resp.Faults, want)
			}
		})
	}
}

// TestImplausibleAnswersExhausted: a server that always lies fails the
// request after MaxAttempts, with every fault in the error.
func TestImplausibleAnswersExhausted(t *testing.T) {
	for _, tc := range implausible {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := lyingServer(t, 1<<30, tc.body)
			_, err := newClient(t, srv.URL).Do(context.Background(), chat(1))
			var se *sampler.Error
			if !errors.As(err, &se) || se.Attempts != 4 {
				t.Fatalf("err = %v, want a sampler.Error after 4 attempts", err)
			}
			if len(se.Faults) != 4 || se.Faults[3] != tc.kind || !strings.Contains(err.Error(), tc.kind) {
				t.Errorf("faults %q, error %q; want 4 × %s", se.Faults, err, tc.kind)
			}
		})
	}
}

// TestPlausibleEdges: the limits themselves are plausible answers.
func TestPlausibleEdges(t *testing.T) {
	for _, body := range []string{
		`{"choices":[{"message":{"content":""},"finish_reason":"stop"}],"usage":{"completion_tokens":0}}`,
		`{"choices":[{"text":"x","finish_reason":"length"}],"usage":{"completion_tokens":1000}}`,
	} {
		srv, _ := lyingServer(t, 1, body)
		resp, err := newClient(t, srv.URL).Do(context.Background(), chat(1))
		if err != nil || resp.Attempts != 1 || len(resp.Faults) != 0 {
			t.Errorf("%s: %+v, %v; want accepted on the first attempt", body, resp, err)
		}
	}
}
