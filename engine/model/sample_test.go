package model

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func sampleModel(t testing.TB) *Model { return sampleModelArch(t, ModelQwen3) }

// sampleModelArch is the sampling-test model of a model_type; a Qwen2
// model gets random (non-zero) q/k/v biases.
func sampleModelArch(t testing.TB, modelType string) *Model {
	t.Helper()
	cfg := TinyConfig()
	cfg.ModelType = modelType
	cfg.Architectures = []string{cfg.Architecture()}
	cfg.MaxPositionEmbeddings = 64
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(3, 0.2)
	r := rand.New(rand.NewPCG(4, 4))
	for _, s := range m.specs {
		if s.bias {
			for i := range m.slab[s.off : s.off+s.size] {
				m.slab[s.off+i] = float32(r.NormFloat64() * 0.2) // the weights' scale
			}
		}
	}
	return m
}

// TestDecodeMatchesFullForward: the KV-cached decoder's logits at every step
// equal the full forward's logits at that position, with sequences joining
// the batch mid-way (prefill and decode rows mixed in one step).
func TestDecodeMatchesFullForward(t *testing.T) {
	for _, mt := range []string{ModelQwen3, ModelQwen2} {
		t.Run(mt, func(t *testing.T) { testDecodeMatchesFullForward(t, sampleModelArch(t, mt)) })
	}
}

func testDecodeMatchesFullForward(t *testing.T, m *Model) {
	V := m.Config.VocabSize
	d := m.NewDecoder()
	prompts := [][]int32{{1, 5, 9, 3}, {7}, {2, 2, 8, 4, 6, 10, 11}}
	opts := SampleOptions{Temperature: 0.8, Seed: 1, MaxNewTokens: 6}
	var seqs []*Sequence
	ws := NewWorkspace()
	var maxDiff float64
	for step := 0; step < 8; step++ {
		if step < len(prompts) { // one new sequence joins per step
			s, err := d.Add(prompts[step], opts)
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, s)
		}
		// What each active sequence will have been fed after this step.
		active := d.Active()
		fed := make([][]int32, len(active))
		for i, s := range active {
			fed[i] = append(slices.Clone(s.Prompt), s.Tokens...)
		}
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i := range active {
			full, err := m.Logits(ws, &Batch{B: 1, T: len(fed[i]), Tokens: fed[i]})
			if err != nil {
				t.Fatal(err)
			}
			want := full[(len(fed[i])-1)*V:]
			got := d.logits[i*V : (i+1)*V]
			for j := range want {
				maxDiff = max(maxDiff, math.Abs(float64(got[j]-want[j])))
			}
		}
	}
	t.Logf("max |decode − full| logit diff: %.2e", maxDiff)
	if maxDiff > 1e-4 {
		t.Fatalf("KV-cached logits differ from full forward by %g", maxDiff)
	}
	for _, s := range seqs {
		if s.FinishReason != FinishLength || len(s.Tokens) != 6 {
			t.Errorf("seq %d: %d tokens, finish %q", s.ID, len(s.Tokens), s.FinishReason)
		}
	}
}

