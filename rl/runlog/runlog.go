// Package runlog reads the step-wise metric logs that RL trainers write
// (verl, TRL, OpenRLHF, wandb exports, terse itself) into one neutral form:
// a Log of Records, one per training step, each a map from the metric names
// as logged to their values. It knows formats, not meanings: which metric
// is a length or an entropy is decided by the caller (rl's column mapping).
//
// One file per format; Detect tells them apart by content. Every reader
// follows the same rules:
//   - a record's step is the logged global step (see StepKeys), or its
//     position when the format has none (the Trainer's printed dicts);
//   - records with the same step are merged key by key, the later value
//     winning: verl prints validation metrics on a line of their own, Ray
//     repeats lines, and a resumed run logs its first steps again;
//   - bad input in a structured format (JSON, CSV) is an error naming the
//     file and line; console logs skip the lines that hold no record.
package runlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// Format names a log format.
type Format string

// The formats Parse reads.
const (
	// JSONL is one JSON object per line: terse's steps.jsonl, verl's file
	// logger ({"step": n, "data": {...}}), wandb history lines, any
	// trainer's metrics dumped as JSON lines. Nested objects are flattened
	// with "/".
	JSONL Format = "jsonl"
	// VerlConsole is verl's console logger: "step:K - key:value - …" lines,
	// possibly behind Ray's "(main_task pid=…)" prefix and colour codes.
	VerlConsole Format = "verl-console"
	// TRLState is a transformers Trainer's trainer_state.json; its
	// log_history holds one entry per logging step.
	TRLState Format = "trl-state"
	// TRLTable is the Trainer's per-step table ("Step  Training Loss  reward
	// …") as shown in a notebook, copied as text (tabs, pipes or aligned
	// columns) or saved as HTML.
	TRLTable Format = "trl-table"
	// TRLConsole is the Trainer's console output: one Python dict per
	// logging step ({'loss': 0.01, 'reward': 0.5, …, 'epoch': 0.1}).
	TRLConsole Format = "trl-console"
	// OpenRLHFConsole is OpenRLHF's console log: "✨ Global step N: {…}"
	// and "… global_step N, eval_metrics: {…}" lines.
	OpenRLHFConsole Format = "openrlhf-console"
	// CSV is a table with a header row: wandb's CSV export ("run - metric"
	// headers, __MIN/__MAX columns), a Trainer table saved as CSV, any
	// metrics CSV.
	CSV Format = "csv"
	// WandbJSON is a JSON document of history rows: an array of objects
	// (wandb's run.history() saved with orient="records") or an object of
	// columns (pandas' default orient="columns").
	WandbJSON Format = "wandb-json"
)

// Formats lists every format, in the order Detect tries them.
var Formats = []Format{TRLState, WandbJSON, TRLTable, VerlConsole, OpenRLHFConsole, TRLConsole, JSONL, CSV}

// StepKeys are the keys a record's step is read from, in order of
// preference: terse and verl's file logger, OpenRLHF's and TRL's wandb
// step, verl's own, the Trainer's table, and wandb's row counter last.
var StepKeys = []string{"step", "global_step", "train/global_step", "training/global_step", "trainer/global_step", "Step", "_step"}

// Record is one training step.
type Record struct {
	Step    int
	Line    int                        // 1-based line (entry, for JSON documents) it starts at
	Metrics map[string]float64         // numeric values by key as logged (after the format's own clean-up)
	Other   map[string]json.RawMessage // non-numeric values of JSON formats (terse's eval array, strings)
}

// Log is a parsed training log.
type Log struct {
	Format   Format
	Records  []Record // sorted by step, one per step
	StepKey  string   // key the steps came from; "" when numbered by position
	Repeated int      // records merged into an earlier one of the same step
	Skipped  int      // lines that held no record (console noise)
	TornLine int      // a torn last line (no newline, not a whole record) that was skipped; 0 if none
	Notes    []string // what a reader should know (e.g. steps numbered by position)
}

// raw is what a format reader produces before steps are resolved.
type raw struct {
	step    int  // from the line itself (console formats)
	hasStep bool // step is set; otherwise StepKeys are looked up
	attach  bool // belongs to the previous record (an eval dict printed after a log dict)
	line    int
	metrics map[string]float64
	other   map[string]json.RawMessage
}

// ReadFile reads and parses the log at path (format "" = Detect).
func ReadFile(path string, format Format) (*Log, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	return Parse(data, path, format)
}

// Parse parses a whole log; name labels errors. An empty format is
// detected from the content.
func Parse(data []byte, name string, format Format) (*Log, error) {
	if format == "" {
		f, err := Detect(data, name)
		if err != nil {
			return nil, err
		}
		format = f
	}
	var (
		recs    []raw
		skipped int
		torn    int
		err     error
	)
	switch format {
	case JSONL:
		recs, torn, err = parseJSONL(data, name)
	case VerlConsole:
		recs, skipped, err = parseVerlConsole(data, name)
	case TRLState:
		recs, err = parseTRLState(data, name)
	case TRLTable:
		recs, err = parseTable(data, name)
	case TRLConsole:
		recs, skipped, err = parseTRLConsole(data, name)
	case OpenRLHFConsole:
		recs, skipped, err = parseOpenRLHFConsole(data, name)
	case CSV:
		recs, err = parseCSV(data, name)
	case WandbJSON:
		recs, err = parseWandbJSON(data, name)
	default:
		return nil, fmt.Errorf("runlog: %s: unknown format %q (want one of %s)", name, format, formatList())
	}
	if err != nil {
		return nil, err
	}
	lg, err := assemble(recs, name)
	if err != nil {
		return nil, err
	}
	lg.Format, lg.Skipped, lg.TornLine = format, skipped, torn
	switch format {
	case VerlConsole:
		lg.StepKey = "step:K"
	case OpenRLHFConsole:
		lg.StepKey = "Global step N"
	}
	return lg, nil
}

