package lab

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkVerbose measures the teacher: verbose traces of training problems.
func BenchmarkVerbose(b *testing.B) {
	ps, err := TrainSplit(AllFamilies, 300, 1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Verbose(ps[0], rand.New(rand.NewPCG(1, 1))); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	n, tokens := 0, 0
	for b.Loop() {
		t, _ := Verbose(ps[n%len(ps)], rng)
		tokens += TokenLen(t)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "traces/s")
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTrainBase measures supervised training throughput of the base
// recipe: one run of a few steps per iteration, in completion tokens/s.
func BenchmarkTrainBase(b *testing.B) {
	for _, size := range []string{"micro", "tiny"} {
		b.Run(size+"-4096", func(b *testing.B) {
			o := DefaultTrainOptions()
			o.Size, o.Steps = size, 4
			tokens := 0
			for b.Loop() {
				r, err := TrainBase(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range r.Steps {
					tokens += s.Tokens
				}
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
