package rewardserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A fast path for the large request bodies of the reward service (1024
// rollouts of 2–8k characters is 5 MB of JSON). encoding/json checks every
// byte through its scanner state machine (~75 MB/s here), which alone would
// take most of a 50 ms budget. These helpers split objects and arrays into
// their members' raw bytes using bytes.IndexByte to skip strings, so the
// costly part — unquoting the long strings — runs on the worker pool in
// parallel. Every byte is still validated: the structure here, each value
// by its consumer (rsString, or encoding/json for small scalars).

// rsErrJSON reports malformed JSON structure found by the splitters; the
// caller re-decodes the body with encoding/json for a precise message.
var rsErrJSON = errors.New("rewardserver: malformed JSON")

// rsWS skips JSON whitespace from i.
func rsWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// rsSkipString returns the index after the string starting at b[i] == '"'.
func rsSkipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, rsErrJSON
		}
		end := j + k
		n := 0 // backslashes right before the quote
		for p := end - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return end + 1, nil
		}
		j = end + 1
	}
}

// rsSkipValue returns the index after the value starting at b[i]. Strings
// and nesting are followed; the contents are not validated.
func rsSkipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, rsErrJSON
	}
	switch b[i] {
	case '"':
		return rsSkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, err := rsSkipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, rsErrJSON
	case ',', ':', '}', ']':
		return 0, rsErrJSON
	}
	j := i
	for j < len(b) && bytes.IndexByte([]byte(",}] \t\r\n"), b[j]) < 0 {
		j++
	}
	return j, nil
}

// rsMember is one member of a JSON object: its key and raw value.
type rsMember struct {
	key string
	val []byte
}

// rsObject splits the JSON object b (whitespace around allowed, nothing
// after) into its members, in order.
func rsObject(b []byte) ([]rsMember, error) {
	i := rsWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, rsErrJSON
	}
	var out []rsMember
	i = rsWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, rsEnd(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, rsErrJSON
		}
		j, err := rsSkipString(b, i)
		if err != nil {
			return nil, err
		}
		key, err := rsString(b[i:j])
		if err != nil {
			return nil, err
		}
		i = rsWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, rsErrJSON
		}
		i = rsWS(b, i+1)
		j, err = rsSkipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, rsMember{key, b[i:j]})
		var end bool
		switch i, end, err = rsNext(b, j, '}'); {
		case err != nil:
			return nil, err
		case end:
			return out, nil
		}
	}
}

// rsPick stores the raw value of each member named in fields in its slot
// (a later duplicate wins, as in encoding/json) and returns the members
// fields does not name, in order.
func rsPick(ms []rsMember, fields map[string]*[]byte) []rsMember {
	var rest []rsMember
	for _, m := range ms {
		if slot, ok := fields[m.key]; ok {
			*slot = m.val
		} else {
			rest = append(rest, m)
		}
	}
	return rest
}

// rsArray splits the JSON array b into its elements' raw values.
func rsArray(b []byte) ([][]byte, error) {
	i := rsWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, rsErrJSON
	}
	out := [][]byte{}
	i = rsWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, rsEnd(b, i+1)
	}
	for {
		j, err := rsSkipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, b[i:j])
		var end bool
		switch i, end, err = rsNext(b, j, ']'); {
		case err != nil:
			return nil, err
		case end:
			return out, nil
		}
	}
}

// rsNext reads what follows a member or element ending at j: a comma
// (next is where the following one starts) or the closing byte (end, and
// only whitespace may follow it).
func rsNext(b []byte, j int, closing byte) (next int, end bool, err error) {
	i := rsWS(b, j)
	switch {
	case i >= len(b):
		return 0, false, rsErrJSON
	case b[i] == ',':
		return rsWS(b, i+1), false, nil
	case b[i] == closing:
		return 0, true, rsEnd(b, i+1)
	}
	return 0, false, rsErrJSON
}

// rsEnd checks that only whitespace follows index i.
func rsEnd(b []byte, i int) error {
	if rsWS(b, i) != len(b) {
		return rsErrJSON
	}
	return nil
}

// rsString decodes the JSON string b (quotes included) exactly as
// encoding/json does, invalid UTF-8 becoming U+FFFD.
func rsString(b []byte) (string, error) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", rsErrJSON
	}
	s := b[1 : len(b)-1]
	if !utf8.Valid(s) {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return "", err
		}
		return v, nil
	}
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			k = len(s)
		}
		for _, c := range s[:k] {
			if c < 0x20 || c == '"' {
				return "", rsErrJSON
			}
		}
		out = append(out, s[:k]...)
		s = s[k:]
		if len(s) == 0 {
			break
		}
		if len(s) < 2 {
			return "", rsErrJSON
		}
		switch s[1] {
		case '"', '\\', '/':
			out = append(out, s[1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := rsUnicode(s)
			if n == 0 {
				return "", rsErrJSON
			}
			out = utf8.AppendRune(out, r)
			s = s[n:]
			continue
		default:
			return "", rsErrJSON
		}
		s = s[2:]
	}
	return string(out), nil
}

// rsUnicode decodes a \uXXXX escape (and a following low surrogate) at the
// start of s, as encoding/json does: an unpaired surrogate becomes U+FFFD.
// It returns the bytes consumed, 0 when malformed.
func rsUnicode(s []byte) (rune, int) {
	hex := func(s []byte) rune {
		if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(s[2:6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(v)
	}
	r := hex(s)
	if r < 0 {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if r2 := hex(s[6:]); r2 >= 0 {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// rsStringsOrOne splits a value that is a list of strings, or one string,
// into raw string values, checking only the first byte of each (rsString
// validates the rest). null is nil.
func rsStringsOrOne(raw []byte, field string) ([][]byte, *rsError) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		return [][]byte{raw}, nil
	}
	if raw[0] != '[' {
		return nil, rsBad("field %q: got %s, want a list of strings", field, rsKind(raw))
	}
	elems, err := rsArray(raw)
	if err != nil {
		return nil, rsBad("field %q: malformed JSON list", field)
	}
	for i, e := range elems {
		if e[0] != '"' {
			return nil, rsBad("field %q: element %d: got %s, want a string", field, i, rsKind(e))
		}
	}
	return elems, nil
}
