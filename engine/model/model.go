package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/terse-dev/terse/engine/blas"
	"github.com/terse-dev/terse/engine/kernel"
)

// Params views a parameter slab (or the gradient slab, same layout) as the
// decoder's tensors. Every slice aliases the slab; shapes use the dims legend.
type Params struct {
	Embed  []float32     // (V, C) model.embed_tokens.weight
	Layers []LayerParams // L decoder layers
	Norm   []float32     // (C) model.norm.weight
	LMHead []float32     // (V, C) lm_head.weight; aliases Embed when tied
}

// LayerParams are one decoder layer's tensors (HF [out, in] layout).
type LayerParams struct {
	AttnNorm []float32 // (C) input_layernorm.weight
	Wq       []float32 // (H·D, C) self_attn.q_proj.weight
	Wk       []float32 // (KVH·D, C) self_attn.k_proj.weight
	Wv       []float32 // (KVH·D, C) self_attn.v_proj.weight
	Bq       []float32 // (H·D) self_attn.q_proj.bias; Qwen2 only (Arch.QKVBias), else nil
	Bk       []float32 // (KVH·D) self_attn.k_proj.bias; Qwen2 only
	Bv       []float32 // (KVH·D) self_attn.v_proj.bias; Qwen2 only
	QNorm    []float32 // (D) self_attn.q_norm.weight; Qwen3 only (Arch.QKNorm), else nil
	KNorm    []float32 // (D) self_attn.k_norm.weight; Qwen3 only
	Wo       []float32 // (C, H·D) self_attn.o_proj.weight
	MLPNorm  []float32 // (C) post_attention_layernorm.weight
	Wgate    []float32 // (F, C) mlp.gate_proj.weight
	Wup      []float32 // (F, C) mlp.up_proj.weight
	Wdown    []float32 // (C, F) mlp.down_proj.weight
}

// Tensor is one named parameter tensor. Data aliases the model's slab, so
// copying into Data loads weights. Shape is HF's ([out, in] for Linear).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Model is a Qwen3 or Qwen2 decoder with its parameters, gradients and a
// BLAS backend.
// Forward and Logits (each with its own Workspace) and Decoders only read the
// weights and may run concurrently; Backward (writes the gradients) and
// AdamW.Update (writes the weights) must not overlap with any other call.
type Model struct {
	// Config is the validated configuration (HeadDim filled in). Read-only.
	Config Config
	// Params views the weights; Grads views the gradients (nil slices until
	// the first ZeroGrad, Backward or GradSlab call).
	Params Params
	Grads  Params

	specs    []tensorSpec
	slab     []float32  // all weights
	gradSlab []float32  // all gradients, same layout; allocated on demand
	blas     blas.Sgemm // for whole GEMMs; may split one call across goroutines
	blas1    blas.Sgemm // single-threaded, for calls from inside parallel loops
	ropeCos  []float32  // (MaxPositionEmbeddings, D/2)
	ropeSin  []float32  // (MaxPositionEmbeddings, D/2)
}

// New returns a model with all weights zero (load them through Tensors or
// call InitRandom). It uses blas.Default() for matrix multiplies.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.normalized()
	bl, err := blas.Default()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model{Config: cfg, specs: cfg.layout()}
	m.SetBLAS(bl)
	m.slab = make([]float32, cfg.NumParams())
	m.Params = m.view(m.slab)
	m.initRope()
	return m, nil
}

// Clone returns a copy of m with its own weights (no gradients), e.g. a
// frozen reference policy. The BLAS backend is shared.
func (m *Model) Clone() *Model {
	c := &Model{Config: m.Config, specs: m.specs, blas: m.blas, blas1: m.blas1, ropeCos: m.ropeCos, ropeSin: m.ropeSin}
	c.slab = append([]float32(nil), m.slab...)
	c.Params = c.view(c.slab)
	return c
}

// SetBLAS replaces the matrix-multiply backend (e.g. blas.NewGo() in tests).
// A backend with a settable thread count (OpenBLAS) is set to ONE thread
// (process-wide) and each large GEMM is split across GOMAXPROCS goroutines
// instead (blas.Split): attention then runs per head in goroutines calling
// the single-threaded backend directly, and no BLAS worker threads spin
// while Go code runs. The same GEMM is never parallelised twice.
func (m *Model) SetBLAS(s blas.Sgemm) {
	if t, ok := s.(blas.Threaded); ok {
		t.SetThreads(1)
		m.blas1 = s
		m.blas = blas.Split(s, runtime.GOMAXPROCS(0))
		return
	}
	m.blas, m.blas1 = s, s
}

// BLAS returns the matrix-multiply backend in use.
func (m *Model) BLAS() blas.Sgemm { return m.blas }

// view slices slab into Params following the layout (the same order as
// Config.layout, with the Arch's optional tensors).
func (m *Model) view(slab []float32) Params {
	c, arch := m.Config, m.Config.Arch()
	i := 0
	next := func() []float32 { s := m.specs[i]; i++; return slab[s.off : s.off+s.size : s.off+s.size] }
	p := Params{Embed: next(), Layers: make([]LayerParams, c.NumHiddenLayers)}
	for l := range p.Layers {
		lp := &p.Layers[l]
		lp.AttnNorm, lp.Wq, lp.Wk, lp.Wv = next(), next(), next(), next()
		if arch.QKVBias {
			lp.Bq, lp.Bk, lp.Bv = next(), next(), next()
		}
		if arch.QKNorm {
			lp.QNorm, lp.KNorm = next(), next()
		}
		lp.Wo, lp.MLPNorm, lp.Wgate, lp.Wup, lp.Wdown = next(), next(), next(), next(), next()
	}
	p.Norm = next()
	if c.TieWordEmbeddings {
		p.LMHead = p.Embed
	} else {
		p.LMHead = next()
	}
	return p
}