// TestSamplingDeterministicAndBatchInvariant: same seed → same output; a
// sequence decoded alone equals the same sequence decoded in a batch.
func TestSamplingDeterministicAndBatchInvariant(t *testing.T) {
	m := sampleModel(t)
	ctx := context.Background()
	prompts := [][]int32{{1, 2, 3}, {4, 5}, {6, 7, 8, 9, 10}, {1, 2, 3}, {11}}
	opts := SampleOptions{Temperature: 1.0, TopP: 0.95, TopK: 20, Seed: 42, MaxNewTokens: 20}
	batch, err := m.Generate(ctx, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Generate(ctx, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(batch[i].Tokens, again[i].Tokens) {
			t.Fatalf("prompt %d: two runs differ: %v vs %v", i, batch[i].Tokens, again[i].Tokens)
		}
		o := opts
		o.Seed = opts.Seed + uint64(i)
		alone, err := m.GenerateEach(ctx, []Request{{Prompt: prompts[i], Options: o}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(batch[i].Tokens, alone[0].Tokens) {
			t.Fatalf("prompt %d: batched %v vs alone %v", i, batch[i].Tokens, alone[0].Tokens)
		}
	}
	// Prompts 0 and 3 are equal but have different seeds.
	if slices.Equal(batch[0].Tokens, batch[3].Tokens) {
		t.Errorf("different seeds gave identical 20-token samples %v", batch[0].Tokens)
	}
}

// TestSampleLogpMatchesForward: the reported per-token log-probs and
// entropies are what Forward computes at the same temperature (RL's
// behaviour-policy log-probs).
func TestSampleLogpMatchesForward(t *testing.T) {
	for _, mt := range []string{ModelQwen3, ModelQwen2} {
		t.Run(mt, func(t *testing.T) { testSampleLogpMatchesForward(t, sampleModelArch(t, mt)) })
	}
}

func testSampleLogpMatchesForward(t *testing.T, m *Model) {
	for _, temp := range []float32{0, 0.6, 1.3} {
		seqs, err := m.Generate(context.Background(), [][]int32{{3, 1, 4, 1, 5}}, SampleOptions{Temperature: temp, TopK: 10, Seed: 9, MaxNewTokens: 12})
		if err != nil {
			t.Fatal(err)
		}
		s := seqs[0]
		full := append(slices.Clone(s.Prompt), s.Tokens...)
		P := len(s.Prompt)
		targets := make([]int32, len(full))
		for i := range targets {
			targets[i] = -1
			if i >= P-1 && i+1 < len(full) {
				targets[i] = full[i+1]
			}
		}
		lp, ent, err := m.Forward(NewWorkspace(), &Batch{B: 1, T: len(full), Tokens: full, Targets: targets, Temperature: temp})
		if err != nil {
			t.Fatal(err)
		}
		var maxDiff float64
		for i := range s.Tokens {
			maxDiff = max(maxDiff, math.Abs(float64(lp[P-1+i]-s.Logp[i])), math.Abs(float64(ent[P-1+i]-s.Entropy[i])))
		}
		t.Logf("temperature %g: max |sample − forward| = %.2e", temp, maxDiff)
		if maxDiff > 1e-4 {
			t.Fatalf("temperature %g: sampled logp/entropy differ from Forward by %g", temp, maxDiff)
		}
	}
}

func TestGreedyEqualsTopK1(t *testing.T) {
	m := sampleModel(t)
	p := [][]int32{{5, 6, 7}}
	g, _ := m.Generate(context.Background(), p, SampleOptions{MaxNewTokens: 15})
	k, _ := m.Generate(context.Background(), p, SampleOptions{Temperature: 1, TopK: 1, Seed: 3, MaxNewTokens: 15})
	if !slices.Equal(g[0].Tokens, k[0].Tokens) {
		t.Fatalf("greedy %v vs top-k=1 %v", g[0].Tokens, k[0].Tokens)
	}
}

func TestStopRules(t *testing.T) {
	m := sampleModel(t)
	ctx := context.Background()
	base, _ := m.Generate(ctx, [][]int32{{1, 2}}, SampleOptions{MaxNewTokens: 10})
	toks := base[0].Tokens
	// A stop token at the 4th generated token ends there (kept as last token).
	stopTok := toks[3]
	first := slices.Index(toks, stopTok)
	s, _ := m.Generate(ctx, [][]int32{{1, 2}}, SampleOptions{MaxNewTokens: 10, StopTokens: []int32{stopTok}})
	if s[0].FinishReason != FinishStop || len(s[0].Tokens) != first+1 {
		t.Errorf("stop token: got %v %q, want %d tokens", s[0].Tokens, s[0].FinishReason, first+1)
	}
	cb, _ := m.Generate(ctx, [][]int32{{1, 2}}, SampleOptions{MaxNewTokens: 10, Stop: func(t []int32) bool { return len(t) == 2 }})
	if cb[0].FinishReason != FinishStop || len(cb[0].Tokens) != 2 {
		t.Errorf("stop callback: got %d tokens %q", len(cb[0].Tokens), cb[0].FinishReason)
	}
	if base[0].FinishReason != FinishLength || len(toks) != 10 {
		t.Errorf("max tokens: got %d tokens %q", len(toks), base[0].FinishReason)
	}
	// The context window ends a sequence with "length" too.
	long := make([]int32, 62)
	w, err := m.Generate(ctx, [][]int32{long}, SampleOptions{MaxNewTokens: 10})
	if err != nil || w[0].FinishReason != FinishLength || len(w[0].Tokens) != 3 {
		t.Errorf("context full: %v tokens, %q, %v", w[0].Tokens, w[0].FinishReason, err)
	}
}

func TestSampleErrors(t *testing.T) {
	m := sampleModel(t)
	d := m.NewDecoder()
	for _, tc := range []struct {
		p []int32
		o SampleOptions
	}{
		{nil, SampleOptions{MaxNewTokens: 1}},
		{[]int32{1}, SampleOptions{}},
		{[]int32{99}, SampleOptions{MaxNewTokens: 1}},
		{[]int32{1}, SampleOptions{MaxNewTokens: 1, TopP: 2}},
		{[]int32{1}, SampleOptions{MaxNewTokens: 1, Temperature: -1}},
		{make([]int32, 65), SampleOptions{MaxNewTokens: 1}},
	} {
		if _, err := d.Add(tc.p, tc.o); !errors.Is(err, ErrSample) {
			t.Errorf("Add(%v, %+v): got %v, want ErrSample", tc.p, tc.o, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Generate(ctx, [][]int32{{1}}, SampleOptions{MaxNewTokens: 5}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: got %v", err)
	}
}

func TestDrawToken(t *testing.T) {
	prob := []float32{0.2, 0.5, 0.3}
	idx := make([]int32, 3)
	seen := func(k int, p float32) map[int32]bool {
		out := map[int32]bool{}
		for u := 0.0; u < 1; u += 0.01 {
			out[drawToken(prob, idx, k, p, u)] = true
		}
		return out
	}
	if s := seen(0, 0); len(s) != 3 {
		t.Errorf("no truncation reaches %v", s)
	}
	if s := seen(2, 0); s[0] || !s[1] || !s[2] {
		t.Errorf("top-k=2 reaches %v, want {1,2}", s)
	}
	if s := seen(0, 0.5); len(s) != 1 || !s[1] {
		t.Errorf("top-p=0.5 reaches %v, want {1}", s)
	}
	if s := seen(0, 0.6); len(s) != 2 || !s[1] || !s[2] {
		t.Errorf("top-p=0.6 reaches %v, want {1,2}", s)
	}
	// Inverse CDF without truncation: u < 0.2 → 0, < 0.7 → 1, else 2.
	for _, tc := range []struct {
		u    float64
		want int32
	}{{0.1, 0}, {0.3, 1}, {0.69, 1}, {0.71, 2}} {
		if got := drawToken(prob, idx, 0, 0, tc.u); got != tc.want {
			t.Errorf("u=%g: got %d want %d", tc.u, got, tc.want)
		}
	}
}

func TestQuickselect(t *testing.T) {
	a := []int32{9, 3, 7, 1, 8, 2, 6, 4, 5, 0}
	for k := 1; k <= len(a); k++ {
		b := slices.Clone(a)
		quickselect(b, k, func(x, y int32) int { return int(x - y) })
		top := slices.Clone(b[:k])
		slices.Sort(top)
		for i, v := range top {
			if v != int32(i) {
				t.Fatalf("k=%d: first k = %v", k, b[:k])
			}
		}
	}
}

// TestChunkedPrefill: prompts fed in chunks of 2 rows per step produce the
// same tokens and log-probs as prompts fed whole.
func TestChunkedPrefill(t *testing.T) {
	m := sampleModel(t)
	prompts := [][]int32{{1, 5, 9, 3, 2, 8, 7}, {7}, {2, 2, 8, 4, 6}}
	opts := SampleOptions{Temperature: 0.9, Seed: 5, MaxNewTokens: 8}
	run := func(maxRows int) []*Sequence {
		d := m.NewDecoder()
		d.MaxPrefillRows = maxRows
		var out []*Sequence
		for i, p := range prompts {
			o := opts
			o.Seed += uint64(i)
			s, err := d.Add(p, o)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		steps := 0
		for d.Len() > 0 {
			if _, err := d.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
			steps++
		}
		t.Logf("MaxPrefillRows=%d: %d steps", maxRows, steps)
		return out
	}
	whole, chunked := run(2048), run(2)
	for i := range prompts {
		if !slices.Equal(whole[i].Tokens, chunked[i].Tokens) {
			t.Fatalf("prompt %d: whole %v vs chunked %v", i, whole[i].Tokens, chunked[i].Tokens)
		}
		for j := range whole[i].Logp {
			if d := math.Abs(float64(whole[i].Logp[j] - chunked[i].Logp[j])); d > 1e-4 {
				t.Fatalf("prompt %d token %d: logp differs by %g", i, j, d)
			}
		}
	}
}

// TestConcurrentDecoders: two Decoders sampling from one Model at once give
// the same results as one after the other (run with -race).
func TestConcurrentDecoders(t *testing.T) {
	m := sampleModel(t)
	prompts := [][]int32{{1, 2, 3}, {9, 8}}
	opts := SampleOptions{Temperature: 1, Seed: 77, MaxNewTokens: 10}
	want, err := m.Generate(context.Background(), prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]*Sequence, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i], errs[i] = m.Generate(context.Background(), prompts, opts)
			done <- i
		}()
	}
	<-done
	<-done
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for j := range prompts {
			if !slices.Equal(got[i][j].Tokens, want[j].Tokens) {
				t.Fatalf("concurrent decoder %d prompt %d: %v vs %v", i, j, got[i][j].Tokens, want[j].Tokens)
			}
		}
	}
}

func TestStopPanicIsError(t *testing.T) {
	m := sampleModel(t)
	_, err := m.Generate(context.Background(), [][]int32{{1}}, SampleOptions{MaxNewTokens: 3, Stop: func([]int32) bool { panic("boom") }})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
}

// refDraw is drawToken by brute force: sort every token, apply top-k, then
// top-p on the renormalised candidates, then the inverse CDF.
func refDraw(prob []float32, topK int, topP float32, u float64) int32 {
	idx := make([]int32, len(prob))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		switch {
		case prob[a] > prob[b]:
			return -1
		case prob[a] < prob[b]:
			return 1
		}
		return int(a - b)
	})
	if topK > 0 && topK < len(idx) {
		idx = idx[:topK]
	}
	var total float64
	for _, j := range idx {
		total += float64(prob[j])
	}
	if topP > 0 && topP < 1 {
		var cum float64
		for i, j := range idx {
			cum += float64(prob[j])
			if cum >= float64(topP)*total {
				idx = idx[:i+1]
				break
			}
		}
	}
	var kept, cum float64
	for _, j := range idx {
		kept += float64(prob[j])
	}
	for _, j := range idx {
		cum += float64(prob[j])
		if cum > u*kept {
			return j
		}
	}
	return idx[len(idx)-1]
}

func TestDrawTokenMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	V := 2000
	idx := make([]int32, V)
	for trial := 0; trial < 20; trial++ {
		// Peaked logits so most tokens fall below the prefilter threshold.
		prob := make([]float32, V)
		var sum float64
		sharp := 1 + float64(trial%5)*3
		for i := range prob {
			p := math.Exp(r.NormFloat64() * sharp)
			prob[i] = float32(p)
			sum += p
		}
		for i := range prob {
			prob[i] = float32(float64(prob[i]) / sum)
		}
		for _, tc := range []struct {
			k int
			p float32
		}{{0, 0.9}, {0, 0.5}, {0, 0.999}, {20, 0.95}, {50, 0}, {3, 0.6}} {
			for _, u := range []float64{0, 0.13, 0.5, 0.77, 0.999} {
				if got, want := drawToken(prob, idx, tc.k, tc.p, u), refDraw(prob, tc.k, tc.p, u); got != want {
					t.Fatalf("trial %d k=%d p=%g u=%g: got %d want %d", trial, tc.k, tc.p, u, got, want)
				}
			}
		}
	}
	// Top-p after top-k uses the renormalised top-k mass (HF order).
	prob := []float32{0.4, 0.3, 0.2, 0.1}
	for u := 0.0; u < 1; u += 0.05 {
		if got := drawToken(prob, make([]int32, 4), 2, 0.5, u); got != 0 {
			t.Fatalf("top-k=2, top-p=0.5: got token %d at u=%g, want only 0", got, u)
		}
	}
}

