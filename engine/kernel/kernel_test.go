package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestExp(t *testing.T) {
	var maxRel float64
	for x := -87.0; x <= 88.3; x += 0.001 {
		got := float64(Exp(float32(x)))
		want := math.Exp(float64(float32(x)))
		maxRel = max(maxRel, math.Abs(got-want)/want)
	}
	t.Logf("max relative error on [-87, 88.3]: %.2e", maxRel)
	if maxRel > 5e-7 {
		t.Fatalf("Exp relative error %.2e > 5e-7", maxRel)
	}
	if Exp(-1000) > 1e-37 || Exp(1000) < 1e38 || Exp(0) != 1 || Exp(float32(math.Inf(-1))) > 1e-37 {
		t.Fatalf("edge cases: %g %g %g", Exp(-1000), Exp(1000), Exp(0))
	}
	if v := Exp(float32(math.NaN())); v == v {
		t.Fatalf("Exp(NaN) = %g", v)
	}
}

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = (2*r.Float32() - 1) * scale
	}
	return s
}

// bitsEqual reports the first index where a and b differ bit for bit.
func bitsEqual(a, b []float32) (int, bool) {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestSwiGLU: the kernel in use equals the Go reference bit for bit, and the
// reference is within float32 rounding of silu(g)·u computed in float64.
func TestSwiGLU(t *testing.T) {
	t.Logf("kernels: %s", Name())
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 16, 33, 1000, 4099} {
		gate, up := randSlice(r, n, 12), randSlice(r, n, 3)
		gate[0] = -100 // saturated σ
		out, sig := make([]float32, n), make([]float32, n)
		SwiGLU(out, sig, gate, up)
		ref, refSig := make([]float32, n), make([]float32, n)
		swigluRef(ref, refSig, gate, up)
		if i, ok := bitsEqual(out, ref); !ok {
			t.Fatalf("n=%d: out[%d] = %g, reference %g", n, i, out[i], ref[i])
		}
		if i, ok := bitsEqual(sig, refSig); !ok {
			t.Fatalf("n=%d: sig[%d] = %g, reference %g", n, i, sig[i], refSig[i])
		}
		for i := range gate {
			g := float64(gate[i])
			want := g / (1 + math.Exp(-g)) * float64(up[i])
			if math.Abs(float64(ref[i])-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("n=%d: reference[%d] = %g, float64 %g", n, i, ref[i], want)
			}
		}
		// In place over gate, without sig.
		inPlace := append([]float32(nil), gate...)
		SwiGLU(inPlace, nil, inPlace, up)
		if i, ok := bitsEqual(inPlace, ref); !ok {
			t.Fatalf("n=%d in place: [%d] = %g, reference %g", n, i, inPlace[i], ref[i])
		}
	}
}

// attendFloat64 is attention computed plainly in float64.
func attendFloat64(q []float32, G, D int, k, v []float32, ld, n int, scale float32) []float64 {
	y := make([]float64, G*D)
	for g := 0; g < G; g++ {
		s := make([]float64, n)
		mx := math.Inf(-1)
		for j := range s {
			for d := 0; d < D; d++ {
				s[j] += float64(q[g*D+d]) * float64(k[j*ld+d])
			}
			s[j] *= float64(scale)
			mx = max(mx, s[j])
		}
		var sum float64
		for j := range s {
			s[j] = math.Exp(s[j] - mx)
			sum += s[j]
		}
		for j := range s {
			for d := 0; d < D; d++ {
				y[g*D+d] += s[j] / sum * float64(v[j*ld+d])
			}
		}
	}
	return y
}

// TestAttend: the kernel in use equals the Go reference bit for bit on
// random shapes (head sizes below, at and above the lane width, caches of 1
// to 300 positions), and both are within 1e-5 of float64 attention.
func TestAttend(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ G, D, n, ld int }{
		{1, 1, 1, 1}, {2, 8, 5, 16}, {2, 32, 1, 64}, {2, 32, 17, 64}, {4, 64, 300, 128},
		{1, 128, 33, 128}, {3, 20, 40, 60}, {8, 16, 16, 32},
	} {
		q := randSlice(r, c.G*c.D, 2)
		k := randSlice(r, (c.n-1)*c.ld+c.D, 2)
		v := randSlice(r, (c.n-1)*c.ld+c.D, 1)
		scale := float32(1 / math.Sqrt(float64(c.D)))
		y, ref := make([]float32, c.G*c.D), make([]float32, c.G*c.D)
		Attend(y, q, c.G, c.D, k, v, c.ld, c.n, scale, make([]float32, c.n+3))
		attendRef(ref, q, c.G, c.D, k, v, c.ld, c.n, scale, make([]float32, c.n))
		if i, ok := bitsEqual(y, ref); !ok {
			t.Fatalf("%+v: y[%d] = %g, reference %g", c, i, y[i], ref[i])
		}
		want := attendFloat64(q, c.G, c.D, k, v, c.ld, c.n, scale)
		var maxDiff float64
		for i := range want {
			maxDiff = max(maxDiff, math.Abs(float64(y[i])-want[i]))
		}
		if maxDiff > 1e-5 {
			t.Fatalf("%+v: max |y − float64| = %.2e", c, maxDiff)
		}
	}
}

func TestSizeChecks(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("SwiGLU short out", func() { SwiGLU(make([]float32, 2), nil, make([]float32, 3), make([]float32, 3)) })
	mustPanic("SwiGLU short sig", func() { SwiGLU(make([]float32, 3), make([]float32, 1), make([]float32, 3), make([]float32, 3)) })
	mustPanic("Attend short k", func() {
		Attend(make([]float32, 4), make([]float32, 4), 1, 4, make([]float32, 7), make([]float32, 8), 4, 2, 1, make([]float32, 2))
	})
	mustPanic("Attend short scores", func() {
		Attend(make([]float32, 4), make([]float32, 4), 1, 4, make([]float32, 8), make([]float32, 8), 4, 2, 1, make([]float32, 1))
	})
	SwiGLU(nil, nil, nil, nil) // empty is fine
}

func BenchmarkExp(b *testing.B) {
	var s float32
	for b.Loop() {
		for i := 0; i < 1000; i++ {
			s += Exp(float32(i%50) * -0.1)
		}
	}
	_ = s
}

// BenchmarkSwiGLU: one decode step's activation of lab-base (32 rows × 384).
func BenchmarkSwiGLU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 32 * 384
	gate, up, out := randSlice(r, n, 4), randSlice(r, n, 1), make([]float32, n)
	b.SetBytes(int64(12 * n))
	b.Run(Name(), func(b *testing.B) {
		for b.Loop() {
			SwiGLU(out, nil, gate, up)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			swigluRef(out, nil, gate, up)
		}
	})
}

// BenchmarkAttend: one KV head (2 query heads, D=32, lab-base's shape) over
// a cache of n positions; keys/s counts cached positions read per second.
func BenchmarkAttend(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{128, 1024} {
		G, D, ld := 2, 32, 64
		q, k, v := randSlice(r, G*D, 1), randSlice(r, n*ld, 1), randSlice(r, n*ld, 1)
		y, sc := make([]float32, G*D), make([]float32, n)
		for _, impl := range []struct {
			name string
			f    func(y, q []float32, G, D int, k, v []float32, ld, n int, scale float32, scores []float32)
		}{{Name(), Attend}, {"go", attendRef}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, impl.name), func(b *testing.B) {
				for b.Loop() {
					impl.f(y, q, G, D, k, v, ld, n, 0.17, sc)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}
