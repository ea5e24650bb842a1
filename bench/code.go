package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Test styles of a code problem (CodeTests.Style).
const (
	// StyleStdin: the program reads a case's Input on standard input and
	// its standard output is compared with Output (contest style:
	// LiveCodeBench stdin problems, Codeforces, AtCoder).
	StyleStdin = "stdin"
	// StyleFunction: the program defines a function (or a LeetCode-style
	// class Solution method) that each case calls: either a Python Assert
	// snippet that raises on failure (HumanEval, MBPP), or a call with the
	// JSON arguments in Input whose JSON result must equal Output
	// (LiveCodeBench functional problems).
	StyleFunction = "function"
)

// Output comparisons of stdin tests (CodeTests.Compare).
const (
	// CompareLines is LiveCodeBench's rule: both outputs are trimmed and
	// split into lines, each line trimmed; the line counts must agree and
	// each line must be equal as text or as a list of exact decimals
	// ("1.50" equals "1.5"). It is the default.
	CompareLines = "lines"
	// CompareTokens: the whitespace-separated tokens must agree (line breaks
	// do not matter); numeric tokens within FloatTol when it is set.
	CompareTokens = "tokens"
	// CompareExact: byte-for-byte equal after removing trailing white space
	// at the end of the output.
	CompareExact = "exact"
)

// CodeTests is the test suite of a code problem (Problem.Tests). A problem
// with Tests is graded by running its program (package codegrade), not by
// comparing a final answer with Gold.
type CodeTests struct {
	// Language of the program; only "python" (Python 3) is run today.
	Language string `json:"language"`
	// Style is StyleStdin or StyleFunction.
	Style string `json:"style"`
	// EntryPoint names the function a StyleFunction call case calls (a
	// method of class Solution when the program defines one).
	EntryPoint string `json:"entry_point,omitempty"`
	// Setup is code run before the program (imports the problem promises,
	// e.g. HumanEval's "from typing import List").
	Setup string `json:"setup,omitempty"`
	// Stub is the code a completion continues when it does not define
	// EntryPoint itself (HumanEval's prompt: a base model writes only the
	// body). Empty for problems whose programs stand alone.
	Stub string `json:"stub,omitempty"`
	// Compare is the stdin output comparison (CompareLines when empty).
	Compare string `json:"compare,omitempty"`
	// FloatTol, when > 0, lets numeric output tokens differ by at most
	// FloatTol·max(1, |expected|) (problems that say "within 1e-6").
	FloatTol float64 `json:"float_tol,omitempty"`
	// TimeLimit is the wall-clock limit of one case in seconds (0 means the
	// grader's default).
	TimeLimit float64 `json:"time_limit,omitempty"`
	// Cases are the tests; all must pass.
	Cases []TestCase `json:"cases"`
}

// TestCase is one test of a code problem.
type TestCase struct {
	// Input is standard input (stdin style) or the call's arguments, one
	// JSON value per line (function style, call cases).
	Input string `json:"input,omitempty"`
	// Output is the expected standard output (stdin style) or the expected
	// JSON return value (call cases).
	Output string `json:"output,omitempty"`
	// Assert is a Python snippet that raises (normally AssertionError) when
	// the program is wrong (function style, assertion cases).
	Assert string `json:"assert,omitempty"`
	// Private marks a hidden test (LiveCodeBench's private_test_cases).
	Private bool `json:"private,omitempty"`
}

// Validate reports the first problem with the suite, naming the field.
func (t *CodeTests) Validate() error {
	switch {
	case t.Language != "python":
		return fmt.Errorf("bench: code tests: field \"language\": %q is not supported (only \"python\")", t.Language)
	case t.Style != StyleStdin && t.Style != StyleFunction:
		return fmt.Errorf("bench: code tests: field \"style\": %q is neither %q nor %q", t.Style, StyleStdin, StyleFunction)
	case t.Compare != "" && t.Compare != CompareLines && t.Compare != CompareTokens && t.Compare != CompareExact:
		return fmt.Errorf("bench: code tests: field \"compare\": %q is not %q, %q or %q", t.Compare, CompareLines, CompareTokens, CompareExact)
	case t.FloatTol < 0 || t.TimeLimit < 0:
		return fmt.Errorf("bench: code tests: float_tol and time_limit must be ≥ 0")
	case len(t.Cases) == 0:
		return fmt.Errorf("bench: code tests: field \"cases\": no test case")
	}
	for i, c := range t.Cases {
		if t.Style == StyleFunction && c.Assert == "" && t.EntryPoint == "" {
			return fmt.Errorf("bench: code tests: case %d: a call case needs entry_point", i)
		}
		if t.Style == StyleStdin && c.Assert != "" {
			return fmt.Errorf("bench: code tests: case %d: field \"assert\" in a stdin-style suite", i)
		}
	}
	return nil
}

// Digest is a content hash of the suite (16 hex digits of SHA-256 over its
// JSON), recorded in rollouts so that a regrade can check it runs the same
// tests.
func (t *CodeTests) Digest() string {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("bench: marshal code tests: %v", err)) // cannot fail for this struct
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Public returns the suite's non-private cases only (nil when there are
// none), e.g. to grade against the tests shown in the problem statement.
func (t *CodeTests) Public() *CodeTests {
	c := *t
	c.Cases = nil
	for _, tc := range t.Cases {
		if !tc.Private {
			c.Cases = append(c.Cases, tc)
		}
	}
	if len(c.Cases) == 0 {
		return nil
	}
	return &c
}
