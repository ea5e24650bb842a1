package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Config holds the hyperparameters of a Qwen3 or Qwen2 decoder with HF
// config.json names. Both transformers v4 files (a top-level rope_theta,
// rope_scaling) and v5 files (rope_parameters, layer_types, dtype) are read;
// UnmarshalJSON resolves RopeTheta from either form.
type Config struct {
	VocabSize             int      `json:"vocab_size"`              // V
	HiddenSize            int      `json:"hidden_size"`             // C
	IntermediateSize      int      `json:"intermediate_size"`       // F
	NumHiddenLayers       int      `json:"num_hidden_layers"`       // L
	NumAttentionHeads     int      `json:"num_attention_heads"`     // H
	NumKeyValueHeads      int      `json:"num_key_value_heads"`     // KVH
	HeadDim               int      `json:"head_dim,omitempty"`      // D; 0 means C/H (Qwen2 files have no head_dim)
	RMSNormEps            float64  `json:"rms_norm_eps"`            // ε inside every RMSNorm
	RopeTheta             float64  `json:"rope_theta"`              // RoPE base θ (v5 files: rope_parameters.rope_theta)
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`     // lm_head shares embed_tokens
	MaxPositionEmbeddings int      `json:"max_position_embeddings"` // positions must be < this
	BOSTokenID            int      `json:"bos_token_id"`
	EOSTokenID            TokenIDs `json:"eos_token_id"` // int or list in HF files
	ModelType             string   `json:"model_type"`   // "qwen3" or "qwen2" (see Arch)
	Architectures         []string `json:"architectures,omitempty"`
	TorchDtype            string   `json:"torch_dtype,omitempty"` // v4: dtype of the stored weights; compute is float32
	Dtype                 string   `json:"dtype,omitempty"`       // v5's name for torch_dtype
	HiddenAct             string   `json:"hidden_act"`            // "silu"
	AttentionBias         bool     `json:"attention_bias"`        // Qwen3 only; must be false
	AttentionDropout      float64  `json:"attention_dropout"`
	InitializerRange      float64  `json:"initializer_range,omitempty"`
	UseCache              bool     `json:"use_cache"`
	UseSlidingWindow      bool     `json:"use_sliding_window"` // must be false
	SlidingWindow         *int     `json:"sliding_window,omitempty"`
	MaxWindowLayers       int      `json:"max_window_layers,omitempty"`
	UseMrope              bool     `json:"use_mrope,omitempty"` // Qwen2 files; must be false (multimodal RoPE)
	// LayerTypes (v5) is the attention kind of each layer; every entry
	// must be "full_attention".
	LayerTypes []string `json:"layer_types,omitempty"`
	// RopeParameters (v5) and RopeScaling (v4) may only describe the
	// "default" RoPE: scaled variants (yarn, dynamic, linear, llama3,
	// longrope) are not implemented and are refused by Validate.
	RopeParameters      json.RawMessage `json:"rope_parameters,omitempty"`
	RopeScaling         json.RawMessage `json:"rope_scaling,omitempty"`
	TransformersVersion string          `json:"transformers_version,omitempty"`
}

// Model types (config.json model_type).
const (
	ModelQwen3 = "qwen3" // Qwen3ForCausalLM: q/k RMSNorm, no biases
	ModelQwen2 = "qwen2" // Qwen2ForCausalLM (DeepSeek-R1-Distill-Qwen): q/k/v biases, no q/k norm
)

// Arch is what differs between the decoder families this package runs; the
// rest of the block (RMSNorm, GQA, NEOX RoPE, SwiGLU) is shared.
type Arch struct {
	QKNorm  bool // RMSNorm over each q and k head before RoPE (Qwen3)
	QKVBias bool // q_proj, k_proj and v_proj have biases, o_proj has none (Qwen2)
}

// Arch returns the switches of c's model_type.
func (c Config) Arch() Arch {
	if c.ModelType == ModelQwen2 {
		return Arch{QKVBias: true}
	}
	return Arch{QKNorm: true}
}

// Architecture is the HF class name of c's model_type ("architectures").
func (c Config) Architecture() string {
	if c.ModelType == ModelQwen2 {
		return "Qwen2ForCausalLM"
	}
	return "Qwen3ForCausalLM"
}

// defaultRopeTheta is transformers' RotaryEmbeddingConfigMixin.default_theta,
// used when a file names no θ at all (v4's Qwen2Config/Qwen3Config default
// rope_theta is the same 10000.0).
const defaultRopeTheta = 10000.0

// qwen3DefaultHeadDim is Qwen3Config's head_dim default (v4 __init__ and
// v5 dataclass alike), which applies when a qwen3 file has no head_dim.
// Qwen2Config has no such field: its attention uses C/H.
const qwen3DefaultHeadDim = 128

// UnmarshalJSON reads an HF config.json of either transformers generation,
// filling head_dim as Qwen3Config does when a qwen3 file omits it, and
// resolves RopeTheta the way transformers v5's
// RotaryEmbeddingConfigMixin.convert_rope_params_to_dict does: rope_scaling
// (v4) or else rope_parameters (v5) is the RoPE dict; its rope_theta wins,
// then a top-level rope_theta, then 10000. Unsupported RoPE kinds are
// refused by Validate, not here.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var top struct {
		RopeTheta *float64 `json:"rope_theta"`
		HeadDim   *int     `json:"head_dim"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	*c = Config(p)
	if top.HeadDim == nil && c.ModelType == ModelQwen3 {
		c.HeadDim = qwen3DefaultHeadDim
	}
	if rope, err := c.ropeDict(); err == nil && rope.Theta != nil {
		c.RopeTheta = *rope.Theta
	} else if top.RopeTheta == nil {
		c.RopeTheta = defaultRopeTheta
	}
	return nil
}

