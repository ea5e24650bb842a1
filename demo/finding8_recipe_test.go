package demo

import (
	"math"
	"testing"
)

func TestFindingRecipe(t *testing.T) {
	base := spec{noise: 0.02, lenNoise: 0.03}
	for _, tc := range []struct {
		name    string
		seeds   []uint64
		trained spec
		want    string
	}{
		{"−30% at equal Mean@k", []uint64{1}, spec{noise: 0.02, lenFactor: 0.7, lenNoise: 0.03}, Yes},
		{"−30% at equal Mean@k, three seeds", []uint64{1, 2, 3}, spec{noise: 0.02, lenFactor: 0.7, lenNoise: 0.03}, Yes},
		{"−30% but less accurate", []uint64{1}, spec{shift: -0.15, noise: 0.02, lenFactor: 0.7, lenNoise: 0.03}, No},
		{"only −3%", []uint64{1}, spec{noise: 0.02, lenFactor: 0.97, lenNoise: 0.03}, No},
		{"−11%: not clearly past −10%", []uint64{1}, spec{noise: 0.02, lenFactor: 0.89, lenNoise: 0.3}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(tc.seeds...).add(baseRun, base).add(Baseline, tc.trained)
			v := w.decide(findingRecipe)
			checkVerdict(t, v, tc.want)
			if got := v.Numbers["length_change"]; math.Abs(got-(tc.trained.lenFactor-1)) > 0.05 {
				t.Errorf("length_change %.3f, want ≈ %.2f", got, tc.trained.lenFactor-1)
			}
		})
	}
}
