// Package force measures what a model would answer if made to stop
// thinking early, from rollouts already stored: budget forcing ("forced"
// mode) and the early-exit upper bound ("prefix" mode).
//
// Both modes cut a rollout's stored thinking at a token position t —
// token-exact, with the serving model's own tokenizer through the server's
// /tokenize and /detokenize endpoints, never a character estimate — append
// a closing message that ends the thinking (DefaultClosing, ending in
// "</think>\n\n"), and ask the server only for the answer: the prompt, the
// prefill and the cut thinking are sent as a prefix, through
// /v1/completions (prompt + prefix) or /v1/chat/completions with the prefix
// as a final assistant message and continue_final_message (vLLM, SGLang,
// terse serve). max_tokens of that request is small (AnswerTokens), so a
// forced answer costs only its answer tokens (the prefix is re-read as
// prompt tokens, which a prefix cache mostly absorbs; both are reported).
//
// Forced mode, at thinking budget B, for each rollout with thinking length
// T (tokens of its reasoning):
//
//   - the thinking closed on its own within B (finish_reason stop and
//     T ≤ B): the rollout's own answer and verdict stand, no request;
//   - otherwise the thinking is cut at t = min(B, T) and the answer forced;
//     the rollout is counted as censored at B.
//
// Prefix mode probes each rollout at positions t = P, 2P, … < T (--every),
// before each reflection marker such as "Wait" or "Alternatively" that
// starts a sentence or line (--markers), and at each budget < T, forcing an
// answer at every probe. A rollout's first correct position t_i is its
// first probe with a correct forced answer (its own final answer counts as
// a probe at T when correct). The best-case early-exit curve counts a
// rollout correct at B when t_i ≤ B: an oracle that stops at the first
// correct answer, an upper bound on any early-exit rule (DEER and the like).
//
// Every forced answer is stored, one JSON line each, in probes.jsonl beside
// the rollouts, keyed by rollout, position, closing message and answer
// budget, so an interrupted run resumes and forced and prefix runs share
// probes at the same positions.
//
// A server without /tokenize can still be cut token-exact when every
// rollout stored its token ids (eval.Rollout.TokenIDs and PromptTokenIDs,
// vLLM's and terse serve's return_token_ids) and the closing message is
// given as ids (Options.ClosingIDs, ThinkEndID): the forced prompt is then
// sent as ids to /v1/completions, prompt ids + the first min(B, T)
// generated ids + closing ids, where T counts the generated tokens before
// </think>. Such probes are stored with cut_by "token_ids" and never mixed
// with tokenizer cuts. Otherwise Run stops with ErrNoTokenize.
package force