func (m *Model) tensors(slab []float32) []Tensor {
	out := make([]Tensor, len(m.specs))
	for i, s := range m.specs {
		out[i] = Tensor{Name: s.name, Shape: append([]int(nil), s.shape...), Data: slab[s.off : s.off+s.size : s.off+s.size]}
	}
	return out
}

// Tensors lists the weights with HF names and shapes, in slab order.
// "lm_head.weight" is omitted when embeddings are tied.
func (m *Model) Tensors() []Tensor { return m.tensors(m.slab) }

// TensorsOf views any slab with the parameter layout (gradients, or the
// optimizer's M and V) as named tensors, e.g. to checkpoint optimizer state
// by name. The Data slices alias slab.
func (m *Model) TensorsOf(slab []float32) ([]Tensor, error) {
	if len(slab) != len(m.slab) {
		return nil, fmt.Errorf("model: slab has %d elements, the model %d", len(slab), len(m.slab))
	}
	return m.tensors(slab), nil
}

// GradTensors lists the gradients with the same names and shapes as Tensors.
func (m *Model) GradTensors() []Tensor { return m.tensors(m.GradSlab()) }

// Slab returns all weights as one slice (the optimizer's view).
func (m *Model) Slab() []float32 { return m.slab }

// GradSlab returns all gradients as one slice, allocating them (zero) on
// first use.
func (m *Model) GradSlab() []float32 {
	if m.gradSlab == nil {
		m.gradSlab = make([]float32, len(m.slab))
		m.Grads = m.view(m.gradSlab)
	}
	return m.gradSlab
}

// ZeroGrad sets every gradient to zero. Backward accumulates, so call this
// once per optimizer step (not per micro-batch).
func (m *Model) ZeroGrad() { clear(m.GradSlab()) }

// InitRandom sets matrices to N(0, std²), norm weights to 1 and biases to
// 0, as HF's Qwen3/Qwen2 initialisation does with std = initializer_range.
// The result depends only on seed and std.
func (m *Model) InitRandom(seed uint64, std float32) {
	r := rand.New(rand.NewPCG(seed, 0x7465727365)) // "terse"
	for _, s := range m.specs {
		w := m.slab[s.off : s.off+s.size]
		if s.bias {
			clear(w)
			continue
		}
		if len(s.shape) == 1 {
			for i := range w {
				w[i] = 1
			}
			continue
		}
		for i := range w {
			w[i] = float32(r.NormFloat64()) * std
		}
	}
}

// initRope fills the cos/sin tables for every position < max_position_embeddings,
// computed as HF does in float32: inv_freq[i] = 1/θ^(2i/D), angle = pos·inv_freq[i].
func (m *Model) initRope() {
	D, P := m.Config.HeadDim, m.Config.MaxPositionEmbeddings
	half := D / 2
	m.ropeCos = make([]float32, P*half)
	m.ropeSin = make([]float32, P*half)
	invFreq := make([]float32, half)
	for i := range invFreq {
		invFreq[i] = float32(1 / math.Pow(m.Config.RopeTheta, float64(float32(2*i)/float32(D))))
	}
	for p := 0; p < P; p++ {
		for i, f := range invFreq {
			a := float32(p) * f
			m.ropeCos[p*half+i] = float32(math.Cos(float64(a)))
			m.ropeSin[p*half+i] = float32(math.Sin(float64(a)))
		}
	}
}

// ---------------------------------------------------------------------------
// Ops. Each op is a forward/backward pair; arguments come as outputs, inputs,
// weights, dims. Backward ops ACCUMULATE (+=) into every gradient they touch.

// embeddingForward: out (N,C) = emb[tokens[n]], emb (V,C).
func embeddingForward(out []float32, tokens []int32, emb []float32, N, C int) {
	for n := 0; n < N; n++ {
		t := int(tokens[n])
		copy(out[n*C:(n+1)*C], emb[t*C:(t+1)*C])
	}
}

// embeddingBackward: demb[tokens[n]] += dout[n]; dout (N,C).
func embeddingBackward(demb, dout []float32, tokens []int32, N, C int) {
	for n := 0; n < N; n++ {
		t := int(tokens[n])
		d, o := demb[t*C:(t+1)*C], dout[n*C:(n+1)*C]
		for i := range d {
			d[i] += o[i]
		}
	}
}

// rmsnormForward: out (R,C) = inp·rstd·w, rstd (R) = 1/√(mean(inp²)+ε); inp (R,C), w (C).
func rmsnormForward(out, rstd, inp, w []float32, R, C int, eps float32) {
	parallelFor(R, C, func(lo, hi int) { rmsnormRows(out, rstd, inp, w, lo, hi, C, eps) })
}

// rmsnormRows is rmsnormForward on rows [lo,hi), single-threaded.
func rmsnormRows(out, rstd, inp, w []float32, lo, hi, C int, eps float32) {
	for r := lo; r < hi; r++ {
		x, o := inp[r*C:(r+1)*C], out[r*C:(r+1)*C]
		var ss float32
		for _, v := range x {
			ss += v * v
		}
		s := float32(1 / math.Sqrt(float64(ss/float32(C)+eps)))
		rstd[r] = s
		for i, v := range x {
			o[i] = v * s * w[i]
		}
	}
}

// rmsnormBackward, with x̂ = inp·rstd and g = dout·w:
// dinp += rstd·(g − x̂·mean(g·x̂)), dw += Σ_rows dout·x̂.
func rmsnormBackward(dinp, dw, dout, inp, rstd, w []float32, R, C int) {
	parallelFor(R, C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, d, di := inp[r*C:(r+1)*C], dout[r*C:(r+1)*C], dinp[r*C:(r+1)*C]
			s := rstd[r]
			var dot float32
			for i, v := range x {
				dot += d[i] * w[i] * v * s
			}
			dot /= float32(C)
			for i, v := range x {
				di[i] += s * (d[i]*w[i] - v*s*dot)
			}
		}
	})
	for r := 0; r < R; r++ {
		x, d := inp[r*C:(r+1)*C], dout[r*C:(r+1)*C]
		s := rstd[r]
		for i, v := range x {
			dw[i] += d[i] * v * s
		}
	}
}

