package run_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/eval/store"
)

var boxed = regexp.MustCompile(`\\boxed\{([^}]*)\}`)

// grader is a stand-in for grade.Grade: the last \boxed{} must equal a gold.
func grader(response string, p bench.Problem) eval.Verdict {
	m := boxed.FindAllStringSubmatch(response, -1)
	if m == nil {
		return eval.Verdict{Reason: "no_answer"}
	}
	got := m[len(m)-1][1]
	if slices.Contains(p.Gold, got) {
		return eval.Verdict{Correct: true, Reason: "equal", Extracted: got, Matched: got}
	}
	return eval.Verdict{Reason: "wrong", Extracted: got}
}

// problems returns n problems whose gold is "1", so with the fake server's
// default answer (\boxed{seed}) sample 1 of each problem is correct at seed 0.
func problems(n int) []bench.Problem {
	var ps []bench.Problem
	for i := range n {
		ps = append(ps, bench.Problem{ID: fmt.Sprintf("p%02d", i), Benchmark: "toy", Question: fmt.Sprintf("Question %d?", i), Gold: []string{"1"}, Level: i%2 + 1})
	}
	return ps
}

func sampling() eval.Sampling {
	return eval.Sampling{Model: "fake", API: eval.APIChat, PromptTemplate: eval.DefaultPromptTemplate, Temperature: 0.6, TopP: 0.95, TopK: 20}
}

