package demo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTQuantile checks tQuantile against Student's t table values
// (two-sided 95% and 90%).
func TestTQuantile(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		df   int
		want float64
	}{
		{0.975, 1, 12.706}, {0.975, 2, 4.303}, {0.975, 3, 3.182}, {0.975, 5, 2.571}, {0.975, 10, 2.228},
		{0.975, 30, 2.042}, {0.975, 99, 1.984}, {0.975, 100000, 1.960},
		{0.95, 3, 2.353}, {0.95, 10, 1.812}, {0.95, 99, 1.660}, {0.05, 10, -1.812},
	} {
		if got := tQuantile(tc.p, tc.df); math.Abs(got-tc.want) > 0.005 {
			t.Errorf("tQuantile(%v, %d) = %.4f, want %.3f", tc.p, tc.df, got, tc.want)
		}
	}
	if !math.IsNaN(tQuantile(0.975, 0)) || !math.IsNaN(tQuantile(1, 5)) {
		t.Error("tQuantile accepts df 0 or p 1")
	}
}

// noisy returns n per-problem scores: base[i] + shift + uniform noise of
// ±noise, clamped to [0, 1].
func noisyScores(base []float64, shift, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, len(base))
	for i, b := range base {
		out[i] = min(1, max(0, b+shift+noise*(2*rng.Float64()-1)))
	}
	return out
}

// spread is n problems of base Mean@k from 0.2 to 0.8.
func spread(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 0.2 + 0.6*float64(i%7)/6
	}
	return out
}

func TestCompare(t *testing.T) {
	base := spread(60)
	one := func(x []float64) [][]float64 { return [][]float64{x} }
	b := one(base)
	for _, tc := range []struct {
		name                     string
		a                        [][]float64
		beats, loses, equivalent bool
		degenerate               bool
	}{
		{"clear gain", one(noisyScores(base, 0.15, 0.05, 1)), true, false, false, false},
		{"clear loss", one(noisyScores(base, -0.15, 0.05, 1)), false, true, false, false},
		// Significant but inside the margin: both.
		{"tiny gain, tight band", one(noisyScores(base, 0.005, 0.02, 1)), true, false, true, false},
		{"no change, tight band", one(noisyScores(base, 0, 0.02, 3)), false, false, true, false},
		{"noise only", one(noisyScores(base, 0.04, 0.4, 1)), false, false, false, false},
		{"length mismatch", one(base[:59]), false, false, false, true},
		{"NaN", one(append(append([]float64{}, base[:59]...), math.NaN())), false, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := compare(tc.a, b)
			if c.beats() != tc.beats || c.loses() != tc.loses || c.equivalent(MarginMeanAtK) != tc.equivalent || (c.Degenerate != "") != tc.degenerate {
				t.Errorf("beats %v loses %v equivalent %v degenerate %q, want %v %v %v %v: %s",
					c.beats(), c.loses(), c.equivalent(MarginMeanAtK), c.Degenerate, tc.beats, tc.loses, tc.equivalent, tc.degenerate, c)
			}
		})
	}
	// Floors and ceilings say nothing.
	zero, ones := make([]float64, 10), make([]float64, 10)
	for i := range ones {
		ones[i] = 1
	}
	if c := compare(one(zero), one(zero)); c.ok() || c.equivalent(1) {
		t.Errorf("all-zero runs compared: %s", c)
	}
	if c := compare(one(ones), one(ones)); c.ok() {
		t.Errorf("all-one runs compared: %s", c)
	}
	if c := compare(one(base), one(base)); c.ok() || c.equivalent(1) {
		t.Errorf("identical runs (band of width 0) compared: %s", c)
	}
	if c := compare(one(base[:1]), one(base[:1])); c.ok() {
		t.Errorf("one problem compared: %s", c)
	}
}

// TestCompareSeeds: pooling over seeds. A gain that every seed shows is
// found; a pooled gain driven by one seed while another seed goes the other
// way is not (sign agreement); a training-seed shift that moves whole runs
// widens the band through the seed-level standard error.
func TestCompareSeeds(t *testing.T) {
	base := spread(60)
	b := [][]float64{base, base, base}
	c := compare([][]float64{noisyScores(base, 0.1, 0.05, 1), noisyScores(base, 0.08, 0.05, 2), noisyScores(base, 0.12, 0.05, 3)}, b)
	if !c.beats() || len(c.SeedDiffs) != 3 {
		t.Errorf("consistent gain over three seeds: %s", c)
	}
	c = compare([][]float64{noisyScores(base, 0.3, 0.02, 1), noisyScores(base, 0.1, 0.02, 2), noisyScores(base, -0.05, 0.02, 3)}, b)
	if c.beats() {
		t.Errorf("a gain with one seed against it counts: %s", c)
	}
	if !(c.SESeeds > c.SEProblems) || c.SE != c.SESeeds {
		t.Errorf("seed-level error %v should exceed the problem-level %v and be used", c.SESeeds, c.SEProblems)
	}
	// Equivalence needs every seed inside the margin.
	c = compare([][]float64{noisyScores(base, 0.0, 0.01, 1), noisyScores(base, 0.07, 0.01, 2), noisyScores(base, -0.06, 0.01, 3)}, b)
	if c.equivalent(MarginMeanAtK) {
		t.Errorf("equivalent although two seeds lie outside ±δ: %s", c)
	}
	// Seeds with different problems cannot be pooled.
	if c := compare([][]float64{base, base[:30]}, [][]float64{base, base[:30]}); c.ok() {
		t.Errorf("different problem counts pooled: %s", c)
	}
}
