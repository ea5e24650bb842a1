package rl

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

var ln = math.Log

// handBatch is the batch whose values are worked out by hand in
// TestObjectiveAggregation: A=+1 ratios (1.2, 0.5); A=−1 ratios (0.6, 1, 1.5)
// where 0.6 < 1−0.2 is clipped; and a masked rollout that must not count.
func handBatch() ([]Sequence, [][]float64) {
	seqs := []Sequence{
		{LogpOld: []float64{ln(.5), ln(.5)}, Advantage: 1},
		{LogpOld: []float64{ln(.5), ln(.5), ln(.5)}, Advantage: -1},
		{LogpOld: []float64{ln(.5)}, Advantage: 5, Masked: true},
	}
	logp := [][]float64{{ln(.6), ln(.25)}, {ln(.3), ln(.5), ln(.75)}, {ln(.9)}}
	return seqs, logp
}

func TestObjectiveAggregation(t *testing.T) {
	// Per-token pg: seq0 −1.2, −0.5 (grads −1.2, −0.5); seq1 0.8 (clipped,
	// grad 0), 1, 1.5 (grads 1, 1.5). Sums: −1.7 over 2 tokens, 3.3 over 3.
	tests := []struct {
		agg  Agg
		loss float64
		grad [][]float64
	}{
		{TokenMean, (-1.7 + 3.3) / 5, [][]float64{{-1.2 / 5, -0.5 / 5}, {0, 1.0 / 5, 1.5 / 5}, {0}}},
		{SeqMeanTokenMean, (-1.7/2 + 3.3/3) / 2, [][]float64{{-1.2 / 4, -0.5 / 4}, {0, 1.0 / 6, 1.5 / 6}, {0}}},
		{SeqMeanTokenSum, (-1.7 + 3.3) / 2, [][]float64{{-1.2 / 2, -0.5 / 2}, {0, 1.0 / 2, 1.5 / 2}, {0}}},
	}
	for _, tc := range tests {
		t.Run(string(tc.agg), func(t *testing.T) {
			seqs, logp := handBatch()
			o := Objective{ClipLow: 0.2, ClipHigh: 0.28, Agg: tc.agg}
			res, err := o.Compute(seqs, logp, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Loss-tc.loss) > 1e-12 || math.Abs(res.PGLoss-tc.loss) > 1e-12 {
				t.Errorf("loss %v (pg %v), want %v", res.Loss, res.PGLoss, tc.loss)
			}
			for b := range tc.grad {
				for i := range tc.grad[b] {
					if math.Abs(res.DLogp[b][i]-tc.grad[b][i]) > 1e-12 {
						t.Errorf("dL/dlogp[%d] = %v, want %v", b, res.DLogp[b], tc.grad[b])
						break
					}
				}
			}
			st := res.Stats
			if st.Tokens != 5 || st.Seqs != 2 || st.Clipped != 1 || st.ClippedLow != 1 || st.ClippedHigh != 0 {
				t.Errorf("stats %+v: want 5 tokens, 2 seqs, 1 clipped (low)", st)
			}
			if math.Abs(st.ClipFrac()-0.2) > 1e-12 {
				t.Errorf("clip fraction %v, want 0.2", st.ClipFrac())
			}
			if math.Abs(st.MeanRatio()-(1.2+0.5+0.6+1+1.5)/5) > 1e-12 {
				t.Errorf("mean ratio %v", st.MeanRatio())
			}
			if !math.IsNaN(st.MeanKL()) || !math.IsNaN(st.MeanEntropy()) {
				t.Errorf("KL %v, entropy %v: want NaN without ref/entropy", st.MeanKL(), st.MeanEntropy())
			}
		})
	}
}