// linearForward: out (R,OC) = inp (R,IC)·wᵀ + beta·out, w (OC,IC).
// beta = 1 adds the product onto out (a residual add for free).
func (m *Model) linearForward(out, inp, w []float32, R, IC, OC int, beta float32) {
	m.blas.Sgemm(false, true, R, OC, IC, 1, inp, IC, w, IC, beta, out, OC)
}

// linearBackward: dinp (R,IC) += dout·w; dw (OC,IC) += doutᵀ·inp.
func (m *Model) linearBackward(dinp, dw, dout, inp, w []float32, R, IC, OC int) {
	m.blas.Sgemm(false, false, R, IC, OC, 1, dout, OC, w, IC, 1, dinp, IC)
	m.blas.Sgemm(true, false, OC, IC, R, 1, dout, OC, inp, IC, 1, dw, IC)
}

// biasForward: out (R,OC) += b (OC) on every row (the bias of a Linear).
func biasForward(out, b []float32, R, OC int) {
	parallelFor(R, OC, func(lo, hi int) { biasRows(out, b, lo, hi, OC) })
}

// biasRows is biasForward on rows [lo,hi), single-threaded.
func biasRows(out, b []float32, lo, hi, OC int) {
	for r := lo; r < hi; r++ {
		o := out[r*OC : (r+1)*OC]
		for i, v := range b {
			o[i] += v
		}
	}
}

// biasBackward: db (OC) += Σ_rows dout (R,OC); dout passes to the input unchanged.
func biasBackward(db, dout []float32, R, OC int) {
	for r := 0; r < R; r++ {
		d := dout[r*OC : (r+1)*OC]
		for i, v := range d {
			db[i] += v
		}
	}
}

// ropeForward rotates x (R, nh, D) in place by each row's position (HF
// rotate_half convention): for i < D/2, with a = pos·θ^(−2i/D),
//
//	x[i]     ← x[i]·cos a − x[i+D/2]·sin a
//	x[i+D/2] ← x[i+D/2]·cos a + x[i]·sin a
func ropeForward(x []float32, pos []int32, cos, sin []float32, R, nh, D int) {
	rope(x, pos, cos, sin, R, nh, D, 1)
}

// ropeBackward applies the inverse rotation (angle −a) to dx in place; the
// rotation is orthogonal, so its transpose is its inverse.
func ropeBackward(dx []float32, pos []int32, cos, sin []float32, R, nh, D int) {
	rope(dx, pos, cos, sin, R, nh, D, -1)
}

func rope(x []float32, pos []int32, cos, sin []float32, R, nh, D int, sign float32) {
	parallelFor(R, nh*D, func(lo, hi int) { ropeRows(x, pos, cos, sin, lo, hi, nh, D, sign) })
}

// ropeRows rotates rows [lo,hi) of x (R, nh, D) by sign·angle, single-threaded.
func ropeRows(x []float32, pos []int32, cos, sin []float32, lo, hi, nh, D int, sign float32) {
	half := D / 2
	for r := lo; r < hi; r++ {
		p := int(pos[r])
		cs, sn := cos[p*half:(p+1)*half], sin[p*half:(p+1)*half]
		for h := 0; h < nh; h++ {
			v := x[(r*nh+h)*D : (r*nh+h+1)*D]
			x1, x2 := v[:half], v[half:]
			for i := range x1 {
				c, s := cs[i], sign*sn[i]
				a, b := x1[i], x2[i]
				x1[i] = a*c - b*s
				x2[i] = b*c + a*s
			}
		}
	}
}

// attnBlock is the query-block height of attention: block [t0,t1) only
// multiplies against keys [0,t1), skipping most of the masked upper triangle.
const attnBlock = 64

// attentionForward is causal grouped-query attention with a key padding mask.
// q (B,T,H·D), k and v (B,T,KVH·D), mask (B,T); out (B,T,H·D). With
// P[t,s] = softmax_s(q_t·k_s/√D) over s ≤ t with mask[s] ≠ 0 (rows of
// padding queries all zero), out = P·v. Query head h reads KV head
// h/(H/KVH). P itself is not kept: rowMax and rowInv (B,H,T) keep each row's
// maximum score and 1/Σexp, from which attentionBackward recomputes P bit
// for bit (memory O(T) per head instead of O(T²), as in FlashAttention).
// Work runs in goroutines over (b, kv head) groups; each head is processed
// in query blocks of attnBlock rows against keys [0, block end), skipping
// most of the masked upper triangle.
func (m *Model) attentionForward(out, rowMax, rowInv, q, k, v, mask []float32, B, T, H, KVH, D int) {
	HD, KD, G := H*D, KVH*D, H/KVH
	scale := float32(1 / math.Sqrt(float64(D)))
	parallelFor(B*KVH, 2*G*T*T*D, func(lo, hi int) {
		pa := make([]float32, attnBlock*T) // one block of scores, then probabilities
		for task := lo; task < hi; task++ {
			b, kvh := task/KVH, task%KVH
			ko := b*T*KD + kvh*D
			mk := padded(mask[b*T : (b+1)*T])
			for h := kvh * G; h < (kvh+1)*G; h++ {
				qo, so := b*T*HD+h*D, (b*H+h)*T
				for t0 := 0; t0 < T; t0 += attnBlock {
					t1 := min(t0+attnBlock, T)
					m.blas1.Sgemm(false, true, t1-t0, t1, D, scale, q[qo+t0*HD:], HD, k[ko:], KD, 0, pa, T) // S = q·kᵀ/√D
					for t := t0; t < t1; t++ {
						rowMax[so+t], rowInv[so+t] = softmaxCausalRow(pa[(t-t0)*T:(t-t0)*T+t1], mk, t) // columns ≥ t1 are never read
					}
					m.blas1.Sgemm(false, false, t1-t0, D, t1, 1, pa, T, v[ko:], KD, 0, out[qo+t0*HD:], HD) // y = P·v
				}
			}
		}
	})
}

