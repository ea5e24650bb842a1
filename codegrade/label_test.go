package codegrade

import (
	"testing"

	"github.com/terse-dev/terse/bench"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		name, label string
		ok          bool
		style       string
		cases       int
		in0, out0   string
	}{
		{"math answer", `42`, false, "", 0, "", ""},
		{"latex", `\frac{1}{2}`, false, "", 0, "", ""},
		{"json but not tests", `{"answer": 3}`, false, "", 0, "", ""},
		{"terse tests", `{"language":"python","style":"stdin","cases":[{"input":"1\n","output":"1\n"}]}`, true, bench.StyleStdin, 1, "1\n", "1\n"},
		{"terse tests, bad style", `{"language":"python","style":"jit","cases":[{"output":"1"}]}`, false, "", 0, "", ""},
		// LiveCodeBench's get_evaluation_sample()["input_output"].
		{"lcb stdin", `{"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"], "fn_name": null}`, true, bench.StyleStdin, 2, "1 2\n", "3\n"},
		{"lcb functional", `{"inputs": ["[2,7,11,15]\n9"], "outputs": ["[0, 1]"], "fn_name": "twoSum"}`, true, bench.StyleFunction, 1, "[2,7,11,15]\n9", "[0, 1]"},
		{"argument list, value output", `{"inputs": [[[1, 2], 3]], "outputs": [[0, 1]], "fn_name": "f"}`, true, bench.StyleFunction, 1, "[1, 2]\n3", "[0, 1]"},
		{"unequal lengths", `{"inputs": ["1"], "outputs": [], "fn_name": null}`, false, "", 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseLabel(tc.label)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			if got.Style != tc.style || len(got.Cases) != tc.cases || got.Cases[0].Input != tc.in0 || got.Cases[0].Output != tc.out0 {
				t.Errorf("got %+v", got)
			}
		})
	}
}
