package blas

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm reports GFLOP/s (2·M·N·K per call) for each backend on the
// shapes the engine uses most (STACK.md's table).
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
	}{{"4096x384x128", 4096, 384, 128}, {"128x128x32", 128, 128, 32}, {"1024x1024x1024", 1024, 1024, 1024}}
	r := rand.New(rand.NewPCG(3, 4))
	for _, be := range backends(b) {
		for _, sh := range shapes {
			b.Run(be.Name()+"/"+sh.name, func(b *testing.B) {
				a := randSlice(r, sh.m*sh.k)
				bb := randSlice(r, sh.k*sh.n)
				c := make([]float32, sh.m*sh.n)
				b.ReportAllocs()
				for b.Loop() {
					be.Sgemm(false, false, sh.m, sh.n, sh.k, 1, a, sh.k, bb, sh.n, 0, c, sh.n)
				}
				b.ReportMetric(2*float64(sh.m)*float64(sh.n)*float64(sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
