//go:build !cgo

package blas

import "fmt"

// OpenBLAS is unavailable in builds without cgo.
func OpenBLAS() (Sgemm, error) {
	return nil, fmt.Errorf("%w: built without cgo", ErrNoOpenBLAS)
}
