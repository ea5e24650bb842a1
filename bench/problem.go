// Package bench holds the Problem type, the built-in math benchmarks embedded
// in the binary, and loaders for user problem files. It imports nothing from
// terse.
package bench

// Problem is one benchmark or training problem, normalised across sources.
type Problem struct {
	// ID is unique within its benchmark (e.g. "aime25-017", "test/algebra/1.json").
	ID string `json:"id"`
	// Benchmark names the set the problem belongs to (e.g. "aime25", "lab-arith").
	Benchmark string `json:"benchmark"`
	// Question is the problem statement given to the model.
	Question string `json:"question"`
	// Gold lists the acceptable reference answers; a match with any counts.
	Gold []string `json:"gold"`
	// Level is the difficulty level (MATH level 1–5, lab level); 0 when unknown.
	Level int `json:"level,omitempty"`
	// Solution is a human-written worked solution when the source has one.
	Solution string `json:"solution,omitempty"`
	// Meta carries source-specific fields (subject, unit, tolerance, year, …).
	Meta map[string]any `json:"meta,omitempty"`
	// Tests makes this a code problem: its program is run against these
	// tests (package codegrade) and Gold is empty. Nil for math problems.
	Tests *CodeTests `json:"tests,omitempty"`
}
