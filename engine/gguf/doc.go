// Package gguf writes and reads GGUF v3, the single-file model format of
// llama.cpp/ggml: a header (magic "GGUF", version, counts), typed metadata
// key/value pairs, tensor infos (name, dims innermost-first, ggml type,
// aligned offset) and the aligned tensor data.
//
// It also knows llama.cpp's Qwen3 and Qwen2 naming (qwen.go): the
// hyperparameter keys, the tensor-name map from HF names and the
// tokenizer.ggml.* keys.
// It imports engine/safetensors (for the f16/bf16 conversions) and nothing
// else from terse.
package gguf
