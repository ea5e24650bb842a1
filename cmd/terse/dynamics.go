package main

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/rl"
	"github.com/terse-dev/terse/rl/runlog"
)

// dynamicsOptions holds the flags of `terse dynamics`.
type dynamicsOptions struct {
	Format    string   // --format
	Columns   []string // --column field=source, repeatable
	TargetLen int      // --target-len
	Staleness int      // --staleness
	Window    int      // --window
	JSON      bool     // --json
	HTML      string   // --html
	Accuracy  string   // --accuracy-column
	Follow    bool     // --follow
	Interval  time.Duration
}

func newDynamicsCmd() *cobra.Command {
	var o dynamicsOptions
	cmd := &cobra.Command{
		Use:   "dynamics LOG",
		Short: "Diagnose a training run's dynamics from its log (terse, verl, TRL, OpenRLHF, wandb)",
		Long: `dynamics reads a training run's step-wise metrics and reports, each with its
evidence and the step where it starts, the phenomena of "The Art of
Efficient Reasoning" (PAPER.md §5):

  stage_adaptation       Stage I: length falls steeply from its initial level
  stage_refinement       Stage II: length plateaus while accuracy recovers or
                         improves; reports the step where it starts
  length_collapse        length far below the target while accuracy drops
  short_is_correct_trap  entropy explodes and length collapses together
  length_rebound         length climbs back after falling (staleness)
  entropy_explosion      entropy rises far above its low and its start

and the runs that learn nothing (a per-step condition holding on 80% of a
10-step window, or on all of the last 5 or more steps):

  zero_advantage         reward std ≤ 1e-4, ≥ 95% of groups with zero reward
                         std, or verl's |advantage| ≤ 1e-4: no gradient
  length_cap_saturated   ≥ 90% of completions cut at the length limit
  grad_norm_zero         gradient norm ≤ max(1e-6, 1e-3 × its initial value)
  entropy_collapse       entropy ≤ 0.02 nats/token
  reward_flat            reward's first and last quarters within 2% while KL
                         grows ≥ 2× (or the loss moves beyond its noise)
  reward_hacking         held-out accuracy falls ≥ 0.05 from its peak while
                         the training reward rises

LOG is any of these, detected from its content (--format to force one):

  verl-console      verl's "step:K - key:value - …" lines, Ray prefix and all
  jsonl             terse's steps.jsonl, verl's file logger, JSON lines
  trl-state         a transformers Trainer's trainer_state.json
  trl-table         the Trainer's notebook table (tabs, Markdown or HTML)
  trl-console       the Trainer's printed {'loss': …} dicts
  openrlhf-console  OpenRLHF's "Global step N: {…}" log lines
  csv               wandb's CSV export, a log_history CSV
  wandb-json        a run history as JSON (records or columns)

Lines of one step are merged. Columns map to terse's fields as follows (the
first present wins; a "train/" prefix is dropped; the output lists the
columns used and every column left unmapped):

` + columnHelp() + `
Held-out accuracy: verl's val-core/<source>/acc|reward/mean@k (older
val/test_score/<source>), OpenRLHF's eval_<source>_pass1, TRL's eval_ twin
of the accuracy column. Reward components (TRL's rewards/<fn>/mean) are all
shown; the one named for accuracy or correctness is the accuracy, or name it
with --accuracy-column. Accuracy for the stage detectors is held-out Mean@k
when evaluated at 3 steps or more, else training accuracy, else mean
reward. Thresholds are constants of the rl package (nosignal.go,
DiagnoseOptions); the paper gives none.

--follow watches a log while the run writes it and prints each finding once,
as soon as it is detected, until Ctrl-C.`,
		Example: `  terse dynamics runs/train/steps.jsonl --target-len 256
  terse dynamics verl_run.log --follow
  terse dynamics trainer_state.json --accuracy-column accuracy_reward --html dynamics.html
  terse dynamics wandb_export.csv --column mean_length=response_length/mean --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("dynamics: want one LOG argument, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := rl.DynamicsOptions{
				Log:      args[0],
				Read:     rl.ReadOptions{Format: o.Format, Columns: map[string]string{}, AccuracyColumn: o.Accuracy},
				Diagnose: rl.DiagnoseOptions{TargetLen: o.TargetLen, Staleness: o.Staleness, Window: o.Window},
				JSON:     o.JSON,
				HTML:     o.HTML,
			}
			// A torn last line (an interrupted write) is skipped; say so,
			// naming file:line, so the user knows the last step is missing.
			// (--follow clears this: a line being written is expected there.)
			stderr := cmd.ErrOrStderr()
			opt.Read.Warnf = func(format string, args ...any) {
				fmt.Fprintf(stderr, "warning: "+format+"\n", args...)
			}
			if o.Format != "" && o.Format != "json" && !slices.Contains(runlog.Formats, runlog.Format(o.Format)) {
				return usagef("dynamics: --format %q: want one of %s (default: detected)", o.Format, formatNames())
			}
			if o.TargetLen < 0 || o.Staleness < 0 || o.Window < 0 {
				return usagef("dynamics: --target-len, --staleness and --window must be ≥ 0")
			}
			if o.Follow && o.HTML != "" {
				return usagef("dynamics: --follow prints findings as they come; run without it for --html")
			}
			if o.Interval <= 0 {
				return usagef("dynamics: --interval must be > 0")
			}
			for _, c := range o.Columns {
				field, src, ok := strings.Cut(c, "=")
				if !ok || !knownColumn(field) || src == "" {
					return usagef("dynamics: --column %q: want FIELD=SOURCE with FIELD one of %s", c, strings.Join(columnFields(), ", "))
				}
				opt.Read.Columns[field] = src
			}
			if o.Follow {
				ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
				defer stop()
				fmt.Fprintf(cmd.ErrOrStderr(), "dynamics: following %s, every %s; findings print as they are detected; Ctrl-C to stop\n", opt.Log, o.Interval)
				return rl.FollowDynamics(ctx, cmd.OutOrStdout(), opt, o.Interval)
			}
			return rl.ReportDynamics(cmd.OutOrStdout(), opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "", "log format: "+formatNames()+" (default: csv for .csv files, else detected from the content)")
	f.StringArrayVar(&o.Columns, "column", nil, "map a terse field to a source column, FIELD=SOURCE, ahead of the built-in mapping; repeatable")
	f.IntVar(&o.TargetLen, "target-len", 0, "the run's target length L_T in tokens; length collapse compares with it (0 = unknown: compare with the initial length)")
	f.IntVar(&o.Staleness, "staleness", 0, "the run's off-policy staleness S, for the advice in the notes (0 = unknown)")
	f.IntVar(&o.Window, "window", 0, "smoothing window in step records (0 = max(3, steps/15))")
	f.BoolVar(&o.JSON, "json", false, "print the diagnosis as JSON")
	f.StringVar(&o.HTML, "html", "", "also write a self-contained HTML page of the dynamics to this file")
	f.StringVar(&o.Accuracy, "accuracy-column", "", "the column or reward component (TRL's rewards/<fn>) that measures correctness (default: the one component named for accuracy or correctness)")
	f.BoolVar(&o.Follow, "follow", false, "watch LOG as it grows and print each finding once, as soon as it is detected, until Ctrl-C (with --json: one JSON object per line)")
	f.DurationVar(&o.Interval, "interval", time.Second, "with --follow: how often LOG is polled")
	return cmd
}

// formatNames lists the log formats --format takes.
func formatNames() string {
	names := make([]string, len(runlog.Formats))
	for i, f := range runlog.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func columnFields() []string {
	var out []string
	for _, c := range rl.Columns {
		out = append(out, c.Field)
	}
	return out
}

func knownColumn(field string) bool {
	for _, c := range rl.Columns {
		if c.Field == field {
			return true
		}
	}
	return false
}

// columnHelp lists rl.Columns for --help: each field with the columns it
// is read from (its own name, which terse writes, first).
func columnHelp() string {
	var b strings.Builder
	line := func(field, src string) {
		b.WriteString("  " + field + strings.Repeat(" ", max(1, 20-len(field))) + src + "\n")
	}
	for _, c := range rl.Columns {
		line(c.Field, strings.Join(c.Sources, ", "))
	}
	line("adv_abs_max", "the larger |value| of critic/advantages/max and /min (verl)")
	return b.String()
}
