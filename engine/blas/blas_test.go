package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// naive computes C = alpha·op(A)·op(B) + beta·C in float64 with a triple loop.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float64(0)
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(float64(alpha)*s + old)
		}
	}
}

func backends(t testing.TB) []Sgemm {
	out := []Sgemm{NewGo(), Split(NewGo(), 3)}
	if ob, err := OpenBLAS(); err == nil {
		out = append(out, ob, Split(ob, 2))
	} else {
		t.Logf("skipping OpenBLAS: %v", err)
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {17, 9, 33}, {64, 65, 3}, {130, 70, 129}, {5, 200, 1}, {1, 300, 77}, {2, 2, 0}, {5, 1000, 80}}
	for _, be := range backends(t) {
		for _, sh := range shapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					m, n, k := sh[0], sh[1], sh[2]
					name := fmt.Sprintf("%s/%dx%dx%d/tA=%v,tB=%v/a=%g,b=%g", be.Name(), m, n, k, tr[0], tr[1], ab[0], ab[1])
					t.Run(name, func(t *testing.T) {
						// Padded leading dimensions exercise the strides.
						lda, ldb, ldc := k+3, n+1, n+2
						ar, br := m, k
						if tr[0] {
							lda, ar = m+2, k
						}
						if tr[1] {
							ldb, br = k+5, n
						}
						a := randSlice(r, ar*lda)
						b := randSlice(r, br*ldb)
						c := randSlice(r, m*ldc)
						if ab[1] == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // beta=0 must ignore C
							}
						}
						want := append([]float32(nil), c...)
						naive(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						be.Sgemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						var maxDiff float64
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								d := math.Abs(float64(c[i*ldc+j] - want[i*ldc+j]))
								if math.IsNaN(d) {
									d = math.Inf(1)
								}
								maxDiff = max(maxDiff, d/(1+math.Abs(float64(want[i*ldc+j]))))
							}
						}
						if maxDiff > 1e-4 {
							t.Fatalf("max relative diff %g > 1e-4", maxDiff)
						}
						// Padding columns of C must be untouched.
						for i := 0; i < m; i++ {
							for j := n; j < ldc; j++ {
								if c[i*ldc+j] != want[i*ldc+j] && !(math.IsNaN(float64(c[i*ldc+j])) && math.IsNaN(float64(want[i*ldc+j]))) {
									t.Fatalf("padding C[%d,%d] changed", i, j)
								}
							}
						}
					})
				}
			}
		}
	}
}

func TestSgemmShortBufferPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short A")
		}
	}()
	NewGo().Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

func TestDefaultEnv(t *testing.T) {
	t.Setenv("TERSE_BLAS", "go")
	s, err := Default()
	if err != nil || s.Name() != "go" {
		t.Fatalf("TERSE_BLAS=go: got %v, %v", s, err)
	}
	t.Setenv("TERSE_BLAS", "cuda")
	if _, err := Default(); err == nil {
		t.Fatal("TERSE_BLAS=cuda: want error")
	}
	t.Setenv("TERSE_BLAS", "")
	s, err = Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default backend: %s", s.Name())
}

// counting records how many calls reach the inner backend.
type counting struct {
	inner Sgemm
	calls atomic.Int32
}

func (c *counting) Name() string { return "counting" }

func (c *counting) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cc []float32, ldc int) {
	c.calls.Add(1)
	c.inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

func TestSplitParts(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, parts int
		want           int32
	}{{256, 256, 64, 2, 2}, {4, 1024, 64, 2, 2}, {256, 256, 64, 1, 1}, {8, 8, 8, 4, 1}} {
		c := &counting{inner: NewGo()}
		s := Split(c, tc.parts)
		a, b, out := make([]float32, tc.m*tc.k), make([]float32, tc.k*tc.n), make([]float32, tc.m*tc.n)
		s.Sgemm(false, false, tc.m, tc.n, tc.k, 1, a, tc.k, b, tc.n, 0, out, tc.n)
		if got := c.calls.Load(); got != tc.want {
			t.Errorf("%dx%dx%d parts=%d: %d inner calls, want %d", tc.m, tc.n, tc.k, tc.parts, got, tc.want)
		}
	}
}
