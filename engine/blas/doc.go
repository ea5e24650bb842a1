// Package blas holds terse's float32 matrix multiply: the small Sgemm
// interface the engine calls, an OpenBLAS backend loaded at run time
// (dlopen of libopenblas.so.0, so `go build` needs neither OpenBLAS nor its
// headers, and a build without cgo simply lacks it), a pure-Go fallback, and
// Split, which runs one GEMM as several single-threaded calls in goroutines.
//
// Default picks OpenBLAS when it loads and the Go kernel otherwise; the
// environment variable TERSE_BLAS=go|openblas forces one.
//
// It imports nothing from terse.
package blas
