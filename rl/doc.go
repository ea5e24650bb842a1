// Package rl holds the engine-independent half of terse's GRPO trainer and
// its training-dynamics tools (PAPER.md §3 and §5).
//
//   - advantage.go: group-relative advantages (GRPO, arXiv 2402.03300; with
//     std normalisation off it is Dr. GRPO, arXiv 2503.20783).
//   - objective.go: the PPO-style clipped surrogate with separate ClipLow and
//     ClipHigh (DAPO, arXiv 2503.14476), optional KL to the reference policy
//     (k1 or k3) and an entropy bonus, aggregated token-mean,
//     seq-mean-token-mean or seq-mean-token-sum. It returns the loss and the
//     per-token upstream gradients dL/dlogp and dL/dentropy, so a trainer runs
//     engine Forward → Objective → engine Backward.
//   - minibatch.go: off-policy staleness S (one rollout batch split into S
//     sequential update mini-batches, deterministic shuffle by seed) and
//     dynamic sampling (drop groups whose rewards are all equal).
//   - config.go: the run configuration (TOML or YAML, every field documented,
//     defaults = the paper's unified protocol scaled to the lab).
//   - steplog.go: the per-step JSONL record (StepLog, the shared schema) and
//     readers for terse logs and for verl / OpenRLHF metric exports.
//   - dynamics.go: detectors for the two-stage dynamics, length collapse, the
//     short-is-correct trap, length rebound and entropy explosion.
//   - dynamics_html.go: a self-contained HTML page of a run's dynamics;
//     dynamics_report.go: what terse dynamics runs.
//   - trainer.go: Train, the GRPO loop on an engine/model policy: sample
//     GroupSize rollouts per prompt, grade, shape rewards, advantages, S
//     sequential mini-batch updates (Forward → Objective → Backward →
//     AdamW), a JSONL step log with a one-line progress summary, budget-
//     ladder evaluations, checkpoints and exact resume.
//
// rl imports bench, engine (model, checkpoint, tokenizer), reward, chart and
// grade; it must not import serve, data, lab, eval or cmd.
package rl
