package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// maxLine caps one JSONL line (a record with a long worked solution is well
// under this; a larger line is an error, not an unbounded allocation).
const maxLine = 64 << 20

// FieldMap names the fields of a user problem file. A name may be a dotted
// path into nested objects and lists ("reward_model.ground_truth",
// "prompt.0.content"); a key that itself contains dots is tried first.
type FieldMap struct {
	// Problem is the question field (default "problem"). Its value is a string,
	// or a chat message list whose last "user" message is taken.
	Problem string
	// Answer is the gold field (default "answer"): a string, a number or a list
	// of alternatives.
	Answer string
	// ID is the optional id field (string or number); when empty, ids are
	// "<file base name>-<record index>".
	ID string
	// Level is the optional difficulty field: a number, a numeric string or
	// "Level 3".
	Level string
	// Solution is the optional worked-solution field (a string).
	Solution string
}

// withDefaults fills the required field names.
func (m FieldMap) withDefaults() FieldMap {
	if m.Problem == "" {
		m.Problem = "problem"
	}
	if m.Answer == "" {
		m.Answer = "answer"
	}
	return m
}

// LoadFile reads problems from a user file: JSONL (.jsonl, .ndjson), JSON (a
// list of objects; a .json file holding one object per line is read as JSONL)
// or Parquet (.parquet, or any file starting with "PAR1"). The benchmark name
// is the file's base name without extension; Meta["where"] records each
// problem's line, record or row. Errors name the file, the line (JSONL),
// record (JSON) or row (Parquet), and the field; duplicate ids are an error.
func LoadFile(path string, m FieldMap) ([]Problem, error) {
	m = m.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))

	br := bufio.NewReaderSize(f, 64*1024)
	head, _ := br.Peek(4)
	var ps []Problem
	switch {
	case bytes.Equal(head, []byte("PAR1")) || strings.EqualFold(filepath.Ext(path), ".parquet"):
		ps, err = loadParquet(f, path, name, m)
	case firstNonSpace(br) == '[':
		ps, err = loadJSON(br, path, name, m)
	default:
		ps, err = loadJSONL(br, path, name, m)
	}
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("bench: %s: no problems", path)
	}
	return finish(ps, path, name)
}

// firstNonSpace peeks past leading white space and returns the first byte, or
// 0 when there is none within the peek window.
func firstNonSpace(br *bufio.Reader) byte {
	for n := 64; n <= 64*1024; n *= 4 {
		b, _ := br.Peek(n)
		if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); len(t) > 0 {
			return t[0]
		}
		if len(b) < n {
			return 0
		}
	}
	return 0
}

// finish assigns default ids and rejects duplicates.
func finish(ps []Problem, path, name string) ([]Problem, error) {
	seen := make(map[string]string, len(ps))
	for i := range ps {
		if ps[i].ID == "" {
			ps[i].ID = id(name, i, len(ps))
		}
		where := ps[i].Meta["where"].(string)
		if prev, ok := seen[ps[i].ID]; ok {
			return nil, fmt.Errorf("bench: %s: %s: duplicate id %q (first at %s)", path, where, ps[i].ID, prev)
		}
		seen[ps[i].ID] = where
	}
	return ps, nil
}

// loadJSONL reads one JSON object per line; blank lines are skipped.
func loadJSONL(r io.Reader, path, name string, m FieldMap) ([]Problem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	var out []Problem
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if len(b) == 0 {
			continue
		}
		where := fmt.Sprintf("line %d", line)
		rec, err := decodeObject(b)
		if err != nil {
			if len(out) == 0 && strings.EqualFold(filepath.Ext(path), ".json") {
				err = fmt.Errorf("%w (a .json file must hold a list of objects or one object per line)", err)
			}
			return nil, fmt.Errorf("bench: %s:%d: %w", path, line, err)
		}
		p, err := fromRecord(rec, name, m)
		if err != nil {
			return nil, fmt.Errorf("bench: %s:%d: %w", path, line, err)
		}
		p.Meta["where"] = where
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: after line %d: %w", path, line, err)
	}
	return out, nil
}

// decodeObject decodes one JSON object with numbers kept as json.Number.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: trailing data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", kind(v))
	}
	return obj, nil
}

// loadJSON streams a JSON list of objects.
func loadJSON(r io.Reader, path, name string, m FieldMap) ([]Problem, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	var out []Problem
	for i := 0; dec.More(); i++ {
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bench: %s: record %d: invalid JSON: %w", path, i, err)
		}
		rec, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("bench: %s: record %d: want a JSON object, got %s", path, i, kind(v))
		}
		p, err := fromRecord(rec, name, m)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: record %d: %w", path, i, err)
		}
		p.Meta["where"] = fmt.Sprintf("record %d", i)
		out = append(out, p)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bench: %s: after record %d: %w", path, len(out), err)
	}
	return out, nil
}

