package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/grade"
)

// metricsOptions holds the flags of `terse metrics`.
type metricsOptions struct {
	Rollouts  []string      // --rollouts
	Key       string        // --key
	MaxTokens int           // --max-tokens
	Bench     []string      // --bench
	Regrade   bool          // --regrade
	Budgets   string        // --budgets
	PassK     int           // --pass-k
	Bootstrap int           // --bootstrap
	Seed      uint64        // --seed
	Out       string        // --out
	JSON      bool          // --json
	Grade     grade.Options // --rel-tol, --abs-tol
	TestsFrom []string      // --tests-from
	Code      codeOptions   // --python, --unsafe-no-sandbox, --code-parallel, --process-per-case, --code-timeout
}

func newMetricsCmd() *cobra.Command {
	o := metricsOptions{Grade: grade.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "metrics --rollouts FILE... [flags]",
		Short: "Recompute Mean@k, Pass@k, truncation and length statistics offline from rollout files",
		Long: `metrics reads rollout files (JSONL in terse's schema, eval/SCHEMA.md; files
converted from other harnesses work too) and computes, per benchmark and per
budget, Mean@k, unbiased Pass@k and the truncation rate with bootstrap 95%
intervals over problems, and length statistics (mean, median, p10, p90,
histogram) of correct, incorrect and truncated rollouts; per level where the
benchmark has levels. With --regrade, code rollouts (those with
tests_digest) run again in the sandbox against the tests they carry, or
those of --tests-from when they were too large to keep. Strict mode: a rollout counts at budget B if it finished
(finish_reason stop) within B tokens and is correct (= sampling with
max_tokens = B).

Per (problem, sample) one rollout is used: an ok one over a failed one; the
largest max_tokens, or with --max-tokens B the smallest max_tokens ≥ B seen at
B. The files must hold one run (one key) unless --key selects one.

It prints a Markdown summary, or results.json with --json; --out DIR also
writes results.json, report.md and report.html there.`,
		Example: `  terse metrics --rollouts runs/base/rollouts.jsonl
  terse metrics --rollouts a.jsonl --rollouts b.jsonl --regrade --json > results.json
  terse metrics --rollouts runs/base/rollouts.jsonl --max-tokens 8192 --budgets 1k,2k,4k,8k --out runs/base-8k`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMetrics(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Rollouts, "rollouts", nil, "rollout JSONL file (repeatable or comma-separated)")
	f.StringVar(&o.Key, "key", "", "use only rollouts whose run key starts with this")
	f.IntVar(&o.MaxTokens, "max-tokens", 0, "view the run at this budget (0 = each sample's largest)")
	f.StringSliceVar(&o.Bench, "bench", nil, "use only these benchmarks (repeatable or comma-separated)")
	f.BoolVar(&o.Regrade, "regrade", false, "grade every response again with terse's grader instead of trusting the stored verdict")
	f.StringVar(&o.Budgets, "budgets", "2k,4k,8k,16k,32k", "budgets to report, in tokens (k = 1024); those above the rollouts' max_tokens are dropped")
	f.IntVar(&o.PassK, "pass-k", 0, "k of Pass@k (0 = the smallest number of samples of any problem)")
	f.IntVar(&o.Bootstrap, "bootstrap", 1000, "bootstrap resamples over problems for the 95% intervals")
	f.Uint64Var(&o.Seed, "seed", 0, "bootstrap seed")
	f.StringVar(&o.Out, "out", "", "also write results.json, report.md and report.html into this directory")
	f.BoolVar(&o.JSON, "json", false, "print results.json to stdout instead of the Markdown summary")
	f.Float64Var(&o.Grade.RelTol, "rel-tol", o.Grade.RelTol, "with --regrade: relative tolerance for numeric answers")
	f.Float64Var(&o.Grade.AbsTol, "abs-tol", o.Grade.AbsTol, "with --regrade: absolute tolerance (0 = off; a rollout's meta.tolerance applies per problem)")
	f.StringSliceVar(&o.TestsFrom, "tests-from", nil, "with --regrade: benchmark (name, livecodebench:DIR, or file) whose code tests replace those too large to be kept in the rollouts (used only when the suite's digest matches)")
	addCodeFlags(f, &o.Code)
	return cmd
}

func runMetrics(cmd *cobra.Command, o metricsOptions) error {
	switch {
	case len(o.Rollouts) == 0:
		return usagef("metrics: give at least one --rollouts FILE")
	case o.MaxTokens < 0 || o.PassK < 0 || o.Bootstrap < 0:
		return usagef("metrics: --max-tokens, --pass-k and --bootstrap must not be negative")
	}
	budgets, err := parseBudgets(o.Budgets)
	if err != nil {
		return usagef("metrics: --budgets: %v", err)
	}
	sel := run.Selection{Key: o.Key, MaxTokens: o.MaxTokens, Benchmarks: o.Bench,
		Warnf: func(format string, args ...any) {
			fmt.Fprintf(cmd.ErrOrStderr(), "terse: warning: "+format+"\n", args...)
		}}
	if o.Regrade {
		var suites []bench.Problem
		for _, name := range o.TestsFrom {
			ps, err := loadBenchmark(name)
			if err != nil {
				return fmt.Errorf("metrics: --tests-from: %w", err)
			}
			suites = append(suites, ps...)
		}
		// Code rollouts run again in the sandbox, set up at the first one.
		sel.Regrade = lazyGrader(o.Grade, o.Code, data.SuitesOf(suites), sel.Warnf)
	}
	ps, info, err := run.Collect(o.Rollouts, sel)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	res := metrics.Compute(ps, metrics.Options{Budgets: budgets, K: o.PassK, Bootstrap: o.Bootstrap, Seed: o.Seed})
	res.Run = info
	run.NoteMissing(&res, ps, catalogProblems(o.Bench, res))
	run.NoteServerFaults(&res)
	if o.Out != "" {
		if err := report.Write(o.Out, res); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if o.JSON {
		return report.WriteJSON(cmd.OutOrStdout(), res)
	}
	fmt.Fprint(cmd.OutOrStdout(), report.Markdown(res))
	return nil
}

// catalogProblems returns the problems of the built-in benchmarks named by
// --bench, or else of those the results hold, so that metrics can say how
// many of a benchmark's problems a partial file lacks. Benchmarks terse
// does not embed (problem files, GSM8K) are left out: their size is not
// known here.
func catalogProblems(names []string, res metrics.Results) []bench.Problem {
	if len(names) == 0 {
		for _, b := range res.Benchmarks {
			names = append(names, b.Benchmark)
		}
	}
	var out []bench.Problem
	for _, name := range names {
		if ps, err := bench.Load(name); err == nil {
			out = append(out, ps...)
		}
	}
	return out
}
