package blas

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major float32
// matrices, where op(X) is X or Xᵀ. op(A) is m×k, op(B) is k×n and C is m×n.
// lda, ldb and ldc are the row strides of A, B and C as stored (for a
// transposed A stored k×m, lda ≥ m). When beta is 0, C is overwritten and its
// old contents (even NaN) are ignored.
//
// Implementations may use several threads inside one call; callers must not
// run two calls on the same C concurrently. Concurrent calls on disjoint
// outputs are safe but may oversubscribe the cores.
type Sgemm interface {
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// Name reports the backend, e.g. "openblas 0.3.21 (runtime)" or "go".
	Name() string
}

// Threaded is implemented by backends whose thread count can be set.
type Threaded interface {
	// SetThreads sets the number of threads one call may use (≥ 1).
	SetThreads(n int)
}

var (
	// ErrNoOpenBLAS reports that the OpenBLAS shared library could not be
	// loaded (not installed, or a build without cgo).
	ErrNoOpenBLAS = errors.New("blas: OpenBLAS not available")
	// ErrUnknownBackend reports a TERSE_BLAS value other than go or openblas.
	ErrUnknownBackend = errors.New("blas: unknown backend")
)

// Default returns the backend named by TERSE_BLAS ("go" or "openblas"), or,
// when it is unset, OpenBLAS if it loads and the Go kernel otherwise.
// OpenBLAS's (process-wide) thread count is set to GOMAXPROCS when the
// library is first loaded, not on later calls, so a caller that chose
// another count (engine/model uses 1 and splits GEMMs itself) keeps it. An
// explicit TERSE_BLAS=openblas that cannot load is an error rather than a
// silent fallback.
func Default() (Sgemm, error) {
	switch v := os.Getenv("TERSE_BLAS"); v {
	case "go":
		return NewGo(), nil
	case "openblas":
		ob, err := openBLASDefault()
		if err != nil {
			return nil, fmt.Errorf("blas: TERSE_BLAS=openblas: %w", err)
		}
		return ob, nil
	case "":
		if ob, err := openBLASDefault(); err == nil {
			return ob, nil
		}
		return NewGo(), nil
	default:
		return nil, fmt.Errorf("%w: TERSE_BLAS=%q (want go or openblas)", ErrUnknownBackend, v)
	}
}

// openBLASDefault loads OpenBLAS and sets GOMAXPROCS threads once.
var openBLASDefault = sync.OnceValues(func() (Sgemm, error) {
	ob, err := OpenBLAS()
	if err != nil {
		return nil, err
	}
	setThreads(ob, runtime.GOMAXPROCS(0))
	return ob, nil
})

func setThreads(s Sgemm, n int) {
	if t, ok := s.(Threaded); ok {
		t.SetThreads(n)
	}
}

// checkArgs panics with a clear message when a buffer is too short for the
// shapes; a BLAS library would otherwise read out of bounds.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, buf []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("blas: ld%s=%d < %d columns", name, ld, cols))
		}
		if len(buf) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("blas: %s has %d elements, need %d for %d×%d with ld %d", name, len(buf), (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	need("a", a, ar, ac, lda)
	need("b", b, br, bc, ldb)
	need("c", c, m, n, ldc)
}
