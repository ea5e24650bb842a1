package grade

import (
	"strings"
	"testing"
)

// fuzzSeeds are starting inputs for the fuzzers: ordinary answers and the
// adversarial shapes that break other graders.
var fuzzSeeds = []string{
	"42", "\\frac{1}{2}", "\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}", "9^9^9^9", "100000!",
	"(0,1]", "\\{1,2\\}", "x = 5", "0<x<1", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
	"1 \\pm \\sqrt{19}", "<think>a</think>\\boxed{3}", "\\sqrt[3]{4}", "4\\frac{4}{9}", "7,425,000",
	"\\text{Evelyn}", "|x-1|", "\\lfloor x \\rfloor", "f(x)=x+1", "e^{i\\pi}", "\\binom{10}{5}",
	"288\\\\pi", "\\\\frac{1}{2}", "\\sin 60^\\circ", "\\cos(120^{\\circ})", "$$x^2=4$$ so there are 2 values",
}

// FuzzExtract checks that extraction never panics and that an extracted
// answer comes from the response.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("so the answer is \\boxed{" + s + "}")
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, response string) {
		ans, why := Extract(response)
		if (ans == "") == (why == "") {
			t.Fatalf("Extract(%q) = %q, %q: exactly one must be empty", response, ans, why)
		}
		if len(ans) > maxAnswerLen {
			t.Fatalf("Extract(%q): answer of %d bytes exceeds the cap", response, len(ans))
		}
		// round trip: a balanced span put in a box comes back out
		x := strings.TrimSpace(response)
		if x != "" && len(x) < maxAnswerLen && !strings.Contains(x, "box") && !strings.Contains(x, "think>") &&
			matchBrace("{"+x+"}", 0) == len(x)+1 {
			if got, why := Extract("so the answer is \\boxed{" + x + "}."); got != x {
				t.Fatalf("Extract(boxed %q) = %q, %q; want the span back", x, got, why)
			}
		}
	})
}

// FuzzGrade checks that grading never panics, stays within its work budget
// (a small budget must end in a verdict, not a hang), always gives a
// reason, and that an answer that parses equals itself.
func FuzzGrade(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, s)
		f.Add(s, "2")
	}
	f.Fuzz(func(t *testing.T, gold, pred string) {
		opts := DefaultOptions()
		v := Grade(pred, []string{gold}, opts)
		if v.Reason == "" || v.Correct != v.Reason.equal() {
			t.Fatalf("Grade(%q, %q) = %+v: bad reason", pred, gold, v)
		}
		small := opts
		small.WorkBudget = 1000
		if v := Verify([]string{gold}, pred, small); v.Reason == "" {
			t.Fatalf("Verify with a small budget gave no reason: %+v", v)
		}
		// x equals x when x parses
		w := newWork(opts.WorkBudget)
		if p := prepare(pred, w); p.tree != nil && !w.exhausted() && strings.TrimSpace(pred) != "" {
			if v := Verify([]string{pred}, pred, opts); !v.Correct {
				t.Fatalf("Verify(x, x) = %+v for x = %q", v, pred)
			}
		}
	})
}
