// Package grade decides whether a model completion's final answer is
// mathematically equal to a reference ("gold") answer.
//
// It is a pipeline of small stages, one file each, read top to bottom:
//
//	extract.go    raw completion → final answer string (thinking stripped, last box, fallbacks)
//	normalize.go  answer string → canonical LaTeX-ish text (units, \text, separators, …)
//	parse.go      canonical text → expression tree (numbers, operators, functions,
//	              tuples, sets, intervals, matrices, relations)
//	compare.go    two trees → equal or not, cheapest test first: string, exact
//	              rational, numeric with tolerance, symbolic (random points),
//	              structural (tuples, sets, intervals, matrices, relations)
//	verdict.go    the public API: Extract, Grade, Verify, Verdict and its Reason
//
// Every call does a bounded amount of work (Options.WorkBudget counts abstract
// steps; sizes and exponents are capped), never panics on any input, and keeps
// no global mutable state, so it is safe for concurrent use from many
// goroutines. Every Verdict carries a snake_case Reason saying why it was
// reached.
//
// Gold answers are assumed clean and are passed as gold: the comparison is
// deliberately asymmetric where Math-Verify's is (a predicted interval may
// match a gold inequality, not the reverse).
//
// The package uses the standard library only and imports nothing from terse.
package grade