func formatList() string {
	s := make([]string, len(Formats))
	for i, f := range Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// assemble resolves steps, merges or replaces repeated steps and sorts.
func assemble(recs []raw, name string) (*Log, error) {
	lg := &Log{}
	// The step key: the first of StepKeys present in any record.
	for _, k := range StepKeys {
		for _, r := range recs {
			if _, ok := r.metrics[k]; ok && !r.hasStep {
				lg.StepKey = k
				break
			}
		}
		if lg.StepKey != "" {
			break
		}
	}
	if lg.StepKey == "" {
		for _, r := range recs {
			for _, k := range StepKeys {
				if _, bad := r.other[k]; bad {
					return nil, fmt.Errorf("runlog: %s:%d: step %q is not a number", name, r.line, k)
				}
			}
		}
	}
	byStep := map[int]int{} // step → index in lg.Records
	prev, pos := -1, 0
	for _, r := range recs {
		step := r.step
		switch {
		case r.hasStep:
		case r.attach && prev >= 0:
			step = prev
		case lg.StepKey != "":
			x, ok := r.metrics[lg.StepKey]
			if !ok {
				if _, bad := r.other[lg.StepKey]; bad {
					return nil, fmt.Errorf("runlog: %s:%d: step %q is not a number", name, r.line, lg.StepKey)
				}
				// A row without the step (a wandb row logged off-step):
				// it belongs to the step before it.
				if prev < 0 {
					lg.Notes = append(lg.Notes, fmt.Sprintf("line %d has no %q and no step before it: dropped", r.line, lg.StepKey))
					continue
				}
				step = prev
				break
			}
			if x != math.Trunc(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("runlog: %s:%d: step %q = %v is not an integer", name, r.line, lg.StepKey, x)
			}
			step = int(x)
		default:
			pos++
			step = pos
		}
		for _, k := range StepKeys {
			delete(r.metrics, k)
		}
		prev = step
		i, seen := byStep[step]
		if !seen {
			byStep[step] = len(lg.Records)
			lg.Records = append(lg.Records, Record{Step: step, Line: r.line, Metrics: r.metrics, Other: r.other})
			continue
		}
		old := &lg.Records[i]
		lg.Repeated++
		for k, v := range r.metrics {
			old.Metrics[k] = v
		}
		for k, v := range r.other {
			if old.Other == nil {
				old.Other = map[string]json.RawMessage{}
			}
			old.Other[k] = v
		}
	}
	if lg.StepKey == "" && len(lg.Records) > 0 && !recs[0].hasStep {
		lg.Notes = append(lg.Notes, "the log has no step numbers: records are numbered 1, 2, … in order (multiply by logging_steps for optimizer steps)")
	}
	sort.SliceStable(lg.Records, func(i, j int) bool { return lg.Records[i].Step < lg.Records[j].Step })
	return lg, nil
}

// Keys returns every metric key in lg, sorted.
func (lg *Log) Keys() []string {
	set := map[string]bool{}
	for _, r := range lg.Records {
		for k := range r.Metrics {
			set[k] = true
		}
		for k := range r.Other {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Detect tells the format of a log from its content: a JSON document with
// log_history is TRLState, other JSON documents WandbJSON; an HTML table or
// a header starting "Step" is TRLTable; lines of "step:K - k:v" are
// VerlConsole, "Global step N: {" OpenRLHFConsole, "{'loss': …}" dicts
// TRLConsole; JSON objects per line JSONL; a comma-separated header CSV.
func Detect(data []byte, name string) (Format, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if len(t) == 0 {
		return "", fmt.Errorf("runlog: %s: empty log", name)
	}
	if t[0] == '[' {
		return WandbJSON, nil
	}
	if t[0] == '{' && json.Valid(t) {
		var doc map[string]json.RawMessage
		if json.Unmarshal(t, &doc) == nil {
			if _, ok := doc["log_history"]; ok {
				return TRLState, nil
			}
			if isColumns(doc) {
				return WandbJSON, nil
			}
		}
		return JSONL, nil
	}
	if bytes.Contains(t[:min(len(t), 1<<16)], []byte("<table")) {
		return TRLTable, nil
	}
	var verl, orl, trl, jsonl, table, lines int
	first := ""
	for _, ln := range strings.Split(string(t), "\n") {
		ln = strings.TrimSpace(stripANSI(ln))
		if ln == "" {
			continue
		}
		if first == "" {
			first = ln
		}
		lines++
		if lines <= 50 && isTableHeader(ln) {
			table++
		}
		switch {
		case verlLine.MatchString(stripRayPrefix(ln)):
			verl++
		case orlTrain.MatchString(ln) || orlEval.MatchString(ln):
			orl++
		case strings.HasPrefix(ln, "{'") && strings.HasSuffix(ln, "}"):
			trl++
		case strings.HasPrefix(ln, "{") && json.Valid([]byte(ln)):
			jsonl++
		}
		if lines > 20000 {
			break
		}
	}
	switch {
	case verl > 0:
		return VerlConsole, nil
	case orl > 0:
		return OpenRLHFConsole, nil
	case trl > 0:
		return TRLConsole, nil
	case jsonl > 0:
		return JSONL, nil
	case table > 0:
		return TRLTable, nil
	case strings.Contains(first, ","):
		return CSV, nil
	}
	return "", fmt.Errorf("runlog: %s: cannot tell the log format from its first line %q: want one of %s (see --format)", name, clip(first, 80), formatList())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
