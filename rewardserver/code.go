package rewardserver

import (
	"context"

	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/grade"
)

// CodeRewardGrader returns a RewardGrader for math and code prompts alike.
// A gold that is one string holding a test suite (codegrade.ParseLabel:
// terse's bench.CodeTests JSON, as `terse select` exports code prompts, or
// LiveCodeBench's input_output JSON) is graded by running the response's
// program in code's sandbox, and its verdict (passed, wrong_answer, timeout,
// …) is the rollout's correctness for every reward shape; any other gold
// goes to grade.Grade with opts. code is called at each code gold (so a
// math-only service never sets a sandbox up; make it cheap, e.g. with
// sync.OnceValue); when it returns nil, code golds are graded
// sandbox_refused.
func CodeRewardGrader(opts grade.Options, code func() *codegrade.Grader) RewardGrader {
	math := GradeRewardGrader(opts)
	return func(response string, gold []string) RewardVerdict {
		if len(gold) == 1 {
			if tests, ok := codegrade.ParseLabel(gold[0]); ok {
				g := code()
				if g == nil {
					return RewardVerdict{Reason: string(codegrade.SandboxRefused)}
				}
				v := g.Grade(context.Background(), response, tests)
				return RewardVerdict{Correct: v.Correct, Reason: string(v.Reason), Extracted: v.Extracted}
			}
		}
		return math(response, gold)
	}
}
