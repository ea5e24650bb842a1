// Package blas holds terse's float32 matrix multiply: the small Sgemm
// interface the engine calls, an OpenBLAS backend loaded at run time
// (dlopen, so `go build` needs no OpenBLAS), and a pure-Go fallback.
//
// Default picks OpenBLAS when libopenblas.so.0 loads and the Go kernel
// otherwise; the environment variable TERSE_BLAS=go|openblas forces one.
//
// It imports nothing from terse.
package blas
