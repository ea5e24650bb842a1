package data

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/grade"
)

// instant is a run.Sampler that answers at once with a realistic
// completion (a few hundred characters of thinking, then a boxed answer),
// so that a benchmark times everything but generation.
type instant struct{ thinking string }

func (s instant) Do(_ context.Context, req sampler.Request) (sampler.Response, error) {
	ans := "\\frac{1}{2}"
	if req.Seed%3 == 0 {
		ans = "0.25"
	}
	return sampler.Response{
		Content:          "<think>" + s.thinking + "</think>\nSo the answer is $\\boxed{" + ans + "}$.",
		FinishReason:     eval.FinishStop,
		CompletionTokens: 100 + int(req.Seed%50),
		PromptTokens:     40, Endpoint: "instant", Attempts: 1,
	}, nil
}

// BenchmarkProfilePipeline measures profiling without generation: per
// rollout, grading, the rollout store's append (JSON + write), reading the
// store back, and the per-prompt reduction and summary. It reports
// rollouts/s (grading + bookkeeping per rollout).
func BenchmarkProfilePipeline(b *testing.B) {
	ps, _ := fixedProblems(512)
	for i := range ps {
		ps[i].Gold = []string{"0.5"}
	}
	smp := instant{thinking: strings.Repeat("Let me compute the value step by step. ", 20)}
	for _, n := range []int{64, 512} {
		b.Run(fmt.Sprintf("%dx8", n), func(b *testing.B) {
			problems := ps[:n]
			// Round trip first: the pipeline must grade what it times.
			recs, _, _, err := Profile(context.Background(), ProfileOptions{
				Problems: problems, Sampling: testSampling(0), RolloutLimit: 4096, Concurrency: 8,
				Client: smp, Grade: Grader(grade.DefaultOptions()), OutDir: b.TempDir(),
			})
			if err != nil {
				b.Fatal(err)
			}
			if recs[1].PassRate == 0 || recs[1].PassRate == 1 {
				b.Fatalf("fixture should mix right and wrong answers: pass rate %g", recs[1].PassRate)
			}
			b.ReportAllocs()
			rollouts := 0
			for b.Loop() {
				_, _, _, err := Profile(context.Background(), ProfileOptions{
					Problems: problems, Sampling: testSampling(0), RolloutLimit: 4096, Concurrency: 8,
					Client: smp, Grade: Grader(grade.DefaultOptions()), OutDir: b.TempDir(),
				})
				if err != nil {
					b.Fatal(err)
				}
				rollouts += 8 * n
			}
			b.ReportMetric(float64(rollouts)/b.Elapsed().Seconds(), "rollouts/s")
		})
	}
}