// softmaxCausalRow turns the computed scores row[:len(row)] (keys below the
// query block's end) into probabilities over s ≤ t with mask[s] ≠ 0, zeroing
// every other entry, and the whole row when t is padding. mask is nil when
// the sequence has no padding (the common case, without per-key tests). It
// returns the row's maximum and 1/Σexp, with which causalProbs recomputes
// the same probabilities from the scores (0, 0 for a padding row).
func softmaxCausalRow(row, mask []float32, t int) (mx, inv float32) {
	if mask != nil && mask[t] == 0 {
		clear(row)
		return 0, 0
	}
	r := row[:t+1]
	mx = float32(math.Inf(-1))
	for s, v := range r {
		if v > mx && (mask == nil || mask[s] != 0) {
			mx = v
		}
	}
	var sum float32
	for s, v := range r {
		e := float32(0)
		if mask == nil || mask[s] != 0 {
			e = kernel.Exp(v - mx)
		}
		r[s] = e
		sum += e
	}
	inv = 1 / sum
	for s := range r {
		r[s] *= inv
	}
	clear(row[t+1:])
	return mx, inv
}

// causalProbs recomputes softmaxCausalRow's probabilities from the same
// scores and the row's mx and inv: every value is computed by the same
// operations, so it equals the forward pass's bit for bit.
func causalProbs(row, mask []float32, t int, mx, inv float32) {
	if mask != nil && mask[t] == 0 {
		clear(row)
		return
	}
	r := row[:t+1]
	for s, v := range r {
		e := float32(0)
		if mask == nil || mask[s] != 0 {
			e = kernel.Exp(v - mx)
		}
		r[s] = e * inv
	}
	clear(row[t+1:])
}

// padded returns mask, or nil when it has no zero (no padding).
func padded(mask []float32) []float32 {
	for _, v := range mask {
		if v == 0 {
			return mask
		}
	}
	return nil
}

// attentionBackward: given dout (B,T,H·D), accumulates dq (B,T,H·D), dk and
// dv (B,T,KVH·D). Per query block it recomputes the scores S (one more
// GEMM) and P from attentionForward's rowMax and rowInv, then with
// dP = dout·Vᵀ: dV += Pᵀ·dout, dS = P⊙(dP − rowsum(P⊙dP)), dQ += dS·K/√D,
// dK += dSᵀ·Q/√D. Goroutines own disjoint (b, kv head) groups, so the +=
// into dk and dv never race.
func (m *Model) attentionBackward(dq, dk, dv, dout, rowMax, rowInv, q, k, v, mask []float32, B, T, H, KVH, D int) {
	HD, KD, G := H*D, KVH*D, H/KVH
	scale := float32(1 / math.Sqrt(float64(D)))
	parallelFor(B*KVH, 5*G*T*T*D, func(lo, hi int) {
		pa, da := make([]float32, attnBlock*T), make([]float32, attnBlock*T) // P and dP/dS of one block
		for task := lo; task < hi; task++ {
			b, kvh := task/KVH, task%KVH
			ko := b*T*KD + kvh*D
			mk := padded(mask[b*T : (b+1)*T])
			for h := kvh * G; h < (kvh+1)*G; h++ {
				qo, so := b*T*HD+h*D, (b*H+h)*T
				for t0 := 0; t0 < T; t0 += attnBlock {
					t1 := min(t0+attnBlock, T)
					n := t1 - t0
					m.blas1.Sgemm(false, true, n, t1, D, scale, q[qo+t0*HD:], HD, k[ko:], KD, 0, pa, T) // S = q·kᵀ/√D again
					for t := t0; t < t1; t++ {
						causalProbs(pa[(t-t0)*T:(t-t0)*T+t1], mk, t, rowMax[so+t], rowInv[so+t])
					}
					m.blas1.Sgemm(false, true, n, t1, D, 1, dout[qo+t0*HD:], HD, v[ko:], KD, 0, da, T)  // dP = dy·vᵀ
					m.blas1.Sgemm(true, false, t1, D, n, 1, pa, T, dout[qo+t0*HD:], HD, 1, dv[ko:], KD) // dv += Pᵀ·dy
					for r := 0; r < n; r++ {
						p, dp := pa[r*T:r*T+t1], da[r*T:r*T+t1]
						var dot float32
						for s, pv := range p {
							dot += pv * dp[s]
						}
						for s, pv := range p {
							dp[s] = pv * (dp[s] - dot) // dS = P⊙(dP − Σ P·dP)
						}
					}
					m.blas1.Sgemm(false, false, n, D, t1, scale, da, T, k[ko:], KD, 1, dq[qo+t0*HD:], HD) // dq += dS·k/√D
					m.blas1.Sgemm(true, false, t1, D, n, scale, da, T, q[qo+t0*HD:], HD, 1, dk[ko:], KD)  // dk += dSᵀ·q/√D
				}
			}
		}
	})
}

// swigluForward: out (n) = silu(gate)·up with silu(x) = x·σ(x); sig (n), if
// non-nil, keeps σ(gate) for the backward pass.
func swigluForward(out, sig, gate, up []float32, n int) {
	parallelFor(n, 8, func(lo, hi int) { swiglu(out, sig, gate, up, lo, hi) })
}

// swiglu is swigluForward on elements [lo,hi), single-threaded.
func swiglu(out, sig, gate, up []float32, lo, hi int) {
	if sig != nil {
		sig = sig[lo:hi]
	}
	kernel.SwiGLU(out[lo:hi], sig, gate[lo:hi], up[lo:hi])
}

