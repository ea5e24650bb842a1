package model

import (
	"fmt"
	"math"
	"testing"
)

// refForward is a deliberately naive float64 Qwen3/Qwen2 forward written
// from HF transformers' modeling_qwen3.py and modeling_qwen2.py, reading
// weights by HF name through Tensors(). It shares no code with the
// optimized path, so it checks the slab layout, GQA head mapping, q/k norm
// placement (Qwen3), the q/k/v biases (Qwen2: nn.Linear(..., bias=True) for
// q_proj, k_proj, v_proj, bias=False for o_proj) and the rotate_half RoPE.
// It returns logits (T,V) for one unpadded sequence.
func refForward(m *Model, tokens []int32) [][]float64 {
	c := m.Config
	W := map[string][]float32{}
	for _, t := range m.Tensors() {
		W[t.Name] = t.Data
	}
	C, F, V, H, KVH, D := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	T := len(tokens)
	eps := c.RMSNormEps
	rms := func(x []float64, w []float32) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		s := 1 / math.Sqrt(ss/float64(len(x))+eps)
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(w[i]) * v * s
		}
		return out
	}
	lin := func(x []float64, w []float32, out int) []float64 { // x·Wᵀ, W [out, in]
		y := make([]float64, out)
		for o := range y {
			for i, v := range x {
				y[o] += float64(w[o*len(x)+i]) * v
			}
		}
		return y
	}
	rope := func(x []float64, pos int) []float64 { // HF apply_rotary_pos_emb with rotate_half
		out := make([]float64, D)
		for i := 0; i < D; i++ {
			j := i % (D / 2)
			invFreq := 1 / math.Pow(c.RopeTheta, float64(2*j)/float64(D))
			cs, sn := math.Cos(float64(pos)*invFreq), math.Sin(float64(pos)*invFreq)
			var rot float64 // rotate_half(x) = cat(−x2, x1)
			if i < D/2 {
				rot = -x[i+D/2]
			} else {
				rot = x[i-D/2]
			}
			out[i] = x[i]*cs + rot*sn
		}
		return out
	}
	h := make([][]float64, T)
	for t, tok := range tokens {
		h[t] = make([]float64, C)
		for i := range h[t] {
			h[t][i] = float64(W["model.embed_tokens.weight"][int(tok)*C+i])
		}
	}
	for l := 0; l < c.NumHiddenLayers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		q := make([][][]float64, T) // [t][head][D]
		k := make([][][]float64, T)
		v := make([][][]float64, T)
		for t := range h {
			x := rms(h[t], W[p+"input_layernorm.weight"])
			qa, ka, va := lin(x, W[p+"self_attn.q_proj.weight"], H*D), lin(x, W[p+"self_attn.k_proj.weight"], KVH*D), lin(x, W[p+"self_attn.v_proj.weight"], KVH*D)
			for name, y := range map[string][]float64{"q": qa, "k": ka, "v": va} {
				if bias, ok := W[p+"self_attn."+name+"_proj.bias"]; ok {
					for i := range y {
						y[i] += float64(bias[i])
					}
				}
			}
			norm := func(x []float64, name string) []float64 { // q_norm/k_norm when the model has them
				if w, ok := W[p+"self_attn."+name+"_norm.weight"]; ok {
					return rms(x, w)
				}
				return x
			}
			for hh := 0; hh < H; hh++ {
				q[t] = append(q[t], rope(norm(qa[hh*D:(hh+1)*D], "q"), t))
			}
			for hh := 0; hh < KVH; hh++ {
				k[t] = append(k[t], rope(norm(ka[hh*D:(hh+1)*D], "k"), t))
				v[t] = append(v[t], va[hh*D:(hh+1)*D])
			}
		}
		for t := range h {
			attnOut := make([]float64, H*D)
			for hh := 0; hh < H; hh++ {
				kv := hh / (H / KVH) // repeat_kv
				sc := make([]float64, t+1)
				mx := math.Inf(-1)
				for s := 0; s <= t; s++ {
					for i := 0; i < D; i++ {
						sc[s] += q[t][hh][i] * k[s][kv][i]
					}
					sc[s] /= math.Sqrt(float64(D))
					mx = math.Max(mx, sc[s])
				}
				var sum float64
				for s := range sc {
					sc[s] = math.Exp(sc[s] - mx)
					sum += sc[s]
				}
				for s := range sc {
					for i := 0; i < D; i++ {
						attnOut[hh*D+i] += sc[s] / sum * v[s][kv][i]
					}
				}
			}
			o := lin(attnOut, W[p+"self_attn.o_proj.weight"], C)
			for i := range o {
				h[t][i] += o[i]
			}
			x := rms(h[t], W[p+"post_attention_layernorm.weight"])
			g, u := lin(x, W[p+"mlp.gate_proj.weight"], F), lin(x, W[p+"mlp.up_proj.weight"], F)
			for i := range g {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			d := lin(g, W[p+"mlp.down_proj.weight"], C)
			for i := range d {
				h[t][i] += d[i]
			}
		}
	}
	head := W["lm_head.weight"]
	if c.TieWordEmbeddings {
		head = W["model.embed_tokens.weight"]
	}
	out := make([][]float64, T)
	for t := range h {
		out[t] = lin(rms(h[t], W["model.norm.weight"]), head, V)
	}
	return out
}

// TestForwardMatchesReference compares Logits with the naive float64
// reference for both architectures, reporting the max abs diff against a
// named tolerance.
func TestForwardMatchesReference(t *testing.T) {
	const tol = 2e-4
	for _, c := range []struct {
		mt   string
		tied bool
	}{{ModelQwen3, false}, {ModelQwen3, true}, {ModelQwen2, false}, {ModelQwen2, true}} {
		tied := c.tied
		m := testModelArch(t, nil, tied, c.mt)
		if c.mt == ModelQwen2 {
			if len(m.Params.Layers[0].Bq) == 0 || m.Params.Layers[0].QNorm != nil {
				t.Fatalf("qwen2 model has no q bias or has a q norm")
			}
		}
		m.Config.RopeTheta = 1e6 // Qwen3's θ; the tables are rebuilt below
		m.initRope()
		tokens := make([]int32, attnBlock+9) // two attention blocks
		for i := range tokens {
			tokens[i] = int32((i*7 + 3) % m.Config.VocabSize)
		}
		ref := refForward(m, tokens)
		got, err := m.Logits(NewWorkspace(), &Batch{B: 1, T: len(tokens), Tokens: tokens})
		if err != nil {
			t.Fatal(err)
		}
		V := m.Config.VocabSize
		var maxDiff float64
		for i := range tokens {
			for j := 0; j < V; j++ {
				maxDiff = max(maxDiff, math.Abs(float64(got[i*V+j])-ref[i][j]))
			}
		}
		t.Logf("%s tied=%v: logits max|diff| vs float64 reference = %.2e (tol %.0e)", c.mt, tied, maxDiff, tol)
		if maxDiff > tol {
			t.Fatalf("%s tied=%v: logits differ from reference by %g", c.mt, tied, maxDiff)
		}
	}
}