func client(t *testing.T, url string, attempts int) *sampler.Client {
	t.Helper()
	c, err := sampler.New(sampler.Options{Endpoints: []string{url}, Timeout: 200 * time.Millisecond, MaxAttempts: attempts,
		BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll returns every rollout in the file.
func readAll(t *testing.T, path string) []*eval.Rollout {
	t.Helper()
	var rs []*eval.Rollout
	if err := store.Scan(path, nil, func(_ int, r *eval.Rollout) error { rs = append(rs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rs
}

// checkOnePerSample asserts exactly one ok rollout per (problem, sample).
func checkOnePerSample(t *testing.T, rs []*eval.Rollout, nProblems, k int) {
	t.Helper()
	count := map[string]int{}
	for _, r := range rs {
		if r.Status == eval.StatusOK {
			count[fmt.Sprintf("%s#%d", r.ProblemID, r.Sample)]++
		}
	}
	if len(count) != nProblems*k {
		t.Errorf("%d distinct ok samples, want %d", len(count), nProblems*k)
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("sample %s has %d ok rollouts, want 1", id, c)
		}
	}
}

func TestEvalEndToEnd(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	dir := t.TempDir()
	cfg := run.Config{
		Options: run.Options{Problems: problems(5), Sampling: sampling(), MaxTokens: 64, Samples: 4, Concurrency: 3,
			Client: client(t, srv.URL, 3), Grade: grader},
		OutDir:  dir,
		Metrics: metrics.Options{Budgets: []int{16, 32, 64}, Bootstrap: 100},
	}
	sum, res, err := run.Eval(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total != 20 || sum.Sampled != 20 || sum.Cached != 0 || sum.Failed != 0 {
		t.Errorf("summary = %+v", sum)
	}
	rs := readAll(t, filepath.Join(dir, run.RolloutsFile))
	if len(rs) != 20 {
		t.Fatalf("%d rollouts stored, want 20", len(rs))
	}
	checkOnePerSample(t, rs, 5, 4)
	seeds := map[int64]bool{}
	for _, r := range rs {
		seeds[r.SampleSeed] = true
		// Sample s asks for seed s: the fake answers \boxed{s} in 10(s+1) tokens.
		wantTokens := 10 * (r.Sample + 1)
		if r.SampleSeed != int64(r.Sample) || r.CompletionTokens != wantTokens || r.Reasoning != "let me think" ||
			r.Correct != (r.Sample == 1) || r.FinishReason != "stop" || r.Key != cfg.Sampling.Key() || r.Model != "fake" || r.MaxTokens != 64 {
			t.Errorf("rollout %s#%d = %+v", r.ProblemID, r.Sample, r)
		}
	}
	if len(seeds) != 4 {
		t.Errorf("%d distinct seeds, want 4 (one per sample)", len(seeds))
	}
	// Lengths 10, 20, 30, 40 per problem, sample 1 (20 tokens) correct.
	b := res.Benchmarks[0]
	if len(b.Budgets) != 3 {
		t.Fatalf("budgets = %+v", b.Budgets)
	}
	for i, want := range []struct{ mean, trunc float64 }{{0, 3.0 / 4}, {0.25, 1.0 / 4}, {0.25, 0}} {
		if got := b.Budgets[i]; got.MeanAtK != want.mean || got.TruncationRate != want.trunc {
			t.Errorf("budget %d: mean %g trunc %g, want %g %g", got.Budget, got.MeanAtK, got.TruncationRate, want.mean, want.trunc)
		}
	}
	for _, f := range []string{"results.json", "report.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// The same command again samples nothing.
	cfg.Client = client(t, srv.URL, 3)
	before := srv.Requests()
	sum, _, err = run.Eval(context.Background(), cfg)
	if err != nil || sum.Cached != 20 || sum.Sampled != 0 || srv.Requests() != before {
		t.Errorf("rerun: %+v, %v, %d new requests; want all cached", sum, err, srv.Requests()-before)
	}
}

// TestFaultInjection: a mix of every fault; all samples end up ok (enough
// retries) and the store holds exactly one rollout per sample.
func TestFaultInjection(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	faults := []fakeserver.Fault{fakeserver.Status500, fakeserver.Status500, fakeserver.Status429, fakeserver.Hang,
		fakeserver.Reset, fakeserver.Truncated, fakeserver.NoChoices}
	srv.Faults = func(i int64) fakeserver.Fault {
		if i%3 == 2 {
			return fakeserver.None
		}
		return faults[(i*7/3)%int64(len(faults))]
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	st := openStore(t, path)
	sum, err := run.Sample(context.Background(), run.Options{Problems: problems(6), Sampling: sampling(), MaxTokens: 100, Samples: 3,
		Concurrency: 4, Client: client(t, srv.URL, 10), Store: st, Grade: grader})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sampled != 18 || sum.Failed != 0 {
		t.Errorf("summary = %+v", sum)
	}
	rs := readAll(t, path)
	if len(rs) != 18 {
		t.Errorf("%d rollouts stored, want 18", len(rs))
	}
	checkOnePerSample(t, rs, 6, 3)
	retried := 0
	for _, r := range rs {
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no rollout needed a retry; the faults did not fire")
	}
}

// TestFailuresRecorded: requests that keep failing are stored as failed,
// never dropped, and a rerun samples them again.
func TestFailuresRecorded(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	var broken atomic.Bool
	broken.Store(true)
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		return fakeserver.DefaultAnswer(r)
	}
	srv.Faults = func(int64) fakeserver.Fault {
		if broken.Load() {
			return fakeserver.Status500
		}
		return fakeserver.None
	}
	dir := t.TempDir()
	cfg := run.Config{
		Options: run.Options{Problems: problems(3), Sampling: sampling(), MaxTokens: 100, Samples: 2, Client: client(t, srv.URL, 2), Grade: grader},
		OutDir:  dir, Metrics: metrics.Options{Budgets: []int{100}, Bootstrap: 10},
	}
	sum, res, err := run.Eval(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 6 || sum.Sampled != 0 {
		t.Errorf("summary = %+v", sum)
	}
	rs := readAll(t, filepath.Join(dir, run.RolloutsFile))
	if len(rs) != 6 || rs[0].Status != eval.StatusFailed || rs[0].Attempts != 2 || !strings.Contains(rs[0].Error, "HTTP 500") {
		t.Errorf("stored %d rollouts; first = %+v", len(rs), rs[0])
	}
	if res.Benchmarks[0].Failed != 6 || len(res.Warnings) == 0 {
		t.Errorf("results: failed %d, warnings %q", res.Benchmarks[0].Failed, res.Warnings)
	}
	broken.Store(false)
	cfg.Client = client(t, srv.URL, 2)
	sum, res, err = run.Eval(context.Background(), cfg)
	if err != nil || sum.Sampled != 6 {
		t.Fatalf("rerun: %+v, %v", sum, err)
	}
	checkOnePerSample(t, readAll(t, filepath.Join(dir, run.RolloutsFile)), 3, 2)
	if b := res.Benchmarks[0]; b.Failed != 0 || b.Rollouts != 6 {
		t.Errorf("after rerun: failed %d rollouts %d; the ok rollouts must replace the failed ones", b.Failed, b.Rollouts)
	}
}

// TestKillAndResume: cancel mid-run, then tear the last line as a kill -9
// during a write would, then rerun: exactly one rollout per sample.
func TestKillAndResume(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		if srv.Requests() == 15 {
			cancel()
		}
		return fakeserver.DefaultAnswer(r)
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	opts := run.Options{Problems: problems(8), Sampling: sampling(), MaxTokens: 100, Samples: 4, Concurrency: 4,
		Client: client(t, srv.URL, 3), Grade: grader}
	opts.Store = openStore(t, path)
	sum, err := run.Sample(ctx, opts)
	opts.Store.Close()
	if err == nil {
		t.Fatal("a cancelled run must report an error")
	}
	partial := readAll(t, path)
	if len(partial) == 0 || len(partial) >= 32 || sum.Sampled != len(partial) {
		t.Fatalf("after cancel: %d stored, summary %+v; want some but not all", len(partial), sum)
	}
	for _, r := range partial {
		if r.Status != eval.StatusOK {
			t.Errorf("a cancelled request was recorded: %+v", r)
		}
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"` + sampling().Key() + `","benchmark":"toy","problem_id":"p07","sample":3,"status":"ok","max_tok`)
	f.Close()

	srv.Answer = nil
	var warned []string
	st, err := store.Open(path, store.Options{Warnf: func(f string, a ...any) { warned = append(warned, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = st
	sum2, err := run.Sample(context.Background(), opts)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 {
		t.Errorf("warnings = %q, want one about the torn line", warned)
	}
	if sum2.Cached != len(partial) || sum2.Sampled != 32-len(partial) {
		t.Errorf("resume: %+v; want %d cached and %d sampled", sum2, len(partial), 32-len(partial))
	}
	all := readAll(t, path)
	if len(all) != 32 {
		t.Errorf("%d rollouts after resume, want 32", len(all))
	}
	checkOnePerSample(t, all, 8, 4)
}

// TestBudgetReuse: a run at 64 tokens answers a request at 32 without
// sampling, with strict-mode views; a run at 32 never answers 64.
func TestBudgetReuse(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	dir := t.TempDir()
	cfg := run.Config{
		Options: run.Options{Problems: problems(2), Sampling: sampling(), MaxTokens: 64, Samples: 4, Client: client(t, srv.URL, 3), Grade: grader},
		OutDir:  dir, Metrics: metrics.Options{Budgets: []int{16, 32, 64}, Bootstrap: 10},
	}
	if _, _, err := run.Eval(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	cfg.MaxTokens = 32
	sum, res, err := run.Eval(context.Background(), cfg)
	if err != nil || sum.Cached != 8 || srv.Requests() != before {
		t.Fatalf("32 from 64: %+v, %v, %d new requests; want all cached", sum, err, srv.Requests()-before)
	}
	b := res.Benchmarks[0]
	if b.MaxTokens != 32 || len(b.Budgets) != 2 || b.Budgets[1].Budget != 32 || b.Budgets[1].TruncationRate != 0.25 || res.Run.MaxTokens != 32 {
		t.Errorf("32 view: max %d, budgets %+v", b.MaxTokens, b.Budgets)
	}
	if got := b.Budgets[1].Length.Truncated.Mean; got != 32 {
		t.Errorf("truncated length at 32 = %g, want 32 (capped)", got)
	}

	// Now a fresh store at 32, asked for 64: everything is sampled again.
	dir2 := t.TempDir()
	cfg.OutDir, cfg.MaxTokens = dir2, 32
	if _, _, err := run.Eval(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.MaxTokens = 64
	sum, res, err = run.Eval(context.Background(), cfg)
	if err != nil || sum.Sampled != 8 || sum.Cached != 0 {
		t.Fatalf("64 after 32: %+v, %v; want 8 sampled", sum, err)
	}
	if b := res.Benchmarks[0]; b.MaxTokens != 64 || b.Budgets[len(b.Budgets)-1].TruncationRate != 0 {
		t.Errorf("64 run uses the 32-token rollouts: %+v", b)
	}
}

// TestThinkPrefill: the prefill ends with <think>, so the completion has no
// opening tag; thinking is everything up to </think> and the answer after
// it is graded (DeepScaleR marks these wrong).
func TestThinkPrefill(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.OpenInPrompt = true
	s := sampling()
	s.API, s.Prefill = eval.APICompletions, "<think>\n"
	path := filepath.Join(t.TempDir(), "r.jsonl")
	st := openStore(t, path)
	_, err := run.Sample(context.Background(), run.Options{Problems: problems(1), Sampling: s, MaxTokens: 100, Samples: 2,
		Client: client(t, srv.URL, 3), Store: st, Grade: grader})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readAll(t, path) {
		if r.Reasoning != "let me think" || !strings.HasPrefix(r.Response, "The answer is") || r.Correct != (r.Sample == 1) {
			t.Errorf("sample %d: reasoning %q response %q correct %v", r.Sample, r.Reasoning, r.Response, r.Correct)
		}
	}
	if p := srv.Seen()[0].Prompt; p == nil || !strings.HasSuffix(*p, "<think>\n") {
		t.Errorf("prompt sent = %v, want it to end with the prefill", p)
	}
}

func TestCollectSelection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	st := openStore(t, path)
	add := func(key string, sample, maxTok, tokens int, finish string, correct bool, status string) {
		r := &eval.Rollout{Key: key, Benchmark: "b", ProblemID: "p", Sample: sample, Status: status, MaxTokens: maxTok,
			CompletionTokens: tokens, FinishReason: finish, Correct: correct}
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	add("k", 0, 100, 0, "", false, eval.StatusFailed)
	add("k", 0, 100, 90, "stop", true, eval.StatusOK)
	add("k", 0, 400, 300, "stop", true, eval.StatusOK)
	add("k", 1, 400, 50, "stop", false, eval.StatusOK)
	add("other", 0, 400, 50, "stop", true, eval.StatusOK)
	st.Close()

	if _, _, err := run.Collect([]string{path}, run.Selection{}); err == nil || !strings.Contains(err.Error(), "2 different runs") {
		t.Errorf("two keys without a selection: err = %v", err)
	}
	ps, info, err := run.Collect([]string{path}, run.Selection{Key: "k", MaxTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	// At 100: sample 0 is the ok 100-token rollout (not the failed one, not the
	// 400 one); sample 1 comes from the 400 run (50 tokens, within 100).
	want := []metrics.Sample{{Tokens: 90, MaxTokens: 100, Stop: true, Correct: true, Vote: metrics.VoteCorrect}, {Tokens: 50, MaxTokens: 100, Stop: true}}
	if len(ps) != 1 || !slices.Equal(ps[0].Samples, want) || info.MaxTokens != 100 {
		t.Errorf("at 100: %+v (max %d), want %+v", ps, info.MaxTokens, want)
	}
	ps, _, err = run.Collect([]string{path}, run.Selection{Key: "k", MaxTokens: 200})
	if err != nil {
		t.Fatal(err)
	}
	// At 200 the 100-token rollouts cannot answer; the 400 one is cut at 200.
	want = []metrics.Sample{{Tokens: 200, MaxTokens: 200, Stop: false, Correct: false}, {Tokens: 50, MaxTokens: 200, Stop: true}}
	if !slices.Equal(ps[0].Samples, want) {
		t.Errorf("at 200: %+v, want %+v", ps[0].Samples, want)
	}
	ps, _, err = run.Collect([]string{path}, run.Selection{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Samples[0].MaxTokens != 400 || ps[0].Samples[0].Tokens != 300 {
		t.Errorf("offline: sample 0 = %+v, want the 400-token rollout", ps[0].Samples[0])
	}
	regraded := func(string, bench.Problem) eval.Verdict { return eval.Verdict{Correct: false, Reason: "wrong"} }
	ps, info, err = run.Collect([]string{path}, run.Selection{Key: "k", Regrade: regraded})
	if err != nil || ps[0].Samples[0].Correct || !info.Regraded {
		t.Errorf("regrade: %+v, %v", ps, err)
	}
}
