package kernel

import "fmt"

// SwiGLU sets out[i] = silu(gate[i])·up[i] = gate[i]·σ(gate[i])·up[i] for
// i < len(gate); sig, if non-nil, keeps σ(gate[i]) for a backward pass. out
// may alias gate or up. out, up and a non-nil sig hold at least len(gate).
func SwiGLU(out, sig, gate, up []float32) {
	n := len(gate)
	if len(out) < n || len(up) < n || (sig != nil && len(sig) < n) {
		panic(fmt.Sprintf("kernel: SwiGLU of %d elements with len(out)=%d len(up)=%d len(sig)=%d", n, len(out), len(up), len(sig)))
	}
	if n == 0 {
		return
	}
	swiglu(out[:n], sig, gate, up[:n])
}

// Attend is attention of G query heads that share one key/value head, for
// one new token over a cache of n positions (the decode step of GQA):
//
//	S = q·Kᵀ·scale (G×n), P = softmax over each row, y = P·V (G×D).
//
// q and y are (G, D) row-major; key j is k[j·ld : j·ld+D] and value j is
// v[j·ld : j·ld+D] (ld ≥ D, the cache's row stride); scores is scratch of at
// least n. y must not overlap q, k or v.
func Attend(y, q []float32, G, D int, k, v []float32, ld, n int, scale float32, scores []float32) {
	if G < 1 || D < 1 || n < 1 || ld < D || len(q) < G*D || len(y) < G*D ||
		len(k) < (n-1)*ld+D || len(v) < (n-1)*ld+D || len(scores) < n {
		panic(fmt.Sprintf("kernel: Attend G=%d D=%d n=%d ld=%d with len(q)=%d len(y)=%d len(k)=%d len(v)=%d len(scores)=%d",
			G, D, n, ld, len(q), len(y), len(k), len(v), len(scores)))
	}
	attend(y, q, G, D, k, v, ld, n, scale, scores)
}
