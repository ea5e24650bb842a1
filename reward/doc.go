// Package reward holds the length-aware reward shapes of "The Art of
// Efficient Reasoning" (arXiv 2602.20945, PAPER.md §4) and the widely used
// baselines from the literature, as pure functions of a Group of rollouts of
// one prompt.
//
// A reward shape turns each rollout's correctness c and length L (tokens) into
// a scalar reward R = g(c, L), or masks the rollout out of the policy update.
// Every shape implements Shape; Parse builds one from a spec string such as
// "truncation:target=4096" or "laser-d:target=4096,alpha=0.4", and Names
// lists the valid names. One file per shape; each shape's doc comment holds
// its formula and citation, and nowhere else repeats it.
//
// Conventions shared by every shape:
//
//   - Lengths are tokens. "Short" means L ≤ TargetLen unless a shape's
//     formula says otherwise (Laser and LaserD use L < L_T, as the paper
//     writes them).
//   - A truncated rollout (one that hit the rollout limit L_R) never counts as
//     correct, whatever the grader said: it has no finished answer, the paper's
//     evaluation counts a cut-off output as wrong, and with L_R = L_T its length
//     equals L_T, so the truncation shape would otherwise pay for an answer
//     guessed mid-thought. Its length is the limit. Callers keep the grader's
//     raw verdict for logging; see Rollout.Solved.
//   - A masked rollout is reported as Masked with Reward 0 (the reward
//     truncation gives every masked cell); a trainer must drop it from the
//     loss. Whether it still counts in the group's advantage statistics is
//     the trainer's reading of the paper's "−": terse's rl counts it, at
//     Reward 0, by default (rl.GroupStats).
//
// Naming trap: the paper's "Laser-D" formula (reward long wrong answers with
// α) is what the LASER authors (arXiv 2505.15612) call LASER-DE; their
// LASER-D instead picks L_T per difficulty bucket. This package implements
// the paper's formula under the paper's name, LaserD ("laser-d").
//
// The package imports nothing from terse: correctness is an input, computed
// by the caller (usually with package grade).
package reward
