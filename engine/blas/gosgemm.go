package blas

import (
	"runtime"
	"sync"
)

// goSgemm is the pure-Go fallback: both operands are packed so that the
// inner loop is a dot product of two contiguous rows (A as m×k, B as n×k),
// then a 4×4 register-blocked kernel runs over column panels, with rows split
// across goroutines.
type goSgemm struct {
	threads int
	pool    sync.Pool // *[]float32 packing buffers
}

// NewGo returns the pure-Go backend using GOMAXPROCS goroutines per call.
func NewGo() Sgemm { return &goSgemm{threads: runtime.GOMAXPROCS(0)} }

func (g *goSgemm) Name() string { return "go" }

// SetThreads sets how many goroutines one call may use.
func (g *goSgemm) SetThreads(n int) { g.threads = max(n, 1) }

func (g *goSgemm) getBuf(n int) *[]float32 {
	if p, ok := g.pool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	buf := make([]float32, n)
	return &buf
}

// panelN is the column-panel width: a panel of packed B (panelN×k floats)
// stays in cache while every row of A passes over it.
const panelN = 64

func (g *goSgemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// ap is op(A) as m×k rows; bp is op(B)ᵀ as n×k rows.
	var ap, bp []float32
	var apBuf, bpBuf *[]float32
	if !transA && lda == k {
		ap = a[:m*k]
	} else {
		apBuf = g.getBuf(m * k)
		ap = *apBuf
		pack(ap, a, lda, m, k, transA)
	}
	if transB && ldb == k {
		bp = b[:n*k]
	} else {
		bpBuf = g.getBuf(n * k)
		bp = *bpBuf
		pack(bp, b, ldb, n, k, !transB)
	}
	// Split rows in multiples of 4 across goroutines when the work is big enough.
	workers := g.threads
	if flops := 2 * m * n * k; flops < 1<<17 {
		workers = 1
	}
	workers = min(workers, (m+3)/4)
	if workers <= 1 {
		gemmRows(0, m, n, k, alpha, ap, bp, beta, c, ldc)
	} else {
		var wg sync.WaitGroup
		chunk := ((m+workers-1)/workers + 3) &^ 3
		for lo := 0; lo < m; lo += chunk {
			hi := min(lo+chunk, m)
			wg.Add(1)
			go func() {
				defer wg.Done()
				gemmRows(lo, hi, n, k, alpha, ap, bp, beta, c, ldc)
			}()
		}
		wg.Wait()
	}
	if apBuf != nil {
		g.pool.Put(apBuf)
	}
	if bpBuf != nil {
		g.pool.Put(bpBuf)
	}
}

// pack copies the rows×cols matrix X (or Xᵀ when trans, X stored cols×rows)
// into dst as contiguous rows.
func pack(dst, x []float32, ld, rows, cols int, trans bool) {
	if !trans {
		for r := 0; r < rows; r++ {
			copy(dst[r*cols:(r+1)*cols], x[r*ld:r*ld+cols])
		}
		return
	}
	for cIdx := 0; cIdx < cols; cIdx++ {
		src := x[cIdx*ld : cIdx*ld+rows]
		for r, v := range src {
			dst[r*cols+cIdx] = v
		}
	}
}

// scaleC sets C = beta·C (C = 0 when beta is 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// store writes C[i,j] = alpha·s + beta·C[i,j].
func store(c []float32, idx int, alpha, beta, s float32) {
	if beta == 0 {
		c[idx] = alpha * s
	} else {
		c[idx] = alpha*s + beta*c[idx]
	}
}

// gemmRows computes rows [lo,hi) of C from packed ap (m×k) and bp (n×k).
func gemmRows(lo, hi, n, k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc int) {
	for j0 := 0; j0 < n; j0 += panelN {
		j1 := min(j0+panelN, n)
		i := lo
		for ; i+4 <= hi; i += 4 {
			a0 := ap[i*k : i*k+k]
			a1 := ap[(i+1)*k : (i+1)*k+k]
			a2 := ap[(i+2)*k : (i+2)*k+k]
			a3 := ap[(i+3)*k : (i+3)*k+k]
			j := j0
			for ; j+4 <= j1; j += 4 {
				b0 := bp[j*k : j*k+k]
				b1 := bp[(j+1)*k : (j+1)*k+k]
				b2 := bp[(j+2)*k : (j+2)*k+k]
				b3 := bp[(j+3)*k : (j+3)*k+k]
				var s00, s01, s02, s03, s10, s11, s12, s13 float32
				var s20, s21, s22, s23, s30, s31, s32, s33 float32
				for p := range a0 {
					x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
					y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
					s00 += x0 * y0
					s01 += x0 * y1
					s02 += x0 * y2
					s03 += x0 * y3
					s10 += x1 * y0
					s11 += x1 * y1
					s12 += x1 * y2
					s13 += x1 * y3
					s20 += x2 * y0
					s21 += x2 * y1
					s22 += x2 * y2
					s23 += x2 * y3
					s30 += x3 * y0
					s31 += x3 * y1
					s32 += x3 * y2
					s33 += x3 * y3
				}
				r0, r1, r2, r3 := i*ldc+j, (i+1)*ldc+j, (i+2)*ldc+j, (i+3)*ldc+j
				store(c, r0, alpha, beta, s00)
				store(c, r0+1, alpha, beta, s01)
				store(c, r0+2, alpha, beta, s02)
				store(c, r0+3, alpha, beta, s03)
				store(c, r1, alpha, beta, s10)
				store(c, r1+1, alpha, beta, s11)
				store(c, r1+2, alpha, beta, s12)
				store(c, r1+3, alpha, beta, s13)
				store(c, r2, alpha, beta, s20)
				store(c, r2+1, alpha, beta, s21)
				store(c, r2+2, alpha, beta, s22)
				store(c, r2+3, alpha, beta, s23)
				store(c, r3, alpha, beta, s30)
				store(c, r3+1, alpha, beta, s31)
				store(c, r3+2, alpha, beta, s32)
				store(c, r3+3, alpha, beta, s33)
			}
			for ; j < j1; j++ {
				bj := bp[j*k : j*k+k]
				for r, ar := range [4][]float32{a0, a1, a2, a3} {
					store(c, (i+r)*ldc+j, alpha, beta, dot(ar, bj))
				}
			}
		}
		for ; i < hi; i++ {
			ai := ap[i*k : i*k+k]
			for j := j0; j < j1; j++ {
				store(c, i*ldc+j, alpha, beta, dot(ai, bp[j*k:j*k+k]))
			}
		}
	}
}

// dot returns Σ x[i]·y[i] with four partial sums.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
