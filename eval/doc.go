// Package eval holds the Rollout record and the run configuration that every
// evaluation program reads and writes: terse's sampler writes rollouts, the
// store keeps them as append-only JSONL, metrics and report read them back,
// and other tools (data selection, RL diagnostics, converters from other
// harnesses) can rely on the same schema. SCHEMA.md beside this file
// documents every field and the rules that derive a smaller budget from a
// longer run.
//
// The harness itself lives in subpackages:
//
//	sampler/  OpenAI-compatible client: retries, backoff, bounded concurrency
//	store/    append-only JSONL rollout store, resume, budget-aware cache key
//	metrics/  MeanAtK, PassAtK, budget curve, length stats, CIs: pure functions
//	report/   JSON, Markdown and self-contained HTML reports
//	run/      the `terse eval` pipeline: sample → grade → store → metrics
//	force/    forced answers and early-exit probes over stored rollouts (--mode forced|prefix)
//	fakeserver/ an in-process OpenAI-compatible server with fault injection, for tests
//
// Package eval imports only bench and the standard library; it must not
// import its subpackages, grade, engine, reward or rl.
package eval
