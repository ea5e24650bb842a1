package rl

import (
	"context"
	"testing"

	"github.com/terse-dev/terse/lab"
)

// BenchmarkGRPOStep times one GRPO step of the lab default (lab-base, 16
// prompts × 8 rollouts of the add family, L_R = L_T = 256, truncation
// reward, on-policy) and reports its phases per step: sampling, grading
// (with rewards, statistics and advantages), the reference forward and the
// update (policy forward, objective, backward, AdamW). Each iteration is
// one step; the policy keeps training across iterations, as in a run.
// "sorted" cuts the micro-batches by rollout length (the trainer's layout),
// "in-order" in rollout order (the layout before); "kl-stat-every-n" runs
// the reference forward on every n-th step only (loss.kl_stat_every, as the
// demo does with n = 2 and 4; no run of the paper's protocol has a KL term).
func BenchmarkGRPOStep(b *testing.B) {
	for _, c := range []struct {
		name    string
		inOrder bool
		klEvery int // loss.kl_stat_every
	}{{"sorted", false, 1}, {"in-order", true, 1}, {"sorted/kl-stat-every-2", false, 2}, {"sorted/kl-stat-every-4", false, 4}} {
		b.Run(c.name, func(b *testing.B) {
			policy, tok, err := lab.LoadModel(lab.BaseModel)
			if err != nil {
				b.Fatal(err)
			}
			train, err := lab.TrainSplit(lab.Add, 256, 1)
			if err != nil {
				b.Fatal(err)
			}
			cfg := Default()
			cfg.Data.Difficulty = "all"
			cfg.Eval.Every, cfg.Loss.KLStatEvery = 0, c.klEvery
			cfg.Run.Out, cfg.Run.Steps, cfg.Run.CheckpointEvery = b.TempDir(), 1<<20, 0
			t, err := newTrainer(TrainInputs{Config: cfg, Policy: policy, Tokenizer: tok, Train: train})
			if err != nil {
				b.Fatal(err)
			}
			t.inOrder = c.inOrder
			ctx := context.Background()
			if t.train, err = t.selectPrompts(ctx); err != nil {
				b.Fatal(err)
			}
			step, tokens := 0, 0.0
			run := func() {
				step++
				s, err := t.step(ctx, step)
				if err != nil {
					b.Fatal(err)
				}
				tokens += s.MeanLength * float64(cfg.Rollout.PromptsPerStep*cfg.Rollout.GroupSize)
			}
			run() // warm-up: workspaces and decoder buffers
			t.timing, tokens = StepTiming{}, 0
			for b.Loop() {
				run()
			}
			n := float64(t.timing.Steps)
			b.ReportMetric(t.timing.Sample.Seconds()/n, "sample-s/step")
			b.ReportMetric(t.timing.Grade.Seconds()/n, "grade-s/step")
			b.ReportMetric(t.timing.Ref.Seconds()/n, "ref-s/step")
			b.ReportMetric(t.timing.Update.Seconds()/n, "update-s/step")
			b.ReportMetric(tokens/n, "rollout-tokens/step")
		})
	}
}
