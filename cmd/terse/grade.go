package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/grade/batch"
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
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), batch.MaxLine+1))
		if err != nil {
			return fmt.Errorf("grade: read stdin: %w", err)
		}
		if len(b) > batch.MaxLine {
			return fmt.Errorf("grade: stdin is longer than %d MiB", batch.MaxLine>>20)
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
	st, err := batch.JSONL(ctx, in, out, batch.Options{Workers: o.Workers, GoldField: o.GoldField,
		ResponseField: o.ResponseField, Extracted: o.Extracted, SkipBad: o.SkipBad, Grade: o.Grade})
	if err != nil {
		return fmt.Errorf("grade: %s: %w", name, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "graded %d lines of %s: %d correct, %d bad\n", st.Lines, name, st.Correct, st.Bad)
	return nil
}

// runSelfCheck loads the chosen sets, grades their solutions and prints the
// report.
func runSelfCheck(ctx context.Context, w io.Writer, o gradeOptions) error {
	names := o.Bench
	if len(names) == 0 {
		for _, in := range bench.Catalog() {
			if (in.Embedded || o.DataDir != "") && !in.Code { // code sets: go test ./codegrade -run TestHumanEvalCanonical
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
		if len(ps) > 0 && ps[0].Tests != nil {
			return usagef("grade: %s is a code benchmark: its programs are run, not graded as answers (its reference solutions are checked by go test ./codegrade -run TestHumanEvalCanonical)", n)
		}
		sets = append(sets, ps)
	}
	rep, err := batch.SelfCheck(ctx, names, sets, o.Grade, o.Workers)
	if err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	if o.JSON {
		return gradeWriteJSON(w, rep)
	}
	if err := rep.WriteTable(w); err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	return nil
}
