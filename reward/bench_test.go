package reward

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkRewards measures every shape on groups of 8 (the paper's N) and
// 1024 rollouts, in rewards/s.
func BenchmarkRewards(b *testing.B) {
	for _, n := range []int{8, 1024} {
		rng := rand.New(rand.NewPCG(3, 4))
		g := make(Group, n)
		for i := range g {
			g[i] = Rollout{Correct: rng.IntN(2) == 0, Tokens: rng.IntN(16384), Truncated: rng.IntN(10) == 0}
		}
		for _, name := range Names() {
			s := MustParse(name)
			if len(s.Rewards(g)) != n {
				b.Fatalf("%s: wrong outcome count", name)
			}
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s.Rewards(g)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rewards/s")
			})
		}
	}
}
