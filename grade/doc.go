// Package grade decides whether a model completion's final answer is
// mathematically equal to a reference ("gold") answer, and says why.
//
// It is a pipeline of small stages, one file each, read top to bottom:
//
//	extract.go    raw completion → final answer string: thinking stripped, last
//	              \boxed{} (adjacent boxes joined), then <answer>…</answer>,
//	              "final answer is", "Answer:", the last answer-bearing
//	              statement in text order (display or inline math, or a
//	              concluding "so there are 2 values"), last number;
//	              ExtractCut (a completion cut by length) keeps only stated
//	              answers; double-escaped LaTeX ("288\\pi") is read as single
//	normalize.go  answer string → canonical LaTeX-ish text: delimiters,
//	              \left/\right, spacing, \text{} units and words, degrees,
//	              percent, currency, \frac12, mixed numbers, thousands
//	parse.go      canonical text → expression tree: numbers, + − × ÷ ^ !,
//	              \frac, \sqrt[n]{}, \binom, functions, implicit products,
//	              tuples, sets, intervals, unions, matrices, ±, relations
//	eval.go       tree → value: exact rationals (math/big) where possible,
//	              else complex128; free symbols take pseudo-random values
//	compare.go    two trees → equal or not, cheapest test first: string,
//	              exact/numeric, symbolic (random points), then
//	structure.go  tuples, lists, sets, intervals, unions, matrices, ± and
//	relation.go   equations, inequalities, assignments
//	verdict.go    the public API: Extract, Grade, Verify, Verdict, Reason
//
// Every call does a bounded amount of work: answer lengths, nesting depth,
// exact-arithmetic sizes and ± expansions are capped, and Options.WorkBudget
// counts abstract steps (about 50 ns each) so that no input can hang; an
// exhausted budget gives the reason "timeout". No input panics. The package
// keeps no global mutable state, so it is safe for concurrent use from many
// goroutines without locks.
//
// Conventions where graders differ: "8\%" equals 8, not 0.08; "90^\circ"
// equals 90, but "\sin 60^\circ" is the sine of 60 degrees; units and words
// in \text{} after a number are dropped; integers and fractions compare
// exactly, decimals within Options.RelTol, other exact forms (288\pi,
// t^2-121) within float64 error (1e-9); "x = 5"
// compares as 5 but "n = 3k" never as 3; "\pm 2" is the set {2, −2}; gold
// is passed as gold, so a gold inequality accepts a predicted interval but a
// gold interval does not accept a predicted inequality.
//
// The package uses the standard library only and imports nothing from terse.
package grade
