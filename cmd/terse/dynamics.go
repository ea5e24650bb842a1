package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/rl"
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
}

func newDynamicsCmd() *cobra.Command {
	var o dynamicsOptions
	cmd := &cobra.Command{
		Use:   "dynamics LOG",
		Short: "Diagnose a training run's dynamics from its step log",
		Long: `dynamics reads a training run's step-wise metrics and reports the phenomena of
"The Art of Efficient Reasoning" (PAPER.md §5), each with its evidence:

  stage_adaptation       Stage I: length falls steeply from its initial level
  stage_refinement       Stage II: length plateaus while accuracy recovers or
                         improves; reports the step where it starts
  length_collapse        length far below the target while accuracy drops
  short_is_correct_trap  entropy explodes and length collapses together
  length_rebound         length climbs back after falling (staleness)
  entropy_explosion      entropy rises far above its low and its start

LOG is terse train's steps.jsonl, or metrics exported from verl or OpenRLHF:
JSONL with one object per step (verl's file logger {"step", "data"} is
understood) or CSV with a header row (wandb exports too). Columns map to
terse's names as follows; the first present wins, and a leading "train/"
is ignored:

` + columnHelp() + `
verl's val-core/<source>/acc|reward/mean@k become held-out accuracy.
Accuracy for the detectors is Mean@k at the largest evaluated budget, else
training accuracy, else mean reward. Thresholds are documented in the rl
package (DiagnoseOptions); the paper gives none.`,
		Example: `  terse dynamics runs/train/steps.jsonl --target-len 256
  terse dynamics verl_metrics.jsonl --target-len 4096 --html dynamics.html
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
				Read:     rl.ReadOptions{Format: o.Format, Columns: map[string]string{}},
				Diagnose: rl.DiagnoseOptions{TargetLen: o.TargetLen, Staleness: o.Staleness, Window: o.Window},
				JSON:     o.JSON,
				HTML:     o.HTML,
			}
			switch o.Format {
			case "", "jsonl", "csv":
			default:
				return usagef("dynamics: --format %q: want jsonl or csv (default: by extension)", o.Format)
			}
			if o.TargetLen < 0 || o.Staleness < 0 || o.Window < 0 {
				return usagef("dynamics: --target-len, --staleness and --window must be ≥ 0")
			}
			for _, c := range o.Columns {
				field, src, ok := strings.Cut(c, "=")
				if !ok || !knownColumn(field) || src == "" {
					return usagef("dynamics: --column %q: want FIELD=SOURCE with FIELD one of %s", c, strings.Join(columnFields(), ", "))
				}
				opt.Read.Columns[field] = src
			}
			return rl.ReportDynamics(cmd.OutOrStdout(), opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "", "log format: jsonl or csv (default: csv for .csv files, else jsonl)")
	f.StringArrayVar(&o.Columns, "column", nil, "map a terse field to a source column, FIELD=SOURCE, ahead of the built-in mapping; repeatable")
	f.IntVar(&o.TargetLen, "target-len", 0, "the run's target length L_T in tokens; length collapse compares with it (0 = unknown: compare with the initial length)")
	f.IntVar(&o.Staleness, "staleness", 0, "the run's off-policy staleness S, for the advice in the notes (0 = unknown)")
	f.IntVar(&o.Window, "window", 0, "smoothing window in step records (0 = max(3, steps/15))")
	f.BoolVar(&o.JSON, "json", false, "print the diagnosis as JSON")
	f.StringVar(&o.HTML, "html", "", "also write a self-contained HTML page of the dynamics to this file")
	return cmd
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

// columnHelp lists rl.Columns for --help.
func columnHelp() string {
	var b strings.Builder
	for _, c := range rl.Columns {
		src := strings.Join(c.Sources[1:], ", ")
		if src == "" {
			src = "(terse only)"
		}
		b.WriteString("  " + c.Field + strings.Repeat(" ", max(1, 20-len(c.Field))) + src + "\n")
	}
	return b.String()
}
