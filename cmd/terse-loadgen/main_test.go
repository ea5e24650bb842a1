package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--batch", "1, 64,1024", "--protocol", "openrlhf"})
	if err != nil || len(o.Batches) != 3 || o.Batches[2] != 1024 || o.Protocol != "openrlhf" {
		t.Fatalf("got %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"--batch", "0"}, {"--batch", "x"}, {"--protocol", "grpc"}, {"--chars-min", "10"},
		{"--chars-min", "500", "--chars-max", "100"}, {"--concurrency", "0"}, {"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestBuildBody(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	o := options{Protocol: "native", GroupSize: 8, CharsMin: 2000, CharsMax: 8000, WithTokens: true}
	var req struct {
		Groups []struct {
			Gold     string
			Rollouts []struct {
				Response string
				Tokens   *int
			}
		}
	}
	if err := json.Unmarshal(buildBody(rng, o, 20), &req); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range req.Groups {
		for _, r := range g.Rollouts {
			n++
			if l := len(r.Response); l < 1900 || l > 8100 || !strings.Contains(r.Response, `\boxed{`) || r.Tokens == nil {
				t.Errorf("rollout of %d chars, tokens %v", l, r.Tokens)
			}
		}
	}
	if len(req.Groups) != 3 || n != 20 {
		t.Errorf("%d groups, %d rollouts; want 3, 20", len(req.Groups), n)
	}
	o.Protocol = "openrlhf"
	var oreq struct{ Query, Prompts, Labels []string }
	if err := json.Unmarshal(buildBody(rng, o, 5), &oreq); err != nil || len(oreq.Query) != 5 || len(oreq.Labels) != 5 ||
		!strings.HasPrefix(oreq.Query[0], oreq.Prompts[0]) || !strings.HasSuffix(oreq.Query[0], "<|im_end|>") {
		t.Errorf("openrlhf body: %v %+v", err, oreq.Labels)
	}
}

func TestRunAgainstStub(t *testing.T) {
	var fail atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/reward" && fail.Load() {
			http.Error(w, "no", 500)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	o, _ := parseFlags([]string{"--url", ts.URL, "--batch", "1,8", "--duration", "50ms", "--variants", "2"})
	res, err := run(context.Background(), o)
	if err != nil || len(res) != 2 || res[1].Requests == 0 || res[1].Errors != 0 || res[1].P99ms < res[1].P50ms {
		t.Fatalf("got %+v, %v", res, err)
	}
	fail.Store(true)
	o.Duration = 10 * time.Millisecond
	if _, err := run(context.Background(), o); err == nil {
		t.Error("no error from a failing server")
	}
}
