// Package model is terse's Qwen3/Qwen2 decoder in float32, written in the
// style of llm.c: every op is a forward/backward pair in model.go, Backward
// calls them in exact reverse order, and all parameters live in one slab.
// The two architectures are one code path with switches (Config.Arch):
// Qwen3 normalises each q/k head (q_norm, k_norm), Qwen2 (the base of
// DeepSeek-R1-Distill-Qwen) adds biases to q_proj, k_proj and v_proj.
//
//   - config.go: Config with HF config.json names (transformers v4 and v5
//     forms), validation, Arch, TinyConfig.
//   - model.go: Params/Tensors (HF names and [out, in] shapes), the ops, the
//     training Forward (per-token log-prob of the target and entropy, at a
//     temperature) and the hand-written Backward, which ACCUMULATES (+=)
//     gradients for per-token upstream dL/dlogp and dL/dentropy.
//   - optim.go: AdamW (decoupled weight decay, not on norms), global
//     grad-norm clipping, warmup + cosine LR; Step, M and V restore exactly.
//   - sample.go: Decoder, a stepping batch with per-sequence KV caches
//     (continuous batching, chunked prefill), temperature/top-k/top-p with
//     per-sequence seeds, stop tokens and callbacks; Generate on top.
//
// Dims legend used in every shape comment:
//
//	B   batch size (sequences)       T   sequence length
//	N   B·T rows (tokens)            C   hidden size (channels)
//	H   query heads                  KVH key/value heads (H % KVH == 0)
//	D   head dim                     F   MLP intermediate size
//	V   vocabulary size              L   layers
//
// Linear weights keep HF's [out, in] layout, so y = x·Wᵀ. Matrix multiplies
// go through engine/blas; with OpenBLAS the model sets it to one thread and
// splits each GEMM across GOMAXPROCS goroutines itself (see Model.SetBLAS).
//
// It imports engine/blas and the standard library only; never grade, eval,
// reward or rl.
package model
