//go:build cgo

package kernel

/*
#cgo CFLAGS: -O3 -std=c11
#include <stdint.h>
#include <string.h>

// Each kernel is compiled three times on x86-64 with GCC (AVX-512, AVX2,
// baseline) and the loader picks the best the CPU runs. ISO C (-std=c11)
// makes GCC keep multiplies and adds separate (no FMA contraction), as Go
// does, so every clone and the Go reference round identically.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TERSE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TERSE_CLONES
#endif

#define LANES 16

// terse_exp is kernel.Exp, operation for operation.
static inline float terse_exp(float x) {
	x = x > 88.3f ? 88.3f : x;
	x = x < -87.3f ? -87.3f : x;
	float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
	float r = x - k * 0.693359375f - k * -2.12194440e-4f;
	float p = ((((((1.0f / 720) * r + 1.0f / 120) * r + 1.0f / 24) * r + 1.0f / 6) * r + 0.5f) * r + 1) * r + 1;
	uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

// terse_swiglu is kernel.swigluRef: out = g·σ(g)·up, σ(g) kept in sig when
// sig is not NULL.
TERSE_CLONES
static void terse_swiglu(float *out, float *sig, const float *gate, const float *up, int64_t n) {
	if (sig) {
		for (int64_t i = 0; i < n; i++) {
			float g = gate[i];
			float s = 1 / (1 + terse_exp(-g));
			sig[i] = s;
			out[i] = g * s * up[i];
		}
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		float g = gate[i];
		float s = 1 / (1 + terse_exp(-g));
		out[i] = g * s * up[i];
	}
}

// terse_fold_sum is kernel.foldSum: the lanes added pairwise, 16 → 8 → 4 →
// 2 → 1 (lane t += lane t+w).
static inline float terse_fold_sum(float *acc) {
	for (int t = 0; t < 8; t++) acc[t] += acc[t + 8];
	for (int t = 0; t < 4; t++) acc[t] += acc[t + 4];
	for (int t = 0; t < 2; t++) acc[t] += acc[t + 2];
	return acc[0] + acc[1];
}

// terse_scores sets sc[j] = (q·k_j)·scale for the n keys k_j = k + j·ld,
// each dot product summed in LANES lanes and folded (kernel.dotRef); four
// keys at a time so their independent sums overlap.
static inline void terse_scores(const float *q, int D, const float *k, int64_t ld, int n, float scale, float *sc) {
	int full = D / LANES * LANES, j = 0;
	for (; j + 4 <= n; j += 4) {
		const float *b0 = k + j * ld, *b1 = b0 + ld, *b2 = b1 + ld, *b3 = b2 + ld;
		float a0[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, a3[LANES] = {0};
		for (int i = 0; i < full; i += LANES)
			for (int t = 0; t < LANES; t++) {
				a0[t] += q[i + t] * b0[i + t];
				a1[t] += q[i + t] * b1[i + t];
				a2[t] += q[i + t] * b2[i + t];
				a3[t] += q[i + t] * b3[i + t];
			}
		float s0 = terse_fold_sum(a0), s1 = terse_fold_sum(a1), s2 = terse_fold_sum(a2), s3 = terse_fold_sum(a3);
		for (int i = full; i < D; i++) {
			s0 += q[i] * b0[i];
			s1 += q[i] * b1[i];
			s2 += q[i] * b2[i];
			s3 += q[i] * b3[i];
		}
		sc[j] = s0 * scale;
		sc[j + 1] = s1 * scale;
		sc[j + 2] = s2 * scale;
		sc[j + 3] = s3 * scale;
	}
	for (; j < n; j++) {
		const float *b = k + j * ld;
		float a[LANES] = {0};
		for (int i = 0; i < full; i += LANES)
			for (int t = 0; t < LANES; t++) a[t] += q[i + t] * b[i + t];
		float s = terse_fold_sum(a);
		for (int i = full; i < D; i++) s += q[i] * b[i];
		sc[j] = s * scale;
	}
}

// terse_softmax is kernel.softmaxRef: max and sum in LANES lanes, then
// x = exp(x − max)·(1/sum).
static inline void terse_softmax(float *x, int n) {
	int full = n / LANES * LANES;
	float m[LANES];
	for (int t = 0; t < LANES; t++) m[t] = x[0];
	for (int i = 0; i < full; i += LANES)
		for (int t = 0; t < LANES; t++) m[t] = x[i + t] > m[t] ? x[i + t] : m[t];
	for (int w = LANES / 2; w >= 1; w /= 2)
		for (int t = 0; t < w; t++) m[t] = m[t + w] > m[t] ? m[t + w] : m[t];
	float mx = m[0];
	for (int i = full; i < n; i++) mx = x[i] > mx ? x[i] : mx;
	float acc[LANES] = {0};
	for (int i = 0; i < full; i += LANES)
		for (int t = 0; t < LANES; t++) {
			float e = terse_exp(x[i + t] - mx);
			x[i + t] = e;
			acc[t] += e;
		}
	float sum = terse_fold_sum(acc);
	for (int i = full; i < n; i++) {
		float e = terse_exp(x[i] - mx);
		x[i] = e;
		sum += e;
	}
	float inv = 1 / sum;
	for (int i = 0; i < n; i++) x[i] *= inv;
}

// terse_pv sets y[d] = Σ_j p[j]·v_j[d] (sum in order of j) for the n values
// v_j = v + j·ld, keeping 32 (then 16) outputs in registers across j.
static inline void terse_pv(const float *p, const float *v, int D, int64_t ld, int n, float *y) {
	int d0 = 0;
	for (; d0 + 32 <= D; d0 += 32) {
		float a[32] = {0};
		for (int j = 0; j < n; j++) {
			const float *vj = v + j * ld + d0;
			for (int t = 0; t < 32; t++) a[t] += p[j] * vj[t];
		}
		for (int t = 0; t < 32; t++) y[d0 + t] = a[t];
	}
	for (; d0 + 16 <= D; d0 += 16) {
		float a[16] = {0};
		for (int j = 0; j < n; j++) {
			const float *vj = v + j * ld + d0;
			for (int t = 0; t < 16; t++) a[t] += p[j] * vj[t];
		}
		for (int t = 0; t < 16; t++) y[d0 + t] = a[t];
	}
	for (; d0 < D; d0++) {
		float a = 0;
		for (int j = 0; j < n; j++) a += p[j] * v[j * ld + d0];
		y[d0] = a;
	}
}

// terse_attend is kernel.attendRef: for each of the G query heads, scores,
// softmax and the weighted sum of the values.
TERSE_CLONES
static void terse_attend(float *y, const float *q, int G, int D, const float *k, const float *v, int64_t ld, int n, float scale, float *sc) {
	for (int g = 0; g < G; g++) {
		terse_scores(q + (int64_t)g * D, D, k, ld, n, scale, sc);
		terse_softmax(sc, n);
		terse_pv(sc, v, D, ld, n, y + (int64_t)g * D);
	}
}

// terse_kernel_isa names the instruction set the clones above run with.
static const char *terse_kernel_isa(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("x86-64-v4")) return "c avx512 (x86-64-v4)";
	if (__builtin_cpu_supports("x86-64-v3")) return "c avx2 (x86-64-v3)";
	return "c x86-64";
#else
	return "c";
#endif
}
*/
import "C"

import (
	"sync"
	"unsafe"
)

var isa = sync.OnceValue(func() string { return C.GoString(C.terse_kernel_isa()) })

// Name says which implementation runs, e.g. "c avx512 (x86-64-v4)"; "go" in
// builds without cgo.
func Name() string { return isa() }

func ptr(s []float32) *C.float {
	if s == nil {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func swiglu(out, sig, gate, up []float32) {
	C.terse_swiglu(ptr(out), ptr(sig), ptr(gate), ptr(up), C.int64_t(len(gate)))
}

func attend(y, q []float32, G, D int, k, v []float32, ld, n int, scale float32, scores []float32) {
	C.terse_attend(ptr(y), ptr(q), C.int(G), C.int(D), ptr(k), ptr(v), C.int64_t(ld), C.int(n), C.float(scale), ptr(scores))
}
