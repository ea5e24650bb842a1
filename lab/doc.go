// Package lab holds the miniature reasoning world in which the paper's
// findings can be reproduced on a CPU in minutes: synthetic task families
// with a difficulty knob (arithmetic chains, digit-by-digit addition, list
// sorting), a verbose teacher that writes chain-of-thought the way real
// reasoning models do (restating, filler, redundant checks, mistakes followed
// by corrections), the lab benchmarks registered for terse eval, the recipe
// that trains the base reasoner with the engine (TrainBase), and the shipped
// base model itself (BaseModel, embedded in the binary).
//
// Everything is deterministic given a seed. Test problems are chosen by
// hashing the canonical question into split buckets, so the train and test
// splits are disjoint by construction.
//
// lab imports bench and engine; it must not import grade, eval, reward or rl
// (its tests use grade to check that teacher traces grade correct).
package lab
