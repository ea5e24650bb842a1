package model_test

import (
	"context"
	"fmt"

	"github.com/terse-dev/terse/engine/model"
)

// One SFT step: Forward returns per-token log-probs, the loss is their
// negative mean, so dL/dlogp = −1/Ntokens; Backward accumulates, AdamW steps.
func ExampleModel_Forward() {
	m, err := model.New(model.TinyConfig())
	if err != nil {
		panic(err)
	}
	m.InitRandom(1, 0.02)
	opt, _ := model.NewAdamW(m, model.OptimConfig{LR: 1e-3, WeightDecay: 0.1, ClipNorm: 1})
	batch := &model.Batch{B: 1, T: 4, Tokens: []int32{1, 7, 7, 2}} // targets: next token
	ws := model.NewWorkspace()
	logp, _, err := m.Forward(ws, batch)
	if err != nil {
		panic(err)
	}
	dlogp := make([]float32, len(logp))
	for i := 0; i < 3; i++ { // the last position has no target
		dlogp[i] = -1.0 / 3
	}
	m.ZeroGrad()
	if err := m.Backward(ws, dlogp, nil); err != nil {
		panic(err)
	}
	st, _ := opt.Update(m)
	fmt.Printf("step %d, loss ≈ ln 64: %v\n", st.Step, -(logp[0]+logp[1]+logp[2])/3 > 4.1)
	// Output: step 1, loss ≈ ln 64: true
}

// Sampling a batch of prompts; each prompt i uses seed Seed+i.
func ExampleModel_Generate() {
	m, _ := model.New(model.TinyConfig())
	m.InitRandom(1, 0.02)
	seqs, err := m.Generate(context.Background(), [][]int32{{1, 5}, {1, 6, 9}},
		model.SampleOptions{Temperature: 0.6, TopP: 0.95, TopK: 20, Seed: 7, MaxNewTokens: 16, StopTokens: []int32{2}})
	if err != nil {
		panic(err)
	}
	for _, s := range seqs {
		fmt.Println(len(s.Tokens) == len(s.Logp), s.FinishReason != "")
	}
	// Output:
	// true true
	// true true
}
