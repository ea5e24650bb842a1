package rl

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkObjective times Compute on a mini-batch of B rollouts of T
// tokens with KL and entropy terms on.
func BenchmarkObjective(b *testing.B) {
	for _, sz := range [][2]int{{64, 256}, {256, 1024}} {
		B, T := sz[0], sz[1]
		b.Run(fmt.Sprintf("%dx%d", B, T), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			seqs := make([]Sequence, B)
			logp, ent := make([][]float64, B), make([][]float64, B)
			for i := range seqs {
				s := Sequence{Advantage: rng.NormFloat64(), LogpOld: make([]float64, T), LogpRef: make([]float64, T)}
				logp[i], ent[i] = make([]float64, T), make([]float64, T)
				for t := range T {
					s.LogpOld[t] = -2 * rng.Float64()
					s.LogpRef[t] = s.LogpOld[t] + 0.1*rng.NormFloat64()
					logp[i][t] = s.LogpOld[t] + 0.2*rng.NormFloat64()
					ent[i][t] = rng.Float64()
				}
				seqs[i] = s
			}
			o := Objective{ClipLow: 0.2, ClipHigh: 0.28, KL: K3, KLCoef: 0.01, EntropyCoef: 0.001}
			if _, err := o.Compute(seqs, logp, ent); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := o.Compute(seqs, logp, ent); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(B*T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDiagnose times the detectors on an 800-step log (the paper's run length).
func BenchmarkDiagnose(b *testing.B) {
	r := trap
	r.steps = 800
	steps := r.logs(1)
	b.ReportAllocs()
	for b.Loop() {
		Diagnose(steps, DiagnoseOptions{TargetLen: 256})
	}
	b.ReportMetric(float64(len(steps))*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
