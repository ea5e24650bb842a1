package rl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// toyWorld is a micro policy over the alphabet "ab?" plus <|endoftext|>:
// a completion is correct when it starts with "a" and stops (EOS) within the
// rollout limit, which a random policy does about 1 time in 8.
func toyWorld(t *testing.T) (*model.Model, tokenizer.Tokenizer, []bench.Problem, func(bench.Problem, string) bool) {
	t.Helper()
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{Specials: []string{"<|endoftext|>"}, Alphabet: "ab?", EOS: "<|endoftext|>"})
	if err != nil {
		t.Fatal(err)
	}
	c := model.TinyConfig()
	c.VocabSize = tok.VocabSize()
	c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize = 1, 16, 2, 1, 8, 32
	c.BOSTokenID, c.EOSTokenID, c.MaxPositionEmbeddings = 0, model.TokenIDs{0}, 32
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(5, 0.02)
	var ps []bench.Problem
	for _, q := range []string{"?", "??", "???", "????"} {
		ps = append(ps, bench.Problem{ID: "toy" + q, Question: q, Gold: []string{"a"}})
	}
	correct := func(p bench.Problem, completion string) bool { return strings.HasPrefix(completion, "a") }
	return m, tok, ps, correct
}

func toyConfig(dir string) Config {
	c := Default()
	c.Data.Difficulty = "all"
	c.Rollout.PromptsPerStep, c.Rollout.GroupSize, c.Rollout.RolloutLimit = 4, 8, 4
	c.Reward.TargetLen = 4
	c.Optim.LR, c.Optim.WeightDecay = 2e-2, 0
	c.Eval.Every, c.Eval.Budgets, c.Eval.K = 10, []int{2, 4}, 4
	c.Loss.MicroBatch = 5
	c.Run.Out, c.Run.Steps, c.Run.CheckpointEvery, c.Run.Seed = dir, 30, 10, 3
	return c
}

func TestTrainLearnsToyTask(t *testing.T) {
	m, tok, ps, correct := toyWorld(t)
	dir := t.TempDir()
	var progress bytes.Buffer
	res, err := Train(context.Background(), TrainInputs{
		Config: toyConfig(dir), Policy: m, Tokenizer: tok, Train: ps, Correct: correct,
		Eval: []EvalSet{{Name: "toy", Problems: ps[:2]}}, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Step 0 (initial evaluation) plus 30 steps.
	if len(res.Steps) != 31 || res.Steps[0].Step != 0 || len(res.Steps[0].Eval) != 2 || len(res.Steps[30].Eval) != 2 {
		t.Fatalf("%d records; first %+v", len(res.Steps), res.Steps[0])
	}
	early, late := 0.0, 0.0
	for i := 1; i <= 5; i++ {
		early += res.Steps[i].MeanReward / 5
		late += res.Steps[25+i].MeanReward / 5
	}
	t.Logf("mean reward: steps 1-5 %.3f, steps 26-30 %.3f", early, late)
	if late < early+0.3 {
		t.Errorf("reward did not rise: %.3f → %.3f\n%s", early, late, progress.String())
	}
	s := res.Steps[1]
	for name, v := range map[string]float64{"entropy": s.Entropy, "kl": s.KL, "clip_frac": s.ClipFrac, "grad_norm": s.GradNorm, "lr": s.LR, "mean_length": s.MeanLength} {
		if math.IsNaN(v) {
			t.Errorf("step 1 %s not logged", name)
		}
	}
	if math.Abs(res.Steps[1].KL) > 1e-4 {
		t.Errorf("KL to the initial policy at step 1 = %v, want ≈ 0 (first update comes after)", res.Steps[1].KL)
	}
	if res.Steps[30].KL <= res.Steps[1].KL {
		t.Errorf("KL did not grow: %v → %v", res.Steps[1].KL, res.Steps[30].KL)
	}
	// The run directory: config, log, checkpoints.
	steps, err := ReadStepsFile(filepath.Join(dir, StepsFile), ReadOptions{})
	if err != nil || len(steps) != 31 {
		t.Fatalf("steps.jsonl: %d records, %v", len(steps), err)
	}
	if _, err := Load(filepath.Join(dir, ConfigFile)); err != nil {
		t.Errorf("saved config: %v", err)
	}
	for _, st := range []int{10, 20, 30} {
		if _, err := os.Stat(filepath.Join(stepDir(dir, st), trainerFile)); err != nil {
			t.Errorf("checkpoint %d: %v", st, err)
		}
	}
	if !strings.Contains(progress.String(), "step 30  len") {
		t.Errorf("progress lacks step 30:\n%s", progress.String())
	}
	// A second run into the same directory must not clobber it.
	m2, _, _, _ := toyWorld(t)
	if _, err := Train(context.Background(), TrainInputs{Config: toyConfig(dir), Policy: m2, Tokenizer: tok, Train: ps, Correct: correct}); err == nil {
		t.Error("second run over an existing log accepted")
	}
}

// cancelAfter cancels a context once a progress line for step n appears.
type cancelAfter struct {
	n      string
	cancel context.CancelFunc
}

func (c cancelAfter) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), c.n) {
		c.cancel()
	}
	return len(p), nil
}

