package gguf

import (
	"fmt"
	"strconv"
	"strings"
)

// llama.cpp architecture names (general.architecture) of the dense Qwen
// decoders terse writes.
const (
	ArchQwen3 = "qwen3" // q/k norms (attn_q_norm, attn_k_norm)
	ArchQwen2 = "qwen2" // q/k/v biases (attn_q.bias, attn_k.bias, attn_v.bias)
)

// Token types of tokenizer.ggml.token_type (llama.cpp's llama_token_type).
const (
	TokenNormal      int32 = 1
	TokenUnknown     int32 = 2
	TokenControl     int32 = 3
	TokenUserDefined int32 = 4
	TokenUnused      int32 = 5
	TokenByte        int32 = 6
)

// File types of general.file_type (llama_ftype).
const (
	FileTypeAllF32    uint32 = 0
	FileTypeMostlyF16 uint32 = 1
)

// Params are the hyperparameters llama.cpp reads for architecture "qwen3"
// or "qwen2" (the same keys under the architecture's prefix).
type Params struct {
	Arch              string  // ArchQwen3 or ArchQwen2; empty means ArchQwen3
	Name              string  // general.name
	ContextLength     int     // max_position_embeddings
	EmbeddingLength   int     // hidden_size (C)
	BlockCount        int     // num_hidden_layers
	FeedForwardLength int     // intermediate_size (F)
	HeadCount         int     // num_attention_heads (H)
	HeadCountKV       int     // num_key_value_heads (KVH)
	HeadDim           int     // head_dim (D): attention.key_length and value_length
	RopeFreqBase      float32 // rope_theta
	RMSNormEps        float32 // rms_norm_eps
	FileType          uint32  // FileTypeAllF32 or FileTypeMostlyF16
}

// KVs returns the general.* and <arch>.* metadata for p.
func (p Params) KVs() []KV {
	arch := p.Arch
	if arch == "" {
		arch = ArchQwen3
	}
	name := p.Name
	if name == "" {
		name = "terse-" + arch
	}
	u := func(n int) uint32 { return uint32(n) }
	return []KV{
		{"general.architecture", arch},
		{"general.name", name},
		{"general.file_type", p.FileType},
		{arch + ".context_length", u(p.ContextLength)},
		{arch + ".embedding_length", u(p.EmbeddingLength)},
		{arch + ".block_count", u(p.BlockCount)},
		{arch + ".feed_forward_length", u(p.FeedForwardLength)},
		{arch + ".attention.head_count", u(p.HeadCount)},
		{arch + ".attention.head_count_kv", u(p.HeadCountKV)},
		{arch + ".attention.key_length", u(p.HeadDim)},
		{arch + ".attention.value_length", u(p.HeadDim)},
		{arch + ".rope.freq_base", p.RopeFreqBase},
		{arch + ".attention.layer_norm_rms_epsilon", p.RMSNormEps},
	}
}

// Vocab is the tokenizer.ggml.* metadata. For "gpt2" (byte-level BPE),
// Tokens hold the byte-level strings of the vocabulary (e.g. "Ġthe") and
// added tokens verbatim; len(Tokens) must equal the model's vocabulary
// size (pad with "[PADn]" of type TokenUnused, as convert_hf_to_gguf.py does).
type Vocab struct {
	Model    string   // tokenizer.ggml.model: "gpt2"
	Pre      string   // tokenizer.ggml.pre: "qwen2" for Qwen's regex, "default" otherwise
	Tokens   []string // by id
	Types    []int32  // by id: TokenNormal, TokenControl, …
	Merges   []string // "left right", rank order
	EOS, PAD int32    // -1 to omit
	BOS      int32    // -1 to omit
	// AddBOS is tokenizer.ggml.add_bos_token: llama.cpp prepends BOS to
	// prompts. convert_hf_to_gguf.py copies tokenizer_config.json's
	// add_bos_token (gguf-py/gguf/vocab.py, SpecialVocab, commit 85f9d68b).
	AddBOS       bool
	ChatTemplate string // tokenizer.chat_template; empty to omit
}

