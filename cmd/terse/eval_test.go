package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/store"
)

// runCLI runs the root command with args, as main does.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

// toyProblems writes n problems "What is i+1?" with answer i+1.
func toyProblems(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id": "q%d", "problem": "What is %d+1?", "answer": %d}`+"\n", i, i, i+1)
	}
	path := filepath.Join(t.TempDir(), "toy.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var question = regexp.MustCompile(`What is (\d+)\+1\?`)

// toyServer answers correctly on even seeds, in 10·(seed+1) tokens.
func toyServer(delay time.Duration) *fakeserver.Server {
	srv := fakeserver.New()
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		time.Sleep(delay)
		var x int
		if m := question.FindStringSubmatch(r.Text()); m != nil {
			fmt.Sscan(m[1], &x)
		}
		ans := x + 1
		if r.Seed%2 == 1 {
			ans = -7
		}
		return "thinking", fmt.Sprintf("So the answer is \\boxed{%d}.", ans), 10 * int(r.Seed+1)
	}
	return srv
}

func decodeResults(t *testing.T, s string) metrics.Results {
	t.Helper()
	var res metrics.Results
	if err := json.Unmarshal([]byte(s), &res); err != nil {
		t.Fatalf("results JSON: %v\n%s", err, s)
	}
	return res
}

