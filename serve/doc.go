// Package serve holds terse's HTTP servers: the reward service (files
// reward*.go; `terse reward serve`) that grades rollouts and applies a reward
// shape for RL trainers, and the OpenAI-compatible server of the engine.
//
// The reward service speaks OpenRLHF's remote reward protocol (POST
// /get_reward), a native batch protocol (POST /v1/reward) that the verl
// integration in integrations/verl uses, /healthz and Prometheus /metrics.
//
// Only cmd/terse imports this package. It may import engine, grade and reward,
// and never rl, eval or lab.
package serve
