//go:build cgo

package blas

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

typedef void (*terse_sgemm_fn)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
typedef void (*terse_setthreads_fn)(int);
typedef char* (*terse_config_fn)(void);

static terse_sgemm_fn terse_sgemm_p;
static terse_setthreads_fn terse_setthreads_p;
static terse_config_fn terse_config_p;

// terse_openblas_load opens OpenBLAS and resolves its symbols. It returns 0
// on success, 1 when no library opens, 2 when cblas_sgemm is missing.
static int terse_openblas_load(void) {
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) h = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) return 1;
	terse_sgemm_p = (terse_sgemm_fn)dlsym(h, "cblas_sgemm");
	if (!terse_sgemm_p) return 2;
	terse_setthreads_p = (terse_setthreads_fn)dlsym(h, "openblas_set_num_threads");
	terse_config_p = (terse_config_fn)dlsym(h, "openblas_get_config");
	return 0;
}

static void terse_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	// 101 = CblasRowMajor, 111 = CblasNoTrans, 112 = CblasTrans.
	terse_sgemm_p(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void terse_setthreads(int n) {
	if (terse_setthreads_p) terse_setthreads_p(n);
}

static const char *terse_config(void) {
	if (terse_config_p) return terse_config_p();
	return "";
}
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
)

// openBLAS calls cblas_sgemm through a function pointer resolved by dlsym.
type openBLAS struct {
	name string
}

var openOnce = sync.OnceValues(func() (*openBLAS, error) {
	switch C.terse_openblas_load() {
	case 0:
	case 1:
		return nil, fmt.Errorf("%w: dlopen libopenblas.so.0 and libopenblas.so failed", ErrNoOpenBLAS)
	default:
		return nil, fmt.Errorf("%w: cblas_sgemm not found in libopenblas", ErrNoOpenBLAS)
	}
	name := "openblas (runtime)"
	// openblas_get_config returns e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …".
	if f := strings.Fields(C.GoString(C.terse_config())); len(f) >= 2 && f[0] == "OpenBLAS" {
		name = "openblas " + f[1] + " (runtime)"
	}
	return &openBLAS{name: name}, nil
})

// OpenBLAS loads libopenblas.so.0 (or libopenblas.so) at run time. The
// library is opened once per process; later calls return the same backend.
func OpenBLAS() (Sgemm, error) {
	ob, err := openOnce()
	if err != nil {
		return nil, err
	}
	return ob, nil
}

func (o *openBLAS) Name() string { return o.name }

// SetThreads sets OpenBLAS's (process-wide) thread count.
func (o *openBLAS) SetThreads(n int) { C.terse_setthreads(C.int(max(n, 1))) }

func (o *openBLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	ta, tb := C.int(0), C.int(0)
	if transA {
		ta = 1
	}
	if transB {
		tb = 1
	}
	C.terse_sgemm(ta, tb, C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}