func TestRowGroups(t *testing.T) {
	for _, c := range []struct {
		name     string
		rowStart []int
		P        int
		want     []int // nil: no split
	}{
		{"decode 8 seqs, 2 workers", []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, 2, []int{0, 4, 8}},
		{"decode 9 seqs, 2 workers", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2, []int{0, 5, 9}},
		{"decode 12 seqs, 3 workers", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, []int{0, 4, 8, 12}},
		{"one worker", []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, 1, nil},
		{"fewer seqs than workers", []int{0, 40}, 2, nil},
		{"too few rows", []int{0, 1, 2, 3}, 2, nil},
		{"equal prompts", []int{0, 10, 20, 30, 40}, 2, []int{0, 2, 4}},
		{"one long prompt among short", []int{0, 100, 101, 102, 103}, 2, nil},
		{"mild imbalance kept", []int{0, 3, 6, 9, 12, 15, 18, 21}, 2, []int{0, 4, 7}},
	} {
		got := rowGroups(nil, c.rowStart, c.P)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: rowGroups(%v, P=%d) = %v, want %v", c.name, c.rowStart, c.P, got, c.want)
		}
	}
}

// TestRowGroupsMatchWholeBatch: a batch decoded with one fork per step (rows
// split into groups, single-threaded kernels) yields the tokens, log-probs
// and entropies of the same batch run as one group with split GEMMs.
func TestRowGroupsMatchWholeBatch(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, mt := range []string{ModelQwen3, ModelQwen2} {
		t.Run(mt, func(t *testing.T) { testRowGroupsMatchWholeBatch(t, sampleModelArch(t, mt)) })
	}
}

