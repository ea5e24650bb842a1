// Package checkpoint saves and loads models in the Hugging Face layout
// (config.json, model.safetensors or sharded shards with
// model.safetensors.index.json, generation_config.json, tokenizer.json,
// tokenizer_config.json) and exports them as llama.cpp-loadable Qwen3 or
// Qwen2 GGUF.
//
// It imports engine/model, engine/safetensors, engine/tokenizer and
// engine/gguf; never grade, eval, reward or rl.
package checkpoint
