package codegrade

import (
	"testing"

	"github.com/terse-dev/terse/bench"
)

func TestCompareStdout(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		tol       float64
		got, want string
		ok        bool
	}{
		// LiveCodeBench's line rule (lcb_runner/evaluation/testing_util.py grade_stdio).
		{"lines equal", "", 0, "3\n", "3", true},
		{"lines trailing spaces", "", 0, "1 2 \n3  \n\n", "1 2\n3", true},
		{"lines leading blank lines trimmed", "", 0, "\n\n1\n", "1", true},
		{"lines count differs", "", 0, "1\n2\n", "1 2", false},
		{"lines decimals equal", "", 0, "1.50 2\n", "1.5 2.0", true},
		{"lines exponent", "", 0, "1e3\n", "1000", true},
		{"lines decimals differ", "", 0, "0.333333\n", "0.333334", false},
		{"lines words differ", "", 0, "Yes\n", "YES", false},
		{"lines inner spacing", "", 0, "1  2\n", "1 2", true},
		{"lines hex is not a decimal", "", 0, "0x10\n", "16", false},
		{"lines inf is not a decimal", "", 0, "inf\n", "Infinity", false},
		{"lines float tolerance", "lines", 1e-6, "0.3333333\n", "0.33333334", true},
		{"lines float tolerance exceeded", "lines", 1e-6, "0.3334\n", "0.3333", false},
		{"tokens ignore line breaks", "tokens", 0, "1\n2\n3", "1 2 3\n", true},
		{"tokens differ", "tokens", 0, "1 2", "1 3", false},
		{"tokens tolerance relative", "tokens", 1e-6, "1000000.5", "1000000.0", true},
		{"exact equal", "exact", 0, "a b\n", "a b", true},
		{"exact inner spacing matters", "exact", 0, "a  b\n", "a b", false},
		{"empty output", "", 0, "", "0", false},
		{"both empty", "", 0, "", "\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			suite := &bench.CodeTests{Compare: tc.mode, FloatTol: tc.tol}
			ok, detail := compareStdout(suite, tc.got, tc.want)
			if ok != tc.ok {
				t.Errorf("compareStdout(%q, %q) = %v (%s), want %v", tc.got, tc.want, ok, detail, tc.ok)
			}
			if !ok && detail == "" {
				t.Errorf("a mismatch must say where")
			}
		})
	}
}

func TestCompareJSON(t *testing.T) {
	tests := []struct {
		name, got, want string
		ok              bool
	}{
		{"int", "3", "3", true},
		{"int float", "1.0", "1", true},
		{"bool is int (Python True == 1)", "true", "1", true},
		{"list", "[1, 2]", "[1,2]", true},
		{"list order", "[2, 1]", "[1,2]", false},
		{"nested", `[[1,"a"],{"k":null}]`, `[[1, "a"], {"k": null}]`, true},
		{"string vs int", `"1"`, "1", false},
		{"null", "null", "null", true},
		{"dict keys", `{"a":1}`, `{"b":1}`, false},
		{"float exact", "0.1", "0.1", true},
		{"float differs", "0.30000000000000004", "0.3", false},
		{"big int", "123456789012345678901234567890", "123456789012345678901234567890", true},
		{"not json", "Solution()", "1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ok, d := compareJSON(tc.got, tc.want); ok != tc.ok {
				t.Errorf("compareJSON(%s, %s) = %v (%s), want %v", tc.got, tc.want, ok, d, tc.ok)
			}
		})
	}
}
