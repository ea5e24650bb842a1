package grade

import "testing"

// Case families for the answers that forced and early-exit measurements
// and real models produce (issue 14): each family is one table.

// TestExtractLastStatement: an unboxed final answer is the last
// answer-bearing statement in text order.
func TestExtractLastStatement(t *testing.T) {
	for _, r := range []struct {
		name, response, want string
	}{
		{"later inline beats earlier display", "We use\n$$x^2 - 5x + 6 = 0$$\nwhose roots give \\(x = 3\\).", "x = 3"},
		{"later dollar inline beats display", "\\[ a^2+b^2=c^2 \\]\nso the hypotenuse is $5$.", "5"},
		{"conclusion beats earlier display", "The equation\n$$x^2 = 4$$\nhas roots ±2, so there are 2 values.", "2"},
		{"conclusion beats earlier inline", "Solving $x^2=4$ gives two roots. Hence 2 solutions", "2"},
		{"therefore with units", "Adding $12 + 30$ we have it. Therefore 42 apples", "42"},
		{"display after conclusion wins", "So there are 3 cases.\n$$\\frac{1}{2}$$", "\\frac{1}{2}"},
		{"also is not so", "We also 7 compute $\\frac{3}{4}$", "\\frac{3}{4}"},
		{"conclusion with a formula is left to math", "$$y=1$$\nso $x = 3$", "x = 3"},
		{"earlier inline, later display", "With $a=1$ we get\n\\[ 2\\pi \\]", "2\\pi"},
	} {
		if got, why := Extract(r.response); got != r.want || why != "" {
			t.Errorf("%s: Extract(%q) = %q, %q; want %q", r.name, r.response, got, why, r.want)
		}
	}
}

// TestDoubleEscapedLatex: LaTeX stored with doubled backslashes parses.
func TestDoubleEscapedLatex(t *testing.T) {
	for _, r := range []struct {
		name, gold, response string
		want                 bool
	}{
		{"pi", "288\\pi", "The volume is \\\\boxed{288\\\\pi}", true},
		{"frac", "\\frac{1}{2}", "\\\\boxed{\\\\frac{1}{2}}", true},
		{"sqrt in inline", "2\\sqrt{3}", "so $2\\\\sqrt{3}$", true},
		{"double-escaped gold", "\\\\frac{3}{4}", "\\boxed{\\frac{3}{4}}", true},
		{"wrong value still wrong", "288\\pi", "\\\\boxed{144\\\\pi}", false},
		// A matrix row break beside single-escaped commands is left alone.
		{"matrix row break", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", true},
	} {
		if v := Grade(r.response, []string{r.gold}, Options{}); v.Correct != r.want {
			t.Errorf("%s: Grade(%q, %q) = %+v, want correct %v", r.name, r.response, r.gold, v, r.want)
		}
	}
}

// TestCutByLength: a completion cut by length mid-work has no answer; a
// stated answer still counts.
func TestCutByLength(t *testing.T) {
	for _, r := range []struct {
		name, response, want string
		reason               Reason
	}{
		{"mid-work number", "First compute $3 \\cdot 4 = 12$, then the area is 12 times", "", NoAnswer},
		{"mid-work display", "We get\n$$x^2 + 7x$$\nand now factor", "", NoAnswer},
		{"boxed before the cut", "So \\boxed{7}. Let me double-check: 3 + 4 =", "7", ""},
		{"answer phrase", "The answer is 7. Verifying: 3 +", "7", ""},
		{"concluding sentence", "Hence 12 ways. Now to check the case", "12", ""},
	} {
		got, why := ExtractCut(r.response)
		if got != r.want || why != r.reason {
			t.Errorf("%s: ExtractCut(%q) = %q, %q; want %q, %q", r.name, r.response, got, why, r.want, r.reason)
		}
		// Grade with CutByLength agrees, and without it a number is taken.
		if v := Grade(r.response, []string{"12"}, Options{CutByLength: true}); r.reason == NoAnswer && v.Reason != NoAnswer {
			t.Errorf("%s: Grade(CutByLength) = %+v, want no_answer", r.name, v)
		}
	}
	if got, _ := Extract("First compute $3 \\cdot 4 = 12$, then the area is 12 times"); got == "" {
		t.Error("a finished response keeps the last-number fallback")
	}
}

// TestTrigDegrees: trigonometric values of angles in degrees evaluate.
func TestTrigDegrees(t *testing.T) {
	for _, r := range []struct {
		gold, pred string
		want       bool
	}{
		{"\\frac{\\sqrt{3}}{2}", "\\sin 60^\\circ", true},
		{"\\frac{1}{2}", "\\cos 60^{\\circ}", true},
		{"1", "\\tan(45^\\circ)", true},
		{"\\frac{\\sqrt{2}}{2}", "\\sin{45^\\circ}", true},
		{"2", "\\sec 60°", true},
		{"-\\frac{1}{2}", "\\cos 120^\\circ", true},
		{"\\frac{1}{2}", "\\sin 60^\\circ", false},
		{"\\frac{\\sqrt{3}}{2}", "\\sin 60", false}, // radians: sin 60 ≠ √3/2
		{"\\sqrt{3}", "2\\sin 60^\\circ", true},
		{"90", "90^\\circ", true}, // a bare angle keeps its value
	} {
		if v := Verify([]string{r.gold}, r.pred, Options{}); v.Correct != r.want {
			t.Errorf("Verify(%q, %q) = %+v, want correct %v", r.gold, r.pred, v, r.want)
		}
	}
	if got := trigDegrees("\\sin 30^\\circ + \\cos(60^{\\circ})"); got != "\\sin(30\\pi/180) + \\cos(60\\pi/180)" {
		t.Errorf("trigDegrees = %q", got)
	}
}
