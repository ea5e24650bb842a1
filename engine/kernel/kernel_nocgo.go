//go:build !cgo

package kernel

// Name says which implementation runs: the pure-Go reference in builds
// without cgo.
func Name() string { return "go" }

func swiglu(out, sig, gate, up []float32) { swigluRef(out, sig, gate, up) }

func attend(y, q []float32, G, D int, k, v []float32, ld, n int, scale float32, scores []float32) {
	attendRef(y, q, G, D, k, v, ld, n, scale, scores)
}
