package codegrade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/bench"
)

// Comparison decides whether a case's output is right. Output text is
// compared here, in Go, never inside the sandbox, so a program cannot
// influence the comparison of a stdin test.
//
//   - stdin tests, by CodeTests.Compare:
//     lines  (default; LiveCodeBench's rule, lcb_runner/evaluation/testing_util.py
//     grade_stdio) both outputs trimmed, split into lines, each line trimmed;
//     the line counts must agree and each line be equal as text or as a list
//     of exact decimals ("1.50" = "1.5", "1e3" = "1000");
//     tokens whitespace-separated tokens equal, line breaks free;
//     exact  bytes equal once trailing white space at the very end is cut.
//     With FloatTol > 0, numeric tokens may differ by FloatTol·max(1, |want|)
//     under lines and tokens.
//   - call tests: the JSON return value against the JSON expected value
//     with Python's == semantics (lcb grade_call_based: a tuple result is a
//     list; 1 == 1.0; True == 1), numbers compared exactly.

// compareStdout compares a stdin test's output with the expected output.
// detail says where they first differ.
func compareStdout(t *bench.CodeTests, got, want string) (ok bool, detail string) {
	switch t.Compare {
	case bench.CompareExact:
		g, w := strings.TrimRight(got, " \t\r\n"), strings.TrimRight(want, " \t\r\n")
		if g == w {
			return true, ""
		}
		return false, firstDiff(g, w)
	case bench.CompareTokens:
		g, w := strings.Fields(got), strings.Fields(want)
		if len(g) != len(w) {
			return false, fmt.Sprintf("%d tokens, want %d", len(g), len(w))
		}
		for i := range g {
			if !tokenEqual(g[i], w[i], t.FloatTol) {
				return false, fmt.Sprintf("token %d: %s, want %s", i+1, clip(g[i]), clip(w[i]))
			}
		}
		return true, ""
	default: // CompareLines
		g, w := strippedLines(got), strippedLines(want)
		if len(g) != len(w) {
			return false, fmt.Sprintf("%d lines, want %d", len(g), len(w))
		}
		for i := range g {
			if g[i] == w[i] {
				continue
			}
			gt, wt := strings.Fields(g[i]), strings.Fields(w[i])
			if len(gt) != len(wt) || len(gt) == 0 {
				return false, fmt.Sprintf("line %d: %s, want %s", i+1, clip(g[i]), clip(w[i]))
			}
			for k := range gt {
				if !numberEqual(gt[k], wt[k], t.FloatTol) {
					return false, fmt.Sprintf("line %d: %s, want %s", i+1, clip(g[i]), clip(w[i]))
				}
			}
		}
		return true, ""
	}
}

// strippedLines is LiveCodeBench's get_stripped_lines.
func strippedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines
}

// tokenEqual: equal text, or equal numbers (within tol when tol > 0).
func tokenEqual(got, want string, tol float64) bool {
	return got == want || numberEqual(got, want, tol)
}

// numberEqual parses both tokens as decimals; with tol = 0 they must be
// exactly equal (Python's Decimal equality), else within tol·max(1, |want|).
func numberEqual(got, want string, tol float64) bool {
	g, ok1 := parseDecimal(got)
	w, ok2 := parseDecimal(want)
	if !ok1 || !ok2 {
		return false
	}
	if tol <= 0 {
		return g.Cmp(w) == 0
	}
	gf, _ := g.Float64()
	wf, _ := w.Float64()
	return math.Abs(gf-wf) <= tol*math.Max(1, math.Abs(wf))
}

// parseDecimal reads a decimal number ("-1.50", "1e3", "+2").
func parseDecimal(s string) (*big.Rat, bool) {
	if s == "" || len(s) > 4096 || strings.IndexFunc(s, notDecimalRune) >= 0 {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// notDecimalRune reports a rune that cannot appear in a decimal literal
// (base prefixes, fractions, "inf" and "nan" are refused).
func notDecimalRune(r rune) bool {
	return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
}

// compareJSON compares a call case's JSON result with the expected JSON
// value under Python's == semantics.
func compareJSON(got, want string) (ok bool, detail string) {
	g, err := decodeJSON(got)
	if err != nil {
		return false, fmt.Sprintf("result is not JSON: %v", err)
	}
	w, err := decodeJSON(want)
	if err != nil {
		return false, fmt.Sprintf("expected output is not JSON: %v", err)
	}
	if pyEqual(g, w) {
		return true, ""
	}
	return false, fmt.Sprintf("returned %s, want %s", clip(got), clip(want))
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// pyEqual is Python's == on JSON values: numbers and booleans compare as
// numbers (True == 1), lists element-wise, objects key by key.
func pyEqual(a, b any) bool {
	if x, ok := pyNumber(a); ok {
		y, ok := pyNumber(b)
		return ok && x.Cmp(y) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// pyNumber returns a JSON number or boolean as an exact rational.
func pyNumber(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			return r, true
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil && !math.IsInf(f, 0) {
			return new(big.Rat).SetFloat64(f), true
		}
	}
	return nil, false
}

// firstDiff describes where two texts first differ.
func firstDiff(got, want string) string {
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	line := 1 + bytes.Count([]byte(want[:i]), []byte("\n"))
	return fmt.Sprintf("differs at byte %d (line %d): %s, want %s", i, line, clip(got[i:]), clip(want[i:]))
}

// clip shortens a value for a message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:n]) + "…"
}
