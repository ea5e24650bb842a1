package data

import (
	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/grade"
)

// Grader adapts grade.Grade to eval.Grader. A problem's Meta["tolerance"]
// (OlympiadBench's "error" field) becomes its absolute tolerance when it is
// larger than opts.AbsTol, as in `terse eval`.
func Grader(opts grade.Options) eval.Grader {
	return func(response string, p bench.Problem) eval.Verdict {
		o := opts
		if tol, ok := p.Meta["tolerance"].(float64); ok && tol > o.AbsTol {
			o.AbsTol = tol
		}
		v := grade.Grade(response, p.Gold, o)
		return eval.Verdict{Correct: v.Correct, Reason: string(v.Reason), Extracted: v.Extracted, Matched: v.Matched}
	}
}
