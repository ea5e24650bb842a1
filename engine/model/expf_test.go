package model

import (
	"math"
	"testing"
)

func TestExpf(t *testing.T) {
	var maxRel float64
	for x := -87.0; x <= 88.3; x += 0.001 {
		got := float64(expf(float32(x)))
		want := math.Exp(float64(float32(x)))
		maxRel = max(maxRel, math.Abs(got-want)/want)
	}
	t.Logf("max relative error on [-87, 88.3]: %.2e", maxRel)
	if maxRel > 5e-7 {
		t.Fatalf("expf relative error %.2e > 5e-7", maxRel)
	}
	if expf(-1000) > 1e-37 || expf(1000) < 1e38 || expf(0) != 1 || expf(float32(math.Inf(-1))) > 1e-37 {
		t.Fatalf("edge cases: %g %g %g", expf(-1000), expf(1000), expf(0))
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Fatalf("expf(NaN) = %g", v)
	}
}

func BenchmarkExpf(b *testing.B) {
	var s float32
	for b.Loop() {
		for i := 0; i < 1000; i++ {
			s += expf(float32(i%50) * -0.1)
		}
	}
	_ = s
}
