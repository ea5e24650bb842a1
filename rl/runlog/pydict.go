package runlog

import (
	"fmt"
	"strings"
)

// pyDict parses a Python dict literal as str(dict) prints it, {'k': v, …},
// keeping the numeric values (see pyNumber; nested containers and strings
// are skipped). It is what the Trainer's console and OpenRLHF's log print.
func pyDict(s string) (map[string]float64, error) {
	p := pyParser{s: strings.TrimSpace(s)}
	out := map[string]float64{}
	if !p.eat('{') {
		return nil, fmt.Errorf("want '{' at the start of %q", clip(s, 40))
	}
	for {
		p.space()
		if p.eat('}') {
			return out, nil
		}
		key, ok := p.str()
		if !ok {
			return nil, fmt.Errorf("want a quoted key at offset %d", p.i)
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Errorf("want ':' after key %q", key)
		}
		p.space()
		val, err := p.value()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		if x, ok := pyNumber(val); ok {
			out[key] = x
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return out, nil
		}
		return nil, fmt.Errorf("want ',' or '}' after key %q", key)
	}
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string, with backslash escapes kept as written.
func (p *pyParser) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch p.s[j] {
		case '\\':
			if j+1 < len(p.s) {
				b.WriteByte(p.s[j+1])
				j++
			}
		case q:
			p.i = j + 1
			return b.String(), true
		default:
			b.WriteByte(p.s[j])
		}
	}
	return "", false
}

// value returns the text of one value, up to the ',' or '}' that ends it
// at nesting depth 0.
func (p *pyParser) value() (string, error) {
	start, depth := p.i, 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\'' || c == '"':
			if _, ok := p.str(); !ok {
				return "", fmt.Errorf("unterminated string")
			}
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || (c == '}' && depth > 0):
			depth--
		case (c == ',' || c == '}') && depth == 0:
			return strings.TrimSpace(p.s[start:p.i]), nil
		}
		p.i++
	}
	return "", fmt.Errorf("unterminated value")
}
