package grade_test

import (
	"fmt"

	"github.com/terse-dev/terse/grade"
)

func ExampleGrade() {
	completion := "<think>Try x = 2... no, x = 3.</think>So the answer is $\\boxed{\\dfrac{6}{2}}$."
	v := grade.Grade(completion, []string{"3"}, grade.DefaultOptions())
	fmt.Println(v.Correct, v.Reason, v.Extracted)

	v = grade.Grade("<think>still thinking", []string{"3"}, grade.DefaultOptions())
	fmt.Println(v.Correct, v.Reason)
	// Output:
	// true equal_numeric \dfrac{6}{2}
	// false unterminated_think
}

func ExampleVerify() {
	opts := grade.DefaultOptions()
	for _, c := range []struct{ gold, pred string }{
		{"\\frac{1}{2}", "0.5"},
		{"(0,1)", "[0,1)"},
		{"\\{-2021, 2021\\}", "\\pm 2021"},
		{"\\tan^2 y+1", "\\sec^2 y"},
		{"0<x<1", "(0,1)"},
		{"3", "n=3k"},
	} {
		v := grade.Verify([]string{c.gold}, c.pred, opts)
		fmt.Printf("%s vs %s: %v (%s)\n", c.gold, c.pred, v.Correct, v.Reason)
	}
	// Output:
	// \frac{1}{2} vs 0.5: true (equal_numeric)
	// (0,1) vs [0,1): false (not_equal)
	// \{-2021, 2021\} vs \pm 2021: true (equal_structural)
	// \tan^2 y+1 vs \sec^2 y: true (equal_symbolic)
	// 0<x<1 vs (0,1): true (equal_structural)
	// 3 vs n=3k: false (not_equal)
}

func ExampleExtract() {
	ans, why := grade.Extract("The roots are $\\boxed{1}$ and $\\boxed{-2}$.")
	fmt.Printf("%q %q\n", ans, why)
	// Output:
	// "1, -2" ""
}
