// Package model is terse's Qwen3 decoder in float32: configuration (HF
// config.json), parameters in one slab with HF tensor names, a training
// forward/backward that returns per-token log-probs and entropies, AdamW,
// and batched KV-cached sampling with continuous batching.
//
// Dims legend used in every shape comment:
//
//	B   batch size (sequences)       T   sequence length
//	N   B·T rows (tokens)            C   hidden size (channels)
//	H   query heads                  KVH key/value heads (H % KVH == 0)
//	D   head dim                     F   MLP intermediate size
//	V   vocabulary size              L   layers
//
// Linear weights keep HF's [out, in] layout, so y = x·Wᵀ.
//
// It imports engine/blas and the standard library only; never grade, eval,
// reward or rl.
package model
