// Package modelserver holds the OpenAI-compatible model server of the engine
// (`terse serve`): /v1/completions, /v1/chat/completions (streaming
// included), /v1/models and /health, with continuous batching over one
// engine model.
//
// Only cmd/terse imports this package. It may import engine and
// internal/httpx, and never grade, reward, rewardserver, rl, eval or lab.
package modelserver