// swigluBackward, with s = σ(g) from the forward pass:
// dup += dout·g·s; dgate += dout·up·s·(1 + g·(1−s)).
func swigluBackward(dgate, dup, dout, gate, up, sig []float32, n int) {
	parallelFor(n, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g, s := gate[i], sig[i]
			dup[i] += dout[i] * g * s
			dgate[i] += dout[i] * up[i] * s * (1 + g*(1-s))
		}
	})
}

// logpRow computes, for one row of logits z (V) already divided by the
// temperature, logZ = log Σ exp z, log p(y) = z[y] − logZ and the entropy
// H = logZ − Σ p·z. When probs is non-nil it receives p. y < 0 yields logp 0.
func logpRow(z []float32, y int32, probs []float32) (logp, ent float32) {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum, sumPZ float64
	for j, v := range z {
		e := float64(kernel.Exp(v - mx))
		sum += e
		sumPZ += e * float64(v-mx)
		if probs != nil {
			probs[j] = float32(e)
		}
	}
	logZ := math.Log(sum) // relative to mx
	ent = float32(logZ - sumPZ/sum)
	if y >= 0 {
		logp = float32(float64(z[y]-mx) - logZ)
	}
	if probs != nil {
		inv := float32(1 / sum)
		for j := range probs {
			probs[j] *= inv
		}
	}
	return logp, ent
}

// lmChunkRows is how many rows of logits (rows × V floats) the LM head
// materialises at once; backward recomputes them instead of storing (N,V).
func lmChunkRows(N, V int) int { return max(16, min(N, (1<<22)/V)) }

// lmheadForward: for rows n of x (N,C), z = x·wᵀ/temp (w (V,C)),
// logp[n] = log softmax(z)[targets[n]] and entropy[n] = H(softmax(z)).
// Padding rows (mask 0) get 0; rows with target < 0 get logp 0. logits is
// scratch of lmChunkRows·V floats.
func (m *Model) lmheadForward(logp, entropy, logits, x, w []float32, targets []int32, mask []float32, N, C, V int, invTemp float32) {
	R := lmChunkRows(N, V)
	for n0 := 0; n0 < N; n0 += R {
		rows := min(R, N-n0)
		m.blas.Sgemm(false, true, rows, V, C, invTemp, x[n0*C:], C, w, C, 0, logits, V)
		parallelFor(rows, V, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				n := n0 + r
				if mask[n] == 0 {
					logp[n], entropy[n] = 0, 0
					continue
				}
				logp[n], entropy[n] = logpRow(logits[r*V:(r+1)*V], targets[n], nil)
			}
		})
	}
}

// lmheadBackward recomputes each chunk's logits and, with p = softmax(z),
//
//	dz_j = dlogp·(1[j=y] − p_j) − dent·p_j·(log p_j + H)
//
// then dx (N,C) += (dz/temp)·w and dw (V,C) += (dz/temp)ᵀ·x. dlogp or dent
// may be nil (zero); padding rows contribute nothing.
func (m *Model) lmheadBackward(dx, dw, dlogp, dent, logits, x, w []float32, targets []int32, mask []float32, N, C, V int, invTemp float32) {
	R := lmChunkRows(N, V)
	for n0 := 0; n0 < N; n0 += R {
		rows := min(R, N-n0)
		m.blas.Sgemm(false, true, rows, V, C, invTemp, x[n0*C:], C, w, C, 0, logits, V)
		parallelFor(rows, V, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				n := n0 + r
				z := logits[r*V : (r+1)*V]
				var gl, ge float32
				if dlogp != nil && targets[n] >= 0 {
					gl = dlogp[n]
				}
				if dent != nil {
					ge = dent[n]
				}
				if mask[n] == 0 || (gl == 0 && ge == 0) {
					clear(z)
					continue
				}
				_, h := logpRow(z, targets[n], z) // z now holds p
				for j, p := range z {
					d := -gl * p
					if ge != 0 && p > 0 {
						d -= ge * p * (float32(math.Log(float64(p))) + h)
					}
					z[j] = d * invTemp
				}
				if targets[n] >= 0 {
					z[targets[n]] += gl * invTemp
				}
			}
		})
		m.blas.Sgemm(false, false, rows, C, V, 1, logits, V, w, C, 1, dx[n0*C:], C)
		m.blas.Sgemm(true, false, V, C, rows, 1, logits, V, x[n0*C:], C, 1, dw, C)
	}
}

// ---------------------------------------------------------------------------
// The model: forward and backward over a Batch.

// Batch is B sequences of T tokens for the training forward.
//
// Sequences may be padded anywhere (Mask 0). A padding token is never
// attended to, gets logp = entropy = 0 and receives no gradient, so padding
// does not change any real token's results. With left padding, set Positions
// so real tokens count from 0.
type Batch struct {
	B, T   int
	Tokens []int32 // (B,T) input ids in [0,V)
	// Targets (B,T) are the ids whose log-prob is returned at each position;
	// −1 means none. nil means Tokens shifted left by one, with −1 where the
	// next position is past the row's end or padding.
	Targets []int32
	// Mask (B,T) is 1 for real tokens and 0 for padding; nil means all real.
	Mask []float32
	// Positions (B,T) are RoPE positions (< max_position_embeddings); nil means t.
	Positions []int32
	// Temperature divides the logits before the softmax (0 means 1). RL uses
	// the sampling temperature so that logp matches the behaviour policy.
	Temperature float32
}