// loadParquet reads every row of a Parquet file as a generic record. A panic
// inside the Parquet library on a malformed file becomes an error.
func loadParquet(f *os.File, path, name string, m FieldMap) (ps []Problem, err error) {
	defer func() {
		if r := recover(); r != nil {
			ps, err = nil, fmt.Errorf("bench: %s: parquet: malformed file: %v", path, r)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("bench: %s: parquet: %w", path, err)
	}
	rd := parquet.NewGenericReader[any](pf)
	defer rd.Close()
	var out []Problem
	buf := make([]any, 256)
	row := 0
	for {
		n, err := rd.Read(buf)
		for _, v := range buf[:n] {
			rec, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("bench: %s: row %d: want a record, got %T", path, row, v)
			}
			p, perr := fromRecord(rec, name, m)
			if perr != nil {
				return nil, fmt.Errorf("bench: %s: row %d: %w", path, row, perr)
			}
			p.Meta["where"] = fmt.Sprintf("row %d", row)
			out = append(out, p)
			row++
		}
		clear(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bench: %s: row %d: parquet: %w", path, row, err)
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}

// fromRecord maps one decoded record to a Problem (without an id default).
// A record with a "tests" object (CodeTests) is a code problem and needs no
// answer field.
func fromRecord(rec map[string]any, bench string, m FieldMap) (Problem, error) {
	p := Problem{Benchmark: bench, Meta: map[string]any{}}

	qv, ok := field(rec, m.Problem)
	if !ok {
		return p, fmt.Errorf("field %q: missing", m.Problem)
	}
	q, err := questionText(qv)
	if err != nil {
		return p, fmt.Errorf("field %q: %w", m.Problem, err)
	}
	p.Question = q

	if tv, ok := rec["tests"]; ok && tv != nil {
		// A code problem: its tests (CodeTests) replace the answer.
		b, err := json.Marshal(tv)
		if err != nil {
			return p, fmt.Errorf("field \"tests\": %w", err)
		}
		var t CodeTests
		if err := json.Unmarshal(b, &t); err != nil {
			return p, fmt.Errorf("field \"tests\": %w", err)
		}
		if t.Language == "" {
			t.Language = "python"
		}
		if err := t.Validate(); err != nil {
			return p, fmt.Errorf("field \"tests\": %w", err)
		}
		p.Tests = &t
	} else {
		av, ok := field(rec, m.Answer)
		if !ok {
			return p, fmt.Errorf("field %q: missing", m.Answer)
		}
		if p.Gold, err = AnswerStrings(av); err != nil {
			return p, fmt.Errorf("field %q: %w", m.Answer, err)
		}
	}

	if m.ID != "" {
		iv, ok := field(rec, m.ID)
		if !ok {
			return p, fmt.Errorf("field %q: missing", m.ID)
		}
		s, err := scalarAnswer(iv)
		if err != nil || strings.TrimSpace(s) == "" {
			return p, fmt.Errorf("field %q: want a non-empty string or number id, got %s", m.ID, kind(iv))
		}
		p.ID = strings.TrimSpace(s)
	}
	if m.Level != "" {
		lv, ok := field(rec, m.Level)
		if !ok {
			return p, fmt.Errorf("field %q: missing", m.Level)
		}
		if p.Level, err = level(lv); err != nil {
			return p, fmt.Errorf("field %q: %w", m.Level, err)
		}
	}
	if m.Solution != "" {
		sv, ok := field(rec, m.Solution)
		if !ok {
			return p, fmt.Errorf("field %q: missing", m.Solution)
		}
		s, ok := sv.(string)
		if !ok {
			return p, fmt.Errorf("field %q: want a string, got %s", m.Solution, kind(sv))
		}
		p.Solution = strings.TrimSpace(s)
	}
	return p, nil
}

// field looks a (possibly dotted) field name up in a record.
func field(rec map[string]any, name string) (any, bool) {
	if v, ok := rec[name]; ok {
		return v, true
	}
	var cur any = rec
	for _, part := range strings.Split(name, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// questionText accepts a string or a chat message list ([{role, content}]),
// whose last user message is the question.
func questionText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", errEmptyQuestion
		}
		return x, nil
	case []byte:
		return questionText(string(x))
	case []any:
		for i := len(x) - 1; i >= 0; i-- {
			msg, ok := x[i].(map[string]any)
			if !ok {
				return "", fmt.Errorf("message %d: want an object with role and content, got %s", i, kind(x[i]))
			}
			if role, _ := msg["role"].(string); role == "user" {
				c, ok := msg["content"].(string)
				if !ok {
					return "", fmt.Errorf("message %d: content is %s, want a string", i, kind(msg["content"]))
				}
				return questionText(c)
			}
		}
		return "", errors.New("message list has no user message")
	default:
		return "", fmt.Errorf("want a string or a message list, got %s", kind(v))
	}
}

// level parses a difficulty level: 3, 3.0, "3" or "Level 3".
func level(v any) (int, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(x), "Level"))
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int, int32, int64, uint32, uint64:
		s = fmt.Sprint(x)
	default:
		return 0, fmt.Errorf("want a number or \"Level N\", got %s", kind(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > 1e6 {
		return 0, fmt.Errorf("level %q is not a non-negative integer", s)
	}
	return int(f), nil
}

// kind names a decoded JSON value's type for error messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, float32, int, int32, int64, uint32, uint64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
