package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// AnswerStrings turns a decoded answer value into gold strings. It accepts a
// string, a number (json.Number, float64, int kinds), a *big.Float, or a list
// of those; a list means "any of these". Strings are trimmed of surrounding
// white space (Minerva's answers end in "\n"), numbers are written by
// FormatNumber, empty and duplicate entries are dropped. It fails on null,
// objects, booleans, nested lists and answers that end up empty.
func AnswerStrings(v any) ([]string, error) {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			s, err := scalarAnswer(e)
			if err != nil {
				return nil, fmt.Errorf("answer list item %d: %w", i, err)
			}
			add(s)
		}
	case []string:
		for _, s := range x {
			add(s)
		}
	default:
		s, err := scalarAnswer(v)
		if err != nil {
			return nil, err
		}
		add(s)
	}
	if len(out) == 0 {
		return nil, errEmptyAnswer
	}
	return out, nil
}

// scalarAnswer renders one answer value as a string.
func scalarAnswer(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", errNullAnswer
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case json.Number:
		return FormatNumber(string(x)), nil
	case float64:
		return formatFloat(x), nil
	case float32:
		return formatFloat(float64(x)), nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case *big.Float:
		return FormatNumber(x.Text('g', -1)), nil
	default:
		return "", fmt.Errorf("bench: answer has unsupported type %T (want string, number or list)", v)
	}
}

// FormatNumber writes a number literal the way a reference answer is written:
// integral values lose a trailing ".0" ("27.0" → "27", "1e3" → "1000") so that
// AMC's float answers read as integers; other values keep their literal text.
// Text that is not a number is returned unchanged.
func FormatNumber(lit string) string {
	lit = strings.TrimSpace(lit)
	if _, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return lit
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return lit
}

// formatFloat writes a float64 answer: integers without a fraction, others in
// the shortest form that round-trips.
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// stripDollars removes unescaped "$" math delimiters and trims the result, so
// OlympiadBench's "$2^{1009}$" and "$69$,$84$" become "2^{1009}" and "69,84".
func stripDollars(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && (i == 0 || s[i-1] != '\\') {
			continue
		}
		b.WriteByte(s[i])
	}
	return strings.TrimSpace(b.String())
}
