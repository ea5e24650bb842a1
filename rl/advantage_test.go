package rl

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGroupAdvantages(t *testing.T) {
	const e = AdvantageEps
	s3 := math.Sqrt(1.0 / 3) // sample std of {1, 0, 0}
	s8 := math.Sqrt(1.0 / 8) // sample std of one 1 among eight: √(N/(N−1)·p(1−p)), p = 1/8
	tests := []struct {
		name    string
		rewards []float64
		masked  []bool
		normStd bool
		stats   GroupStats
		want    []float64
	}{
		{"grpo one of four", []float64{1, 0, 0, 0}, nil, true, StatsWholeGroup, []float64{0.75 / (0.5 + e), -0.25 / (0.5 + e), -0.25 / (0.5 + e), -0.25 / (0.5 + e)}},
		{"dr grpo one of four", []float64{1, 0, 0, 0}, nil, false, StatsWholeGroup, []float64{0.75, -0.25, -0.25, -0.25}},
		{"group of one: mean 0 std 1", []float64{0.7}, nil, true, StatsWholeGroup, []float64{0.7 / (1 + e)}},
		{"group of one dr grpo", []float64{0.7}, nil, false, StatsUnmasked, []float64{0.7}},
		{"all equal", []float64{1, 1, 1}, nil, true, StatsWholeGroup, []float64{0, 0, 0}},
		{"all zero", []float64{0, 0}, nil, true, StatsWholeGroup, []float64{0, 0}},
		{"kimi-like real rewards", []float64{1.2, -0.2}, nil, false, StatsWholeGroup, []float64{0.7, -0.7}},
		// Whole group: masked rollouts count in mean and std at their
		// reported reward, get advantage 0.
		{"whole group: masked in the stats", []float64{1, 0, 0, 0}, []bool{false, true, false, true}, true, StatsWholeGroup,
			[]float64{0.75 / (0.5 + e), 0, -0.25 / (0.5 + e), 0}},
		{"whole group: −I, one short correct, seven masked wrong", []float64{1, 0, 0, 0, 0, 0, 0, 0}, []bool{false, true, true, true, true, true, true, true}, true, StatsWholeGroup,
			[]float64{0.875 / (s8 + e), 0, 0, 0, 0, 0, 0, 0}},
		{"whole group: all masked", []float64{1, 0}, []bool{true, true}, true, StatsWholeGroup, []float64{0, 0}},
		// Unmasked: mean and std over the unmasked rollouts only.
		{"unmasked: masked excluded from stats", []float64{1, 0, 5, 0}, []bool{false, false, true, false}, true, StatsUnmasked,
			[]float64{(2.0 / 3) / (s3 + e), (-1.0 / 3) / (s3 + e), 0, (-1.0 / 3) / (s3 + e)}},
		{"unmasked: one unmasked left has no baseline", []float64{1, 0.5}, []bool{true, false}, false, StatsUnmasked, []float64{0, 0}},
		{"unmasked: all masked", []float64{1, 0}, []bool{true, true}, true, StatsUnmasked, []float64{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GroupAdvantagesWith(tc.rewards, tc.masked, tc.normStd, tc.stats)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Fatalf("advantages %v, want %v", got, tc.want)
				}
			}
		})
	}
	// GroupAdvantages is the whole-group default.
	a, _ := GroupAdvantages([]float64{1, 0, 0, 0}, []bool{false, true, false, true}, false)
	b, _ := GroupAdvantagesWith([]float64{1, 0, 0, 0}, []bool{false, true, false, true}, false, StatsWholeGroup)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("GroupAdvantages %v, whole group %v", a, b)
		}
	}
}

func TestGroupAdvantagesErrors(t *testing.T) {
	if _, err := GroupAdvantages([]float64{1, 0}, []bool{true}, true); err == nil {
		t.Error("mask length mismatch accepted")
	}
	if _, err := GroupAdvantages([]float64{1, math.NaN()}, nil, true); err == nil {
		t.Error("NaN reward accepted")
	}
	if _, err := GroupAdvantagesWith([]float64{1, 0}, nil, true, "some"); err == nil {
		t.Error("unknown group statistics accepted")
	}
}