func readRollouts(t *testing.T, path string) []*eval.Rollout {
	t.Helper()
	var rs []*eval.Rollout
	if err := store.Scan(path, nil, func(_ int, r *eval.Rollout) error { rs = append(rs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestEvalMetricsReportCLI(t *testing.T) {
	srv := toyServer(0)
	defer srv.Close()
	probs := toyProblems(t, 3)
	dir := filepath.Join(t.TempDir(), "base")
	common := []string{"eval", "--bench", probs, "--model", "fake", "--endpoint", srv.URL, "-k", "4", "--max-tokens", "64",
		"--budgets", "16,32,64", "--bootstrap", "50", "--quiet"}
	out, stderr, err := runCLI(t, append(common, "--out", dir, "--json")...)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	res := decodeResults(t, out)
	if len(res.Benchmarks) != 1 || res.Benchmarks[0].Benchmark != "toy" || res.Run.Model != "fake" || res.Run.Samples != 4 {
		t.Fatalf("results = %+v", res)
	}
	// Samples 0..3 take 10, 20, 30, 40 tokens; even seeds are correct.
	// At 16: only sample 0 (correct) finished; at 32: 0, 1, 2; at 64: all.
	for i, want := range []float64{0.25, 0.5, 0.5} {
		if got := res.Benchmarks[0].Budgets[i].MeanAtK; got != want {
			t.Errorf("budget %d: Mean@4 = %g, want %g", res.Benchmarks[0].Budgets[i].Budget, got, want)
		}
	}
	rs := readRollouts(t, filepath.Join(dir, "rollouts.jsonl"))
	if len(rs) != 12 {
		t.Errorf("%d rollouts, want 12", len(rs))
	}
	for _, r := range rs {
		if r.Correct != (r.Sample%2 == 0) || (r.Correct && r.Reason == "") || r.Reasoning != "thinking" {
			t.Errorf("rollout %+v", r)
		}
	}

	// Offline recomputation with regrading agrees with the run.
	out, stderr, err = runCLI(t, "metrics", "--rollouts", filepath.Join(dir, "rollouts.jsonl"), "--regrade", "--json", "--budgets", "16,32,64", "--bootstrap", "50")
	if err != nil {
		t.Fatalf("metrics: %v\n%s", err, stderr)
	}
	again := decodeResults(t, out)
	for i := range res.Benchmarks[0].Budgets {
		if a, b := res.Benchmarks[0].Budgets[i], again.Benchmarks[0].Budgets[i]; a.MeanAtK != b.MeanAtK || a.PassAtK != b.PassAtK || a.MeanAtKCI != b.MeanAtKCI {
			t.Errorf("metrics disagrees with eval at %d: %+v vs %+v", a.Budget, a, b)
		}
	}

	// A second run with other settings, then the side-by-side report.
	dir2 := filepath.Join(t.TempDir(), "hot")
	if _, stderr, err := runCLI(t, append(common, "--out", dir2, "--temperature", "1.0", "--max-tokens", "32")...); err != nil {
		t.Fatalf("eval 2: %v\n%s", err, stderr)
	}
	html := filepath.Join(t.TempDir(), "cmp.html")
	out, stderr, err = runCLI(t, "report", dir, filepath.Join(dir2, "results.json"), "--html", html)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	for _, want := range []string{"**base**", "**hot**", "toy @32 Mean@4", "| hot | 50.00 | 100.00 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("comparison HTML: %v", err)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"eval", "--model", "m"},
		{"eval", "--bench", "aime25"},
		{"eval", "--bench", "aime25", "--model", "m", "-k", "0"},
		{"eval", "--bench", "aime25", "--model", "m", "--top-p", "0"},
		{"eval", "--bench", "aime25", "--model", "m", "--budgets", "2k,x"},
		{"eval", "--bench", "aime25", "--model", "m", "--template", "no placeholder"},
		{"metrics"},
		{"report", "a", "b", "--name", "x"},
	} {
		_, _, err := runCLI(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}

func TestParseBudgets(t *testing.T) {
	got, err := parseBudgets("2k, 4096,32k")
	if err != nil || fmt.Sprint(got) != "[2048 4096 32768]" {
		t.Errorf("parseBudgets = %v, %v", got, err)
	}
}

// TestEvalKill9 kills a real `terse eval` process with SIGKILL mid-run,
// tears the last line as an interrupted write would, and reruns the same
// command: the store ends with exactly one rollout per (problem, sample).
func TestEvalKill9(t *testing.T) {
	if os.Getenv("TERSE_EVAL_CHILD") != "" {
		var args []string
		json.Unmarshal([]byte(os.Getenv("TERSE_EVAL_CHILD")), &args)
		if _, stderr, err := runCLI(t, args...); err != nil {
			fmt.Fprintln(os.Stderr, err, stderr)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	srv := toyServer(5 * time.Millisecond)
	defer srv.Close()
	dir := t.TempDir()
	args := []string{"eval", "--bench", toyProblems(t, 20), "--model", "fake", "--endpoint", srv.URL, "-k", "4",
		"--max-tokens", "64", "--budgets", "64", "--bootstrap", "10", "--concurrency", "2", "--quiet", "--out", dir}
	enc, _ := json.Marshal(args)
	child := exec.Command(os.Args[0], "-test.run=^TestEvalKill9$")
	child.Env = append(os.Environ(), "TERSE_EVAL_CHILD="+string(enc))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rollouts.jsonl")
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= 10 {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("child wrote fewer than 10 rollouts in 30 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	before := readRollouts(t, path)
	if len(before) >= 80 {
		t.Fatalf("the child finished (%d rollouts) before it was killed", len(before))
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"torn","benchmark":"toy","problem_id":"q`)
	f.Close()

	_, stderr, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "incomplete") {
		t.Errorf("resume did not warn about the torn line: %q", stderr)
	}
	after := readRollouts(t, path)
	seen := map[string]int{}
	for _, r := range after {
		seen[fmt.Sprintf("%s#%d", r.ProblemID, r.Sample)]++
	}
	if len(after) != 80 || len(seen) != 80 {
		t.Errorf("after resume: %d rollouts for %d samples, want 80 and 80 (had %d before)", len(after), len(seen), len(before))
	}
}

// TestEvalAgainstServer runs `terse eval` against a real OpenAI-compatible
// server when TERSE_EVAL_ENDPOINT (and TERSE_EVAL_MODEL) are set, e.g.
// `terse serve` or vLLM:
//
//	TERSE_EVAL_ENDPOINT=http://127.0.0.1:8000 TERSE_EVAL_MODEL=qwen3 go test ./cmd/terse -run AgainstServer -v
//
// It checks the protocol invariants, not accuracy.
func TestEvalAgainstServer(t *testing.T) {
	endpoint, model := os.Getenv("TERSE_EVAL_ENDPOINT"), os.Getenv("TERSE_EVAL_MODEL")
	if endpoint == "" || model == "" {
		t.Skip("set TERSE_EVAL_ENDPOINT and TERSE_EVAL_MODEL to run against a real server")
	}
	api := os.Getenv("TERSE_EVAL_API")
	if api == "" {
		api = "chat"
	}
	dir := t.TempDir()
	out, stderr, err := runCLI(t, "eval", "--bench", "aime25", "--limit", "2", "--model", model, "--endpoint", endpoint,
		"--api", api, "-k", "2", "--max-tokens", "256", "--budgets", "128,256", "--out", dir, "--json", "--quiet", "--timeout", "5m")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	res := decodeResults(t, out)
	if len(res.Benchmarks) != 1 || res.Benchmarks[0].Rollouts != 4 || res.Benchmarks[0].Failed != 0 {
		t.Errorf("results: %+v", res.Benchmarks)
	}
	for _, r := range readRollouts(t, filepath.Join(dir, "rollouts.jsonl")) {
		if r.Status != eval.StatusOK || r.CompletionTokens <= 0 || r.CompletionTokens > 256 ||
			(r.FinishReason != "stop" && r.FinishReason != "length") || (r.FinishReason == "length" && r.CompletionTokens != 256) {
			t.Errorf("rollout %s#%d: status %s tokens %d finish %q", r.ProblemID, r.Sample, r.Status, r.CompletionTokens, r.FinishReason)
		}
	}
}