// layerActs are one layer's activations kept for backward.
type layerActs struct {
	ln1     []float32 // (N,C) input_layernorm output
	ln1Rstd []float32 // (N)
	q       []float32 // (N,H·D) q_proj output (+ bias)
	k       []float32 // (N,KVH·D) k_proj output (+ bias)
	v       []float32 // (N,KVH·D) v_proj output (+ bias)
	qRstd   []float32 // (N,H) q_norm rstd (QKNorm only)
	kRstd   []float32 // (N,KVH) k_norm rstd (QKNorm only)
	qr      []float32 // (N,H·D) q after q_norm (if any) and RoPE
	kr      []float32 // (N,KVH·D) k after k_norm (if any) and RoPE
	attMax  []float32 // (B,H,T) attention row maxima (attentionForward's rowMax)
	attInv  []float32 // (B,H,T) attention rows' 1/Σexp (rowInv)
	y       []float32 // (N,H·D) attention output before o_proj
	mid     []float32 // (N,C) residual after attention
	ln2     []float32 // (N,C) post_attention_layernorm output
	ln2Rstd []float32 // (N)
	gate    []float32 // (N,F) gate_proj output
	up      []float32 // (N,F) up_proj output
	sig     []float32 // (N,F) σ(gate)
	act     []float32 // (N,F) silu(gate)·up
}

// Workspace holds the activations of one Forward for the following Backward,
// plus scratch. Buffers grow to the largest batch seen and are reused, so
// steady-state training allocates no buffers (only small goroutine
// bookkeeping). Memory is dominated by the MLP activations, 4·L·B·T·F
// floats; attention keeps two floats per (head, row), not its T² scores. A Workspace serves one goroutine
// at a time; its outputs (logp, entropy) are valid until the next Forward.
type Workspace struct {
	B, T  int
	capN  int    // rows allocated for
	dims  [7]int // V, C, F, L, H, KVH, D the buffers were sized for
	valid bool

	tokens, targets, pos []int32 // (N)
	mask                 []float32
	invTemp              float32

	resid   [][]float32 // L+1 × (N,C): resid[l] is layer l's input, resid[L] the last output
	layers  []layerActs
	lnf     []float32 // (N,C) final norm output
	lnfRstd []float32 // (N)
	logp    []float32 // (N)
	entropy []float32 // (N)
	logits  []float32 // (lmChunkRows, V) scratch

	// Backward scratch.
	dres, dln        []float32 // (N,C)
	dy, dq, dqRaw    []float32 // (N,H·D)
	dk, dv, dkRaw    []float32 // (N,KVH·D)
	dact, dgate, dup []float32 // (N,F)
}

// NewWorkspace returns an empty workspace; Forward sizes it.
func NewWorkspace() *Workspace { return &Workspace{} }

// ensure sizes the workspace for B×T (growing only).
func (ws *Workspace) ensure(c Config, B, T int) {
	N := B * T
	ws.B, ws.T = B, T
	dims := [7]int{c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim}
	if dims != ws.dims { // first use, or another model's workspace
		ws.dims, ws.capN = dims, 0
	}
	if N <= ws.capN {
		return
	}
	N = max(N, ws.capN)
	ws.capN = N
	C, F, V, D, H, KVH, L := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.HeadDim, c.NumAttentionHeads, c.NumKeyValueHeads, c.NumHiddenLayers
	HD, KD := H*D, KVH*D
	f := func(n int) []float32 { return make([]float32, n) }
	ws.tokens, ws.targets, ws.pos = make([]int32, N), make([]int32, N), make([]int32, N)
	ws.mask = f(N)
	ws.resid = make([][]float32, L+1)
	for l := range ws.resid {
		ws.resid[l] = f(N * C)
	}
	ws.layers = make([]layerActs, L)
	for l := range ws.layers {
		ws.layers[l] = layerActs{
			ln1: f(N * C), ln1Rstd: f(N), q: f(N * HD), k: f(N * KD), v: f(N * KD),
			qRstd: f(N * H), kRstd: f(N * KVH), qr: f(N * HD), kr: f(N * KD), attMax: f(N * H), attInv: f(N * H),
			y: f(N * HD), mid: f(N * C), ln2: f(N * C), ln2Rstd: f(N), gate: f(N * F), up: f(N * F), sig: f(N * F), act: f(N * F),
		}
	}
	ws.lnf, ws.lnfRstd, ws.logp, ws.entropy = f(N*C), f(N), f(N), f(N)
	ws.logits = f(lmChunkRows(N, V) * V)
	ws.dres, ws.dln = f(N*C), f(N*C)
	ws.dy, ws.dq, ws.dqRaw = f(N*HD), f(N*HD), f(N*HD)
	ws.dk, ws.dv, ws.dkRaw = f(N*KD), f(N*KD), f(N*KD)
	ws.dact, ws.dgate, ws.dup = f(N*F), f(N*F), f(N*F)
}

// load validates b and copies it into the workspace.
func (m *Model) load(ws *Workspace, b *Batch) error {
	c := m.Config
	if b.B <= 0 || b.T <= 0 {
		return fmt.Errorf("%w: B=%d T=%d must be positive", ErrBatch, b.B, b.T)
	}
	N := b.B * b.T
	if len(b.Tokens) != N {
		return fmt.Errorf("%w: len(Tokens)=%d, want B·T=%d", ErrBatch, len(b.Tokens), N)
	}
	for name, n := range map[string]int{"Targets": len(b.Targets), "Positions": len(b.Positions)} {
		if n != 0 && n != N {
			return fmt.Errorf("%w: len(%s)=%d, want B·T=%d", ErrBatch, name, n, N)
		}
	}
	if b.Mask != nil && len(b.Mask) != N {
		return fmt.Errorf("%w: len(Mask)=%d, want B·T=%d", ErrBatch, len(b.Mask), N)
	}
	if b.Temperature < 0 || math.IsNaN(float64(b.Temperature)) {
		return fmt.Errorf("%w: Temperature %g must be ≥ 0", ErrBatch, b.Temperature)
	}
	ws.ensure(c, b.B, b.T)
	ws.valid = false
	N = b.B * b.T
	for i, t := range b.Tokens {
		if t < 0 || int(t) >= c.VocabSize {
			return fmt.Errorf("%w: Tokens[%d]=%d outside [0,%d)", ErrBatch, i, t, c.VocabSize)
		}
	}
	copy(ws.tokens, b.Tokens)
	for i := 0; i < N; i++ {
		switch {
		case b.Targets != nil:
			ws.targets[i] = b.Targets[i]
		case i%b.T == b.T-1 || (b.Mask != nil && b.Mask[i+1] == 0):
			ws.targets[i] = -1 // no next token in this row
		default:
			ws.targets[i] = b.Tokens[i+1]
		}
		if ws.targets[i] >= int32(c.VocabSize) || ws.targets[i] < -1 {
			return fmt.Errorf("%w: Targets[%d]=%d outside [-1,%d)", ErrBatch, i, ws.targets[i], c.VocabSize)
		}
		if b.Positions != nil {
			ws.pos[i] = b.Positions[i]
		} else {
			ws.pos[i] = int32(i % b.T)
		}
		if ws.pos[i] < 0 || int(ws.pos[i]) >= c.MaxPositionEmbeddings {
			return fmt.Errorf("%w: position %d at row %d outside [0,%d) (max_position_embeddings)", ErrBatch, ws.pos[i], i, c.MaxPositionEmbeddings)
		}
		ws.mask[i] = 1
		if b.Mask != nil && b.Mask[i] == 0 {
			ws.mask[i] = 0
		}
	}
	ws.invTemp = 1
	if b.Temperature > 0 {
		ws.invTemp = 1 / b.Temperature
	}
	return nil
}

