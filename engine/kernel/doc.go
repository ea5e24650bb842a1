// Package kernel holds the few CPU loops of the decoder that plain Go cannot
// make fast because the Go compiler does not vectorise: the SwiGLU
// activation and single-query attention over a KV cache (the per-token work
// of KV-cached sampling). Matrix multiplies are engine/blas's job.
//
// Every kernel has a pure-Go reference (ref.go). Builds with cgo run a C
// translation of the same arithmetic, compiled by GCC for AVX-512, AVX2 or
// baseline x86-64 and chosen when the process starts (GCC target_clones);
// builds without cgo run the reference. Both evaluate the same operations in
// the same order (sums in 16 fixed lanes, no fused multiply-add), so they
// agree to the last bit on x86-64; the tests check this on random inputs.
// Name reports which one runs.
//
// Sizes are explicit arguments; a slice too short for them is a programming
// error and panics with the sizes.
package kernel
