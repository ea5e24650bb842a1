package force_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/sampler"
)

// idServer has no /tokenize and no /detokenize (404 under both prefixes);
// its /v1/completions takes a prompt of token ids, as vLLM's and terse
// serve's do, and answers \boxed{X} with X the last thinking id it was
// given (the id just before the closing ids), so a test can tell exactly
// where each prompt was cut.
type idServer struct {
	*httptest.Server
	closing []int
	mu      sync.Mutex
	prompts [][]int
}

func newIDServer(t *testing.T, closing []int) *idServer {
	s := &idServer{closing: closing}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Prompt json.RawMessage `json:"prompt"`
		}
		var ids []int
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || json.Unmarshal(req.Prompt, &ids) != nil {
			http.Error(w, "prompt is not a list of token ids", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.prompts = append(s.prompts, ids)
		s.mu.Unlock()
		n := len(ids) - len(s.closing)
		if n < 1 || !slices.Equal(ids[n:], s.closing) {
			http.Error(w, "prompt does not end with the closing ids", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"choices":[{"index":0,"text":" \\boxed{%d}","finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":3}}`, ids[n-1], len(ids))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// idRollouts are rollouts(chat) with stored token ids: prompt ids [1 2];
// </think> is id 99.
//
//	sample 0: [3 7 5 8 9 11 99 40 41], stopped: T = 6
//	sample 1: [1 7 2 3 7], cut by length inside the thinking: T = 5
func idRollouts() []eval.Rollout {
	rs := rollouts(eval.APIChat)
	rs[0].PromptTokenIDs, rs[0].TokenIDs = []int{1, 2}, []int{3, 7, 5, 8, 9, 11, 99, 40, 41}
	rs[1].PromptTokenIDs, rs[1].TokenIDs = []int{1, 2}, []int{1, 7, 2, 3, 7}
	return rs
}

func runIDs(t *testing.T, srv *idServer, st *force.Store, rs []eval.Rollout, opts force.Options) ([]*force.Plan, force.Summary, error) {
	t.Helper()
	c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	opts.Client, opts.Tokenizer, opts.Grade, opts.Store, opts.AnswerTokens = c, &force.ServerTokenizer{Base: srv.URL + "/v1"}, grader, st, 16
	return force.Run(context.Background(), rs, opts)
}

// TestForcedByTokenIDs: without /tokenize, rollouts that stored their token
// ids are cut by them, worked by hand. Budgets 2, 4 and 16; closing ids
// [50 99 51]; gold 7.
//
//	sample 0 (T = 6, closed): B=2 keeps [3 7] → 7 correct; B=4 keeps
//	  [3 7 5 8] → 8 wrong; B=16 ≥ T and closed → no probe.
//	sample 1 (T = 5, not closed): B=2 [1 7] → 7 correct; B=4 [1 7 2 3] →
//	  3 wrong; B=16 → cut at T = 5, [1 7 2 3 7] → 7 correct.
//
// Each prompt is exactly prompt ids + kept ids + closing ids, sent to the
// completions API; a rerun finds all five in the store.
func TestForcedByTokenIDs(t *testing.T) {
	closing := []int{50, 99, 51}
	srv := newIDServer(t, closing)
	st, err := force.OpenStore(filepath.Join(t.TempDir(), force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := force.Options{Mode: force.ModeForced, Budgets: []int{2, 4, 16}, ClosingIDs: closing, ThinkEndID: 99}
	plans, sum, err := runIDs(t, srv, st, idRollouts(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requested != 5 || sum.Failed != 0 {
		t.Fatalf("summary = %+v, want 5 requests, none failed", sum)
	}
	if plans[0].Thinking != 6 || plans[1].Thinking != 5 {
		t.Errorf("thinking = %d, %d; want 6, 5", plans[0].Thinking, plans[1].Thinking)
	}
	want := map[int]map[int]bool{0: {2: true, 4: false}, 1: {2: true, 4: false, 5: true}}
	for i, p := range plans {
		if len(p.Probes) != len(want[i]) {
			t.Errorf("sample %d: probes at %v, want %v", i, slices.Sorted(maps.Keys(p.Probes)), want[i])
		}
		for at, correct := range want[i] {
			q := p.Probes[at]
			if q == nil || q.Correct != correct || q.CutBy != force.CutByTokenIDs {
				t.Errorf("sample %d at %d: probe %+v, want correct=%v cut by token ids", i, at, q, correct)
			}
		}
	}
	wantPrompts := [][]int{
		{1, 2, 3, 7, 50, 99, 51}, {1, 2, 3, 7, 5, 8, 50, 99, 51},
		{1, 2, 1, 7, 50, 99, 51}, {1, 2, 1, 7, 2, 3, 50, 99, 51}, {1, 2, 1, 7, 2, 3, 7, 50, 99, 51},
	}
	got := slices.Clone(srv.prompts)
	slices.SortFunc(got, slices.Compare)
	slices.SortFunc(wantPrompts, slices.Compare)
	if !slices.EqualFunc(got, wantPrompts, slices.Equal) {
		t.Errorf("prompts = %v, want %v", got, wantPrompts)
	}
	if _, sum, err = runIDs(t, srv, st, idRollouts(), opts); err != nil || sum.Cached != 5 || sum.Requested != 0 {
		t.Errorf("rerun: %+v, %v; want 5 cached, none requested", sum, err)
	}
	// Other closing ids are another probe: nothing is reused.
	srv.closing = []int{60, 99}
	opts.ClosingIDs = srv.closing
	if _, sum, err = runIDs(t, srv, st, idRollouts(), opts); err != nil || sum.Cached != 0 || sum.Requested != 5 {
		t.Errorf("new closing ids: %+v, %v; want 5 requested, none cached", sum, err)
	}
}

// TestTokenIDsNeeded: the fallback needs ids on every rollout, the closing
// message's ids containing </think>, and (prefix mode) no marker probes;
// otherwise Run stops with ErrNoTokenize, naming what is missing, before
// any forced answer.
func TestTokenIDsNeeded(t *testing.T) {
	closing := []int{50, 99, 51}
	partial := idRollouts()
	partial[1].TokenIDs = nil
	cases := []struct {
		name string
		rs   []eval.Rollout
		opts force.Options
		want string
	}{
		{"rollout without ids", partial, force.Options{Mode: force.ModeForced, ClosingIDs: closing, ThinkEndID: 99}, "no token ids"},
		{"no closing ids", idRollouts(), force.Options{Mode: force.ModeForced}, "--closing-ids"},
		{"prefix markers", idRollouts(), force.Options{Mode: force.ModePrefix, ClosingIDs: closing, ThinkEndID: 99}, "--every"},
	}
	for _, c := range cases {
		srv := newIDServer(t, closing)
		st, err := force.OpenStore(filepath.Join(t.TempDir(), force.ProbesFile), nil)
		if err != nil {
			t.Fatal(err)
		}
		c.opts.Budgets = []int{4}
		_, sum, err := runIDs(t, srv, st, c.rs, c.opts)
		st.Close()
		if !errors.Is(err, force.ErrNoTokenize) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrNoTokenize mentioning %q", c.name, err, c.want)
		}
		if len(srv.prompts) != 0 || sum.Requested != 0 {
			t.Errorf("%s: %d requests; want none", c.name, len(srv.prompts))
		}
	}
	// Closing ids that do not close the thinking are refused up front.
	srv := newIDServer(t, closing)
	st, err := force.OpenStore(filepath.Join(t.TempDir(), force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _, err = runIDs(t, srv, st, idRollouts(), force.Options{Mode: force.ModeForced, Budgets: []int{4}, ClosingIDs: []int{50, 51}, ThinkEndID: 99})
	if err == nil || !strings.Contains(err.Error(), "</think> id 99") {
		t.Errorf("closing ids without </think>: err = %v", err)
	}
}

// TestPrefixByTokenIDs: prefix mode cuts by ids every --every tokens.
// Sample 1 (T = 5, unfinished), every 2, budget 4: probes at 2, 4 and T = 5.
func TestPrefixByTokenIDs(t *testing.T) {
	closing := []int{50, 99, 51}
	srv := newIDServer(t, closing)
	st, err := force.OpenStore(filepath.Join(t.TempDir(), force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs := idRollouts()[1:]
	plans, _, err := runIDs(t, srv, st, rs, force.Options{Mode: force.ModePrefix, Budgets: []int{4}, Every: 2, Markers: []string{}, ClosingIDs: closing, ThinkEndID: 99})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(plans[0].Probes)); !slices.Equal(got, []int{2, 4, 5}) {
		t.Errorf("probes at %v, want [2 4 5]", got)
	}
}

// TestRolloutWithoutTokenIDs: a rollout without ids is written as before.
func TestRolloutWithoutTokenIDs(t *testing.T) {
	b, err := json.Marshal(rollouts(eval.APIChat)[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "token_ids") {
		t.Errorf("rollout without ids has a token_ids field: %s", b)
	}
}
