package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/terse-dev/terse/engine/blas"
)

// Gradient checks: every backward op against central differences
// (L(w+h) − L(w−h))/2h evaluated in float64 on top of the float32 forward.
// Losses are random projections L = Σ r·out so every output element counts.

func randn(r *rand.Rand, n int, std float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * std)
	}
	return s
}

func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkGrad compares analytic gradient ana of loss with respect to x against
// central differences, perturbing every element of x. It reports the max abs
// diff and fails when the relative error of the whole vector exceeds tol or
// one element is off by more than tol·max|grad| + tol·|grad_i|.
func checkGrad(t *testing.T, name string, x, ana []float32, loss func() float64, h float32, tol float64) {
	t.Helper()
	num := make([]float64, len(x))
	for i := range x {
		orig := x[i]
		x[i] = orig + h
		lp := loss()
		x[i] = orig - h
		lm := loss()
		x[i] = orig
		num[i] = (lp - lm) / (2 * float64(h))
	}
	var diff2, norm2, maxAbs, maxN float64
	for i := range x {
		d := float64(ana[i]) - num[i]
		diff2 += d * d
		norm2 += num[i]*num[i] + float64(ana[i])*float64(ana[i])
		maxAbs = max(maxAbs, math.Abs(d))
		maxN = max(maxN, math.Abs(num[i]))
	}
	rel := math.Sqrt(diff2 / max(norm2, 1e-30))
	t.Logf("%-28s n=%5d max|diff|=%.2e max|grad|=%.2e rel=%.2e", name, len(x), maxAbs, maxN, rel)
	if maxN == 0 {
		t.Errorf("%s: numerical gradient is identically zero; the check is vacuous", name)
	}
	if rel > tol || math.IsNaN(rel) {
		t.Errorf("%s: relative error %.3e > %.1e", name, rel, tol)
	}
	for i := range x {
		if d := math.Abs(float64(ana[i]) - num[i]); d > tol*maxN+tol*math.Abs(num[i])*10 {
			t.Errorf("%s[%d]: analytic %.6g numeric %.6g", name, i, ana[i], num[i])
			return
		}
	}
}

func testModel(t testing.TB, be blas.Sgemm) *Model { return testModelTied(t, be, false) }

func testModelTied(t testing.TB, be blas.Sgemm, tied bool) *Model {
	t.Helper()
	return testModelArch(t, be, tied, ModelQwen3)
}

// testModelArch is the tiny gradient-test model of a model_type (ModelQwen3
// or ModelQwen2), its norm weights and biases perturbed away from 1 and 0.
func testModelArch(t testing.TB, be blas.Sgemm, tied bool, modelType string) *Model {
	t.Helper()
	cfg := TinyConfig()
	cfg.ModelType = modelType
	cfg.Architectures = []string{cfg.Architecture()}
	cfg.TieWordEmbeddings = tied
	cfg.VocabSize, cfg.HiddenSize, cfg.IntermediateSize, cfg.HeadDim = 11, 8, 12, 4
	cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.MaxPositionEmbeddings = 4, 2, 128
	cfg.EOSTokenID = TokenIDs{2}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if be != nil {
		m.SetBLAS(be)
	}
	m.InitRandom(7, 0.4)
	// Perturb the norm weights away from 1 (and biases away from 0) so
	// their gradients are generic.
	r := rand.New(rand.NewPCG(8, 9))
	for _, tn := range m.Tensors() {
		if len(tn.Shape) == 1 {
			for i := range tn.Data {
				tn.Data[i] += float32(r.NormFloat64() * 0.2)
			}
		}
	}
	return m
}

func allBackends(t *testing.T) []blas.Sgemm {
	out := []blas.Sgemm{blas.NewGo()}
	if ob, err := blas.OpenBLAS(); err == nil {
		out = append(out, ob)
	}
	return out
}

func TestGradRMSNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	R, C := 5, 8
	inp, w, proj := randn(r, R*C, 1), randn(r, C, 1), randn(r, R*C, 1)
	out, rstd := make([]float32, R*C), make([]float32, R)
	loss := func() float64 { rmsnormForward(out, rstd, inp, w, R, C, 1e-6); return dot64(out, proj) }
	loss()
	dinp, dw := make([]float32, R*C), make([]float32, C)
	rmsnormBackward(dinp, dw, proj, inp, rstd, w, R, C)
	checkGrad(t, "rmsnorm/inp", inp, dinp, loss, 1e-2, 1e-3)
	checkGrad(t, "rmsnorm/w", w, dw, loss, 1e-2, 1e-3)
}

func TestGradLinear(t *testing.T) {
	for _, be := range allBackends(t) {
		t.Run(be.Name(), func(t *testing.T) {
			m := testModel(t, be)
			r := rand.New(rand.NewPCG(2, 1))
			R, IC, OC := 6, 5, 7
			inp, w, proj := randn(r, R*IC, 1), randn(r, OC*IC, 1), randn(r, R*OC, 1)
			out := make([]float32, R*OC)
			loss := func() float64 { m.linearForward(out, inp, w, R, IC, OC, 0); return dot64(out, proj) }
			dinp, dw := make([]float32, R*IC), make([]float32, OC*IC)
			m.linearBackward(dinp, dw, proj, inp, w, R, IC, OC)
			checkGrad(t, "linear/inp", inp, dinp, loss, 1e-2, 1e-3)
			checkGrad(t, "linear/w", w, dw, loss, 1e-2, 1e-3)
		})
	}
}

func TestGradBias(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	R, OC := 6, 7
	inp, b, proj := randn(r, R*OC, 1), randn(r, OC, 1), randn(r, R*OC, 1)
	out := make([]float32, R*OC)
	loss := func() float64 { copy(out, inp); biasForward(out, b, R, OC); return dot64(out, proj) }
	db := make([]float32, OC)
	biasBackward(db, proj, R, OC)
	checkGrad(t, "bias/b", b, db, loss, 1e-2, 1e-3)
	checkGrad(t, "bias/inp", inp, proj, loss, 1e-2, 1e-3) // the input's gradient is dout itself
}

func TestGradRoPE(t *testing.T) {
	m := testModel(t, nil)
	r := rand.New(rand.NewPCG(3, 1))
	R, nh, D := 4, 2, 4
	x, proj := randn(r, R*nh*D, 1), randn(r, R*nh*D, 1)
	pos := []int32{0, 3, 17, 63}
	buf := make([]float32, len(x))
	loss := func() float64 {
		copy(buf, x)
		ropeForward(buf, pos, m.ropeCos, m.ropeSin, R, nh, D)
		return dot64(buf, proj)
	}
	dx := append([]float32(nil), proj...)
	ropeBackward(dx, pos, m.ropeCos, m.ropeSin, R, nh, D)
	checkGrad(t, "rope/x", x, dx, loss, 1e-2, 1e-3)
}

func TestGradAttention(t *testing.T) {
	bes := allBackends(t)
	for i, be := range bes {
		// T = 70 spans two query blocks (attnBlock = 64); checked on the
		// fastest backend only to keep the suite quick.
		for _, T := range []int{5, attnBlock + 6} {
			if T > attnBlock && i != len(bes)-1 {
				continue
			}
			t.Run(fmt.Sprintf("%s/T=%d", be.Name(), T), func(t *testing.T) {
				m := testModel(t, be)
				r := rand.New(rand.NewPCG(4, 1))
				B, H, KVH, D := 2, 4, 2, 4
				HD, KD := H*D, KVH*D
				q, k, v := randn(r, B*T*HD, 1), randn(r, B*T*KD, 1), randn(r, B*T*KD, 1)
				proj := randn(r, B*T*HD, 1)
				mask := make([]float32, B*T) // row 0: right pad; row 1: left pad + a hole
				for t := 0; t < T; t++ {
					mask[t] = 1
					mask[T+t] = 1
				}
				mask[T-1] = 0
				mask[T] = 0
				mask[T+T/2] = 0
				out, rowMax, rowInv := make([]float32, B*T*HD), make([]float32, B*H*T), make([]float32, B*H*T)
				loss := func() float64 {
					m.attentionForward(out, rowMax, rowInv, q, k, v, mask, B, T, H, KVH, D)
					return dot64(out, proj)
				}
				loss()
				dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
				m.attentionBackward(dq, dk, dv, proj, rowMax, rowInv, q, k, v, mask, B, T, H, KVH, D)
				checkGrad(t, "attention/q", q, dq, loss, 1e-2, 1e-3)
				checkGrad(t, "attention/k", k, dk, loss, 1e-2, 1e-3)
				checkGrad(t, "attention/v", v, dv, loss, 1e-2, 1e-3)
			})
		}
	}
}

func TestGradSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 1))
	n := 40
	gate, up, proj := randn(r, n, 2), randn(r, n, 1), randn(r, n, 1)
	out, sig := make([]float32, n), make([]float32, n)
	loss := func() float64 { swigluForward(out, sig, gate, up, n); return dot64(out, proj) }
	loss()
	dg, du := make([]float32, n), make([]float32, n)
	swigluBackward(dg, du, proj, gate, up, sig, n)
	checkGrad(t, "swiglu/gate", gate, dg, loss, 1e-2, 1e-3)
	checkGrad(t, "swiglu/up", up, du, loss, 1e-2, 1e-3)
}

func TestGradEmbedding(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	V, C := 5, 3
	tokens := []int32{1, 4, 1, 0}
	N := len(tokens)
	emb, proj := randn(r, V*C, 1), randn(r, N*C, 1)
	out := make([]float32, N*C)
	loss := func() float64 { embeddingForward(out, tokens, emb, N, C); return dot64(out, proj) }
	demb := make([]float32, V*C)
	embeddingBackward(demb, proj, tokens, N, C)
	checkGrad(t, "embedding/w", emb, demb, loss, 1e-2, 1e-3)
}

// TestGradLogpEntropy checks the LM head with the log-prob and entropy
// outputs (softmax, log-softmax and entropy together) at a temperature ≠ 1.
func TestGradLogpEntropy(t *testing.T) {
	for _, be := range allBackends(t) {
		t.Run(be.Name(), func(t *testing.T) {
			m := testModel(t, be)
			r := rand.New(rand.NewPCG(7, 1))
			N, C, V := 5, 6, 7
			x, w := randn(r, N*C, 1), randn(r, V*C, 1)
			targets := []int32{3, -1, 0, 6, 2}
			mask := []float32{1, 1, 1, 0, 1}
			a, b := randn(r, N, 1), randn(r, N, 1)
			logp, ent, logits := make([]float32, N), make([]float32, N), make([]float32, lmChunkRows(N, V)*V)
			invTemp := float32(1 / 0.7)
			loss := func() float64 {
				m.lmheadForward(logp, ent, logits, x, w, targets, mask, N, C, V, invTemp)
				return dot64(logp, a) + dot64(ent, b)
			}
			dx, dw := make([]float32, N*C), make([]float32, V*C)
			m.lmheadBackward(dx, dw, a, b, logits, x, w, targets, mask, N, C, V, invTemp)
			checkGrad(t, "logp+entropy/x", x, dx, loss, 1e-2, 2e-3)
			checkGrad(t, "logp+entropy/w", w, dw, loss, 1e-2, 2e-3)
			// Each output alone, so one cannot hide an error in the other.
			lossLogp := func() float64 {
				m.lmheadForward(logp, ent, logits, x, w, targets, mask, N, C, V, invTemp)
				return dot64(logp, a)
			}
			clear(dx)
			clear(dw)
			m.lmheadBackward(dx, dw, a, nil, logits, x, w, targets, mask, N, C, V, invTemp)
			checkGrad(t, "logp/x", x, dx, lossLogp, 1e-2, 2e-3)
			lossEnt := func() float64 {
				m.lmheadForward(logp, ent, logits, x, w, targets, mask, N, C, V, invTemp)
				return dot64(ent, b)
			}
			clear(dx)
			clear(dw)
			m.lmheadBackward(dx, dw, nil, b, logits, x, w, targets, mask, N, C, V, invTemp)
			checkGrad(t, "entropy/x", x, dx, lossEnt, 1e-2, 2e-3)
		})
	}
}

