package data

import (
	"context"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/grade/batch"
)

// Grader adapts grade.Grade to eval.Grader for math problems only; it is
// Graders{Math: opts}.Grade.
func Grader(opts grade.Options) eval.Grader {
	return Graders{Math: opts}.Grade
}

// Graders grades a response with the grader its problem needs: code problems
// (bench.Problem.Tests set) run in Code's sandbox, all others go to grade
// with Math. A problem's Meta["tolerance"] (OlympiadBench's "error" field)
// becomes its absolute tolerance when it is larger than Math.AbsTol, as in
// `terse eval`.
type Graders struct {
	// Math configures grade.Grade.
	Math grade.Options
	// Code runs code problems; nil grades every code problem
	// sandbox_refused (no sandbox was set up).
	Code *codegrade.Grader
	// Suites supplies the tests of code problems whose rollouts did not
	// keep them (eval.Rollout.Problem gives an empty suite and
	// Meta["tests_digest"]), keyed by benchmark and problem id; a suite is
	// used only when its digest matches.
	Suites map[[2]string]*bench.CodeTests
}

// Grade implements eval.Grader.
func (g Graders) Grade(response string, p bench.Problem) eval.Verdict {
	if p.Tests != nil {
		if g.Code == nil {
			return eval.Verdict{Reason: string(codegrade.SandboxRefused)}
		}
		tests := p.Tests
		if len(tests.Cases) == 0 {
			digest, _ := p.Meta["tests_digest"].(string)
			if s := g.Suites[[2]string{p.Benchmark, p.ID}]; s != nil && digest != "" && s.Digest() == digest {
				tests = s
			}
		}
		return CodeVerdict(g.Code.Grade(context.Background(), response, tests))
	}
	v := grade.Grade(response, p.Gold, batch.ProblemOptions(g.Math, p))
	return eval.Verdict{Correct: v.Correct, Reason: string(v.Reason), Extracted: v.Extracted, Matched: v.Matched}
}

// CodeVerdict converts a code grader's verdict to the rollout's shape.
func CodeVerdict(v codegrade.Verdict) eval.Verdict {
	out := eval.Verdict{Correct: v.Correct, Reason: string(v.Reason), Extracted: v.Extracted, Runtime: v.Runtime}
	for _, t := range v.Tests {
		out.Tests = append(out.Tests, eval.TestResult{Case: t.Case, Reason: string(t.Reason), Private: t.Private, Millis: t.Millis, Detail: t.Detail})
	}
	return out
}

// SuitesOf indexes the code problems' tests for Graders.Suites.
func SuitesOf(ps []bench.Problem) map[[2]string]*bench.CodeTests {
	m := map[[2]string]*bench.CodeTests{}
	for _, p := range ps {
		if p.Tests != nil {
			m[[2]string{p.Benchmark, p.ID}] = p.Tests
		}
	}
	return m
}

// NeedsCode reports whether any problem is a code problem, so that a caller
// sets up the sandbox only when it is needed.
func NeedsCode(ps []bench.Problem) bool {
	for _, p := range ps {
		if p.Tests != nil {
			return true
		}
	}
	return false
}
