package model

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string // "" = valid
	}{
		{"tiny", func(*Config) {}, ""},
		{"head_dim default", func(c *Config) { c.HeadDim = 0 }, ""},
		{"vocab", func(c *Config) { c.VocabSize = 0 }, "vocab_size"},
		{"gqa", func(c *Config) { c.NumKeyValueHeads = 3 }, "num_key_value_heads"},
		{"odd head dim", func(c *Config) { c.HeadDim = 5 }, "head_dim"},
		{"model_type", func(c *Config) { c.ModelType = "llama" }, "model_type"},
		{"act", func(c *Config) { c.HiddenAct = "gelu" }, "hidden_act"},
		{"bias", func(c *Config) { c.AttentionBias = true }, "attention_bias"},
		{"eps", func(c *Config) { c.RMSNormEps = 0 }, "rms_norm_eps"},
		{"theta", func(c *Config) { c.RopeTheta = -1 }, "rope_theta"},
		{"scaling", func(c *Config) { c.RopeScaling = json.RawMessage(`{"type":"yarn"}`) }, "rope_scaling.rope_type"},
		{"sliding", func(c *Config) { c.UseSlidingWindow = true }, "use_sliding_window"},
		{"eos", func(c *Config) { c.EOSTokenID = TokenIDs{64} }, "eos_token_id"},
		{"arch", func(c *Config) { c.Architectures = []string{"LlamaForCausalLM"} }, "architectures"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := TinyConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want ErrConfig naming %s", err, tc.field)
			}
		})
	}
}

// TestConfigJSON reads a Qwen3-0.6B config.json (as published) and checks the
// fields and the parameter count (≈0.6B with tied embeddings).
func TestConfigJSON(t *testing.T) {
	raw := `{"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
	"bos_token_id":151643,"eos_token_id":151645,"head_dim":128,"hidden_act":"silu","hidden_size":1024,
	"initializer_range":0.02,"intermediate_size":3072,"max_position_embeddings":40960,"max_window_layers":28,
	"model_type":"qwen3","num_attention_heads":16,"num_hidden_layers":28,"num_key_value_heads":8,
	"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":1000000,"sliding_window":null,
	"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.51.0",
	"use_cache":true,"use_sliding_window":false,"vocab_size":151936}`
	var c Config
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.HeadDim != 128 || c.RopeTheta != 1e6 || !c.TieWordEmbeddings || len(c.EOSTokenID) != 1 || c.EOSTokenID[0] != 151645 {
		t.Fatalf("parsed %+v", c)
	}
	if n := c.NumParams(); n != 596049920 {
		t.Fatalf("NumParams = %d, want 596049920 (Qwen3-0.6B)", n)
	}
	var ids TokenIDs
	if err := json.Unmarshal([]byte(`[1, 2]`), &ids); err != nil || len(ids) != 2 {
		t.Fatalf("list eos: %v %v", ids, err)
	}
}

