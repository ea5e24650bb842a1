package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/gguf"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// TestExportGGUFQwen2 runs `terse export gguf` on a Qwen2 (R1-Distill
// layout) checkpoint directory: the file is a llama.cpp "qwen2" model
// carrying the q/k/v biases under llama.cpp's names.
func TestExportGGUFQwen2(t *testing.T) {
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{tokenizer.EndOfText, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet: "0123456789+-*= \nabc",
		EOS:      tokenizer.EndOfText,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.TinyConfig()
	cfg.ModelType, cfg.Architectures, cfg.HeadDim = model.ModelQwen2, []string{"Qwen2ForCausalLM"}, 0
	cfg.VocabSize, cfg.EOSTokenID = tok.VocabSize(), model.TokenIDs{0}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(1, 0.02)
	for i := range m.Params.Layers[1].Bv {
		m.Params.Layers[1].Bv[i] = float32(i)
	}
	dir := filepath.Join(t.TempDir(), "r1-tiny")
	if err := checkpoint.Save(dir, m, tok); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r1-tiny.gguf")
	if _, err := runExportCLI(t, "gguf", "--model", dir, "--out", out); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.Get("general.architecture"); a != "qwen2" {
		t.Errorf("general.architecture = %v, want qwen2", a)
	}
	if _, ok := f.Get("qwen2.attention.head_count_kv"); !ok {
		t.Error("no qwen2.attention.head_count_kv")
	}
	bv, info, err := f.Float32("blk.1.attn_v.bias")
	if err != nil || !slices.Equal(info.Shape(), []int{64}) || !slices.Equal(bv, m.Params.Layers[1].Bv) {
		t.Errorf("blk.1.attn_v.bias: shape %v, err %v", info.Shape(), err)
	}
	if _, _, err := f.Float32("blk.0.attn_q_norm.weight"); err == nil {
		t.Error("qwen2 GGUF has attn_q_norm")
	}
}
