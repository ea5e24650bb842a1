package rl_test

import (
	"fmt"
	"math"

	"github.com/terse-dev/terse/rl"
)

func ExampleGroupAdvantages() {
	// One correct rollout out of four: GRPO divides by the group's std,
	// Dr. GRPO does not.
	grpo, _ := rl.GroupAdvantages([]float64{1, 0, 0, 0}, nil, true)
	drgrpo, _ := rl.GroupAdvantages([]float64{1, 0, 0, 0}, nil, false)
	fmt.Printf("GRPO    %.3f\nDr.GRPO %.3f\n", grpo, drgrpo)
	// Output:
	// GRPO    [1.500 -0.500 -0.500 -0.500]
	// Dr.GRPO [0.750 -0.250 -0.250 -0.250]
}

func ExampleObjective_Compute() {
	obj := rl.Objective{ClipLow: 0.2, ClipHigh: 0.28, Agg: rl.TokenMean}
	seqs := []rl.Sequence{{LogpOld: []float64{math.Log(0.5), math.Log(0.5)}, Advantage: 1}}
	// The new policy raised the first token's probability 0.5 → 0.75:
	// ratio 1.5 is above 1 + 0.28, so that token is clipped (no gradient).
	logpNew := [][]float64{{math.Log(0.75), math.Log(0.5)}}
	res, _ := obj.Compute(seqs, logpNew, nil)
	fmt.Printf("loss %.3f  dL/dlogp %.3f  clip fraction %.2f\n", res.Loss, res.DLogp[0], res.Stats.ClipFrac())
	// Output:
	// loss -1.140  dL/dlogp [0.000 -0.500]  clip fraction 0.50
}