func TestObjectiveClipping(t *testing.T) {
	// One token each, token-mean, ClipLow 0.2, ClipHigh 0.28.
	tests := []struct {
		name            string
		adv, r          float64
		loss, grad      float64
		clipped, lo, hi int
	}{
		{"A>0 inside", 1, 1.1, -1.1, -1.1, 0, 0, 0},
		{"A>0 above clip-high", 1, 1.5, -1.28, 0, 1, 0, 1},
		{"A>0 below clip-low not clipped", 1, 0.5, -0.5, -0.5, 0, 0, 0},
		{"A<0 below clip-low", -2, 0.5, 1.6, 0, 1, 1, 0},
		{"A<0 above clip-high not clipped", -2, 1.5, 3, 3, 0, 0, 0},
		{"A<0 between 1+0.2 and 1+0.28 is inside", -1, 1.25, 1.25, 1.25, 0, 0, 0},
		{"A>0 between 1+0.2 and 1+0.28 is inside", 1, 1.25, -1.25, -1.25, 0, 0, 0},
		{"A=0", 0, 3, 0, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Objective{ClipLow: 0.2, ClipHigh: 0.28}
			seqs := []Sequence{{LogpOld: []float64{ln(.2)}, Advantage: tc.adv}}
			res, err := o.Compute(seqs, [][]float64{{ln(.2 * tc.r)}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Loss-tc.loss) > 1e-12 || math.Abs(res.DLogp[0][0]-tc.grad) > 1e-12 {
				t.Errorf("loss %v grad %v, want %v %v", res.Loss, res.DLogp[0][0], tc.loss, tc.grad)
			}
			if s := res.Stats; s.Clipped != tc.clipped || s.ClippedLow != tc.lo || s.ClippedHigh != tc.hi {
				t.Errorf("clipped %d (low %d high %d), want %d (%d %d)", s.Clipped, s.ClippedLow, s.ClippedHigh, tc.clipped, tc.lo, tc.hi)
			}
		})
	}
}

