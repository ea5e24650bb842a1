package model

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The two generations of HF config.json this package reads, checked against
// transformers' own configuration code:
//
//   - v4 (huggingface/transformers src/transformers/models/qwen3/configuration_qwen3.py
//     at 1f3ae2b3ac7e5b32262588602ff42efb372a6232, qwen2/configuration_qwen2.py at
//     caa3177646255d2cf73626315c8582722af4749c): __init__(rope_theta=10000.0,
//     rope_scaling=None, ...) stores a top-level rope_theta.
//   - v5 (configuration_qwen3.py and configuration_qwen2.py at
//     008e574391258935f3ecc3035c882e73bbcac419): dataclass fields
//     `rope_parameters: RopeParameters | dict | None`, `layer_types`, no
//     rope_theta; PreTrainedConfig (configuration_utils.py, same commit)
//     has `dtype` (torch_dtype is read as a BC alias) and its __post_init__
//     calls convert_rope_params_to_dict, which in modeling_rope_utils.py's
//     RotaryEmbeddingConfigMixin does `rope_parameters = rope_scaling or
//     rope_parameters`, then setdefault("rope_theta", kwargs.pop("rope_theta",
//     getattr(self, "rope_theta", default_theta))) with default_theta = 10_000.0,
//     and standardize_rope_params sets rope_type "default" when absent (or
//     from the legacy "type").
//
// v5 writes what the dataclass holds: qwen2V5 below is a transformers
// 5.7.0 config.json of Qwen2.5-1.5B-Instruct as quoted in a public
// repository (found with the search tools); qwen3V5 is Qwen3-0.6B's file
// rewritten the same way.

// qwen3V4 is Qwen3-0.6B's config.json as published (transformers 4.51).
const qwen3V4 = `{"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
	"bos_token_id":151643,"eos_token_id":151645,"head_dim":128,"hidden_act":"silu","hidden_size":1024,
	"initializer_range":0.02,"intermediate_size":3072,"max_position_embeddings":40960,"max_window_layers":28,
	"model_type":"qwen3","num_attention_heads":16,"num_hidden_layers":28,"num_key_value_heads":8,
	"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":1000000,"sliding_window":null,
	"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.51.0",
	"use_cache":true,"use_sliding_window":false,"vocab_size":151936}`

// qwen3V5 is the same model as transformers v5 writes it: rope_parameters
// and layer_types instead of rope_theta, dtype instead of torch_dtype.
var qwen3V5 = `{"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
	"bos_token_id":151643,"dtype":"bfloat16","eos_token_id":151645,"head_dim":128,"hidden_act":"silu",
	"hidden_size":1024,"initializer_range":0.02,"intermediate_size":3072,
	"layer_types":[` + strings.TrimSuffix(strings.Repeat(`"full_attention",`, 28), ",") + `],
	"max_position_embeddings":40960,"max_window_layers":28,"model_type":"qwen3","num_attention_heads":16,
	"num_hidden_layers":28,"num_key_value_heads":8,"pad_token_id":null,"rms_norm_eps":1e-06,
	"rope_parameters":{"rope_theta":1000000,"rope_type":"default"},"sliding_window":null,
	"tie_word_embeddings":true,"transformers_version":"5.0.0","use_cache":true,"use_sliding_window":false,
	"vocab_size":151936}`

// r1DistillQwen15B is DeepSeek-R1-Distill-Qwen-1.5B's config.json (v4
// form): qwen2, untied, θ = 10000, a sliding window declared but off. Its
// values agree with a transformers 4.48.3 print of the loaded config quoted
// in a public repository (which shows sliding_window null, as __init__
// drops it when use_sliding_window is false).
const r1DistillQwen15B = `{"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,
	"eos_token_id":151643,"hidden_act":"silu","hidden_size":1536,"initializer_range":0.02,"intermediate_size":8960,
	"max_position_embeddings":131072,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":12,
	"num_hidden_layers":28,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":10000,"sliding_window":4096,
	"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.44.0","use_cache":true,
	"use_mrope":false,"use_sliding_window":false,"vocab_size":151936}`

// qwen2V5 is a transformers 5.7.0 Qwen2 config.json (Qwen2.5-1.5B-Instruct).
var qwen2V5 = `{"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,
	"eos_token_id":151645,"hidden_act":"silu","hidden_size":1536,"initializer_range":0.02,"intermediate_size":8960,
	"layer_types":[` + strings.TrimSuffix(strings.Repeat(`"full_attention",`, 28), ",") + `],
	"max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":12,
	"num_hidden_layers":28,"num_key_value_heads":2,"pad_token_id":null,"rms_norm_eps":1e-06,
	"rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},"sliding_window":null,
	"tie_word_embeddings":true,"transformers_version":"5.7.0","use_cache":true,"use_sliding_window":false,
	"vocab_size":151936}`