// TestTrainResumeIsExact: a run interrupted after step 4 (checkpoint at 3)
// and resumed ends with the weights and step log of the uninterrupted run,
// also with a stateful reward shape whose L_T moves every step.
func TestTrainResumeIsExact(t *testing.T) {
	for _, shape := range []string{"truncation", "adaptive:target=4,p=0.5,window=2"} {
		t.Run(shape, func(t *testing.T) {
			cfgFor := func(dir string) Config {
				c := toyConfig(dir)
				c.Run.Steps, c.Run.CheckpointEvery = 6, 3
				c.Loss.Staleness = 2 // exercise the mini-batch path too
				c.Eval.Every = 0
				c.Reward.Shape = shape
				return c
			}
			// Uninterrupted.
			mA, tok, ps, correct := toyWorld(t)
			dirA := t.TempDir()
			if _, err := Train(context.Background(), TrainInputs{Config: cfgFor(dirA), Policy: mA, Tokenizer: tok, Train: ps, Correct: correct}); err != nil {
				t.Fatal(err)
			}
			// Interrupted after step 4 (checkpoint at 3), then resumed.
			mB, _, _, _ := toyWorld(t)
			dirB := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			_, err := Train(ctx, TrainInputs{Config: cfgFor(dirB), Policy: mB, Tokenizer: tok, Train: ps, Correct: correct, Progress: cancelAfter{"step 4 ", cancel}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			mC, _, _, _ := toyWorld(t) // the initial weights again: the reference policy
			res, err := Train(context.Background(), TrainInputs{Config: cfgFor(dirB), Policy: mC, Tokenizer: tok, Train: ps, Correct: correct, Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Steps) != 3 || res.Steps[0].Step != 4 {
				t.Fatalf("resumed run logged %d steps from %d, want 3 from 4", len(res.Steps), res.Steps[0].Step)
			}
			maxDiff := 0.0
			for i, w := range mA.Slab() {
				maxDiff = max(maxDiff, math.Abs(float64(w-mC.Slab()[i])))
			}
			if maxDiff != 0 {
				t.Errorf("resumed weights differ from the uninterrupted run by up to %g", maxDiff)
			}
			a, _ := ReadStepsFile(filepath.Join(dirA, StepsFile), ReadOptions{})
			b, _ := ReadStepsFile(filepath.Join(dirB, StepsFile), ReadOptions{})
			if len(a) != 6 || len(b) != 6 {
				t.Fatalf("logs have %d and %d steps, want 6", len(a), len(b))
			}
			targets := map[float64]bool{}
			for i := range a {
				targets[a[i].TargetLen] = true
				a[i].StepSeconds, b[i].StepSeconds = 0, 0
				ja, _ := a[i].MarshalJSON()
				jb, _ := b[i].MarshalJSON()
				if !bytes.Equal(ja, jb) {
					t.Errorf("step %d differs:\n%s\n%s", a[i].Step, ja, jb)
				}
			}
			if adaptive := strings.HasPrefix(shape, "adaptive"); adaptive && len(targets) < 2 {
				t.Errorf("adaptive L_T never moved: %v", targets)
			} else if !adaptive && !math.IsNaN(a[0].TargetLen) {
				t.Errorf("fixed shape logged target_len %g", a[0].TargetLen)
			}
		})
	}
}

// TestTrainResumeBeforeFirstCheckpoint: a run stopped before its first
// checkpoint restarts from step 1 and keeps its one step-0 evaluation.
func TestTrainResumeBeforeFirstCheckpoint(t *testing.T) {
	m, tok, ps, correct := toyWorld(t)
	dir := t.TempDir()
	c := toyConfig(dir)
	c.Run.Steps, c.Run.CheckpointEvery, c.Eval.Every = 4, 3, 2
	in := TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: ps, Correct: correct, Eval: []EvalSet{{Name: "toy", Problems: ps[:2]}}}
	ctx, cancel := context.WithCancel(context.Background())
	in.Progress = cancelAfter{"step 2 ", cancel}
	if _, err := Train(ctx, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	in.Policy, _, _, _ = toyWorld(t)
	in.Progress, in.Resume = nil, true
	if _, err := Train(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	steps, err := ReadStepsFile(filepath.Join(dir, StepsFile), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, s := range steps {
		got = append(got, s.Step)
	}
	if fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Fatalf("steps after resume: %v, want [0 1 2 3 4]", got)
	}
}

func TestTrainDifficultyMaskingAndDynamicSampling(t *testing.T) {
	m, tok, ps, correct := toyWorld(t)
	dir := t.TempDir()
	c := toyConfig(dir)
	c.Run.Steps, c.Eval.Every = 3, 0
	c.Data.Difficulty = "easy"
	// A random micro policy solves the toy prompts rarely: no Easy prompts.
	_, err := Train(context.Background(), TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: ps, Correct: correct})
	if err == nil || !strings.Contains(err.Error(), "no easy prompts") {
		t.Fatalf("easy selection: %v", err)
	}
	rates, err := os.ReadFile(filepath.Join(dir, PassRatesFile))
	if err != nil || strings.Count(string(rates), "toy") != 4 {
		t.Fatalf("pass rates %s: %v", rates, err)
	}
	// Hard prompts, −I masking (incorrect rollouts masked), dynamic sampling,
	// under both readings of a masked group's statistics (GroupStats).
	for _, stats := range []GroupStats{StatsUnmasked, StatsWholeGroup} {
		dir = t.TempDir()
		c = toyConfig(dir)
		c.Run.Steps, c.Eval.Every = 3, 0
		c.Data.Difficulty = "hard"
		c.Reward.Shape = "truncation-I"
		c.Loss.DynamicSampling = true
		c.Loss.Staleness = 4
		c.Loss.GroupStats = string(stats)
		res, err := Train(context.Background(), TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: ps, Correct: correct})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Steps {
			t.Logf("%s: step %d: accuracy %v, grad norm %v", stats, s.Step, s.Accuracy, s.GradNorm)
			// Every incorrect rollout is masked, so the share masked is 1 − accuracy.
			if math.Abs(s.MaskedRate-(1-s.Accuracy)) > 1e-12 {
				t.Errorf("%s: step %d: masked %v, accuracy %v", stats, s.Step, s.MaskedRate, s.Accuracy)
			}
			switch {
			case stats == StatsUnmasked && !math.IsNaN(s.GradNorm):
				// With −I the unmasked rewards are all 1: dynamic sampling
				// drops every group, so no update happens.
				t.Errorf("%s: step %d updated (grad norm %v) although every group's unmasked rewards are equal", stats, s.Step, s.GradNorm)
			case stats == StatsWholeGroup && s.Step >= 1 && s.Accuracy > 0 && s.Accuracy < 1 && math.IsNaN(s.GradNorm):
				// Over the whole group a short correct rollout among
				// masked wrong ones sits above the mean: it is learnt from.
				t.Errorf("%s: step %d (accuracy %v) did not update", stats, s.Step, s.Accuracy)
			}
		}
	}
}

// TestKLStatEvery: without a KL term, loss.kl_stat_every skips the
// reference forward between logged steps: the KL is logged on step 1,
// every kl_stat_every steps and the last step, and nothing else changes
// (weights and every other logged number equal a run logging it every step).
func TestKLStatEvery(t *testing.T) {
	run := func(every int) (*model.Model, []StepLog) {
		m, tok, ps, correct := toyWorld(t)
		c := toyConfig(t.TempDir())
		c.Run.Steps, c.Eval.Every, c.Loss.KLStatEvery = 7, 0, every
		res, err := Train(context.Background(), TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: ps, Correct: correct})
		if err != nil {
			t.Fatal(err)
		}
		return m, res.Steps
	}
	mA, a := run(1)
	mB, b := run(3)
	if len(a) != 7 || len(b) != 7 {
		t.Fatalf("logged %d and %d steps, want 7", len(a), len(b))
	}
	for i, w := range mA.Slab() {
		if w != mB.Slab()[i] {
			t.Fatalf("weights differ at %d: %g vs %g", i, w, mB.Slab()[i])
		}
	}
	for i := range a {
		logged := a[i].Step == 1 || a[i].Step%3 == 0 || a[i].Step == 7
		if math.IsNaN(a[i].KL) || math.IsNaN(b[i].KL) != !logged || (logged && a[i].KL != b[i].KL) {
			t.Errorf("step %d: KL %g (every step) vs %g (every 3rd; logged: %v)", a[i].Step, a[i].KL, b[i].KL, logged)
		}
		a[i].KL, b[i].KL, a[i].StepSeconds, b[i].StepSeconds = 0, 0, 0, 0
		ja, _ := a[i].MarshalJSON()
		jb, _ := b[i].MarshalJSON()
		if !bytes.Equal(ja, jb) {
			t.Errorf("step %d differs beyond the KL:\n%s\n%s", a[i].Step, ja, jb)
		}
	}
	// With a KL term the reference is needed on every step.
	c := Default()
	c.Loss.KL, c.Loss.KLCoef, c.Loss.KLStatEvery = string(K3), 0.01, 4
	tr := &trainer{cfg: c}
	for step := 1; step <= 5; step++ {
		if !tr.refNeeded(step) {
			t.Errorf("KL term: step %d skips the reference", step)
		}
	}
	c.Loss.KLStatEvery = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "kl_stat_every") {
		t.Errorf("kl_stat_every 0: %v", err)
	}
}
