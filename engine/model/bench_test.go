package model

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// smallConfig is a ≈5M-parameter model: 6 layers, C=256, 8/4 heads of 32,
// F=768, V=1024, untied.
func smallConfig() Config {
	c := TinyConfig()
	c.NumHiddenLayers, c.HiddenSize, c.IntermediateSize = 6, 256, 768
	c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize = 8, 4, 32, 1024
	return c
}

var peakOnce = sync.OnceValue(func() float64 {
	// Measured SGEMM peak on the 4096×384×128 shape, with the BLAS set-up the
	// model itself uses (see Model.SetBLAS).
	m, err := New(TinyConfig())
	if err != nil {
		return 0
	}
	be := m.blas
	M, N, K := 4096, 384, 128
	a, b, c := make([]float32, M*K), make([]float32, K*N), make([]float32, M*N)
	// (testing.Benchmark would deadlock inside a running benchmark.)
	be.Sgemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N)
	const reps = 20
	start := time.Now()
	for range reps {
		be.Sgemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N)
	}
	return 2 * float64(M*N*K) * reps / time.Since(start).Seconds() / 1e9
})

// trainFLOPs counts one fwd+bwd step: 6 FLOPs per matmul weight per token
// plus attention: QKᵀ and PV over the (query, key) pairs the blocked causal
// kernel computes, ×3 for forward + backward.
func trainFLOPs(c Config, B, T int) float64 {
	C, F, V, H, KVH, D := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	perLayer := C*H*D*2 + 2*C*KVH*D + 3*C*F
	mm := float64(c.NumHiddenLayers*perLayer + V*C)
	pairs := 0
	for t0 := 0; t0 < T; t0 += attnBlock {
		t1 := min(t0+attnBlock, T)
		pairs += (t1 - t0) * t1
	}
	attn := float64(c.NumHiddenLayers) * 2 * 2 * float64(B*H*pairs*D)
	return 6*mm*float64(B*T) + 3*attn
}

func benchTrain(b *testing.B, cfg Config, B, T int) {
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m.InitRandom(1, 0.02)
	r := rand.New(rand.NewPCG(1, 2))
	tok := make([]int32, B*T)
	for i := range tok {
		tok[i] = int32(r.IntN(cfg.VocabSize))
	}
	batch := &Batch{B: B, T: T, Tokens: tok}
	opt, err := NewAdamW(m, OptimConfig{LR: 1e-3, WeightDecay: 0.1, ClipNorm: 1})
	if err != nil {
		b.Fatal(err)
	}
	ws := NewWorkspace()
	dlogp := make([]float32, B*T)
	for i := range dlogp {
		dlogp[i] = -1 / float32(B*T)
	}
	step := func() {
		if _, _, err := m.Forward(ws, batch); err != nil {
			b.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(ws, dlogp, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.Update(m); err != nil {
			b.Fatal(err)
		}
	}
	step() // size the workspace
	b.Logf("blas: %s", m.blas.Name())
	peak := peakOnce()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	gflops := trainFLOPs(cfg, B, T) / sec / 1e9
	b.ReportMetric(float64(B*T)/sec, "tokens/s")
	b.ReportMetric(gflops, "GFLOP/s")
	if peak > 0 {
		b.ReportMetric(gflops/peak, "peak_frac")
	}
	b.ReportMetric(sec, "s/step")
}

// BenchmarkTrainStep: one fwd+bwd+AdamW step. "410k" is STACK.md's engine
// comparison (target ≤ 0.5 s/step on 2 cores); "5M" a larger lab model.
func BenchmarkTrainStep(b *testing.B) {
	b.Logf("measured SGEMM peak %.1f GFLOP/s", peakOnce())
	b.Run("410k/32x128", func(b *testing.B) { benchTrain(b, TinyConfig(), 32, 128) })
	b.Run("410k/8x512", func(b *testing.B) { benchTrain(b, TinyConfig(), 8, 512) })
	b.Run("5M/8x256", func(b *testing.B) { benchTrain(b, smallConfig(), 8, 256) })
}

func benchSample(b *testing.B, cfg Config, seqs, prompt, newTok int) {
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m.InitRandom(1, 0.02)
	r := rand.New(rand.NewPCG(1, 2))
	prompts := make([][]int32, seqs)
	for i := range prompts {
		prompts[i] = make([]int32, prompt)
		for j := range prompts[i] {
			prompts[i][j] = int32(r.IntN(cfg.VocabSize))
		}
	}
	opts := SampleOptions{Temperature: 1, TopP: 0.95, TopK: 20, MaxNewTokens: newTok}
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		out, err := m.Generate(context.Background(), prompts, opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range out {
			total += len(s.Tokens)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkSample: KV-cached sampling of 128 new tokens after a 16-token
// prompt (target ≥ 10,000 tokens/s at 32 sequences on 2 cores).
func BenchmarkSample(b *testing.B) {
	b.Run("410k/seqs=32", func(b *testing.B) { benchSample(b, TinyConfig(), 32, 16, 128) })
	b.Run("410k/seqs=256", func(b *testing.B) { benchSample(b, TinyConfig(), 256, 16, 128) })
	b.Run("5M/seqs=32", func(b *testing.B) { benchSample(b, smallConfig(), 32, 16, 128) })
}
