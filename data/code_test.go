package data

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/internal/codetest"
	"github.com/terse-dev/terse/reward"
)

// codeGrader returns a code grader, or skips where the sandbox cannot run.
func codeGrader(t *testing.T) *codegrade.Grader {
	t.Helper()
	return codetest.Grader(t, codegrade.Options{Limits: codegrade.Limits{Wall: 5 * time.Second}})
}

// humanEvalModel answers a HumanEval problem with its reference solution
// (fenced, after a thinking block) when the problem's index is below the
// seed-dependent cut, else with a body that returns None.
func humanEvalModel(ps []bench.Problem) fakeserver.Answer {
	sol := map[string]bench.Problem{}
	for _, p := range ps {
		sol[p.Question] = p
	}
	return func(r *fakeserver.Request) (string, string, int) {
		p := sol[r.Text()]
		good := int(r.Seed)%4 != 3 // 3 of 4 samples right
		if p.ID == ps[0].ID {
			good = false // never solved
		}
		if good {
			return "think", "```python\n" + p.Solution + "```", 40
		}
		return "think", "```python\n" + p.Tests.Stub + "    return None\n```", 60
	}
}

// TestProfileCodePrompts profiles HumanEval problems through the sandbox:
// pass rates come from running the programs, and rollouts carry per-test
// verdicts.
func TestProfileCodePrompts(t *testing.T) {
	g := codeGrader(t)
	all, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	ps := all[:4]
	srv := fakeserver.New()
	defer srv.Close()
	srv.Answer = humanEvalModel(ps)
	dir := t.TempDir()
	recs, sum, _, err := Profile(context.Background(), ProfileOptions{
		Problems: ps, Sampling: testSampling(0), RolloutLimit: 100, GroupSize: 4, Concurrency: 4,
		Client: newClient(t, srv), Grade: Graders{Math: grade.DefaultOptions(), Code: g}.Grade, OutDir: dir,
		Summary: SummaryOptions{TargetLen: 50},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || sum.Prompts != 4 {
		t.Fatalf("%d records, summary %+v", len(recs), sum)
	}
	for _, r := range recs {
		want := 0.75
		if r.ID == ps[0].ID {
			want = 0
		}
		if r.PassRate != want {
			t.Errorf("%s: pass rate %g, want %g", r.ID, r.PassRate, want)
		}
	}
	b, err := os.ReadFile(dir + "/" + RolloutsFile)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"test_results":[{"case":0,"reason":"passed"`) ||
		!strings.Contains(s, `"reason":"wrong_answer"`) || !strings.Contains(s, `"runtime":"CPython 3.`) || !strings.Contains(s, `"tests_digest"`) {
		t.Errorf("rollouts lack per-test verdicts: %.400s", s)
	}
}

// TestCodeVerdictRewards: a code verdict is the correctness input of every
// reward shape, like a math verdict. Hand-computed for truncation.
func TestCodeVerdictRewards(t *testing.T) {
	g := codeGrader(t)
	ps, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	p := ps[2]
	gr := Graders{Math: grade.DefaultOptions(), Code: g}
	right := gr.Grade("<think>easy</think>\n```python\n"+p.Solution+"```", p)
	wrong := gr.Grade("```python\n"+p.Tests.Stub+"    return 0.5\n```", p)
	none := gr.Grade("I cannot write code.", p)
	if !right.Correct || wrong.Correct || wrong.Reason != "wrong_answer" || none.Reason != "no_code" {
		t.Fatalf("verdicts: %+v / %+v / %+v", right, wrong, none)
	}
	group := reward.Group{
		{Correct: right.Correct, Tokens: 100}, // correct, short
		{Correct: right.Correct, Tokens: 300}, // correct, longer than L_T
		{Correct: wrong.Correct, Tokens: 80},
		{Correct: none.Correct, Tokens: 50},
	}
	got := reward.Truncation{TargetLen: 200}.Rewards(group)
	for i, want := range []float64{1, 0, 0, 0} {
		if got[i].Reward != want || got[i].Masked {
			t.Errorf("truncation rollout %d: %+v, want reward %g", i, got[i], want)
		}
	}
	for _, name := range reward.Names() {
		s, err := reward.Parse(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := s.Rewards(group)
		if len(out) != len(group) {
			t.Fatalf("%s: %d outcomes", name, len(out))
		}
		// The short correct program is never rewarded below a wrong one.
		if !out[0].Masked && !out[2].Masked && out[0].Reward < out[2].Reward {
			t.Errorf("%s: correct program %g < wrong program %g", name, out[0].Reward, out[2].Reward)
		}
	}
}

// TestGradersNoSandbox: without a code grader, code problems are refused,
// never graded as math.
func TestGradersNoSandbox(t *testing.T) {
	p := bench.Problem{ID: "x", Tests: &bench.CodeTests{Language: "python", Style: bench.StyleStdin, Cases: []bench.TestCase{{Output: "1"}}}}
	if v := (Graders{Math: grade.DefaultOptions()}).Grade("```python\nprint(1)\n```", p); v.Correct || v.Reason != "sandbox_refused" {
		t.Errorf("%+v", v)
	}
	if v := Grader(grade.DefaultOptions())("\\boxed{2}", bench.Problem{Gold: []string{"2"}}); !v.Correct {
		t.Errorf("math: %+v", v)
	}
}

// TestExportCodeLabel: an exported code prompt's label is its tests as JSON,
// which the reward service reads back (codegrade.ParseLabel) to the same suite.
func TestExportCodeLabel(t *testing.T) {
	ps, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Benchmark: "humaneval", ID: ps[1].ID, Problem: ps[1], Samples: 8, Correct: 6, PassRate: 0.75}
	var buf strings.Builder
	if err := Export(&buf, []Record{rec}, ExportOptions{Format: FormatOpenRLHF}); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Label []string `json:"label"`
	}
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil || len(line.Label) != 1 {
		t.Fatalf("%v: %.200s", err, buf.String())
	}
	got, ok := codegrade.ParseLabel(line.Label[0])
	if !ok || got.Digest() != ps[1].Tests.Digest() {
		t.Errorf("label does not round-trip: ok=%v %+v", ok, got)
	}
	rows := VerlRows([]Record{rec}, ExportOptions{Format: FormatVerl})
	if rows[0].RewardModel.GroundTruth != line.Label[0] {
		t.Errorf("verl ground truth differs from the OpenRLHF label")
	}
}

// TestRegradeWithSuites: a rollout whose suite was too large to keep inline
// is regraded with the suite supplied again, only if its digest matches.
func TestRegradeWithSuites(t *testing.T) {
	g := codeGrader(t)
	ps, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	p := ps[3]
	r := eval.Rollout{Benchmark: p.Benchmark, ProblemID: p.ID, Response: "```python\n" + p.Solution + "```", TestsDigest: p.Tests.Digest()}
	gr := Graders{Math: grade.DefaultOptions(), Code: g}
	r.Grade(gr.Grade)
	if r.Correct || r.Reason != "no_tests" {
		t.Errorf("without the suite: %s", r.Reason)
	}
	gr.Suites = SuitesOf(ps)
	r.Grade(gr.Grade)
	if !r.Correct || len(r.TestResults) != 1 {
		t.Errorf("with the suite: %s %+v", r.Reason, r.TestResults)
	}
	r.TestsDigest = "0123456789abcdef" // another version of the benchmark
	r.Grade(gr.Grade)
	if r.Correct || r.Reason != "no_tests" {
		t.Errorf("a suite with another digest was used: %s", r.Reason)
	}
}
