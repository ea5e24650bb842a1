package codegrade

import (
	"encoding/json"
	"strings"

	"github.com/terse-dev/terse/bench"
)

// ParseLabel reads a code problem's tests from a trainer's label (the
// ground truth a reward request carries), in either of two JSON shapes:
//
//   - terse's own bench.CodeTests ({"language", "style", "cases", …}), as
//     `terse select` exports code prompts;
//   - LiveCodeBench's evaluation sample, the "input_output" JSON of
//     lcb_runner/benchmarks/code_generation.py get_evaluation_sample:
//     {"inputs": [...], "outputs": [...], "fn_name": name or null}, which
//     verl-style code datasets also use. With fn_name the cases are calls
//     (each input one JSON value per line), else stdin cases. Inputs or
//     outputs that are not strings are JSON-encoded (an input list gives
//     one argument per line).
//
// ok is false for anything else (a math answer), so a caller can fall back
// to the math grader.
func ParseLabel(label string) (t *bench.CodeTests, ok bool) {
	s := strings.TrimSpace(label)
	if !strings.HasPrefix(s, "{") {
		return nil, false
	}
	var own bench.CodeTests
	if err := json.Unmarshal([]byte(s), &own); err == nil && own.Style != "" && len(own.Cases) > 0 {
		if own.Language == "" {
			own.Language = "python"
		}
		return &own, own.Validate() == nil
	}
	var lcb struct {
		Inputs  []json.RawMessage `json:"inputs"`
		Outputs []json.RawMessage `json:"outputs"`
		FnName  *string           `json:"fn_name"`
	}
	if err := json.Unmarshal([]byte(s), &lcb); err != nil || len(lcb.Inputs) == 0 || len(lcb.Inputs) != len(lcb.Outputs) {
		return nil, false
	}
	t = &bench.CodeTests{Language: "python", Style: bench.StyleStdin, TimeLimit: bench.LiveCodeBenchTimeLimit}
	if lcb.FnName != nil && *lcb.FnName != "" {
		t.Style, t.EntryPoint = bench.StyleFunction, *lcb.FnName
	}
	for i := range lcb.Inputs {
		in, out := labelText(lcb.Inputs[i], t.Style == bench.StyleFunction), labelText(lcb.Outputs[i], false)
		t.Cases = append(t.Cases, bench.TestCase{Input: in, Output: out})
	}
	return t, t.Validate() == nil
}

// labelText returns a JSON string's text, or the JSON itself; with
// argLines a JSON list becomes one argument per line.
func labelText(raw json.RawMessage, argLines bool) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if argLines {
		var args []json.RawMessage
		if json.Unmarshal(raw, &args) == nil {
			lines := make([]string, len(args))
			for i, a := range args {
				lines[i] = string(a)
			}
			return strings.Join(lines, "\n")
		}
	}
	return string(raw)
}
