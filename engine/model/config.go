package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// Config holds the Qwen3 hyperparameters with HF config.json names.
type Config struct {
	VocabSize             int      `json:"vocab_size"`              // V
	HiddenSize            int      `json:"hidden_size"`             // C
	IntermediateSize      int      `json:"intermediate_size"`       // F
	NumHiddenLayers       int      `json:"num_hidden_layers"`       // L
	NumAttentionHeads     int      `json:"num_attention_heads"`     // H
	NumKeyValueHeads      int      `json:"num_key_value_heads"`     // KVH
	HeadDim               int      `json:"head_dim"`                // D; 0 means C/H
	RMSNormEps            float64  `json:"rms_norm_eps"`            // ε inside every RMSNorm
	RopeTheta             float64  `json:"rope_theta"`              // RoPE base θ
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`     // lm_head shares embed_tokens
	MaxPositionEmbeddings int      `json:"max_position_embeddings"` // positions must be < this
	BOSTokenID            int      `json:"bos_token_id"`
	EOSTokenID            TokenIDs `json:"eos_token_id"` // int or list in HF files
	ModelType             string   `json:"model_type"`   // "qwen3"
	Architectures         []string `json:"architectures,omitempty"`
	TorchDtype            string   `json:"torch_dtype,omitempty"` // dtype of the stored weights; compute is float32
	HiddenAct             string   `json:"hidden_act"`            // "silu"
	AttentionBias         bool     `json:"attention_bias"`        // must be false
	AttentionDropout      float64  `json:"attention_dropout"`
	InitializerRange      float64  `json:"initializer_range,omitempty"`
	UseCache              bool     `json:"use_cache"`
	UseSlidingWindow      bool     `json:"use_sliding_window"` // must be false
	SlidingWindow         *int     `json:"sliding_window,omitempty"`
	MaxWindowLayers       int      `json:"max_window_layers,omitempty"`
	// RopeScaling must be null: scaled RoPE variants are not implemented.
	RopeScaling         json.RawMessage `json:"rope_scaling,omitempty"`
	TransformersVersion string          `json:"transformers_version,omitempty"`
}

// TokenIDs is a list of token ids that reads HF's "int or list of ints".
type TokenIDs []int

// UnmarshalJSON accepts null, an int or a list of ints.
func (t *TokenIDs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var ids []int
		if err := json.Unmarshal(b, &ids); err != nil {
			return err
		}
		*t = ids
		return nil
	}
	var id int
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	*t = TokenIDs{id}
	return nil
}

// MarshalJSON writes a single id as an int, as HF's config.json does.
func (t TokenIDs) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0])
	}
	return json.Marshal([]int(t))
}

// TinyConfig returns the ≈410k-parameter model of STACK.md's engine
// comparison: 2 layers, C=128, 4 query / 2 KV heads, D=32, F=384, V=64.
func TinyConfig() Config {
	return Config{
		VocabSize: 64, HiddenSize: 128, IntermediateSize: 384, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 32,
		RMSNormEps: 1e-6, RopeTheta: 10000, MaxPositionEmbeddings: 1024,
		BOSTokenID: 1, EOSTokenID: TokenIDs{2}, ModelType: "qwen3",
		Architectures: []string{"Qwen3ForCausalLM"}, TorchDtype: "float32",
		HiddenAct: "silu", InitializerRange: 0.02, UseCache: true,
	}
}

// LoadConfig reads an HF config.json and validates it.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("model: read config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return Config{}, fmt.Errorf("model: parse %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c.normalized(), nil
}

// HeadDimOrDefault returns D: head_dim, or C/H when head_dim is 0.
func (c Config) HeadDimOrDefault() int {
	if c.HeadDim > 0 {
		return c.HeadDim
	}
	if c.NumAttentionHeads > 0 {
		return c.HiddenSize / c.NumAttentionHeads
	}
	return 0
}

func (c Config) normalized() Config {
	c.HeadDim = c.HeadDimOrDefault()
	return c
}

// Validate checks that the configuration describes a Qwen3 decoder this
// package implements. Each error names the offending config.json field.
func (c Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
	}
	pos := []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"num_key_value_heads", c.NumKeyValueHeads}, {"max_position_embeddings", c.MaxPositionEmbeddings},
	}
	for _, p := range pos {
		if p.v <= 0 {
			return bad(p.name, "must be positive, got %d", p.v)
		}
	}
	if c.ModelType != "qwen3" {
		return bad("model_type", "want \"qwen3\", got %q", c.ModelType)
	}
	for _, a := range c.Architectures {
		if a != "Qwen3ForCausalLM" {
			return bad("architectures", "want [\"Qwen3ForCausalLM\"], got %q", a)
		}
	}
	if c.HeadDim < 0 {
		return bad("head_dim", "must not be negative, got %d", c.HeadDim)
	}
	if c.HeadDim == 0 && c.HiddenSize%c.NumAttentionHeads != 0 {
		return bad("head_dim", "is 0 and hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	}
	if d := c.HeadDimOrDefault(); d%2 != 0 {
		return bad("head_dim", "RoPE needs an even head dim, got %d", d)
	}
	if c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return bad("num_key_value_heads", "%d does not divide num_attention_heads %d", c.NumKeyValueHeads, c.NumAttentionHeads)
	}
	if !(c.RMSNormEps > 0) {
		return bad("rms_norm_eps", "must be positive, got %g", c.RMSNormEps)
	}
	if !(c.RopeTheta > 0) {
		return bad("rope_theta", "must be positive, got %g", c.RopeTheta)
	}
	if c.HiddenAct != "silu" {
		return bad("hidden_act", "only \"silu\" is implemented, got %q", c.HiddenAct)
	}
	if c.AttentionBias {
		return bad("attention_bias", "must be false for Qwen3")
	}
	if c.UseSlidingWindow {
		return bad("use_sliding_window", "sliding-window attention is not implemented")
	}
	if rs := bytes.TrimSpace(c.RopeScaling); len(rs) > 0 && !bytes.Equal(rs, []byte("null")) {
		return bad("rope_scaling", "scaled RoPE is not implemented, got %s", rs)
	}
	switch c.TorchDtype {
	case "", "float32", "bfloat16", "float16":
	default:
		return bad("torch_dtype", "unsupported %q", c.TorchDtype)
	}
	for _, id := range c.EOSTokenID {
		if id < 0 || id >= c.VocabSize {
			return bad("eos_token_id", "%d outside [0, %d)", id, c.VocabSize)
		}
	}
	return nil
}

// NumParams returns the number of float32 parameters (the slab length).
func (c Config) NumParams() int {
	n := 0
	for _, t := range c.normalized().layout() {
		n += t.size
	}
	return n
}

// tensorSpec places one named tensor in the parameter slab.
type tensorSpec struct {
	name  string
	shape []int
	off   int
	size  int
	decay bool // weight decay applies (matrices, not norms)
}

// layout lists every parameter tensor in slab order with HF names and shapes.
func (c Config) layout() []tensorSpec {
	C, F, V, D := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.HeadDim
	H, KVH := c.NumAttentionHeads, c.NumKeyValueHeads
	var out []tensorSpec
	off := 0
	add := func(name string, shape ...int) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		out = append(out, tensorSpec{name: name, shape: shape, off: off, size: n, decay: len(shape) == 2})
		off += n
	}
	add("model.embed_tokens.weight", V, C)
	for i := 0; i < c.NumHiddenLayers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		add(p+"input_layernorm.weight", C)
		add(p+"self_attn.q_proj.weight", H*D, C)
		add(p+"self_attn.k_proj.weight", KVH*D, C)
		add(p+"self_attn.v_proj.weight", KVH*D, C)
		add(p+"self_attn.q_norm.weight", D)
		add(p+"self_attn.k_norm.weight", D)
		add(p+"self_attn.o_proj.weight", C, H*D)
		add(p+"post_attention_layernorm.weight", C)
		add(p+"mlp.gate_proj.weight", F, C)
		add(p+"mlp.up_proj.weight", F, C)
		add(p+"mlp.down_proj.weight", C, F)
	}
	add("model.norm.weight", C)
	if !c.TieWordEmbeddings {
		add("lm_head.weight", V, C)
	}
	return out
}