// Forward runs the model on b and returns, per position (B,T), the log-prob
// of the target token and the entropy of the predictive distribution, both
// at b.Temperature. Padding positions and positions without a target report
// 0 log-prob (padding also 0 entropy). The returned slices belong to ws and
// are overwritten by the next Forward. Activations stay in ws for Backward.
func (m *Model) Forward(ws *Workspace, b *Batch) (logp, entropy []float32, err error) {
	if err := m.load(ws, b); err != nil {
		return nil, nil, err
	}
	m.forwardTrunk(ws)
	c := m.Config
	N := b.B * b.T
	m.lmheadForward(ws.logp[:N], ws.entropy[:N], ws.logits, ws.lnf, m.Params.LMHead, ws.targets, ws.mask, N, c.HiddenSize, c.VocabSize, ws.invTemp)
	ws.valid = true
	return ws.logp[:N], ws.entropy[:N], nil
}

// Logits runs the model on b and returns all logits (B,T,V) at temperature 1
// in a new slice (for evaluation and tests; training uses Forward). It
// leaves ws unusable for Backward.
func (m *Model) Logits(ws *Workspace, b *Batch) ([]float32, error) {
	if err := m.load(ws, b); err != nil {
		return nil, err
	}
	m.forwardTrunk(ws)
	c := m.Config
	N := b.B * b.T
	out := make([]float32, N*c.VocabSize)
	m.linearForward(out, ws.lnf, m.Params.LMHead, N, c.HiddenSize, c.VocabSize, 0)
	return out, nil
}

// forwardTrunk runs embedding, the L blocks and the final norm into ws.lnf.
func (m *Model) forwardTrunk(ws *Workspace) {
	c, p := m.Config, m.Params
	B, T := ws.B, ws.T
	N, C := B*T, c.HiddenSize
	embeddingForward(ws.resid[0], ws.tokens, p.Embed, N, C)
	for l := range p.Layers {
		m.blockForward(ws, l)
	}
	rmsnormForward(ws.lnf, ws.lnfRstd, ws.resid[c.NumHiddenLayers][:N*C], p.Norm, N, C, float32(c.RMSNormEps))
}

// blockForward is one decoder layer, as in HF's Qwen3DecoderLayer and
// Qwen2DecoderLayer (Arch picks the q/k norms or the q/k/v biases):
//
//	q, k, v = q_proj(x) [+ bq], k_proj(x) [+ bk], v_proj(x) [+ bv],          x = input_layernorm(in)
//	mid = in  + o_proj(attn(rope([q_norm](q)), rope([k_norm](k)), v))
//	out = mid + down_proj(silu(gate_proj(x2)) · up_proj(x2)),                x2 = post_attention_layernorm(mid)
func (m *Model) blockForward(ws *Workspace, l int) {
	c, p, a := m.Config, m.Params.Layers[l], ws.layers[l]
	arch := c.Arch()
	B, T, C, F, H, KVH, D := ws.B, ws.T, c.HiddenSize, c.IntermediateSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	N, HD, KD, eps := B*T, H*D, KVH*D, float32(c.RMSNormEps)
	in, out := ws.resid[l][:N*C], ws.resid[l+1][:N*C]

	rmsnormForward(a.ln1, a.ln1Rstd, in, p.AttnNorm, N, C, eps)
	m.linearForward(a.q, a.ln1, p.Wq, N, C, HD, 0) // (N,H·D)
	m.linearForward(a.k, a.ln1, p.Wk, N, C, KD, 0) // (N,KVH·D)
	m.linearForward(a.v, a.ln1, p.Wv, N, C, KD, 0) // (N,KVH·D)
	if arch.QKVBias {
		biasForward(a.q, p.Bq, N, HD)
		biasForward(a.k, p.Bk, N, KD)
		biasForward(a.v, p.Bv, N, KD)
	}
	if arch.QKNorm {
		rmsnormForward(a.qr, a.qRstd, a.q, p.QNorm, N*H, D, eps) // per head: (N·H, D)
		rmsnormForward(a.kr, a.kRstd, a.k, p.KNorm, N*KVH, D, eps)
	} else {
		copy(a.qr, a.q[:N*HD])
		copy(a.kr, a.k[:N*KD])
	}
	ropeForward(a.qr, ws.pos, m.ropeCos, m.ropeSin, N, H, D)
	ropeForward(a.kr, ws.pos, m.ropeCos, m.ropeSin, N, KVH, D)
	m.attentionForward(a.y, a.attMax, a.attInv, a.qr, a.kr, a.v, ws.mask, B, T, H, KVH, D)
	copy(a.mid, in)
	m.linearForward(a.mid, a.y, p.Wo, N, HD, C, 1) // mid = in + y·Woᵀ

	rmsnormForward(a.ln2, a.ln2Rstd, a.mid, p.MLPNorm, N, C, eps)
	m.linearForward(a.gate, a.ln2, p.Wgate, N, C, F, 0)
	m.linearForward(a.up, a.ln2, p.Wup, N, C, F, 0)
	swigluForward(a.act, a.sig, a.gate, a.up, N*F)
	copy(out, a.mid)
	m.linearForward(out, a.act, p.Wdown, N, F, C, 1) // out = mid + act·Wdownᵀ
}

