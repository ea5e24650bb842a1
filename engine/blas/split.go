package blas

import (
	"fmt"
	"sync"
)

// split runs one GEMM as several calls of a single-threaded backend on
// disjoint blocks of C, one goroutine each.
type split struct {
	inner Sgemm
	parts int
}

// minSplitFLOPs is the least work (2·m·n·k) worth a goroutine of its own.
const minSplitFLOPs = 1 << 18

// Split returns a backend that splits each call into up to parts goroutines
// over rows of C (over columns when C has too few rows), each calling inner.
// inner must be safe for concurrent calls on disjoint outputs and should be
// single-threaded (for OpenBLAS, SetThreads(1)), so the same GEMM is not
// parallelised twice. Split lets Go code that already runs in goroutines
// (attention per head) call inner directly while big GEMMs still use every
// core, without OpenBLAS worker threads spinning in between.
func Split(inner Sgemm, parts int) Sgemm {
	return &split{inner: inner, parts: max(parts, 1)}
}

func (s *split) Name() string { return fmt.Sprintf("%s ×%d goroutines", s.inner.Name(), s.parts) }

func (s *split) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	// Each part gets at least minSplitFLOPs of work.
	p := min(s.parts, 2*m*n*k/minSplitFLOPs)
	if p <= 1 || m == 0 || n == 0 {
		s.inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var wg sync.WaitGroup
	if m >= 16*p || m >= n {
		// Rows [lo,hi) of C need rows lo.. of op(A).
		chunk := (m + p - 1) / p
		for lo := 0; lo < m; lo += chunk {
			hi := min(lo+chunk, m)
			aOff := lo * lda
			if transA {
				aOff = lo
			}
			wg.Go(func() {
				s.inner.Sgemm(transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
			})
		}
	} else {
		// Columns [lo,hi) of C need columns lo.. of op(B).
		chunk := (n + p - 1) / p
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			bOff := lo
			if transB {
				bOff = lo * ldb
			}
			wg.Go(func() {
				s.inner.Sgemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[bOff:], ldb, beta, c[lo:], ldc)
			})
		}
	}
	wg.Wait()
}