func testRowGroupsMatchWholeBatch(t *testing.T, m *Model) {
	r := rand.New(rand.NewPCG(5, 6))
	var prompts [][]int32
	for range 13 {
		p := make([]int32, 1+r.IntN(6))
		for j := range p {
			p[j] = int32(r.IntN(m.Config.VocabSize))
		}
		prompts = append(prompts, p)
	}
	run := func(oneGroup bool) []*Sequence {
		d := m.NewDecoder()
		d.oneGroup = oneGroup
		var seqs []*Sequence
		for i, p := range prompts {
			s, err := d.Add(p, SampleOptions{Temperature: 1, Seed: uint64(i), MaxNewTokens: 24})
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, s)
		}
		grouped := 0
		for d.Len() > 0 {
			if _, err := d.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
			if d.groups != nil && len(d.groups) == 4 {
				grouped++
			}
		}
		if oneGroup && grouped > 0 || !oneGroup && grouped == 0 {
			t.Fatalf("oneGroup %v: %d steps ran in row groups", oneGroup, grouped)
		}
		return seqs
	}
	whole, grouped := run(true), run(false)
	// The two paths partition the GEMMs differently (OpenBLAS picks its
	// kernels by shape), so they agree to float32 rounding: each log-prob
	// and entropy to 1e-5 relative to its size (at least 1).
	var maxRel float64
	for i := range whole {
		if !slices.Equal(whole[i].Tokens, grouped[i].Tokens) {
			t.Fatalf("seq %d: whole batch %v, row groups %v", i, whole[i].Tokens, grouped[i].Tokens)
		}
		rel := func(a, b float32) float64 {
			return math.Abs(float64(a-b)) / max(1, math.Abs(float64(a)))
		}
		for j := range whole[i].Logp {
			maxRel = max(maxRel, rel(whole[i].Logp[j], grouped[i].Logp[j]), rel(whole[i].Entropy[j], grouped[i].Entropy[j]))
		}
	}
	t.Logf("max relative |Δ logp|, |Δ entropy| between row groups and whole batch: %.2e", maxRel)
	if maxRel > 1e-5 {
		t.Fatalf("row groups change log-probs by %g (relative)", maxRel)
	}
}
