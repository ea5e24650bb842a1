// Package rewardserver holds the reward service (`terse reward serve`): it
// grades rollouts, counts their tokens, detects truncation and applies a
// reward shape for RL trainers.
//
// It speaks OpenRLHF's remote reward protocol (POST /get_reward), a native
// batch protocol (POST /v1/reward) that the verl integration in
// integrations/verl uses, /healthz and Prometheus /metrics.
//
// With a bearer token (Options.Token, LoadToken) every request but
// /healthz must carry it; a non-loopback address is refused without one.
// OpenRLHF's retries of a timed-out request are idempotent (rsRetries), and
// its evaluation labels are scored as accuracy (rsLabel).
//
// No request may exhaust it: a body is capped (MaxBodyBytes, refused from
// its Content-Length alone when that is over the cap) and must arrive
// within BodyTimeout before the request takes one of MaxInFlight slots;
// rollouts waiting for their group are charged to MaxPendingBytes; a shape
// whose rewards overflow is refused (attack_test.go performs each attack).
//
// Only cmd/terse imports this package. It may import grade, reward,
// internal/httpx and internal/atomicfile, and never engine, modelserver, rl,
// eval or lab.
package rewardserver