// Backward accumulates (+=) into the model's gradients the gradient of
// L = Σ_n dlogp[n]·logp[n] + dentropy[n]·entropy[n] for the logp and entropy
// of the last Forward on ws. For SFT pass dlogp = −weight/Ntokens; for RL
// pass the policy-gradient coefficients. Either slice may be nil (zero).
// Entries at padding positions are ignored.
func (m *Model) Backward(ws *Workspace, dlogp, dentropy []float32) error {
	if !ws.valid {
		return ErrNoForward
	}
	c, p := m.Config, m.Params
	B, T := ws.B, ws.T
	N, C, V := B*T, c.HiddenSize, c.VocabSize
	if (dlogp != nil && len(dlogp) != N) || (dentropy != nil && len(dentropy) != N) {
		return fmt.Errorf("%w: len(dlogp)=%d, len(dentropy)=%d, want B·T=%d", ErrBatch, len(dlogp), len(dentropy), N)
	}
	m.GradSlab()
	g := m.Grads
	dres, dln := ws.dres[:N*C], ws.dln[:N*C]
	clear(dres)
	clear(dln)
	m.lmheadBackward(dln, g.LMHead, dlogp, dentropy, ws.logits, ws.lnf, p.LMHead, ws.targets, ws.mask, N, C, V, ws.invTemp)
	rmsnormBackward(dres, g.Norm, dln, ws.resid[c.NumHiddenLayers], ws.lnfRstd, p.Norm, N, C)
	for l := c.NumHiddenLayers - 1; l >= 0; l-- {
		m.blockBackward(ws, l)
	}
	embeddingBackward(g.Embed, dres, ws.tokens, N, C)
	return nil
}

// blockBackward runs blockForward's ops in reverse. On entry ws.dres holds
// dL/d(out); on return it holds dL/d(in).
func (m *Model) blockBackward(ws *Workspace, l int) {
	c, p, g, a := m.Config, m.Params.Layers[l], m.Grads.Layers[l], ws.layers[l]
	arch := c.Arch()
	B, T, C, F, H, KVH, D := ws.B, ws.T, c.HiddenSize, c.IntermediateSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	N, HD, KD := B*T, H*D, KVH*D
	in := ws.resid[l][:N*C]
	dres, dln := ws.dres[:N*C], ws.dln[:N*C]
	dact, dgate, dup := ws.dact[:N*F], ws.dgate[:N*F], ws.dup[:N*F]
	dy, dq, dqRaw := ws.dy[:N*HD], ws.dq[:N*HD], ws.dqRaw[:N*HD]
	dk, dv, dkRaw := ws.dk[:N*KD], ws.dv[:N*KD], ws.dkRaw[:N*KD]

	// MLP: out = mid + down(silu(gate)·up); dres flows straight to mid.
	clear(dact)
	m.linearBackward(dact, g.Wdown, dres, a.act, p.Wdown, N, F, C)
	clear(dgate)
	clear(dup)
	swigluBackward(dgate, dup, dact, a.gate, a.up, a.sig, N*F)
	clear(dln)
	m.linearBackward(dln, g.Wup, dup, a.ln2, p.Wup, N, C, F)
	m.linearBackward(dln, g.Wgate, dgate, a.ln2, p.Wgate, N, C, F)
	rmsnormBackward(dres, g.MLPNorm, dln, a.mid, a.ln2Rstd, p.MLPNorm, N, C)

	// Attention: mid = in + o_proj(y); dres flows straight to in.
	clear(dy)
	m.linearBackward(dy, g.Wo, dres, a.y, p.Wo, N, HD, C)
	clear(dq)
	clear(dk)
	clear(dv)
	m.attentionBackward(dq, dk, dv, dy, a.attMax, a.attInv, a.qr, a.kr, a.v, ws.mask, B, T, H, KVH, D)
	ropeBackward(dq, ws.pos, m.ropeCos, m.ropeSin, N, H, D)
	ropeBackward(dk, ws.pos, m.ropeCos, m.ropeSin, N, KVH, D)
	if arch.QKNorm { // dq, dk become the gradients of the q_proj/k_proj outputs
		clear(dqRaw)
		clear(dkRaw)
		rmsnormBackward(dqRaw, g.QNorm, dq, a.q, a.qRstd, p.QNorm, N*H, D)
		rmsnormBackward(dkRaw, g.KNorm, dk, a.k, a.kRstd, p.KNorm, N*KVH, D)
	} else {
		dqRaw, dkRaw = dq, dk
	}
	if arch.QKVBias {
		biasBackward(g.Bq, dqRaw, N, HD)
		biasBackward(g.Bk, dkRaw, N, KD)
		biasBackward(g.Bv, dv, N, KD)
	}
	clear(dln)
	m.linearBackward(dln, g.Wq, dqRaw, a.ln1, p.Wq, N, C, HD)
	m.linearBackward(dln, g.Wk, dkRaw, a.ln1, p.Wk, N, C, KD)
	m.linearBackward(dln, g.Wv, dv, a.ln1, p.Wv, N, C, KD)
	rmsnormBackward(dres, g.AttnNorm, dln, in, a.ln1Rstd, p.AttnNorm, N, C)
}
