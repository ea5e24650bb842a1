// Package tokenizer turns text into token ids and back, reading and writing
// Hugging Face tokenizer.json / tokenizer_config.json files.
//
// Two kinds are supported: CharLevel, one token per character plus special
// tokens (the lab's synthetic tasks), saved as a real HF BPE tokenizer with
// no merges; and BPE, the byte-level BPE of GPT-2/Qwen (Qwen3's
// tokenizer.json), implemented in pure Go. Load detects which one a file
// holds. The package uses the standard library and golang.org/x/text only
// and imports nothing from terse.
package tokenizer