func TestTensorsNamesAndAliasing(t *testing.T) {
	m, err := New(TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	want := map[string][]int{
		"model.embed_tokens.weight":                      {64, 128},
		"model.layers.0.self_attn.q_proj.weight":         {128, 128},
		"model.layers.1.self_attn.k_proj.weight":         {64, 128},
		"model.layers.0.self_attn.q_norm.weight":         {32},
		"model.layers.1.mlp.down_proj.weight":            {128, 384},
		"model.layers.0.mlp.gate_proj.weight":            {384, 128},
		"model.layers.1.post_attention_layernorm.weight": {128},
		"model.norm.weight":                              {128},
		"lm_head.weight":                                 {64, 128},
		"model.layers.0.input_layernorm.weight":          {128},
		"model.layers.0.self_attn.o_proj.weight":         {128, 128},
		"model.layers.0.self_attn.v_proj.weight":         {64, 128},
		"model.layers.0.self_attn.k_norm.weight":         {32},
		"model.layers.1.mlp.up_proj.weight":              {384, 128},
	}
	got := map[string][]int{}
	total := 0
	for _, tn := range ts {
		got[tn.Name] = tn.Shape
		n := 1
		for _, s := range tn.Shape {
			n *= s
		}
		if n != len(tn.Data) {
			t.Errorf("%s: shape %v but %d elements", tn.Name, tn.Shape, len(tn.Data))
		}
		total += n
	}
	for name, shape := range want {
		if g, ok := got[name]; !ok || len(g) != len(shape) || g[0] != shape[0] || g[len(g)-1] != shape[len(shape)-1] {
			t.Errorf("%s: got %v, want %v", name, got[name], shape)
		}
	}
	if total != len(m.Slab()) || total != TinyConfig().NumParams() {
		t.Errorf("tensors cover %d of %d params", total, len(m.Slab()))
	}
	t.Logf("tiny model: %d params", total)
	// Writing through Tensors writes the weights the model uses.
	for _, tn := range ts {
		if tn.Name == "model.layers.1.mlp.down_proj.weight" {
			tn.Data[5] = 42
		}
	}
	if m.Params.Layers[1].Wdown[5] != 42 {
		t.Fatal("Tensor.Data does not alias the slab")
	}
	cfg := TinyConfig()
	cfg.TieWordEmbeddings = true
	mt, _ := New(cfg)
	for _, tn := range mt.Tensors() {
		if tn.Name == "lm_head.weight" {
			t.Fatal("tied model lists lm_head.weight")
		}
	}
	if &mt.Params.LMHead[0] != &mt.Params.Embed[0] {
		t.Fatal("tied LMHead does not alias Embed")
	}
}

func TestBatchErrors(t *testing.T) {
	m := testModel(t, nil)
	ws := NewWorkspace()
	cases := []struct {
		name string
		b    Batch
		want string
	}{
		{"len", Batch{B: 2, T: 3, Tokens: make([]int32, 5)}, "len(Tokens)"},
		{"token", Batch{B: 1, T: 2, Tokens: []int32{0, 99}}, "Tokens[1]"},
		{"target", Batch{B: 1, T: 2, Tokens: []int32{0, 1}, Targets: []int32{0, 11}}, "Targets[1]"},
		{"pos", Batch{B: 1, T: 2, Tokens: []int32{0, 1}, Positions: []int32{0, 128}}, "position 128"},
		{"mask", Batch{B: 1, T: 2, Tokens: []int32{0, 1}, Mask: []float32{1}}, "len(Mask)"},
	}
	for _, tc := range cases {
		if _, _, err := m.Forward(ws, &tc.b); err == nil || !errors.Is(err, ErrBatch) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrBatch mentioning %q", tc.name, err, tc.want)
		}
	}
	if err := m.Backward(ws, nil, nil); !errors.Is(err, ErrNoForward) {
		t.Errorf("Backward after failed Forward: got %v", err)
	}
}

// TestBackwardAccumulates: two Backward calls give twice the gradient.
func TestBackwardAccumulates(t *testing.T) {
	m := testModel(t, nil)
	b := gradBatch(m.Config.VocabSize)
	ws := NewWorkspace()
	if _, _, err := m.Forward(ws, b); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(21, 1))
	a, e := randn(r, b.B*b.T, 1), randn(r, b.B*b.T, 1)
	m.ZeroGrad()
	if err := m.Backward(ws, a, e); err != nil {
		t.Fatal(err)
	}
	once := append([]float32(nil), m.GradSlab()...)
	if err := m.Backward(ws, a, e); err != nil {
		t.Fatal(err)
	}
	var maxDiff float64
	nonzero := 0
	for i, g := range m.GradSlab() {
		maxDiff = max(maxDiff, math.Abs(float64(g-2*once[i])))
		if once[i] != 0 {
			nonzero++
		}
	}
	t.Logf("max |g2 − 2·g1| = %.2e (%d/%d nonzero)", maxDiff, nonzero, len(once))
	if maxDiff > 1e-5 || nonzero < len(once)/2 {
		t.Fatalf("second Backward did not double the gradient: max diff %g, %d nonzero", maxDiff, nonzero)
	}
}