func TestObjectiveKL(t *testing.T) {
	// logp = ln 0.6, ref = ln 0.5, A = 0 so only the KL term remains.
	x := ln(.5 / .6)
	tests := []struct {
		kl         KLEstimator
		value, dkl float64
	}{
		{K1, ln(1.2), 1},
		{K3, 0.5/0.6 - x - 1, 1 - 0.5/0.6},
	}
	for _, tc := range tests {
		t.Run(string(tc.kl), func(t *testing.T) {
			o := Objective{ClipLow: 0.2, ClipHigh: 0.28, KL: tc.kl, KLCoef: 0.1}
			seqs := []Sequence{{LogpOld: []float64{ln(.6), ln(.6)}, LogpRef: []float64{ln(.5), ln(.5)}}}
			res, err := o.Compute(seqs, [][]float64{{ln(.6), ln(.6)}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.KL-tc.value) > 1e-12 || math.Abs(res.Loss-0.1*tc.value) > 1e-12 {
				t.Errorf("KL %v loss %v, want %v and %v", res.KL, res.Loss, tc.value, 0.1*tc.value)
			}
			if math.Abs(res.Stats.MeanKL()-tc.value) > 1e-12 {
				t.Errorf("mean KL stat %v, want %v", res.Stats.MeanKL(), tc.value)
			}
			for _, g := range res.DLogp[0] {
				if math.Abs(g-0.1*tc.dkl/2) > 1e-12 {
					t.Errorf("dL/dlogp %v, want %v", res.DLogp[0], 0.1*tc.dkl/2)
				}
			}
		})
	}
	t.Run("k3 clamp", func(t *testing.T) {
		o := Objective{KL: K3, KLCoef: 1}
		seqs := []Sequence{{LogpOld: []float64{-20}, LogpRef: []float64{-0.01}}}
		res, err := o.Compute(seqs, [][]float64{{-20}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.KL != KLClamp || res.DLogp[0][0] != 0 {
			t.Errorf("clamped k3 %v grad %v, want %v and 0", res.KL, res.DLogp[0][0], KLClamp)
		}
	})
	t.Run("monitor without term", func(t *testing.T) {
		o := Objective{ClipLow: 0.2, ClipHigh: 0.28}
		seqs := []Sequence{{LogpOld: []float64{ln(.6)}, LogpRef: []float64{ln(.5)}}}
		res, err := o.Compute(seqs, [][]float64{{ln(.6)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Loss != 0 || res.DLogp[0][0] != 0 || math.Abs(res.Stats.MeanKL()-(0.5/0.6-x-1)) > 1e-12 {
			t.Errorf("loss %v grad %v KL stat %v: want 0, 0, k3", res.Loss, res.DLogp[0][0], res.Stats.MeanKL())
		}
	})
	t.Run("missing ref", func(t *testing.T) {
		o := Objective{KL: K1, KLCoef: 0.1}
		_, err := o.Compute([]Sequence{{LogpOld: []float64{-1}}}, [][]float64{{-1}}, nil)
		if !errors.Is(err, ErrNoRef) {
			t.Errorf("err %v, want ErrNoRef", err)
		}
	})
}

func TestObjectiveEntropyAndMask(t *testing.T) {
	o := Objective{ClipLow: 0.2, ClipHigh: 0.28, EntropyCoef: 0.01}
	seqs := []Sequence{{LogpOld: []float64{-1, -1, -1}, Mask: []bool{true, false, true}}}
	res, err := o.Compute(seqs, [][]float64{{-1, -1, -1}}, [][]float64{{2, 100, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Entropy-2.5) > 1e-12 || math.Abs(res.Loss+0.025) > 1e-12 {
		t.Errorf("entropy %v loss %v, want 2.5 and −0.025", res.Entropy, res.Loss)
	}
	want := []float64{-0.005, 0, -0.005}
	for i, g := range res.DEntropy[0] {
		if math.Abs(g-want[i]) > 1e-12 {
			t.Errorf("dL/dentropy %v, want %v", res.DEntropy[0], want)
		}
	}
	if res.Stats.Tokens != 2 || math.Abs(res.Stats.MeanEntropy()-2.5) > 1e-12 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestObjectiveAllMasked(t *testing.T) {
	o := Objective{ClipLow: 0.2, ClipHigh: 0.28}
	seqs := []Sequence{{LogpOld: []float64{-1}, Advantage: 1, Masked: true}}
	res, err := o.Compute(seqs, [][]float64{{-0.5}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Loss != 0 || res.DLogp[0][0] != 0 || res.Stats.Tokens != 0 || !math.IsNaN(res.Stats.ClipFrac()) {
		t.Errorf("all-masked batch: %+v", res)
	}
}

func TestObjectiveErrors(t *testing.T) {
	bad := []Objective{
		{ClipLow: 1},
		{ClipLow: -0.1},
		{ClipHigh: math.NaN()},
		{Agg: "seq-sum"},
		{KL: "k2"},
		{KLCoef: 0.1},
		{EntropyCoef: -1},
	}
	for _, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v validated", o)
		}
	}
	o := Objective{ClipLow: 0.2, ClipHigh: 0.28}
	if _, err := o.Compute([]Sequence{{LogpOld: []float64{-1, -1}}}, [][]float64{{-1}}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("short logp row: %v", err)
	}
	if _, err := o.Compute([]Sequence{{LogpOld: []float64{-1}}}, nil, nil); !errors.Is(err, ErrShape) {
		t.Errorf("missing logp rows: %v", err)
	}
	if _, err := o.Compute([]Sequence{{LogpOld: []float64{-1}, Mask: []bool{}}}, [][]float64{{-1}}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("short mask: %v", err)
	}
}

// randomBatch builds a batch whose ratios stay away from the clip bounds.
func randomBatch(rng *rand.Rand, withRef bool) ([]Sequence, [][]float64, [][]float64) {
	B := 4
	seqs := make([]Sequence, B)
	logp := make([][]float64, B)
	ent := make([][]float64, B)
	for b := range B {
		T := 1 + rng.IntN(6)
		s := Sequence{Advantage: rng.NormFloat64(), LogpOld: make([]float64, T), Mask: make([]bool, T)}
		if withRef {
			s.LogpRef = make([]float64, T)
		}
		logp[b] = make([]float64, T)
		ent[b] = make([]float64, T)
		for t := range T {
			s.LogpOld[t] = -3 * rng.Float64()
			// Ratios in (0.5, 1.6), at least 0.01 from 0.8 and 1.28.
			var r float64
			for {
				r = 0.5 + 1.1*rng.Float64()
				if math.Abs(r-0.8) > 0.01 && math.Abs(r-1.28) > 0.01 {
					break
				}
			}
			logp[b][t] = s.LogpOld[t] + math.Log(r)
			if withRef {
				s.LogpRef[t] = logp[b][t] + 0.5*rng.NormFloat64()
			}
			s.Mask[t] = rng.Float64() < 0.8
			ent[b][t] = 3 * rng.Float64()
		}
		s.Masked = b == 2
		seqs[b] = s
	}
	return seqs, logp, ent
}

// TestObjectiveFiniteDifference checks dL/dlogp and dL/dentropy against
// central differences of the loss value, for every aggregation and KL.
func TestObjectiveFiniteDifference(t *testing.T) {
	const h, tol = 1e-6, 1e-7
	for _, agg := range []Agg{TokenMean, SeqMeanTokenMean, SeqMeanTokenSum} {
		for _, kl := range []KLEstimator{KLNone, K1, K3} {
			t.Run(string(agg)+"/"+string(kl), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, uint64(len(agg))))
				o := Objective{ClipLow: 0.2, ClipHigh: 0.28, Agg: agg, KL: kl, EntropyCoef: 0.03}
				if kl != KLNone {
					o.KLCoef = 0.2
				}
				seqs, logp, ent := randomBatch(rng, kl != KLNone)
				res, err := o.Compute(seqs, logp, ent)
				if err != nil {
					t.Fatal(err)
				}
				loss := func() float64 {
					r, err := o.Compute(seqs, logp, ent)
					if err != nil {
						t.Fatal(err)
					}
					return r.Loss
				}
				maxDiff := 0.0
				for b := range logp {
					for i := range logp[b] {
						for _, x := range []struct {
							v *float64
							g float64
						}{{&logp[b][i], res.DLogp[b][i]}, {&ent[b][i], res.DEntropy[b][i]}} {
							old := *x.v
							*x.v = old + h
							lp := loss()
							*x.v = old - h
							lm := loss()
							*x.v = old
							fd := (lp - lm) / (2 * h)
							maxDiff = max(maxDiff, math.Abs(fd-x.g))
							if math.Abs(fd-x.g) > tol {
								t.Errorf("seq %d token %d: analytic %v, finite difference %v", b, i, x.g, fd)
							}
						}
					}
				}
				t.Logf("max |analytic − finite difference| = %.2g", maxDiff)
			})
		}
	}
}

// TestObjectiveMicroBatches checks that Accumulate over parts with shared
// Weights adds up to Compute on the whole mini-batch.
func TestObjectiveMicroBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	o := Objective{ClipLow: 0.2, ClipHigh: 0.28, Agg: SeqMeanTokenMean, KL: K3, KLCoef: 0.05, EntropyCoef: 0.01}
	seqs, logp, ent := randomBatch(rng, true)
	whole, err := o.Compute(seqs, logp, ent)
	if err != nil {
		t.Fatal(err)
	}
	w, err := o.Weights(seqs)
	if err != nil {
		t.Fatal(err)
	}
	var sum Value
	for b := range seqs {
		d := make([]float64, len(logp[b]))
		de := make([]float64, len(logp[b]))
		v, err := o.Accumulate(seqs[b], w[b], logp[b], ent[b], d, de)
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(v)
		for i := range d {
			if d[i] != whole.DLogp[b][i] || de[i] != whole.DEntropy[b][i] {
				t.Fatalf("seq %d grads differ", b)
			}
		}
	}
	if math.Abs(sum.Loss-whole.Loss) > 1e-14 || sum.Stats != whole.Stats {
		t.Errorf("micro-batch sum %+v, whole %+v", sum, whole.Value)
	}
}
