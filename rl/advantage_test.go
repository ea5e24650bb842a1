package rl

import (
	"math"
	"testing"
)

func TestGroupAdvantages(t *testing.T) {
	const e = AdvantageEps
	s3 := math.Sqrt(1.0 / 3) // sample std of {1, 0, 0}
	tests := []struct {
		name    string
		rewards []float64
		masked  []bool
		normStd bool
		want    []float64
	}{
		{"grpo one of four", []float64{1, 0, 0, 0}, nil, true, []float64{0.75 / (0.5 + e), -0.25 / (0.5 + e), -0.25 / (0.5 + e), -0.25 / (0.5 + e)}},
		{"dr grpo one of four", []float64{1, 0, 0, 0}, nil, false, []float64{0.75, -0.25, -0.25, -0.25}},
		{"group of one: mean 0 std 1", []float64{0.7}, nil, true, []float64{0.7 / (1 + e)}},
		{"group of one dr grpo", []float64{0.7}, nil, false, []float64{0.7}},
		{"all equal", []float64{1, 1, 1}, nil, true, []float64{0, 0, 0}},
		{"all zero", []float64{0, 0}, nil, true, []float64{0, 0}},
		{"masked excluded from stats", []float64{1, 0, 5, 0}, []bool{false, false, true, false}, true,
			[]float64{(2.0 / 3) / (s3 + e), (-1.0 / 3) / (s3 + e), 0, (-1.0 / 3) / (s3 + e)}},
		{"one unmasked acts as group of one", []float64{1, 0.5}, []bool{true, false}, false, []float64{0, 0.5}},
		{"all masked", []float64{1, 0}, []bool{true, true}, true, []float64{0, 0}},
		{"kimi-like real rewards", []float64{1.2, -0.2}, nil, false, []float64{0.7, -0.7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GroupAdvantages(tc.rewards, tc.masked, tc.normStd)
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
}

func TestGroupAdvantagesErrors(t *testing.T) {
	if _, err := GroupAdvantages([]float64{1, 0}, []bool{true}, true); err == nil {
		t.Error("mask length mismatch accepted")
	}
	if _, err := GroupAdvantages([]float64{1, math.NaN()}, nil, true); err == nil {
		t.Error("NaN reward accepted")
	}
}