func loadConfigString(t *testing.T, raw string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	return LoadConfig(path)
}

// TestConfigV4AndV5 reads the same Qwen3 model in both file forms, and the
// two Qwen2 files, and checks θ, the architecture and the parameter count.
func TestConfigV4AndV5(t *testing.T) {
	for _, c := range []struct {
		name    string
		raw     string
		arch    Arch
		theta   float64
		params  int
		headDim int
	}{
		{"qwen3 v4", qwen3V4, Arch{QKNorm: true}, 1e6, 596049920, 128},
		{"qwen3 v5", qwen3V5, Arch{QKNorm: true}, 1e6, 596049920, 128},
		// 1,777,088,000: the published size of DeepSeek-R1-Distill-Qwen-1.5B
		// (untied head, q/k/v biases).
		{"r1-distill-qwen-1.5b v4", r1DistillQwen15B, Arch{QKVBias: true}, 1e4, 1777088000, 128},
		// Qwen2.5-1.5B-Instruct: tied, so one V×C matrix less.
		{"qwen2 v5", qwen2V5, Arch{QKVBias: true}, 1e6, 1777088000 - 151936*1536, 128},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfigString(t, c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.RopeTheta != c.theta || cfg.Arch() != c.arch || cfg.HeadDim != c.headDim {
				t.Fatalf("θ %g arch %+v head_dim %d; want %g %+v %d", cfg.RopeTheta, cfg.Arch(), cfg.HeadDim, c.theta, c.arch, c.headDim)
			}
			if n := cfg.NumParams(); n != c.params {
				t.Fatalf("NumParams = %d, want %d", n, c.params)
			}
			// What terse writes back reads the same (Save marshals Config).
			out, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, err := loadConfigString(t, string(out))
			if err != nil || again.RopeTheta != c.theta || again.NumParams() != c.params {
				t.Fatalf("round trip: θ %g, %d params, %v", again.RopeTheta, again.NumParams(), err)
			}
		})
	}
}

// TestConfigRopeForms covers the RoPE resolution rules of transformers v5's
// convert_rope_params_to_dict and the refusal of every RoPE kind terse does
// not implement, each error naming the field.
func TestConfigRopeForms(t *testing.T) {
	base := func(extra string) string {
		return `{"model_type":"qwen3","vocab_size":64,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,
		"num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,"rms_norm_eps":1e-6,"hidden_act":"silu",
		"max_position_embeddings":128` + extra + `}`
	}
	for _, c := range []struct {
		name  string
		extra string
		theta float64 // want θ when valid
		field string  // want an error naming this field
	}{
		{"v4 rope_theta", `,"rope_theta":500000`, 5e5, ""},
		{"v5 rope_parameters", `,"rope_parameters":{"rope_type":"default","rope_theta":1000000}`, 1e6, ""},
		{"v5 without rope_type", `,"rope_parameters":{"rope_theta":20000}`, 2e4, ""},
		{"legacy type key", `,"rope_parameters":{"type":"default","rope_theta":30000}`, 3e4, ""},
		{"rope_parameters wins", `,"rope_theta":10,"rope_parameters":{"rope_type":"default","rope_theta":40000}`, 4e4, ""},
		{"rope_parameters without theta", `,"rope_theta":50000,"rope_parameters":{"rope_type":"default"}`, 5e4, ""},
		{"no theta at all: default_theta", ``, 1e4, ""},
		{"v4 default rope_scaling", `,"rope_theta":60000,"rope_scaling":{"rope_type":"default"}`, 6e4, ""},
		{"per layer type", `,"layer_types":["full_attention","full_attention"],"rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":70000}}`, 7e4, ""},
		{"explicit zero", `,"rope_theta":0`, 0, "rope_theta"},
		{"yarn", `,"rope_parameters":{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768,"rope_theta":1000000}`, 0, "rope_parameters.rope_type"},
		{"dynamic", `,"rope_parameters":{"rope_type":"dynamic","factor":2.0,"rope_theta":1000000}`, 0, "rope_parameters.rope_type"},
		{"v4 yarn rope_scaling", `,"rope_theta":1000000,"rope_scaling":{"type":"yarn","factor":4.0,"original_max_position_embeddings":32768}`, 0, "rope_scaling.rope_type"},
		{"linear", `,"rope_scaling":{"rope_type":"linear","factor":2.0}`, 0, "rope_scaling.rope_type"},
		{"partial", `,"rope_parameters":{"rope_type":"default","rope_theta":10000,"partial_rotary_factor":0.5}`, 0, "rope_parameters.partial_rotary_factor"},
		{"per layer yarn", `,"layer_types":["full_attention","full_attention"],"rope_parameters":{"full_attention":{"rope_type":"yarn","factor":4.0}}`, 0, "rope_parameters.full_attention.rope_type"},
		{"sliding layer", `,"layer_types":["full_attention","sliding_attention"]`, 0, "layer_types[1]"},
		{"layer count", `,"layer_types":["full_attention"]`, 0, "layer_types"},
		{"dtype", `,"dtype":"int8"`, 0, "dtype"},
		{"bad rope_parameters", `,"rope_parameters":[1]`, 0, "rope_parameters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfigString(t, base(c.extra))
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.RopeTheta != c.theta {
					t.Fatalf("θ = %g, want %g", cfg.RopeTheta, c.theta)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.field+":") {
				t.Fatalf("got %v, want ErrConfig naming %s", err, c.field)
			}
			t.Log(err)
		})
	}
}

