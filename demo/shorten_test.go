package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// TestShortenFromLabBase is issue #7's end-to-end check: starting from the
// shipped lab base model, a few dozen steps of truncation-reward GRPO with
// L_T = L_R below the base's typical length on the add family measurably
// shorten rollouts, the run keeps solving problems, and the step log shows it.
//
// L_T = L_R = 192 sits inside the base's add lengths (≈ 130–240 tokens), so
// the first steps truncate about a third of the rollouts. The learning rate
// is the default rl.LabLR: 1e-3 collapsed accuracy to zero after one step.
func TestShortenFromLabBase(t *testing.T) {
	if testing.Short() {
		t.Skip("trains lab-base for a few dozen steps")
	}
	policy, tok, err := lab.LoadModel("lab-base")
	if err != nil {
		t.Fatal(err)
	}
	train, err := lab.TrainSplit(lab.Add, 64, 7)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := rl.Default()
	if err := cfg.SetAll([]string{
		"data.difficulty=all",
		"rollout.prompts_per_step=" + shortenPrompts,
		"rollout.group_size=8",
		"rollout.rollout_limit=" + shortenTarget,
		"reward.shape=truncation",
		"reward.target_len=" + shortenTarget,
		"optim.lr=" + shortenLR,
		"eval.every=0",
		"run.steps=" + shortenSteps,
		"run.seed=3",
		"run.checkpoint_every=0",
		"run.out=" + dir,
		"model.init=lab-base",
	}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := rl.Train(context.Background(), rl.TrainInputs{
		Config: cfg, Policy: policy, Tokenizer: tok, Train: train, Progress: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Logf("step log:\n%s", log.String())
	}
	if len(res.Steps) < 10 {
		t.Fatalf("got %d step logs, want ≥ 10", len(res.Steps))
	}
	// The log on disk must hold the same lengths as the returned records.
	disk, err := rl.ReadStepsFile(filepath.Join(dir, rl.StepsFile), rl.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(disk) != len(res.Steps) {
		t.Fatalf("steps.jsonl holds %d records, the run returned %d", len(disk), len(res.Steps))
	}
	if strings.Count(log.String(), "\n") < len(res.Steps) {
		t.Errorf("progress log has fewer lines than steps:\n%s", log.String())
	}
	mean := func(s []rl.StepLog, f func(rl.StepLog) float64) float64 {
		var sum float64
		for _, l := range s {
			sum += f(l)
		}
		return sum / float64(len(s))
	}
	length := func(l rl.StepLog) float64 { return l.MeanLength }
	acc := func(l rl.StepLog) float64 { return l.Accuracy }
	first, last := disk[:5], disk[len(disk)-5:]
	l0, l1 := mean(first, length), mean(last, length)
	a0, a1 := mean(first, acc), mean(last, acc)
	t.Logf("mean length: first 5 steps %.1f, last 5 steps %.1f (%.0f%% shorter); accuracy %.2f → %.2f",
		l0, l1, 100*(1-l1/l0), a0, a1)
	if !(l1 <= 0.85*l0) {
		t.Errorf("mean length of the last 5 steps %.1f is not ≥ 15%% below the first 5 steps' %.1f", l1, l0)
	}
	if !(a1 > 0.2) {
		t.Errorf("accuracy of the last 5 steps %.2f ≤ 0.2: the run collapsed", a1)
	}
	if _, err := os.Stat(filepath.Join(dir, rl.StepsFile)); err != nil {
		t.Error(err)
	}
}

// Sizes of TestShortenFromLabBase.
const (
	shortenPrompts = "8"
	shortenTarget  = "192"
	shortenLR      = "1e-4"
	shortenSteps   = "30"
)