// TestPaddingInvariance: padding (right, left with shifted positions, and a
// hole-free neighbour row) does not change the real tokens' logp/entropy.
func TestPaddingInvariance(t *testing.T) {
	m := testModel(t, nil)
	ws := NewWorkspace()
	seqA := []int32{1, 5, 7, 3, 9}
	seqB := []int32{4, 4, 2}
	alone := func(s []int32) ([]float32, []float32) {
		lp, en, err := m.Forward(ws, &Batch{B: 1, T: len(s), Tokens: s})
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), lp...), append([]float32(nil), en...)
	}
	lpA, enA := alone(seqA)
	lpB, enB := alone(seqB)
	T := 7
	// Row 0: seqA then 2 pads (right padding). Row 1: 4 pads then seqB (left padding).
	tok := []int32{1, 5, 7, 3, 9, 10, 8, 6, 0, 10, 3, 4, 4, 2}
	mask := []float32{1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1}
	pos := []int32{0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 1, 2}
	tgt := []int32{5, 7, 3, 9, -1, -1, -1, -1, -1, -1, -1, 4, 2, -1}
	lp, en, err := m.Forward(ws, &Batch{B: 2, T: T, Tokens: tok, Mask: mask, Positions: pos, Targets: tgt})
	if err != nil {
		t.Fatal(err)
	}
	var maxDiff float64
	for i := range seqA {
		maxDiff = max(maxDiff, math.Abs(float64(lp[i]-lpA[i])), math.Abs(float64(en[i]-enA[i])))
	}
	for i := range seqB {
		j := T + 4 + i
		maxDiff = max(maxDiff, math.Abs(float64(lp[j]-lpB[i])), math.Abs(float64(en[j]-enB[i])))
	}
	t.Logf("max diff padded vs alone: %.2e", maxDiff)
	if maxDiff > 1e-5 {
		t.Fatalf("padding changed real tokens' results: max diff %g", maxDiff)
	}
	for i, mk := range mask {
		if mk == 0 && (lp[i] != 0 || en[i] != 0) {
			t.Fatalf("padding position %d reports logp %g entropy %g", i, lp[i], en[i])
		}
	}
}

