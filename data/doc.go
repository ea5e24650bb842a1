// Package data profiles prompt difficulty and selects training sets
// (PAPER.md §3 "Difficulty split", §5.3 "positive-reward density").
//
// Profile samples GroupSize rollouts per prompt at the rollout limit L_R
// through any OpenAI-compatible endpoint (or an in-process terse model,
// see Local), grades them and reduces each prompt to a Record: pass rate,
// number correct, length of correct and incorrect rollouts, truncation
// rate and the lengths of the correct rollouts, so that the density of
// positive truncation rewards can be computed later at any target length
// L_T ≤ L_R (PositiveDensity). Rollouts go through eval/run and
// eval/store, so profiling is resumable and reuses rollouts of an earlier
// eval with the same cache key.
//
// Select keeps Easy (pass rate > threshold, the paper's 0.5), Hard (≤
// threshold) or a band of prompts, optionally drops never- and
// always-solved ones, samples a target size with a seed and balances by
// source or level. Export writes the selection for verl (parquet),
// OpenRLHF (JSONL), TRL (JSONL) or terse itself (bench.Problem JSONL).
//
// Package data imports bench, eval and its subpackages, and engine (for
// the in-process sampler); never rl, reward or serve. Grading comes in as
// an eval.Grader.
package data
