package data_test

import (
	"fmt"

	"github.com/terse-dev/terse/data"
)

// ExamplePositiveDensity: two prompts profiled with 4 rollouts at L_R =
// 100. At L_T = 20 the first has p = 1/4 (one correct rollout within 20
// tokens), the second p = 0. Groups of N = 8 hold a positive with
// probability 1 − (3/4)^8 ≈ 0.90 and 0.
func ExamplePositiveDensity() {
	recs := []data.Record{
		{Benchmark: "b", ID: "easy-ish", RolloutLimit: 100, Samples: 4, Correct: 2, CorrectLengths: []int{15, 60}},
		{Benchmark: "b", ID: "long", RolloutLimit: 100, Samples: 4, Correct: 1, CorrectLengths: []int{90}},
	}
	d, err := data.PositiveDensity(recs, 20, 8)
	if err != nil {
		panic(err)
	}
	fmt.Printf("rollout density %.3f, groups with a positive %.3f (est), %.3f (observed)\n",
		d.RolloutDensity, d.GroupsWithPositive, d.ObservedGroupsWithPositive)
	// Output: rollout density 0.125, groups with a positive 0.450 (est), 0.500 (observed)
}