// ropeDict is one RoPE parameter dict of rope_parameters or rope_scaling.
type ropeDict struct {
	Type    string   // rope_type (or the legacy "type"); "" means "default"
	Theta   *float64 // rope_theta, when present
	Partial *float64 // partial_rotary_factor, when present
	field   string   // the config.json field it came from, for errors
}

// ropeDict parses the RoPE dict: rope_scaling when it is set (as v5 does,
// `rope_scaling or rope_parameters`), else rope_parameters. A v5 per-layer
// form ({"full_attention": {...}, ...}, keys from layer_types) must hold
// one identical dict for every layer type. The zero ropeDict means none.
func (c Config) ropeDict() (ropeDict, error) {
	field, raw := "rope_scaling", bytes.TrimSpace(c.RopeScaling)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		field, raw = "rope_parameters", bytes.TrimSpace(c.RopeParameters)
	}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ropeDict{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return ropeDict{}, fmt.Errorf("%s: want an object: %w", field, err)
	}
	perLayer := len(m) > 0
	for k := range m {
		if !slices.Contains(c.LayerTypes, k) {
			perLayer = false
		}
	}
	if perLayer {
		var first ropeDict
		keys := slices.Sorted(maps.Keys(m))
		for i, k := range keys {
			sub := c
			sub.RopeScaling, sub.RopeParameters, sub.LayerTypes = nil, m[k], nil
			d, err := sub.ropeDict()
			if err != nil {
				return ropeDict{}, fmt.Errorf("%s.%s: %w", field, k, err)
			}
			d.field = field + "." + k
			if i > 0 && !sameRope(first, d) {
				return ropeDict{}, fmt.Errorf("%s: layer types %s and %s have different RoPE parameters; per-layer RoPE is not implemented", field, keys[0], k)
			}
			if i == 0 {
				first = d
			}
		}
		return first, nil
	}
	d := ropeDict{field: field}
	str := func(key string) (string, error) {
		var s string
		if v, ok := m[key]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if err := json.Unmarshal(v, &s); err != nil {
				return "", fmt.Errorf("%s.%s: want a string: %w", field, key, err)
			}
		}
		return s, nil
	}
	num := func(key string) (*float64, error) {
		v, ok := m[key]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return nil, nil
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, fmt.Errorf("%s.%s: want a number: %w", field, key, err)
		}
		return &f, nil
	}
	var err error
	if d.Type, err = str("rope_type"); err != nil {
		return ropeDict{}, err
	}
	if d.Type == "" {
		if d.Type, err = str("type"); err != nil {
			return ropeDict{}, err
		}
	}
	if d.Theta, err = num("rope_theta"); err != nil {
		return ropeDict{}, err
	}
	if d.Partial, err = num("partial_rotary_factor"); err != nil {
		return ropeDict{}, err
	}
	return d, nil
}