// gradBatch is a small padded batch for the tiny test model.
func gradBatch(V int) *Batch {
	B, T := 2, 6
	r := rand.New(rand.NewPCG(11, 12))
	tok := make([]int32, B*T)
	for i := range tok {
		tok[i] = int32(r.IntN(V))
	}
	return &Batch{B: B, T: T, Tokens: tok,
		Mask:        []float32{1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0},
		Positions:   []int32{0, 1, 2, 3, 4, 5, 0, 0, 0, 1, 2, 3},
		Temperature: 0.9,
	}
}

// TestGradBlock checks one whole decoder layer of each architecture (Qwen3:
// q/k norms; Qwen2: q/k/v biases): L = Σ r·out(in) against the layer input
// and every weight of the layer.
func TestGradBlock(t *testing.T) {
	for _, mt := range []string{ModelQwen3, ModelQwen2} {
		t.Run(mt, func(t *testing.T) {
			m := testModelArch(t, nil, false, mt)
			c := m.Config
			b := gradBatch(c.VocabSize)
			ws := NewWorkspace()
			if _, _, err := m.Forward(ws, b); err != nil {
				t.Fatal(err)
			}
			N, C := b.B*b.T, c.HiddenSize
			r := rand.New(rand.NewPCG(13, 1))
			proj := randn(r, N*C, 1)
			in := append([]float32(nil), ws.resid[0][:N*C]...)
			loss := func() float64 {
				copy(ws.resid[0], in)
				m.blockForward(ws, 0)
				return dot64(ws.resid[1][:N*C], proj)
			}
			loss()
			m.ZeroGrad()
			copy(ws.dres, proj)
			m.blockBackward(ws, 0)
			din := append([]float32(nil), ws.dres[:N*C]...)
			checkGrad(t, "block/in", in, din, loss, 1e-2, 2e-3)
			p, g := m.Params.Layers[0], m.Grads.Layers[0]
			checked := 0
			for _, w := range []struct {
				name string
				p, g []float32
			}{{"AttnNorm", p.AttnNorm, g.AttnNorm}, {"Wq", p.Wq, g.Wq}, {"Wk", p.Wk, g.Wk}, {"Wv", p.Wv, g.Wv},
				{"Bq", p.Bq, g.Bq}, {"Bk", p.Bk, g.Bk}, {"Bv", p.Bv, g.Bv},
				{"QNorm", p.QNorm, g.QNorm}, {"KNorm", p.KNorm, g.KNorm}, {"Wo", p.Wo, g.Wo}, {"MLPNorm", p.MLPNorm, g.MLPNorm},
				{"Wgate", p.Wgate, g.Wgate}, {"Wup", p.Wup, g.Wup}, {"Wdown", p.Wdown, g.Wdown}} {
				if w.p == nil { // not part of this architecture
					continue
				}
				checked++
				checkGrad(t, "block/"+w.name, w.p, w.g, loss, 1e-2, 2e-3)
			}
			if want := map[string]int{ModelQwen3: 11, ModelQwen2: 12}[mt]; checked != want {
				t.Fatalf("%s: checked %d tensors, want %d", mt, checked, want)
			}
		})
	}
}

// TestGradModel checks every parameter tensor of the whole model, untied and
// tied, Qwen3 and Qwen2, with padding, positions and a temperature, for
// L = Σ a·logp + b·H.
func TestGradModel(t *testing.T) {
	for _, mt := range []string{ModelQwen3, ModelQwen2} {
		for _, tied := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tied=%v", mt, tied), func(t *testing.T) {
				m := testModelArch(t, nil, tied, mt)
				b := gradBatch(m.Config.VocabSize)
				N := b.B * b.T
				r := rand.New(rand.NewPCG(14, 1))
				a, e := randn(r, N, 1), randn(r, N, 0.5)
				ws := NewWorkspace()
				loss := func() float64 {
					logp, ent, err := m.Forward(ws, b)
					if err != nil {
						t.Fatal(err)
					}
					return dot64(logp, a) + dot64(ent, e)
				}
				loss()
				m.ZeroGrad()
				if err := m.Backward(ws, a, e); err != nil {
					t.Fatal(err)
				}
				grads := m.GradTensors()
				for i, tn := range m.Tensors() {
					checkGrad(t, tn.Name, tn.Data, append([]float32(nil), grads[i].Data...), loss, 3e-3, 5e-3)
				}
			})
		}
	}
}
