package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/grade"
)

// gradeOptions holds the flags of `terse grade`.
type gradeOptions struct {
	Gold      []string // --gold, repeatable alternatives
	Pred      string   // --pred, a raw completion ("-" reads stdin)
	Extracted bool     // --extracted: Pred is already an answer
	JSON      bool     // --json

	JSONL         string // --jsonl input file ("-" reads stdin)
	Out           string // --out output file ("" or "-" writes stdout)
	SkipBad       bool   // --skip-bad
	Workers       int    // --workers
	GoldField     string // --gold-field
	ResponseField string // --response-field

	SelfCheck bool           // --self-check
	Bench     []string       // --bench (self-check sets or problem files)
	DataDir   string         // --data-dir for sets that are not embedded (gsm8k)
	Fields    bench.FieldMap // --problem-field, --answer-field, … for problem files

	Grade grade.Options // --rel-tol, --abs-tol, --work-budget
}

// gradeBadInput is the reason recorded for a --skip-bad line.
const gradeBadInput grade.Reason = "bad_input"

// gradeMaxLine caps one input line of --jsonl.
const gradeMaxLine = 64 << 20

func newGradeCmd() *cobra.Command {
	o := gradeOptions{Grade: grade.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "grade (--gold G --pred P | --jsonl IN [--out OUT] | --self-check)",
		Short: "Grade model answers against reference answers",
		Long: `grade checks whether a model's answer equals the reference (gold) answer,
using package grade: it extracts the final answer from a raw completion (a
\boxed{} first; see grade.Extract) and compares it with each gold alternative
(strings, numbers, symbolic and structural equality; any match counts).
It runs in one of three modes:

  --gold G --pred P     grade one completion and print the verdict
  --jsonl IN            grade a JSONL file: each line has "gold" (string,
                        number or list) and "response"; each output line is
                        the input line plus "correct", "reason", "extracted",
                        in input order (blank lines are skipped)
  --self-check          grade the human-written solutions of the built-in
                        benchmarks against their own gold answers and report
                        the agreement per benchmark and every disagreement;
                        solutions that state no final answer (no box, no
                        "####", no "answer is"/"Answer:" followed by math or
                        a number) are counted apart

Reasons are snake_case strings from package grade (equal_numeric, not_equal,
no_answer, …); --skip-bad adds bad_input. The --problem-field family maps the
fields of a problem file given to --self-check --bench FILE.`,
		Example: `  terse grade --gold 42 --pred 'so the answer is \boxed{42}.'
  terse grade --gold '\frac{1}{2}' --gold 0.5 --pred 1/2 --extracted --json
  terse grade --jsonl rollouts.jsonl --out graded.jsonl
  terse grade --self-check
  terse grade --self-check --bench gsm8k --data-dir ../shared/data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGrade(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Gold, "gold", nil, "gold answer; repeat for alternatives (any match counts)")
	f.StringVar(&o.Pred, "pred", "", "model completion to grade (\"-\" reads stdin)")
	f.BoolVar(&o.Extracted, "extracted", false, "--pred (or each JSONL response) is already an extracted answer: compare it without extraction")
	f.BoolVar(&o.JSON, "json", false, "print the verdict (or the self-check summary) as JSON")
	f.StringVar(&o.JSONL, "jsonl", "", "grade every line of this JSONL file (\"-\" reads stdin)")
	f.StringVar(&o.Out, "out", "", "with --jsonl: write graded lines here instead of stdout")
	f.BoolVar(&o.SkipBad, "skip-bad", false, "with --jsonl: record unreadable lines as reason bad_input (with an \"error\" field) instead of stopping")
	f.IntVar(&o.Workers, "workers", runtime.GOMAXPROCS(0), "grading goroutines for --jsonl and --self-check (output order is kept)")
	f.StringVar(&o.GoldField, "gold-field", "gold", "with --jsonl: name of the gold answer field")
	f.StringVar(&o.ResponseField, "response-field", "response", "with --jsonl: name of the completion field")
	f.BoolVar(&o.SelfCheck, "self-check", false, "grade the built-in benchmarks' own solutions against their gold answers")
	f.StringArrayVar(&o.Bench, "bench", nil, "with --self-check: benchmark to check, or a problem file (JSONL/JSON/Parquet) with a solution field; repeatable; default all built-in sets, plus gsm8k with --data-dir; built-ins: "+strings.Join(gradeBenchNames(), ", "))
	f.StringVar(&o.DataDir, "data-dir", "", "directory laid out like ../shared/data, for sets not embedded in the binary (gsm8k)")
	addFieldMapFlags(cmd, &o.Fields)
	f.StringVar(&o.Fields.Solution, "solution-field", "", "problem-file field holding the worked solution, e.g. solution (--self-check --bench FILE; without it only the gold round trip runs)")
	f.Float64Var(&o.Grade.RelTol, "rel-tol", o.Grade.RelTol, "relative tolerance for numeric comparison")
	f.Float64Var(&o.Grade.AbsTol, "abs-tol", o.Grade.AbsTol, "absolute tolerance for numeric comparison (0 = off)")
	f.IntVar(&o.Grade.WorkBudget, "work-budget", o.Grade.WorkBudget, "work budget per comparison in abstract steps (bounds time on hostile input)")
	return cmd
}

// addFieldMapFlags registers the flags that map a user problem file's fields
// (see bench.LoadFile): --problem-field, --answer-field, --id-field and
// --level-field. Names may be dotted paths ("reward_model.ground_truth").
func addFieldMapFlags(cmd *cobra.Command, m *bench.FieldMap) {
	f := cmd.Flags()
	f.StringVar(&m.Problem, "problem-field", "problem", "problem-file field holding the question (a string or a chat message list)")
	f.StringVar(&m.Answer, "answer-field", "answer", "problem-file field holding the gold answer (string, number or list of alternatives)")
	f.StringVar(&m.ID, "id-field", "", "problem-file field holding the problem id (default: <file name>-<index>)")
	f.StringVar(&m.Level, "level-field", "", "problem-file field holding the difficulty level (number or \"Level N\")")
}

// gradeBenchNames lists every built-in set name for help text.
func gradeBenchNames() []string {
	var names []string
	for _, in := range bench.Catalog() {
		names = append(names, in.Name)
	}
	return names
}

// runGrade checks the flag combination and dispatches to one mode.
func runGrade(cmd *cobra.Command, o gradeOptions) error {
	modes := 0
	for _, on := range []bool{o.Pred != "" || len(o.Gold) > 0, o.JSONL != "", o.SelfCheck} {
		if on {
			modes++
		}
	}
	switch {
	case modes == 0:
		return usagef("grade: give --gold and --pred, or --jsonl, or --self-check (see --help)")
	case modes > 1:
		return usagef("grade: --gold/--pred, --jsonl and --self-check are separate modes; use one")
	case o.Workers < 1:
		return usagef("grade: --workers must be at least 1, got %d", o.Workers)
	case o.Grade.RelTol < 0 || o.Grade.AbsTol < 0 || o.Grade.WorkBudget < 0:
		return usagef("grade: --rel-tol, --abs-tol and --work-budget must not be negative")
	case o.Out != "" && o.JSONL == "":
		return usagef("grade: --out needs --jsonl")
	case o.SkipBad && o.JSONL == "":
		return usagef("grade: --skip-bad needs --jsonl")
	case len(o.Bench) > 0 && !o.SelfCheck:
		return usagef("grade: --bench needs --self-check")
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	stdout := cmd.OutOrStdout()
	switch {
	case o.SelfCheck:
		return runSelfCheck(ctx, stdout, o)
	case o.JSONL != "":
		return runGradeJSONL(ctx, cmd, o)
	default:
		return runGradeOne(cmd, o)
	}
}

// runGradeOne grades a single --pred against the --gold alternatives.
func runGradeOne(cmd *cobra.Command, o gradeOptions) error {
	if len(o.Gold) == 0 {
		return usagef("grade: --pred needs at least one --gold")
	}
	if o.Pred == "" {
		return usagef("grade: --gold needs --pred (use --pred - to read stdin)")
	}
	pred := o.Pred
	if pred == "-" {
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), gradeMaxLine+1))
		if err != nil {
			return fmt.Errorf("grade: read stdin: %w", err)
		}
		if len(b) > gradeMaxLine {
			return fmt.Errorf("grade: stdin is longer than %d MiB", gradeMaxLine>>20)
		}
		pred = string(b)
	}
	var v grade.Verdict
	if o.Extracted {
		v = grade.Verify(o.Gold, pred, o.Grade)
	} else {
		v = grade.Grade(pred, o.Gold, o.Grade)
	}
	w := cmd.OutOrStdout()
	if o.JSON {
		return gradeWriteJSON(w, v)
	}
	verdict := "incorrect"
	if v.Correct {
		verdict = "correct"
	}
	fmt.Fprintf(w, "verdict:   %s\nreason:    %s\nextracted: %s\n", verdict, v.Reason, v.Extracted)
	if v.Matched != "" {
		fmt.Fprintf(w, "matched:   %s\n", v.Matched)
	}
	return nil
}

// gradeWriteJSON writes v as one indented JSON document.
func gradeWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("grade: write JSON: %w", err)
	}
	return nil
}

// runGradeJSONL opens --jsonl and --out and streams one into the other.
func runGradeJSONL(ctx context.Context, cmd *cobra.Command, o gradeOptions) (err error) {
	in := cmd.InOrStdin()
	name := "stdin"
	if o.JSONL != "-" {
		f, err := os.Open(o.JSONL)
		if err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		defer f.Close()
		in, name = f, o.JSONL
	}
	out := cmd.OutOrStdout()
	if o.Out != "" && o.Out != "-" {
		if a, err1 := os.Stat(o.JSONL); err1 == nil {
			if b, err2 := os.Stat(o.Out); err2 == nil && os.SameFile(a, b) {
				return usagef("grade: --out %s is the --jsonl input; write elsewhere", o.Out)
			}
		}
		f, err := os.Create(o.Out)
		if err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("grade: %w", cerr)
			}
		}()
		out = f
	}
	st, err := gradeJSONL(ctx, in, out, o)
	if err != nil {
		return fmt.Errorf("grade: %s: %w", name, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "graded %d lines of %s: %d correct, %d bad\n", st.Lines, name, st.Correct, st.Bad)
	return nil
}

// gradeStats counts what gradeJSONL wrote.
type gradeStats struct{ Lines, Correct, Bad int }

// gradeJob is one input line on its way through the workers.
type gradeJob struct {
	line int
	data []byte
	res  chan gradeResult // buffered (1); read by the writer in input order
}

// gradeResult is one graded output line, or the error that stops the run.
type gradeResult struct {
	out     []byte
	correct bool
	bad     bool
	err     error
}

// gradeJSONL grades every non-blank line of in and writes one output line per
// input line, in input order. A reader feeds o.Workers goroutines; the writer
// takes results through a queue of per-line channels, so order is kept and at
// most 4·Workers lines are held in memory at once.
func gradeJSONL(ctx context.Context, in io.Reader, out io.Writer, o gradeOptions) (gradeStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var st gradeStats
	jobs := make(chan gradeJob)
	queue := make(chan chan gradeResult, 4*o.Workers)
	var readErr error
	var wg sync.WaitGroup

	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		defer close(jobs)
		defer close(queue)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 64*1024), gradeMaxLine)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			j := gradeJob{line: line, data: bytes.Clone(b), res: make(chan gradeResult, 1)}
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
				err = fmt.Errorf("line %d is longer than %d MiB", line+1, gradeMaxLine>>20)
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
		var r gradeResult
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
func gradeLine(line int, data []byte, o gradeOptions) gradeResult {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("want a JSON object, got null")
		}
		return gradeBadLine(line, data, nil, fmt.Errorf("line %d: invalid JSON object: %w", line, err), o)
	}
	gold, err := gradeGoldField(obj, o.GoldField)
	if err != nil {
		return gradeBadLine(line, data, obj, fmt.Errorf("line %d: field %q: %w", line, o.GoldField, err), o)
	}
	raw, ok := obj[o.ResponseField]
	if !ok {
		return gradeBadLine(line, data, obj, fmt.Errorf("line %d: field %q: missing", line, o.ResponseField), o)
	}
	var resp string
	if err := json.Unmarshal(raw, &resp); err != nil || string(raw) == "null" {
		return gradeBadLine(line, data, obj, fmt.Errorf("line %d: field %q: want a string, got %.40s", line, o.ResponseField, raw), o)
	}
	var v grade.Verdict
	if o.Extracted {
		v = grade.Verify(gold, resp, o.Grade)
	} else {
		v = grade.Grade(resp, gold, o.Grade)
	}
	out, err := gradeWithVerdict(data, obj, v, "")
	if err != nil {
		return gradeResult{err: fmt.Errorf("line %d: %w", line, err)}
	}
	return gradeResult{out: out, correct: v.Correct}
}

// gradeGoldField reads the gold answer: a string, a number or a list of them.
func gradeGoldField(obj map[string]json.RawMessage, name string) ([]string, error) {
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

// gradeBadLine renders a line that could not be graded: an error without
// --skip-bad, else the line (or, if it is not an object, {"line", "input"})
// with reason bad_input and the error message.
func gradeBadLine(line int, data []byte, obj map[string]json.RawMessage, err error, o gradeOptions) gradeResult {
	if !o.SkipBad {
		return gradeResult{err: err}
	}
	if obj == nil {
		in, _ := json.Marshal(string(data))
		n, _ := json.Marshal(line)
		obj = map[string]json.RawMessage{"line": n, "input": in}
		data = nil
	}
	out, merr := gradeWithVerdict(data, obj, grade.Verdict{Reason: gradeBadInput}, err.Error())
	if merr != nil {
		return gradeResult{err: fmt.Errorf("line %d: %w", line, merr)}
	}
	return gradeResult{out: out, bad: true}
}

// gradeVerdictKeys are the fields gradeJSONL adds to each line.
var gradeVerdictKeys = [...]string{"correct", "reason", "extracted", "error"}

// gradeWithVerdict adds correct, reason, extracted (and error, if set) to a line.
// When data is given and the line has none of those keys, they are appended
// to its original bytes, so key order and number formatting are kept;
// otherwise obj is re-encoded with the new values (keys sorted).
func gradeWithVerdict(data []byte, obj map[string]json.RawMessage, v grade.Verdict, errMsg string) ([]byte, error) {
	keys := []string{"correct", "reason", "extracted"}
	vals := []any{v.Correct, v.Reason, v.Extracted}
	if errMsg != "" {
		keys, vals = append(keys, "error"), append(vals, errMsg)
	}
	appendMode := data != nil
	for _, k := range gradeVerdictKeys {
		if _, ok := obj[k]; ok {
			appendMode = false
		}
	}
	var tail []byte
	for i, k := range keys {
		b, err := gradeMarshal(vals[i])
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
		kb, _ := gradeMarshal(k)
		tail = append(append(append(tail, kb...), ':'), b...)
	}
	if !appendMode {
		return gradeMarshal(obj)
	}
	// data is a trimmed JSON object: drop its "}" and append the new keys.
	body := bytes.TrimRight(data[:len(data)-1], " \t\r\n")
	out := make([]byte, 0, len(body)+len(tail)+1)
	return append(append(append(out, body...), tail...), '}'), nil
}

// gradeMarshal encodes v as compact JSON without HTML escaping.
func gradeMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// statesAnswer matches a solution that states its final answer: a box,
// GSM8K's "####", or "answer is/are" or "Answer:" (optionally "final",
// "therefore", "thus") followed by math or a number. Prose such as "the answer
// is clearly correct" does not count.
var statesAnswer = regexp.MustCompile(`\\(?:boxed|fbox|framebox)\s*\{|####|(?i:\banswers?\s*(?:is|are|:)\s*(?:therefore\s+|thus\s+)?[$\\\d(\-])`)

// selfCheckSet is the result of one benchmark in a self-check.
type selfCheckSet struct {
	Benchmark string `json:"benchmark"`
	// Problems is the number of problems in the set.
	Problems int `json:"problems"`
	// GoldOK counts problems whose every gold alternative, boxed, grades
	// correct against the problem's own gold (a check that needs no solution).
	GoldOK int `json:"gold_ok"`
	// Solutions counts problems with a human-written solution.
	Solutions int `json:"solutions"`
	// NoFinalAnswer counts solutions with no stated final answer (see
	// statesAnswer); they are not graded for agreement. FallbackCorrect counts those the grader still matched
	// through its display-math, inline-math or last-number fallbacks.
	NoFinalAnswer   int `json:"no_final_answer"`
	FallbackCorrect int `json:"fallback_correct"`
	// Stated = Agree + Disagree: solutions that state an answer.
	Stated   int `json:"stated"`
	Agree    int `json:"agree"`
	Disagree int `json:"disagree"`
	// Agreement is Agree/Stated (0 when nothing was stated).
	Agreement float64 `json:"agreement"`
}

// selfCheckMiss is one solution the grader did not match with its gold.
type selfCheckMiss struct {
	Benchmark string       `json:"benchmark"`
	ID        string       `json:"id"`
	Gold      []string     `json:"gold"`
	Extracted string       `json:"extracted"`
	Reason    grade.Reason `json:"reason"`
	// Note is the set's known-issue note for this problem, if any
	// (Meta["known_issue"]: a data error checked by hand).
	Note string `json:"note,omitempty"`
}

// selfCheckReport is the --self-check --json output.
type selfCheckReport struct {
	Sets []selfCheckSet `json:"sets"`
	// Total sums the sets (Benchmark "total").
	Total         selfCheckSet    `json:"total"`
	Disagreements []selfCheckMiss `json:"disagreements"`
	// NoFinalAnswer lists the solutions that state no final answer.
	NoFinalAnswer []selfCheckMiss `json:"no_final_answer"`
	// GoldRoundTrip lists gold alternatives that, boxed, do not grade correct
	// against their own gold (Extracted and Reason are the verdict's).
	GoldRoundTrip []selfCheckMiss `json:"gold_round_trip"`
}

// runSelfCheck loads the chosen sets, grades their solutions and prints the
// report.
func runSelfCheck(ctx context.Context, w io.Writer, o gradeOptions) error {
	names := o.Bench
	if len(names) == 0 {
		for _, in := range bench.Catalog() {
			if in.Embedded || o.DataDir != "" {
				names = append(names, in.Name)
			}
		}
	}
	var sets [][]bench.Problem
	for _, n := range names {
		ps, err := bench.Open(n, o.DataDir, o.Fields)
		if err != nil {
			if errors.Is(err, bench.ErrUnknownBenchmark) || errors.Is(err, bench.ErrNotEmbedded) {
				return usageError{fmt.Errorf("grade: %w", err)}
			}
			return fmt.Errorf("grade: %w", err)
		}
		sets = append(sets, ps)
	}
	rep, err := selfCheck(ctx, names, sets, o)
	if err != nil {
		return err
	}
	if o.JSON {
		return gradeWriteJSON(w, rep)
	}
	return printSelfCheck(w, rep)
}

// selfCheck grades every solution of every set with o.Workers goroutines,
// and round-trips every gold alternative: "The final answer is
// $\boxed{g}$." must grade correct against the problem's own gold. A
// problem's Meta["tolerance"] (OlympiadBench) becomes its absolute tolerance.
func selfCheck(ctx context.Context, names []string, sets [][]bench.Problem, o gradeOptions) (selfCheckReport, error) {
	type job struct{ set, i int }
	type result struct {
		stated bool
		v      grade.Verdict
		gold   []selfCheckMiss // failed gold round trips
	}
	results := make([][]result, len(sets))
	for s, ps := range sets {
		results[s] = make([]result, len(ps))
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				p := sets[j.set][j.i]
				opts := o.Grade
				if tol, ok := p.Meta["tolerance"].(float64); ok && tol > opts.AbsTol {
					opts.AbsTol = tol
				}
				var r result
				if strings.TrimSpace(p.Solution) != "" {
					r.stated = statesAnswer.MatchString(p.Solution)
					r.v = grade.Grade(p.Solution, p.Gold, opts)
				}
				for _, g := range p.Gold {
					v := grade.Grade("The final answer is $\\boxed{"+g+"}$.", p.Gold, opts)
					if !v.Correct {
						r.gold = append(r.gold, selfCheckMiss{Benchmark: names[j.set], ID: p.ID,
							Gold: []string{g}, Extracted: v.Extracted, Reason: v.Reason})
					}
				}
				results[j.set][j.i] = r
			}
		}()
	}
	var err error
feed:
	for s, ps := range sets {
		for i := range ps {
			select {
			case jobs <- job{s, i}:
			case <-ctx.Done():
				err = ctx.Err()
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return selfCheckReport{}, fmt.Errorf("grade: self-check: %w", err)
	}

	rep := selfCheckReport{Total: selfCheckSet{Benchmark: "total"},
		Disagreements: []selfCheckMiss{}, NoFinalAnswer: []selfCheckMiss{}, GoldRoundTrip: []selfCheckMiss{}}
	for s, ps := range sets {
		row := selfCheckSet{Benchmark: names[s], Problems: len(ps)}
		for i, p := range ps {
			r := results[s][i]
			if len(r.gold) == 0 {
				row.GoldOK++
			}
			rep.GoldRoundTrip = append(rep.GoldRoundTrip, r.gold...)
			if strings.TrimSpace(p.Solution) == "" {
				continue
			}
			row.Solutions++
			miss := selfCheckMiss{Benchmark: names[s], ID: p.ID, Gold: p.Gold, Extracted: r.v.Extracted, Reason: r.v.Reason}
			miss.Note, _ = p.Meta["known_issue"].(string)
			switch {
			case !r.stated:
				row.NoFinalAnswer++
				if r.v.Correct {
					row.FallbackCorrect++
				}
				rep.NoFinalAnswer = append(rep.NoFinalAnswer, miss)
			case r.v.Correct:
				row.Stated++
				row.Agree++
			default:
				row.Stated++
				row.Disagree++
				rep.Disagreements = append(rep.Disagreements, miss)
			}
		}
		row.Agreement = selfCheckAgreement(row)
		rep.Sets = append(rep.Sets, row)
		t := &rep.Total
		t.Problems += row.Problems
		t.GoldOK += row.GoldOK
		t.Solutions += row.Solutions
		t.NoFinalAnswer += row.NoFinalAnswer
		t.FallbackCorrect += row.FallbackCorrect
		t.Stated += row.Stated
		t.Agree += row.Agree
		t.Disagree += row.Disagree
	}
	rep.Total.Agreement = selfCheckAgreement(rep.Total)
	return rep, nil
}

// selfCheckAgreement is Agree/Stated, or 0 when no solution stated an answer.
func selfCheckAgreement(s selfCheckSet) float64 {
	if s.Stated == 0 {
		return 0
	}
	return float64(s.Agree) / float64(s.Stated)
}

// printSelfCheck writes the self-check report as readable tables.
func printSelfCheck(w io.Writer, rep selfCheckReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "benchmark\tproblems\tgold ok\tsolutions\tno final answer\tstated\tagree\tdisagree\tagreement\t")
	for _, s := range append(rep.Sets, rep.Total) {
		pct := "-"
		if s.Stated > 0 {
			pct = fmt.Sprintf("%.1f%%", 100*s.Agreement)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n",
			s.Benchmark, s.Problems, s.GoldOK, s.Solutions, s.NoFinalAnswer, s.Stated, s.Agree, s.Disagree, pct)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("grade: write: %w", err)
	}
	fmt.Fprintf(w, "\ngold ok: problems whose every gold answer, written as \\boxed{gold}, grades correct.\n")
	fmt.Fprintf(w, "agreement = agree / stated: solutions that state a final answer (a box, ####, or\n\"answer is\"/\"Answer:\" followed by math or a number) graded against their own gold.\n")
	if rep.Total.NoFinalAnswer > 0 {
		fmt.Fprintf(w, "%d solutions state no final answer (not counted; %d of them still matched via fallbacks):\n",
			rep.Total.NoFinalAnswer, rep.Total.FallbackCorrect)
		for _, s := range rep.Sets {
			if s.NoFinalAnswer == 0 {
				continue
			}
			var ids []string
			for _, m := range rep.NoFinalAnswer {
				if m.Benchmark == s.Benchmark {
					ids = append(ids, m.ID)
				}
			}
			if len(ids) > 12 {
				ids = append(ids[:12], fmt.Sprintf("… (%d in all; --json lists them)", len(ids)))
			}
			fmt.Fprintf(w, "  %s: %s\n", s.Benchmark, strings.Join(ids, " "))
		}
	}
	if len(rep.GoldRoundTrip) > 0 {
		fmt.Fprintf(w, "\ngold round-trip failures (%d):\n", len(rep.GoldRoundTrip))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "benchmark\tid\treason\tgold\textracted")
		for _, m := range rep.GoldRoundTrip {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Benchmark, m.ID, m.Reason, gradeClip(m.Gold[0], 50), gradeClip(m.Extracted, 50))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("grade: write: %w", err)
		}
	}
	if len(rep.Disagreements) == 0 {
		fmt.Fprintln(w, "\nno disagreements")
		return nil
	}
	fmt.Fprintf(w, "\ndisagreements (%d):\n", len(rep.Disagreements))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tid\treason\tgold\textracted\tknown data issue")
	for _, m := range rep.Disagreements {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Benchmark, m.ID, m.Reason,
			gradeClip(strings.Join(m.Gold, " | "), 40), gradeClip(m.Extracted, 40), m.Note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("grade: write: %w", err)
	}
	return nil
}

// gradeClip shortens s to at most n runes for a table cell, on one line.
func gradeClip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