// TestConfigQwen2Validate covers the qwen2-specific fields.
func TestConfigQwen2Validate(t *testing.T) {
	q2 := func() Config {
		c := TinyConfig()
		c.ModelType, c.Architectures = ModelQwen2, []string{"Qwen2ForCausalLM"}
		return c
	}
	if err := q2().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"qwen3 class name", func(c *Config) { c.Architectures = []string{"Qwen3ForCausalLM"} }, "architectures"},
		{"mrope", func(c *Config) { c.UseMrope = true }, "use_mrope"},
		{"sliding", func(c *Config) { w := 4096; c.SlidingWindow, c.UseSlidingWindow = &w, true }, "use_sliding_window"},
	} {
		cfg := q2()
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%s: got %v, want an error naming %s", c.name, err, c.field)
		}
	}
	// A declared but disabled window (R1-Distill: sliding_window 4096,
	// max_window_layers 21, use_sliding_window false) is full attention.
	cfg := q2()
	w := 4096
	cfg.SlidingWindow, cfg.MaxWindowLayers = &w, 21
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// Qwen2's layout: biases on q/k/v, no q/k norms.
	m, err := New(q2())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]int{}
	for _, tn := range m.Tensors() {
		names[tn.Name] = tn.Shape
	}
	for name, shape := range map[string][]int{
		"model.layers.0.self_attn.q_proj.bias": {128}, "model.layers.1.self_attn.k_proj.bias": {64},
		"model.layers.1.self_attn.v_proj.bias": {64},
	} {
		if got := names[name]; len(got) != 1 || got[0] != shape[0] {
			t.Errorf("%s: shape %v, want %v", name, got, shape)
		}
	}
	for _, name := range []string{"model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.o_proj.bias"} {
		if _, ok := names[name]; ok {
			t.Errorf("qwen2 has %s", name)
		}
	}
	m.InitRandom(1, 0.02)
	for _, b := range [][]float32{m.Params.Layers[0].Bq, m.Params.Layers[1].Bv} {
		for _, v := range b {
			if v != 0 {
				t.Fatalf("InitRandom left a bias at %g, want 0 (HF initialises Linear biases to zero)", v)
			}
		}
	}
}

// TestConfigHeadDimDefault: a qwen3 file without head_dim gets Qwen3Config's
// default 128 (not C/H); a qwen2 file gets C/H (Qwen2Attention's
// getattr(config, "head_dim", hidden_size // num_attention_heads)).
func TestConfigHeadDimDefault(t *testing.T) {
	for _, c := range []struct {
		modelType, arch string
		want            int
	}{{ModelQwen3, "Qwen3ForCausalLM", 128}, {ModelQwen2, "Qwen2ForCausalLM", 64}} {
		cfg, err := loadConfigString(t, `{"model_type":"`+c.modelType+`","architectures":["`+c.arch+`"],"vocab_size":64,
			"hidden_size":256,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,
			"rms_norm_eps":1e-6,"hidden_act":"silu","max_position_embeddings":16,"rope_theta":10000}`)
		if err != nil || cfg.HeadDim != c.want {
			t.Errorf("%s: head_dim %d (%v), want %d", c.modelType, cfg.HeadDim, err, c.want)
		}
	}
}
