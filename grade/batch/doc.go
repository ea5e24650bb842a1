// Package batch grades many answers at once: JSONL streams whose lines carry
// a gold answer and a completion (JSONL: concurrent, output in input order,
// memory bounded), and the self-check of a benchmark's own worked solutions
// against its gold answers (SelfCheck).
//
// `terse grade` is a thin wrapper around it; eval --regrade and data can use
// it too. It imports grade and bench only, and never eval, reward, rl or
// engine.
package batch