// TestOverfit: a tiny model learns a fixed batch to near-zero loss with AdamW.
func TestOverfit(t *testing.T) {
	cfg := TinyConfig()
	cfg.NumHiddenLayers = 1
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(1, 0.02)
	r := rand.New(rand.NewPCG(5, 5))
	B, T := 4, 16
	tok := make([]int32, B*T)
	for i := range tok {
		tok[i] = int32(r.IntN(cfg.VocabSize))
	}
	b := &Batch{B: B, T: T, Tokens: tok}
	opt, err := NewAdamW(m, OptimConfig{LR: 1e-2, WeightDecay: 0.01, ClipNorm: 1, WarmupSteps: 10, TotalSteps: 150})
	if err != nil {
		t.Fatal(err)
	}
	ws := NewWorkspace()
	ntok := float32(B * (T - 1))
	dlogp := make([]float32, B*T)
	for i := range dlogp {
		if i%T != T-1 {
			dlogp[i] = -1 / ntok // loss = −mean logp
		}
	}
	var loss float64
	for step := 0; step < 150; step++ {
		logp, _, err := m.Forward(ws, b)
		if err != nil {
			t.Fatal(err)
		}
		loss = 0
		for i, lp := range logp {
			loss -= float64(lp * -dlogp[i] * ntok)
		}
		loss /= float64(ntok)
		if step == 0 {
			t.Logf("initial loss %.3f (ln V = %.3f)", loss, math.Log(float64(cfg.VocabSize)))
		}
		m.ZeroGrad()
		if err := m.Backward(ws, dlogp, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("final loss %.4f", loss)
	if loss > 0.05 {
		t.Fatalf("did not overfit: loss %.4f", loss)
	}
}

// TestOptimResume: restoring weights + Step/M/V continues bit-identically.
func TestOptimResume(t *testing.T) {
	cfgOpt := OptimConfig{LR: 3e-3, WeightDecay: 0.1, ClipNorm: 0.5, WarmupSteps: 2, TotalSteps: 10, MinLRRatio: 0.1}
	b := gradBatch(11)
	run := func(m *Model, opt *AdamW, steps int) {
		ws := NewWorkspace()
		for i := 0; i < steps; i++ {
			logp, _, err := m.Forward(ws, b)
			if err != nil {
				t.Fatal(err)
			}
			d := make([]float32, len(logp))
			for j := range d {
				d[j] = -0.1
			}
			m.ZeroGrad()
			if err := m.Backward(ws, d, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := opt.Update(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	m1 := testModel(t, nil)
	o1, _ := NewAdamW(m1, cfgOpt)
	run(m1, o1, 3)
	m2 := testModel(t, nil)
	copy(m2.Slab(), m1.Slab())
	o2, _ := NewAdamW(m2, cfgOpt)
	if err := o2.Restore(o1.Step, o1.M, o1.V); err != nil {
		t.Fatal(err)
	}
	run(m1, o1, 2)
	run(m2, o2, 2)
	for i, w := range m1.Slab() {
		if m2.Slab()[i] != w {
			t.Fatalf("weight %d differs after resume: %g vs %g", i, w, m2.Slab()[i])
		}
	}
	if err := o2.Restore(0, o1.M[:3], o1.V); !errors.Is(err, ErrOptimState) {
		t.Fatalf("short state: got %v", err)
	}
}

func TestLRSchedule(t *testing.T) {
	m := testModel(t, nil)
	o, err := NewAdamW(m, OptimConfig{LR: 1, WarmupSteps: 4, TotalSteps: 14, MinLRRatio: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{{1, 0.25}, {4, 1}, {9, 0.55}, {14, 0.1}, {100, 0.1}} {
		if got := o.LRAt(tc.step); math.Abs(float64(got)-tc.want) > 1e-6 {
			t.Errorf("LRAt(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}

// TestNoDecayOnNorms: with zero gradients, weight decay shrinks matrices
// but leaves norm weights alone.
func TestNoDecayOnNorms(t *testing.T) {
	m := testModel(t, nil)
	o, _ := NewAdamW(m, OptimConfig{LR: 0.1, WeightDecay: 0.5})
	m.ZeroGrad()
	normBefore := m.Params.Norm[0]
	wBefore := m.Params.Layers[0].Wq[0]
	if _, err := o.Update(m); err != nil {
		t.Fatal(err)
	}
	if m.Params.Norm[0] != normBefore {
		t.Errorf("norm weight decayed: %g → %g", normBefore, m.Params.Norm[0])
	}
	if want := wBefore * (1 - 0.1*0.5); math.Abs(float64(m.Params.Layers[0].Wq[0]-want)) > 1e-7 {
		t.Errorf("matrix weight: got %g, want %g", m.Params.Layers[0].Wq[0], want)
	}
}

func TestTensorsOf(t *testing.T) {
	m := testModel(t, nil)
	o, _ := NewAdamW(m, OptimConfig{LR: 1})
	ts, err := m.TensorsOf(o.M)
	if err != nil {
		t.Fatal(err)
	}
	ts[len(ts)-1].Data[0] = 7
	if o.M[len(o.M)-len(ts[len(ts)-1].Data)] != 7 || ts[0].Name != "model.embed_tokens.weight" {
		t.Fatal("TensorsOf does not alias the slab in layout order")
	}
	if _, err := m.TensorsOf(o.M[1:]); err == nil {
		t.Fatal("short slab: want error")
	}
}

func TestClone(t *testing.T) {
	m := testModel(t, nil)
	c := m.Clone()
	orig := c.Params.Layers[0].Wq[0]
	c.Params.Layers[0].Wq[0] = orig + 1
	if m.Params.Layers[0].Wq[0] == c.Params.Layers[0].Wq[0] {
		t.Fatal("Clone shares weights")
	}
	c.Params.Layers[0].Wq[0] = orig
	b := gradBatch(m.Config.VocabSize)
	l1, _, _ := m.Forward(NewWorkspace(), b)
	l2, _, _ := c.Forward(NewWorkspace(), b)
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("clone computes differently at %d: %g vs %g", i, l1[i], l2[i])
		}
	}
}

func TestUpdateSkipsNonFinite(t *testing.T) {
	m := testModel(t, nil)
	o, _ := NewAdamW(m, OptimConfig{LR: 0.1})
	m.ZeroGrad()
	m.GradSlab()[3] = float32(math.NaN())
	before := append([]float32(nil), m.Slab()...)
	if _, err := o.Update(m); !errors.Is(err, ErrNonFinite) {
		t.Fatalf("got %v, want ErrNonFinite", err)
	}
	if o.Step != 0 || !slices.Equal(before, m.Slab()) {
		t.Fatal("non-finite step changed state")
	}
}

// TestDefaultTargetsStopAtPadding: without Targets, the last real token of a
// right-padded row has no target (logp 0) instead of predicting padding.
func TestDefaultTargetsStopAtPadding(t *testing.T) {
	m := testModel(t, nil)
	lp, en, err := m.Forward(NewWorkspace(), &Batch{B: 1, T: 5, Tokens: []int32{1, 2, 3, 0, 0}, Mask: []float32{1, 1, 1, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if lp[2] != 0 || lp[1] == 0 || en[2] == 0 {
		t.Fatalf("logp %v entropy %v", lp, en)
	}
}

func TestWorkspaceAcrossModels(t *testing.T) {
	small := testModel(t, nil)
	big, err := New(TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	big.InitRandom(1, 0.02)
	ws := NewWorkspace()
	b := &Batch{B: 1, T: 4, Tokens: []int32{1, 2, 3, 4}}
	if _, _, err := small.Forward(ws, b); err != nil {
		t.Fatal(err)
	}
	want, _, _ := big.Forward(NewWorkspace(), b)
	want = slices.Clone(want)
	got, _, err := big.Forward(ws, b)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("reused workspace: %v, %v vs %v", err, got, want)
	}
}
