package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/internal/codetest"
)

// requireSandbox skips the code CLI tests where the sandbox cannot run on a
// developer machine; under CI=true it fails.
func requireSandbox(t *testing.T) { codetest.Grader(t, codegrade.Options{}) }

// codeServer answers each code problem with its reference program on even
// seeds and with a wrong one on odd seeds.
func codeServer(t *testing.T, ps []bench.Problem, programs map[string][2]string) *fakeserver.Server {
	t.Helper()
	byQuestion := map[string][2]string{}
	for _, p := range ps {
		byQuestion[p.Question] = programs[p.ID]
	}
	srv := fakeserver.New()
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		prog, ok := byQuestion[r.Text()]
		if !ok {
			return "", "unknown question", 5
		}
		return "let me think", "```python\n" + prog[r.Seed%2] + "\n```", 30 + int(r.Seed)
	}
	return srv
}

// TestEvalCodeCLI evaluates HumanEval and a LiveCodeBench copy end to end
// through `terse eval` (sandbox included), then regrades with `terse metrics`.
func TestEvalCodeCLI(t *testing.T) {
	requireSandbox(t)
	he, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	he = he[:3]
	lcbSpec := "livecodebench:" + filepath.Join("..", "..", "bench", "testdata", "livecodebench")
	lcb, err := bench.Open(lcbSpec, "", bench.FieldMap{})
	if err != nil {
		t.Fatal(err)
	}
	programs := map[string][2]string{
		"abc900_a": {"a, b = map(int, input().split())\nprint(a + b)", "print(0)"},
		"9001": {"class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i",
			"class Solution:\n    def twoSum(self, nums, target):\n        return [0, 0]"},
		"1900A": {"input()\nprint(max(map(int, input().split())))", "import sys\nsys.exit(1)"},
	}
	for _, p := range he {
		programs[p.ID] = [2]string{p.Solution, p.Tests.Stub + "    return None"}
	}
	srv := codeServer(t, append(append([]bench.Problem{}, he...), lcb...), programs)
	defer srv.Close()
	dir := t.TempDir()
	out, stderr, err := runCLI(t, "eval", "--bench", "humaneval", "--limit", "3", "--bench", lcbSpec, "--model", "fake",
		"--endpoint", srv.URL, "-k", "4", "--max-tokens", "64", "--budgets", "64", "--bootstrap", "20", "--quiet", "--out", dir, "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	res := decodeResults(t, out)
	if len(res.Benchmarks) != 2 {
		t.Fatalf("benchmarks: %+v", res.Benchmarks)
	}
	for _, b := range res.Benchmarks {
		if got := b.Budgets[0].MeanAtK; got != 0.5 {
			t.Errorf("%s: Mean@4 = %g, want 0.5 (even seeds right)", b.Benchmark, got)
		}
	}
	rs := readRollouts(t, filepath.Join(dir, "rollouts.jsonl"))
	if len(rs) != 24 {
		t.Fatalf("%d rollouts", len(rs))
	}
	for _, r := range rs {
		if r.PromptTemplate != "{question}" || len(r.TestResults) == 0 || !strings.HasPrefix(r.Runtime, "CPython 3.") || r.TestsDigest == "" {
			t.Errorf("%s#%d: template %q, %d test results, runtime %q", r.ProblemID, r.Sample, r.PromptTemplate, len(r.TestResults), r.Runtime)
		}
		if r.Correct != (r.Sample%2 == 0) {
			t.Errorf("%s#%d: correct=%v (%s %+v)", r.ProblemID, r.Sample, r.Correct, r.Reason, r.TestResults)
		}
	}
	out, stderr, err = runCLI(t, "metrics", "--rollouts", filepath.Join(dir, "rollouts.jsonl"), "--regrade", "--budgets", "64", "--bootstrap", "20", "--json")
	if err != nil {
		t.Fatalf("metrics --regrade: %v\n%s", err, stderr)
	}
	for _, b := range decodeResults(t, out).Benchmarks {
		if got := b.Budgets[0].MeanAtK; got != 0.5 {
			t.Errorf("regraded %s: Mean@4 = %g, want 0.5", b.Benchmark, got)
		}
	}
}

// TestEvalCodeMixedTemplate: math and code sets in one run need an explicit
// template, since their default prompts differ.
func TestEvalCodeMixedTemplate(t *testing.T) {
	_, _, err := runCLI(t, "eval", "--bench", "humaneval", "--bench", "aime24", "--model", "m", "--limit", "1", "--quiet", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--template") {
		t.Errorf("mixed math and code without --template: %v", err)
	}
}

// TestProfileCodeCLI: `terse profile` on code prompts measures pass rates by
// running the programs.
func TestProfileCodeCLI(t *testing.T) {
	requireSandbox(t)
	he, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	he = he[:2]
	programs := map[string][2]string{}
	for _, p := range he {
		programs[p.ID] = [2]string{p.Solution, p.Tests.Stub + "    return None"}
	}
	srv := codeServer(t, he, programs)
	defer srv.Close()
	dir := t.TempDir()
	_, stderr, err := runCLI(t, "profile", "--input", "humaneval", "--limit", "2", "--model", "fake", "--endpoint", srv.URL,
		"--group-size", "4", "--rollout-limit", "64", "--out", dir, "--quiet")
	if err != nil {
		t.Fatalf("profile: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "profile.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"pass_rate":0.5`); n != 2 {
		t.Errorf("want 2 prompts with pass rate 0.5 (even seeds right), got %d:\n%.600s", n, b)
	}
}