func sameRope(a, b ropeDict) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Type == b.Type && eq(a.Theta, b.Theta) && eq(a.Partial, b.Partial)
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

// Validate checks that the configuration describes a Qwen3 or Qwen2 decoder
// this package implements. Each error names the offending config.json field.
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
	if c.ModelType != ModelQwen3 && c.ModelType != ModelQwen2 {
		return bad("model_type", "want %q or %q, got %q", ModelQwen3, ModelQwen2, c.ModelType)
	}
	for _, a := range c.Architectures {
		if want := c.Architecture(); a != want {
			return bad("architectures", "model_type %q wants [%q], got %q", c.ModelType, want, a)
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
	if c.AttentionBias && c.ModelType == ModelQwen3 {
		return bad("attention_bias", "must be false for Qwen3")
	}
	if c.UseSlidingWindow {
		return bad("use_sliding_window", "sliding-window attention is not implemented")
	}
	if c.UseMrope {
		return bad("use_mrope", "multimodal RoPE is not implemented")
	}
	if len(c.LayerTypes) > 0 && len(c.LayerTypes) != c.NumHiddenLayers {
		return bad("layer_types", "has %d entries for %d layers", len(c.LayerTypes), c.NumHiddenLayers)
	}
	for i, lt := range c.LayerTypes {
		if lt != "full_attention" {
			return bad(fmt.Sprintf("layer_types[%d]", i), "%q is not implemented (only \"full_attention\")", lt)
		}
	}
	rope, err := c.ropeDict()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	switch rope.Type {
	case "", "default":
	default:
		return bad(rope.field+".rope_type", "%q RoPE is not implemented (only \"default\")", rope.Type)
	}
	if rope.Partial != nil && *rope.Partial != 1 {
		return bad(rope.field+".partial_rotary_factor", "partial RoPE is not implemented, got %g", *rope.Partial)
	}
	if rope.Theta != nil && *rope.Theta != c.RopeTheta {
		return bad(rope.field+".rope_theta", "%g disagrees with rope_theta %g", *rope.Theta, c.RopeTheta)
	}
	for _, d := range []struct{ field, v string }{{"torch_dtype", c.TorchDtype}, {"dtype", c.Dtype}} {
		switch d.v {
		case "", "float32", "bfloat16", "float16":
		default:
			return bad(d.field, "unsupported %q", d.v)
		}
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
	decay bool // weight decay applies (matrices, not norms or biases)
	bias  bool // a bias vector: initialised to 0 (norm weights to 1)
}

// layout lists every parameter tensor in slab order with HF names and
// shapes. The Arch switches add q/k/v biases (Qwen2) or q/k norms (Qwen3).
func (c Config) layout() []tensorSpec {
	C, F, V, D := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.HeadDim
	H, KVH := c.NumAttentionHeads, c.NumKeyValueHeads
	arch := c.Arch()
	var out []tensorSpec
	off := 0
	add := func(name string, shape ...int) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		out = append(out, tensorSpec{name: name, shape: shape, off: off, size: n, decay: len(shape) == 2,
			bias: len(shape) == 1 && strings.HasSuffix(name, ".bias")})
		off += n
	}
	add("model.embed_tokens.weight", V, C)
	for i := 0; i < c.NumHiddenLayers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		add(p+"input_layernorm.weight", C)
		add(p+"self_attn.q_proj.weight", H*D, C)
		add(p+"self_attn.k_proj.weight", KVH*D, C)
		add(p+"self_attn.v_proj.weight", KVH*D, C)
		if arch.QKVBias {
			add(p+"self_attn.q_proj.bias", H*D)
			add(p+"self_attn.k_proj.bias", KVH*D)
			add(p+"self_attn.v_proj.bias", KVH*D)
		}
		if arch.QKNorm {
			add(p+"self_attn.q_norm.weight", D)
			add(p+"self_attn.k_norm.weight", D)
		}
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
