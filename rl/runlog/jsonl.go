package runlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// parseJSONL reads one JSON object per line. A last line with no newline
// that is not valid JSON is a torn write (an interrupted logger, a power
// loss, a file still being written): it is skipped and counted in torn. verl's file logger
// (verl/utils/tracking.py, FileLogger) writes {"step": n, "data": {...}}:
// the "data" object adds no prefix. Other nested objects are flattened with
// "/". Numbers (and strings holding one) become metrics; other values are
// kept in Record.Other.
func parseJSONL(data []byte, name string) (recs []raw, torn int, err error) {
	last := len(data) > 0 && data[len(data)-1] != '\n'
	nlines := bytes.Count(data, []byte("\n"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	ln := 0
	for sc.Scan() {
		ln++
		line := bytes.TrimSpace(sc.Bytes())
		if last && ln == nlines+1 && len(line) > 0 && !json.Valid(line) {
			torn = ln
			break
		}
		if ln == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(line) == 0 {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, 0, fmt.Errorf("runlog: %s:%d: %w", name, ln, err)
		}
		r := raw{line: ln, metrics: map[string]float64{}}
		if err := flattenJSON(&r, "", m, true); err != nil {
			return nil, 0, fmt.Errorf("runlog: %s:%d: %w", name, ln, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("runlog: %s: %w", name, err)
	}
	return recs, torn, nil
}

// flattenJSON adds the values of m to r, joining nested keys with "/".
func flattenJSON(r *raw, prefix string, m map[string]json.RawMessage, top bool) error {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "/" + k
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 || string(v) == "null" {
			continue
		}
		switch v[0] {
		case '{':
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(v, &sub); err != nil {
				return fmt.Errorf("field %q: %w", key, err)
			}
			if top && k == "data" {
				key = ""
			}
			if err := flattenJSON(r, key, sub, false); err != nil {
				return err
			}
			continue
		case '"':
			var s string
			if json.Unmarshal(v, &s) == nil {
				if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
					r.metrics[key] = x
					continue
				}
			}
		case 't', 'f':
			r.metrics[key] = map[bool]float64{true: 1, false: 0}[string(v) == "true"]
			continue
		default:
			if x, err := strconv.ParseFloat(string(v), 64); err == nil {
				r.metrics[key] = x
				continue
			}
		}
		if r.other == nil {
			r.other = map[string]json.RawMessage{}
		}
		r.other[key] = v
	}
	return nil
}
