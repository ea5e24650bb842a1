// Package rewardserver holds the reward service (`terse reward serve`): it
// grades rollouts, counts their tokens, detects truncation and applies a
// reward shape for RL trainers.
//
// It speaks OpenRLHF's remote reward protocol (POST /get_reward), a native
// batch protocol (POST /v1/reward) that the verl integration in
// integrations/verl uses, /healthz and Prometheus /metrics.
//
// Only cmd/terse imports this package. It may import grade, reward,
// internal/httpx and internal/atomicfile, and never engine, modelserver, rl,
// eval or lab.
package rewardserver
