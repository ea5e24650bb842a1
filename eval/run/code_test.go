package run_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/run"
)

// TestCodeProblems: a run grades code problems against the problem's own
// tests even when they are too large to keep in each rollout, records the
// per-test verdicts, and keeps small suites inline for regrading.
func TestCodeProblems(t *testing.T) {
	srv := fakeserver.New()
	defer srv.Close()
	small := &bench.CodeTests{Language: "python", Style: bench.StyleStdin, Cases: []bench.TestCase{{Input: "1", Output: "1"}}}
	big := &bench.CodeTests{Language: "python", Style: bench.StyleStdin,
		Cases: []bench.TestCase{{Input: strings.Repeat("7", eval.MaxInlineTests), Output: "7"}, {Input: "2", Output: "2", Private: true}}}
	ps := []bench.Problem{
		{ID: "small", Benchmark: "code", Question: "Echo.", Tests: small},
		{ID: "big", Benchmark: "code", Question: "Echo more.", Tests: big},
	}
	var graded atomic.Int32
	fake := func(response string, p bench.Problem) eval.Verdict {
		graded.Add(1)
		if p.Tests == nil || len(p.Tests.Cases) == 0 {
			return eval.Verdict{Reason: "no_tests"}
		}
		var tr []eval.TestResult
		for i, c := range p.Tests.Cases {
			tr = append(tr, eval.TestResult{Case: i, Reason: "passed", Private: c.Private, Millis: 1})
		}
		return eval.Verdict{Correct: true, Reason: "passed", Extracted: "print(input())", Tests: tr, Runtime: "CPython 3.x test"}
	}
	dir := t.TempDir()
	_, _, err := run.Eval(context.Background(), run.Config{
		Options: run.Options{Problems: ps, Sampling: sampling(), MaxTokens: 64, Samples: 2, Concurrency: 2,
			Client: client(t, srv.URL, 3), Grade: fake},
		OutDir: dir, Metrics: metrics.Options{Budgets: []int{64}, Bootstrap: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	if graded.Load() != 4 {
		t.Errorf("graded %d rollouts, want 4", graded.Load())
	}
	for _, r := range readAll(t, filepath.Join(dir, run.RolloutsFile)) {
		if !r.Correct || r.Reason != "passed" || r.Runtime == "" || len(r.TestResults) != len(map[string]*bench.CodeTests{"small": small, "big": big}[r.ProblemID].Cases) {
			t.Errorf("%s#%d: %s %+v", r.ProblemID, r.Sample, r.Reason, r.TestResults)
		}
		switch r.ProblemID {
		case "small":
			if r.CodeTests == nil || r.TestsDigest != small.Digest() {
				t.Errorf("small suite not kept inline")
			}
		case "big":
			if r.CodeTests != nil || r.TestsDigest != big.Digest() || !r.TestResults[1].Private {
				t.Errorf("big suite: inline=%v digest=%s", r.CodeTests != nil, r.TestsDigest)
			}
			// Regrading the stored rollout alone cannot see the big suite.
			if r.Grade(fake); r.Reason != "no_tests" {
				t.Errorf("regrade without the suite: %s", r.Reason)
			}
		}
	}
}
