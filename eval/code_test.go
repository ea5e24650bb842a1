package eval

import (
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
)

func TestAttachTests(t *testing.T) {
	small := &bench.CodeTests{Language: "python", Style: bench.StyleStdin, Cases: []bench.TestCase{{Input: "1", Output: "1"}}}
	var r Rollout
	r.AttachTests(small)
	if r.CodeTests != small || r.TestsDigest != small.Digest() || len(r.TestsDigest) != 16 {
		t.Errorf("small suite: %+v", r)
	}
	if p := r.Problem(); p.Tests != small {
		t.Errorf("Problem() lost the suite")
	}

	big := &bench.CodeTests{Language: "python", Style: bench.StyleStdin, Cases: []bench.TestCase{{Input: strings.Repeat("9", MaxInlineTests), Output: "1"}}}
	r = Rollout{Meta: map[string]any{"platform": "atcoder"}}
	r.AttachTests(big)
	if r.CodeTests != nil || r.TestsDigest != big.Digest() {
		t.Errorf("big suite kept inline or without digest")
	}
	p := r.Problem()
	if p.Tests == nil || len(p.Tests.Cases) != 0 || p.Meta["tests_digest"] != big.Digest() || p.Meta["platform"] != "atcoder" {
		t.Errorf("Problem() of a rollout without its suite: %+v", p)
	}
	if _, ok := r.Meta["tests_digest"]; ok {
		t.Errorf("Problem() wrote into the rollout's own Meta")
	}

	var math Rollout
	math.AttachTests(nil)
	if math.TestsDigest != "" || math.Problem().Tests != nil {
		t.Errorf("a math rollout became a code rollout")
	}
}

func TestAtBudgetDropsTestResults(t *testing.T) {
	r := Rollout{Status: StatusOK, MaxTokens: 100, CompletionTokens: 80, FinishReason: FinishStop, Correct: true, Reason: "passed",
		TestResults: []TestResult{{Case: 0, Reason: "passed"}}}
	if v := r.AtBudget(50); v.Correct || v.Reason != "truncated" || v.TestResults != nil {
		t.Errorf("truncated view kept the verdict: %+v", v)
	}
	if v := r.AtBudget(90); !v.Correct || len(v.TestResults) != 1 {
		t.Errorf("finished view lost the verdict: %+v", v)
	}
}
