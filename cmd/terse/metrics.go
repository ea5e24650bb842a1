package main

import (
	"fmt"

	"github.com/spf13/cobra"

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
benchmark has levels. Strict mode: a rollout counts at budget B if it finished
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
		sel.Regrade = data.Grader(o.Grade)
	}
	ps, info, err := run.Collect(o.Rollouts, sel)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	res := metrics.Compute(ps, metrics.Options{Budgets: budgets, K: o.PassK, Bootstrap: o.Bootstrap, Seed: o.Seed})
	res.Run = info
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