// KVs returns the tokenizer metadata, checking that the arrays agree.
func (v Vocab) KVs() ([]KV, error) {
	if len(v.Tokens) == 0 || len(v.Tokens) != len(v.Types) {
		return nil, fmt.Errorf("gguf: vocab has %d tokens and %d types", len(v.Tokens), len(v.Types))
	}
	kvs := []KV{
		{"tokenizer.ggml.model", v.Model},
		{"tokenizer.ggml.pre", v.Pre},
		{"tokenizer.ggml.tokens", v.Tokens},
		{"tokenizer.ggml.token_type", v.Types},
		{"tokenizer.ggml.merges", v.Merges},
	}
	for _, s := range []struct {
		key string
		id  int32
	}{{"tokenizer.ggml.eos_token_id", v.EOS}, {"tokenizer.ggml.padding_token_id", v.PAD}, {"tokenizer.ggml.bos_token_id", v.BOS}} {
		if s.id < 0 {
			continue
		}
		if int(s.id) >= len(v.Tokens) {
			return nil, fmt.Errorf("gguf: %s = %d is outside the %d-token vocab", s.key, s.id, len(v.Tokens))
		}
		kvs = append(kvs, KV{s.key, uint32(s.id)})
	}
	if v.AddBOS && v.BOS < 0 {
		return nil, fmt.Errorf("gguf: add_bos_token is set but the vocab names no BOS token")
	}
	kvs = append(kvs, KV{"tokenizer.ggml.add_bos_token", v.AddBOS})
	if v.ChatTemplate != "" {
		kvs = append(kvs, KV{"tokenizer.chat_template", v.ChatTemplate})
	}
	return kvs, nil
}

// qwenLayerNames maps the per-layer HF suffixes to llama.cpp's (its
// LLM_TENSOR_* names plus ".weight"/".bias", as in llama-arch.cpp and
// llama-model.cpp's create_tensor(tn(LLM_TENSOR_ATTN_Q, "bias", i), ...)).
// qwenOnly lists the tensors one architecture has and the other lacks.
var qwenLayerNames = map[string]string{
	"input_layernorm.weight":          "attn_norm.weight",
	"self_attn.q_proj.weight":         "attn_q.weight",
	"self_attn.k_proj.weight":         "attn_k.weight",
	"self_attn.v_proj.weight":         "attn_v.weight",
	"self_attn.o_proj.weight":         "attn_output.weight",
	"self_attn.q_norm.weight":         "attn_q_norm.weight",
	"self_attn.k_norm.weight":         "attn_k_norm.weight",
	"self_attn.q_proj.bias":           "attn_q.bias",
	"self_attn.k_proj.bias":           "attn_k.bias",
	"self_attn.v_proj.bias":           "attn_v.bias",
	"post_attention_layernorm.weight": "ffn_norm.weight",
	"mlp.gate_proj.weight":            "ffn_gate.weight",
	"mlp.up_proj.weight":              "ffn_up.weight",
	"mlp.down_proj.weight":            "ffn_down.weight",
}

var qwenOnly = map[string]string{
	"self_attn.q_norm.weight": ArchQwen3,
	"self_attn.k_norm.weight": ArchQwen3,
	"self_attn.q_proj.bias":   ArchQwen2,
	"self_attn.k_proj.bias":   ArchQwen2,
	"self_attn.v_proj.bias":   ArchQwen2,
}

// TensorName maps an HF tensor name of architecture arch (ArchQwen3 or
// ArchQwen2) to its llama.cpp name ("model.layers.3.self_attn.q_proj.weight"
// → "blk.3.attn_q.weight", "model.layers.3.self_attn.q_proj.bias" →
// "blk.3.attn_q.bias" for qwen2). Both use NEOX-style RoPE, so unlike LLaMA
// no q/k permutation is needed: weights are copied as they are.
func TensorName(arch, hf string) (string, error) {
	switch hf {
	case "model.embed_tokens.weight":
		return "token_embd.weight", nil
	case "model.norm.weight":
		return "output_norm.weight", nil
	case "lm_head.weight":
		return "output.weight", nil
	}
	if rest, ok := strings.CutPrefix(hf, "model.layers."); ok {
		idx, suffix, ok := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(idx); ok && err == nil && n >= 0 {
			if only, ok := qwenOnly[suffix]; ok && only != arch {
				return "", fmt.Errorf("gguf: %s has no tensor like %q (a %s tensor)", arch, hf, only)
			}
			if g, ok := qwenLayerNames[suffix]; ok && (arch == ArchQwen3 || arch == ArchQwen2) {
				return "blk." + strconv.Itoa(n) + "." + g, nil
			}
		}
	}
	return "", fmt.Errorf("gguf: no llama.cpp name for %s tensor %q", arch, hf)
}

// Qwen3TensorName is TensorName(ArchQwen3, hf).
func Qwen3TensorName(hf string) (string, error) { return TensorName(ArchQwen3, hf) }
