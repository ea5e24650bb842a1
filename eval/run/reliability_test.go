package run_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestLyingServer (issue 16 items 9 and 10): a server that answers some
// requests with negative or huge completion_tokens, a null or "eos"
// finish_reason or no usage. Before the fix these answers were stored as
// ok rollouts (scored as truncated, no warning) and a negative count made
// every later run on the directory fail to open its store. Now each lie is
// a retried attempt, every sample ends up with an honest answer, the lies
// are counted in results.json and the report warns; the directory stays
// usable.
func TestLyingServer(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	lies := []fakeserver.Fault{fakeserver.LieNegativeTokens, fakeserver.LieHugeTokens, fakeserver.LieFinishNull,
		fakeserver.LieFinishEOS, fakeserver.LieNoUsage}
	srv.Faults = func(i int64) fakeserver.Fault {
		if i < int64(len(lies)) {
			return lies[i]
		}
		return fakeserver.None
	}
	dir := t.TempDir()
	cfg := run.Config{
		Options: run.Options{Problems: problems(4), Sampling: sampling(), MaxTokens: 64, Samples: 2, Concurrency: 1,
			Client: client(t, srv.URL, 8), Grade: grader},
		OutDir: dir, Metrics: metrics.Options{Budgets: []int{64}, Bootstrap: 10},
	}
	sum, res, err := run.Eval(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sampled != 8 || sum.Failed != 0 {
		t.Errorf("summary %+v, want 8 sampled", sum)
	}
	for _, r := range readAll(t, filepath.Join(dir, run.RolloutsFile)) {
		if r.CompletionTokens < 0 || r.CompletionTokens > r.MaxTokens || (r.FinishReason != eval.FinishStop && r.FinishReason != eval.FinishLength) {
			t.Errorf("implausible rollout stored: %s#%d tokens %d finish %q", r.ProblemID, r.Sample, r.CompletionTokens, r.FinishReason)
		}
	}
	// Sample 1 of each problem is correct and every answer fits: Mean@k 0.5,
	// no truncation (the lies were scored as truncated before the fix).
	if b := res.Benchmarks[0].Budgets[0]; b.MeanAtK != 0.5 || b.TruncationRate != 0 {
		t.Errorf("Mean@k %g truncation %g, want 0.5 and 0", b.MeanAtK, b.TruncationRate)
	}
	want := map[string]int{sampler.FaultNegativeTokens: 1, sampler.FaultTokensOverMax: 1, sampler.FaultFinishReason: 2, sampler.FaultNoUsage: 1}
	if fmt.Sprint(res.Run.ServerFaults) != fmt.Sprint(want) {
		t.Errorf("results.json server_faults %v, want %v", res.Run.ServerFaults, want)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "implausible answers") || !strings.Contains(string(md), sampler.FaultNegativeTokens) {
		t.Errorf("report.md does not warn about the server's implausible answers:\n%s", md)
	}

	// The directory is still usable: the same command samples nothing.
	cfg.Client = client(t, srv.URL, 8)
	sum, _, err = run.Eval(context.Background(), cfg)
	if err != nil || sum.Cached != 8 {
		t.Errorf("rerun: %+v, %v; want all 8 cached", sum, err)
	}
}

// TestLyingServerPersistent: a server that always lies for one problem.
// Those samples fail (recorded, excluded from n, sampled again next run)
// and the faults are counted, never scored.
func TestLyingServerPersistent(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	srv.Faults = func(int64) fakeserver.Fault { return fakeserver.None }
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		reasoning, content, n := fakeserver.DefaultAnswer(r)
		if strings.Contains(r.Text(), "Question 0?") {
			n = -5 // the fake reports the answer's length as usage.completion_tokens
		}
		return reasoning, content, n
	}
	dir := t.TempDir()
	cfg := run.Config{
		Options: run.Options{Problems: problems(3), Sampling: sampling(), MaxTokens: 64, Samples: 2, Concurrency: 2,
			Client: client(t, srv.URL, 3), Grade: grader},
		OutDir: dir, Metrics: metrics.Options{Budgets: []int{64}, Bootstrap: 10},
	}
	sum, res, err := run.Eval(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 || sum.Sampled != 4 {
		t.Errorf("summary %+v, want 2 failed (problem 0), 4 sampled", sum)
	}
	if b := res.Benchmarks[0]; b.Failed != 2 || b.Rollouts != 4 {
		t.Errorf("benchmark: %d failed, %d rollouts; want 2, 4", b.Failed, b.Rollouts)
	}
	if got := res.Run.ServerFaults[sampler.FaultNegativeTokens]; got != 6 {
		t.Errorf("server_faults %v, want 6 × %s (2 samples × 3 attempts)", res.Run.ServerFaults, sampler.FaultNegativeTokens)
	}
	cfg.Client = client(t, srv.URL, 3)
	if _, _, err := run.Eval(context.Background(), cfg); err != nil {
		t.Errorf("rerun on the same directory: %v", err)
	}
}

// TestOutDirLocked (issue 16 item 11): while one terse eval runs on a
// directory, a second one on the same --out must not sample anything: it
// stops at once, naming the holder. Before the fix both sampled everything.
func TestOutDirLocked(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	release := make(chan struct{})
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		<-release
		return fakeserver.DefaultAnswer(r)
	}
	dir := t.TempDir()
	cfgFor := func() run.Config {
		c := client(t, srv.URL, 1)
		return run.Config{
			Options: run.Options{Problems: problems(3), Sampling: sampling(), MaxTokens: 64, Samples: 2, Concurrency: 2, Client: c, Grade: grader},
			OutDir:  dir, Metrics: metrics.Options{Budgets: []int{64}, Bootstrap: 10},
		}
	}
	// A long timeout: the first run's requests wait for release.
	cfgA := cfgFor()
	cfgA.Client, _ = sampler.New(sampler.Options{Endpoints: []string{srv.URL}, Timeout: time.Minute, MaxAttempts: 1})
	done := make(chan error, 1)
	go func() {
		_, _, err := run.Eval(context.Background(), cfgA)
		done <- err
	}()
	for srv.Requests() < 2 { // the first run is sampling
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, _, errB := run.Eval(ctx, cfgFor())
	cancel()
	requestsB := srv.Requests() - 2
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("first run: %v", err)
	}
	if requestsB != 0 {
		t.Errorf("the second run on the same directory sent %d requests, want 0", requestsB)
	}
	if errB == nil || !strings.Contains(errB.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(errB.Error(), dir) {
		t.Errorf("second run: err = %v, want one naming %s and the holder's pid %d", errB, dir, os.Getpid())
	}
	checkOnePerSample(t, readAll(t, filepath.Join(dir, run.RolloutsFile)), 3, 2)
	// Once the first run is over the directory is free again.
	if sum, _, err := run.Eval(context.Background(), cfgFor()); err != nil || sum.Cached != 6 {
		t.Errorf("third run: %+v, %v; want all cached", sum, err)
	}
}

// TestNoteMissing (issue 16 item 13): metrics of a partial rollout file say
// how many of the benchmark's problems have no rollouts.
func TestNoteMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	st := openStore(t, path)
	for _, id := range []string{"p00", "p03"} {
		st.Append(&eval.Rollout{Key: "k", Benchmark: "toy", ProblemID: id, Status: eval.StatusOK, MaxTokens: 64, CompletionTokens: 10, FinishReason: "stop"})
	}
	st.Close()
	ps, info, err := run.Collect([]string{path}, run.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	res := metrics.Compute(ps, metrics.Options{Budgets: []int{64}, Bootstrap: 10})
	res.Run = info
	want := append(problems(5), bench.Problem{ID: "q", Benchmark: "other"})
	run.NoteMissing(&res, ps, want)
	if b := res.Benchmarks[0]; b.Problems != 2 || b.Missing != 3 {
		t.Errorf("toy: %d problems, %d missing; want 2 and 3", b.Problems, b.Missing)
	}
	joined := strings.Join(res.Warnings, "\n")
	if !strings.Contains(joined, "toy: 3 of its 5 problems have no rollouts") || !strings.Contains(joined, "other: none of its 1 problems") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// hugeAnswers answers problem p01 with a runaway text (bigger than the
// store's line limit in the test) and every other problem with \boxed{1}.
type hugeAnswers struct{}

func (hugeAnswers) Do(_ context.Context, req sampler.Request) (sampler.Response, error) {
	content := `\boxed{1}`
	if strings.Contains(req.Prompt, "Question 1?") {
		content = strings.Repeat("Wait, ", 2000) + `\boxed{1}`
	}
	return sampler.Response{Content: content, FinishReason: eval.FinishStop, CompletionTokens: 10, PromptTokens: 5, Attempts: 1}, nil
}

// TestOversizedAnswerFailsOneSample: an answer whose rollout encodes to a
// line over the store's limit used to stop the whole run ("over the line
// limit"); it is now one failed sample (reason answer_too_large, no text
// kept), the other samples are stored, and the next run samples it again.
func TestOversizedAnswerFailsOneSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	st, err := store.Open(path, store.Options{MaxLine: 4096})
	if err != nil {
		t.Fatal(err)
	}
	opts := run.Options{Problems: problems(3), Sampling: sampling(), MaxTokens: 64, Samples: 2, Concurrency: 2,
		Client: hugeAnswers{}, Store: st, Grade: grader}
	sum, err := run.Sample(context.Background(), opts)
	st.Close()
	if err != nil {
		t.Fatalf("run stopped: %v", err)
	}
	if sum.Sampled != 4 || sum.Failed != 2 {
		t.Errorf("summary %+v, want 4 sampled and 2 failed", sum)
	}
	rs := readAll(t, path)
	if len(rs) != 6 {
		t.Fatalf("%d rollouts stored, want 6", len(rs))
	}
	for _, r := range rs {
		big := r.ProblemID == "p01"
		if big && (r.Status != eval.StatusFailed || r.Reason != store.ReasonTooLarge || r.Response != "" || !strings.Contains(r.Error, "line limit")) {
			t.Errorf("%s#%d: status %q reason %q error %q response %d bytes; want a failed %s sample without its text", r.ProblemID, r.Sample, r.Status, r.Reason, r.Error, len(r.Response), store.ReasonTooLarge)
		}
		if !big && (r.Status != eval.StatusOK || !r.Correct) {
			t.Errorf("%s#%d: status %q correct %v, want ok and correct", r.ProblemID, r.Sample, r.Status, r.Correct)
		}
	}
	// The failed samples are not cached: the next run asks for them again.
	st, err = store.Open(path, store.Options{MaxLine: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts.Store = st
	sum, err = run.Sample(context.Background(), opts)
	if err != nil || sum.Cached != 4 || sum.Failed != 2 {
		t.Errorf("rerun: %+v, %v; want 4 cached and the 2 oversized samples tried again", sum, err)
	}
}
