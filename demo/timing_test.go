package demo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

func TestZZTiming(t *testing.T) {
	if os.Getenv("DEMO_TIMING") == "" {
		t.Skip()
	}
	o := lab.DefaultTrainOptions()
	o.Steps, o.BatchTokens, o.Warmup = 30, 4096, 5
	t0 := time.Now()
	r, err := lab.TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("base 30 steps: %v", time.Since(t0))
	train, _ := lab.TrainSplit(lab.Arith, 64, 1)
	c := rl.Default()
	c.Data.Difficulty = "all"
	c.Rollout.PromptsPerStep = 8
	c.Run.Steps = 3
	c.Run.Out = t.TempDir()
	c.Eval.Every = 0
	t0 = time.Now()
	res, err := rl.Train(context.Background(), rl.TrainInputs{Config: c, Policy: r.Model, Tokenizer: r.Tokenizer, Train: train, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3 GRPO steps P=8 N=8 L=256: %v", time.Since(t0))
	for _, s := range res.Steps {
		t.Logf("%s", s.Line())
	}
}