// maskIncorrect is the −I row of PAPER.md §4.6 for a group given as
// short-and-correct flags: reward 1 and unmasked when short and correct;
// every other rollout of this test is incorrect, so masked with reward 0.
func maskIncorrect(shortCorrect []bool) (rewards []float64, masked []bool) {
	for _, ok := range shortCorrect {
		if ok {
			rewards, masked = append(rewards, 1), append(masked, false)
		} else {
			rewards, masked = append(rewards, 0), append(masked, true)
		}
	}
	return rewards, masked
}

// TestSecondCorrectKeepsSignal is the property behind the whole-group
// default (PAPER.md §4.6, −I): over random groups, turning one more
// rollout of a group into a short correct answer never takes the learning
// signal from a short correct answer that had one. Under StatsWholeGroup
// its advantage stays positive as long as some rollout of the group is not
// short and correct (all-correct groups carry no signal under plain GRPO
// either), and the unmasked rollouts' advantages equal those of the same
// rewards unmasked (masking only removes loss terms). Its size shrinks as
// GRPO's always does when a success becomes less rare: with std
// normalisation from 2.47 (one of eight) to 1.62 (two of eight).
//
// Under StatsUnmasked the second correct answer does remove the signal
// (one short correct answer among masked wrong ones has no baseline;
// two have all-equal rewards): the test checks that too, so that the
// reason for the default stays visible.
func TestSecondCorrectKeepsSignal(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 0))
	for trial := range 2000 {
		n := 2 + rng.IntN(15)
		sc := make([]bool, n)
		for i := range sc {
			sc[i] = rng.Float64() < 0.3
		}
		first := rng.IntN(n)
		sc[first] = true
		var others []int
		for i := range sc {
			if !sc[i] {
				others = append(others, i)
			}
		}
		if len(others) == 0 {
			continue
		}
		second := others[rng.IntN(len(others))]
		normStd := trial%2 == 0

		r1, m1 := maskIncorrect(sc)
		before, err := GroupAdvantages(r1, m1, normStd)
		if err != nil {
			t.Fatal(err)
		}
		sc[second] = true
		r2, m2 := maskIncorrect(sc)
		after, err := GroupAdvantages(r2, m2, normStd)
		if err != nil {
			t.Fatal(err)
		}
		if !(before[first] > 0) {
			t.Fatalf("group %v: the short correct rollout %d has advantage %v before", sc, first, before[first])
		}
		allCorrect := len(others) == 1
		if !allCorrect && !(after[first] > 0 && after[second] > 0) {
			t.Fatalf("group %v (normStd %v): a second short correct answer (%d) leaves the first (%d) with advantage %v, itself %v",
				sc, normStd, second, first, after[first], after[second])
		}
		plain, _ := GroupAdvantages(r2, nil, normStd)
		for i := range r2 {
			if !m2[i] && math.Abs(plain[i]-after[i]) > 1e-12 {
				t.Fatalf("group %v: masking changed unmasked rollout %d's advantage %v → %v", sc, i, plain[i], after[i])
			}
		}
	}

	// The old reading's failure, kept visible: {1 short correct, 7 masked}
	// then {2 short correct, 6 masked}.
	r1, m1 := maskIncorrect([]bool{true, false, false, false, false, false, false, false})
	r2, m2 := maskIncorrect([]bool{true, true, false, false, false, false, false, false})
	u1, _ := GroupAdvantagesWith(r1, m1, true, StatsUnmasked)
	u2, _ := GroupAdvantagesWith(r2, m2, true, StatsUnmasked)
	if u1[0] != 0 || u2[0] != 0 {
		t.Errorf("unmasked statistics: advantages %v then %v, want no signal either way", u1[0], u2[0])
	}
	w1, _ := GroupAdvantages(r1, m1, true)
	w2, _ := GroupAdvantages(r2, m2, true)
	if math.Abs(w1[0]-2.4748) > 1e-3 || math.Abs(w2[0]-1.6202) > 1e-3 {
		t.Errorf("whole group: advantages %.4f then %.4f, want 2.4749 then 1.6202", w1[0], w2[0])
	}
}
