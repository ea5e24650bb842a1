package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/grade"
)

// Options configures JSONL.
type Options struct {
	// Workers is the number of grading goroutines (≥ 1); output order is
	// kept whatever it is.
	Workers int
	// GoldField and ResponseField name each line's gold answer (a string, a
	// number or a list of them) and completion fields.
	GoldField, ResponseField string
	// Extracted compares each response as an already extracted answer
	// (grade.Verify) instead of extracting it first (grade.Grade).
	Extracted bool
	// SkipBad records an unreadable line with reason BadInput and an
	// "error" field instead of stopping the run.
	SkipBad bool
	// Grade holds the grader's tolerances and work budget.
	Grade grade.Options
}

// BadInput is the reason recorded for a line that Options.SkipBad kept.
const BadInput grade.Reason = "bad_input"

// MaxLine caps one input line.
const MaxLine = 64 << 20

// Stats counts what JSONL wrote.
type Stats struct{ Lines, Correct, Bad int }

// job is one input line on its way through the workers.
type job struct {
	line int
	data []byte
	res  chan result // buffered (1); read by the writer in input order
}

// result is one graded output line, or the error that stops the run.
type result struct {
	out     []byte
	correct bool
	bad     bool
	err     error
}

// JSONL grades every non-blank line of in and writes one output line per
// input line, in input order. A reader feeds o.Workers goroutines; the writer
// takes results through a queue of per-line channels, so order is kept and at
// most 4·Workers lines are held in memory at once.
func JSONL(ctx context.Context, in io.Reader, out io.Writer, o Options) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var st Stats
	jobs := make(chan job)
	queue := make(chan chan result, 4*o.Workers)
	var readErr error
	var wg sync.WaitGroup

	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		defer close(jobs)
		defer close(queue)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 64*1024), MaxLine)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			j := job{line: line, data: bytes.Clone(b), res: make(chan result, 1)}
			select {
			case queue <- j.res:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("line %d is longer than %d MiB", line+1, MaxLine>>20)
			} else {
				err = fmt.Errorf("after line %d: %w", line, err)
			}
			readErr = err
		}
	}()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.res <- gradeLine(j.line, j.data, o)
			}
		}()
	}

	bw := bufio.NewWriterSize(out, 256*1024)
	var err error
	for res := range queue {
		var r result
		select {
		case r = <-res:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil && r.err != nil {
			err = r.err
		}
		if err != nil {
			break
		}
		st.Lines++
		if r.correct {
			st.Correct++
		}
		if r.bad {
			st.Bad++
		}
		bw.Write(r.out)
		if werr := bw.WriteByte('\n'); werr != nil {
			err = fmt.Errorf("write: %w", werr)
			break
		}
	}
	cancel()
	for range queue { // let the reader finish after an early stop
	}
	wg.Wait()
	if err == nil {
		err = readErr
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write: %w", ferr)
	}
	return st, err
}

// gradeLine grades one JSONL line and renders its output line.
func gradeLine(line int, data []byte, o Options) result {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("want a JSON object, got null")
		}
		return badLine(line, data, nil, fmt.Errorf("line %d: invalid JSON object: %w", line, err), o)
	}
	gold, err := goldField(obj, o.GoldField)
	if err != nil {
		return badLine(line, data, obj, fmt.Errorf("line %d: field %q: %w", line, o.GoldField, err), o)
	}
	raw, ok := obj[o.ResponseField]
	if !ok {
		return badLine(line, data, obj, fmt.Errorf("line %d: field %q: missing", line, o.ResponseField), o)
	}
	var resp string
	if err := json.Unmarshal(raw, &resp); err != nil || string(raw) == "null" {
		return badLine(line, data, obj, fmt.Errorf("line %d: field %q: want a string, got %.40s", line, o.ResponseField, raw), o)
	}
	var v grade.Verdict
	if o.Extracted {
		v = grade.Verify(gold, resp, o.Grade)
	} else {
		v = grade.Grade(resp, gold, o.Grade)
	}
	out, err := withVerdict(data, obj, v, "")
	if err != nil {
		return result{err: fmt.Errorf("line %d: %w", line, err)}
	}
	return result{out: out, correct: v.Correct}
}

// goldField reads the gold answer: a string, a number or a list of them.
func goldField(obj map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := obj[name]
	if !ok {
		return nil, errors.New("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return bench.AnswerStrings(v)
}

// badLine renders a line that could not be graded: an error without
// --skip-bad, else the line (or, if it is not an object, {"line", "input"})
// with reason bad_input and the error message.
func badLine(line int, data []byte, obj map[string]json.RawMessage, err error, o Options) result {
	if !o.SkipBad {
		return result{err: err}
	}
	if obj == nil {
		in, _ := json.Marshal(string(data))
		n, _ := json.Marshal(line)
		obj = map[string]json.RawMessage{"line": n, "input": in}
		data = nil
	}
	out, merr := withVerdict(data, obj, grade.Verdict{Reason: BadInput}, err.Error())
	if merr != nil {
		return result{err: fmt.Errorf("line %d: %w", line, merr)}
	}
	return result{out: out, bad: true}
}

// verdictKeys are the fields JSONL adds to each line.
var verdictKeys = [...]string{"correct", "reason", "extracted", "error"}

// withVerdict adds correct, reason, extracted (and error, if set) to a line.
// When data is given and the line has none of those keys, they are appended
// to its original bytes, so key order and number formatting are kept;
// otherwise obj is re-encoded with the new values (keys sorted).
func withVerdict(data []byte, obj map[string]json.RawMessage, v grade.Verdict, errMsg string) ([]byte, error) {
	keys := []string{"correct", "reason", "extracted"}
	vals := []any{v.Correct, v.Reason, v.Extracted}
	if errMsg != "" {
		keys, vals = append(keys, "error"), append(vals, errMsg)
	}
	appendMode := data != nil
	for _, k := range verdictKeys {
		if _, ok := obj[k]; ok {
			appendMode = false
		}
	}
	var tail []byte
	for i, k := range keys {
		b, err := marshal(vals[i])
		if err != nil {
			return nil, err
		}
		if !appendMode {
			obj[k] = b
			continue
		}
		if i > 0 || len(obj) > 0 {
			tail = append(tail, ',')
		}
		kb, _ := marshal(k)
		tail = append(append(append(tail, kb...), ':'), b...)
	}
	if !appendMode {
		return marshal(obj)
	}
	// data is a trimmed JSON object: drop its "}" and append the new keys.
	body := bytes.TrimRight(data[:len(data)-1], " \t\r\n")
	out := make([]byte, 0, len(body)+len(tail)+1)
	return append(append(append(out, body...), tail...), '}'), nil
}

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
