package checkpoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/safetensors"
)

// r1DistillConfig is DeepSeek-R1-Distill-Qwen-1.5B's config.json (v4 form,
// as published) with the sizes shrunk to TinyConfig's: model_type qwen2,
// no head_dim (D = C/H), untied, θ = 10000, a declared sliding window that
// use_sliding_window turns off.
const r1DistillConfig = `{
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 0,
  "eos_token_id": 1, "hidden_act": "silu", "hidden_size": 128, "initializer_range": 0.02,
  "intermediate_size": 384, "max_position_embeddings": 131072, "max_window_layers": 21,
  "model_type": "qwen2", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06, "rope_theta": 10000, "sliding_window": 4096, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "transformers_version": "4.44.0", "use_cache": true, "use_mrope": false,
  "use_sliding_window": false, "vocab_size": 64
}`

// qwen2V5Config is the same model as transformers v5 writes it
// (rope_parameters, layer_types, dtype; see engine/model's config tests for
// the upstream files).
const qwen2V5Config = `{
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 0, "dtype": "bfloat16",
  "eos_token_id": 1, "hidden_act": "silu", "hidden_size": 128, "initializer_range": 0.02,
  "intermediate_size": 384, "layer_types": ["full_attention", "full_attention"],
  "max_position_embeddings": 131072, "max_window_layers": 21, "model_type": "qwen2",
  "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "pad_token_id": null,
  "rms_norm_eps": 1e-06, "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"},
  "sliding_window": null, "tie_word_embeddings": false, "transformers_version": "5.7.0",
  "use_cache": true, "use_mrope": false, "use_sliding_window": false, "vocab_size": 64
}`

// qwen2Model is a random Qwen2 model of r1DistillConfig's shape (biases
// set by randomModel's per-vector pattern, so they are non-zero).
func qwen2Model(t testing.TB, seed uint64, edit func(*model.Config)) *model.Model {
	t.Helper()
	return randomModel(t, seed, func(c *model.Config) {
		if err := json.Unmarshal([]byte(r1DistillConfig), c); err != nil {
			t.Fatal(err)
		}
		c.MaxPositionEmbeddings = 1024
		if edit != nil {
			edit(c)
		}
	})
}

// TestLoadQwen2 loads an R1-Distill-shaped HF checkpoint (two bf16 shards,
// q/k/v biases) under both config.json forms and checks every tensor and
// the logits; Save then writes it back as qwen2.
func TestLoadQwen2(t *testing.T) {
	m := qwen2Model(t, 3, nil)
	if m.Config.HeadDim != 32 || len(m.Params.Layers[1].Bk) != 64 {
		t.Fatalf("head_dim %d, k bias %d", m.Config.HeadDim, len(m.Params.Layers[1].Bk))
	}
	for _, form := range []struct{ name, cfg string }{{"v4", r1DistillConfig}, {"v5", qwen2V5Config}} {
		t.Run(form.name, func(t *testing.T) {
			dir := t.TempDir()
			writeShardedBF16(t, dir, m, nil)
			os.WriteFile(filepath.Join(dir, ConfigFile), []byte(form.cfg), 0o644)
			m2, _, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m2.Config.RopeTheta != 1e4 || m2.Config.Arch() != (model.Arch{QKVBias: true}) || m2.Config.TieWordEmbeddings {
				t.Fatalf("config = %+v", m2.Config)
			}
			a, b := m.Tensors(), m2.Tensors()
			biases := 0
			for i := range a {
				if strings.HasSuffix(a[i].Name, ".bias") {
					biases++
				}
				for j, v := range a[i].Data {
					if want := safetensors.BF16ToF32(safetensors.F32ToBF16(v)); b[i].Data[j] != want {
						t.Fatalf("%s[%d] = %g, want %g", a[i].Name, j, b[i].Data[j], want)
					}
				}
			}
			if biases != 6 {
				t.Fatalf("%d bias tensors, want 6", biases)
			}
			out := filepath.Join(t.TempDir(), "resaved")
			if err := Save(out, m2, nil); err != nil {
				t.Fatal(err)
			}
			var cfg map[string]any
			raw, _ := os.ReadFile(filepath.Join(out, ConfigFile))
			json.Unmarshal(raw, &cfg)
			if cfg["model_type"] != "qwen2" || cfg["architectures"].([]any)[0] != "Qwen2ForCausalLM" || cfg["rope_theta"] != 1e4 {
				t.Errorf("resaved config.json = %v", cfg)
			}
			m3, _, err := Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m2.Slab(), m3.Slab()) {
				t.Error("weights differ after Save/Load")
			}
		})
	}
	// A Qwen2 checkpoint without its biases is refused, naming the tensor.
	dir := t.TempDir()
	q3 := randomModel(t, 4, func(c *model.Config) {
		json.Unmarshal([]byte(r1DistillConfig), c)
		c.ModelType, c.Architectures = model.ModelQwen3, nil
	})
	writeShardedBF16(t, dir, q3, nil)
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(r1DistillConfig), 0o644)
	if _, _, err := Load(dir); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "q_proj.bias") {
		t.Errorf("qwen2 config over qwen3 weights: %v", err)
	}
}
