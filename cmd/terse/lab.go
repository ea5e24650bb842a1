package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/lab"
)

func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Synthetic reasoning tasks, the verbose teacher and the lab base model",
		Long: `lab is terse's miniature reasoning world: task families with a difficulty
knob (arith: multi-step expressions; add: digit-by-digit addition; sort: sorting
digits), a verbose teacher that writes <think> chains of thought with filler,
redundant checks and corrected slips, and the tiny base reasoner trained on it.
Its test sets are the benchmarks ` + "`lab-arith`, `lab-add`, `lab-sort`" + ` of terse eval.`,
	}
	cmd.AddCommand(newLabSampleCmd(), newLabStatsCmd(), newLabTrainBaseCmd())
	return cmd
}

// labSampleOptions are the flags of terse lab sample.
type labSampleOptions struct {
	Family  string
	Level   int
	N       int
	Seed    uint64
	Split   string
	Concise bool
	JSON    bool
}

func newLabSampleCmd() *cobra.Command {
	var o labSampleOptions
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Print lab problems with teacher traces",
		Example: `  terse lab sample --family arith --level 3 --n 2
  terse lab sample --family sort --split test --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(lab.Families(), o.Family) {
				return usagef("lab sample: --family %q: want one of %v", o.Family, lab.Families())
			}
			if o.Level != 0 && (o.Level < lab.MinLevel || o.Level > lab.MaxLevel) {
				return usagef("lab sample: --level %d: want 0 (all) or %d..%d", o.Level, lab.MinLevel, lab.MaxLevel)
			}
			if o.N < 1 {
				return usagef("lab sample: --n %d: want >= 1", o.N)
			}
			if o.Split != "train" && o.Split != "test" {
				return usagef("lab sample: --split %q: want train or test", o.Split)
			}
			return runLabSample(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Family, "family", lab.Arith, "task family: arith, add or sort")
	f.IntVar(&o.Level, "level", 0, "difficulty level 1-5; 0 draws levels uniformly")
	f.IntVar(&o.N, "n", 3, "number of problems")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the problems and of the teacher's style")
	f.StringVar(&o.Split, "split", "train", "train (problems outside the test buckets) or test (the registered benchmark's generator)")
	f.BoolVar(&o.Concise, "concise", false, "write the concise trace (necessary steps only) instead of a verbose one")
	f.BoolVar(&o.JSON, "json", false, "write one JSON object per line: the problem plus its completion")
	return cmd
}

func runLabSample(w io.Writer, o labSampleOptions) error {
	var ps []bench.Problem
	var err error
	levels := []int{o.Level}
	if o.Level == 0 {
		levels = []int{1, 2, 3, 4, 5}
	}
	if o.Split == "test" {
		ps, err = lab.TestSplit(o.Family, o.N, o.Seed)
		ps = slices.DeleteFunc(ps, func(p bench.Problem) bool { return !slices.Contains(levels, p.Level) })
		if len(ps) > o.N {
			ps = ps[:o.N]
		}
	} else {
		ps, err = lab.TrainSplitLevels(o.Family, levels, o.N, o.Seed)
	}
	if err != nil {
		return fmt.Errorf("lab sample: %w", err)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7ea))
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, p := range ps {
		var t string
		if o.Concise {
			t, err = lab.Concise(p)
		} else {
			t, err = lab.Verbose(p, rng)
		}
		if err != nil {
			return fmt.Errorf("lab sample: %w", err)
		}
		if o.JSON {
			rec := struct {
				bench.Problem
				Completion string `json:"completion"`
				Tokens     int    `json:"tokens"`
			}{p, t, lab.TokenLen(t)}
			if err := enc.Encode(rec); err != nil {
				return fmt.Errorf("lab sample: %w", err)
			}
			continue
		}
		fmt.Fprintf(w, "== %s level %d gold %s (%d tokens)\n%s%s\n\n", p.ID, p.Level, p.Gold[0], lab.TokenLen(t), lab.FormatPrompt(p.Question), t)
	}
	return nil
}

// labStatsOptions are the flags of terse lab stats.
type labStatsOptions struct {
	Family string
	N      int
	Seed   uint64
	JSON   bool
}

func newLabStatsCmd() *cobra.Command {
	var o labStatsOptions
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Teacher trace lengths per family and level, against the budget ladder",
		Long: `stats measures the teacher's trace lengths in tokens (mean, p10, p50, p90, max),
concise and verbose, per family and level, to show where they sit on the lab's
budget ladder ` + fmt.Sprint(lab.Budgets()) + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Family != lab.AllFamilies && !slices.Contains(lab.Families(), o.Family) {
				return usagef("lab stats: --family %q: want all or one of %v", o.Family, lab.Families())
			}
			if o.N < 1 {
				return usagef("lab stats: --n %d: want >= 1", o.N)
			}
			return runLabStats(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Family, "family", lab.AllFamilies, "task family: arith, add, sort or all")
	f.IntVar(&o.N, "n", 500, "traces per family and level")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the problems and the teacher's style")
	f.BoolVar(&o.JSON, "json", false, "write the statistics as a JSON array")
	return cmd
}

func runLabStats(w io.Writer, o labStatsOptions) error {
	fams := []string{o.Family}
	if o.Family == lab.AllFamilies {
		fams = lab.Families()
	}
	type row struct {
		Style string `json:"style"`
		lab.LengthStats
	}
	var rows []row
	for _, f := range fams {
		for _, concise := range []bool{true, false} {
			st, err := lab.TraceStats(f, o.N, o.Seed, concise)
			if err != nil {
				return fmt.Errorf("lab stats: %w", err)
			}
			style := "verbose"
			if concise {
				style = "concise"
			}
			for _, s := range st {
				rows = append(rows, row{style, s})
			}
		}
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tstyle\tlevel\tn\tmean\tp10\tp50\tp90\tmax\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%d\t%d\t%d\t%d\t\n", r.Family, r.Style, r.Level, r.N, r.Mean, r.P10, r.P50, r.P90, r.Max)
	}
	return tw.Flush()
}

// labTrainBaseOptions are the flags of terse lab train-base.
type labTrainBaseOptions struct {
	Train    lab.TrainOptions
	Out      string
	LogEvery int
	JSON     bool
}

func newLabTrainBaseCmd() *cobra.Command {
	o := labTrainBaseOptions{Train: lab.DefaultTrainOptions()}
	cmd := &cobra.Command{
		Use:   "train-base",
		Short: "Train the lab's base reasoner on verbose teacher traces",
		Long: `train-base trains a small Qwen3 model from scratch, with the engine, on verbose
teacher traces of fresh training-split problems (next-token cross-entropy on the
completion; the prompt is masked). The result behaves like a real reasoning
model under terse eval: long, variable-length thinking, accuracy rising with
the token budget, more errors on harder levels.

It writes an HF-layout checkpoint (config.json, model.safetensors, tokenizer
files) and recipe.json (options, command, final loss) to --out. The defaults
are the recipe of the shipped lab-base model (about 15 minutes on 2 cores).`,
		Example: `  terse lab train-base --out lab-base
  terse lab train-base --size micro --steps 50 --out /tmp/lab-micro`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Out == "" {
				return usagef("lab train-base: --out is required")
			}
			if !slices.Contains(lab.Sizes(), o.Train.Size) {
				return usagef("lab train-base: --size %q: want one of %v", o.Train.Size, lab.Sizes())
			}
			if o.Train.Family != lab.AllFamilies && !slices.Contains(lab.Families(), o.Train.Family) {
				return usagef("lab train-base: --family %q: want all or one of %v", o.Train.Family, lab.Families())
			}
			if o.LogEvery < 1 {
				return usagef("lab train-base: --log-every %d: want >= 1", o.LogEvery)
			}
			return runLabTrainBase(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, commandLine(cmd))
		},
	}
	f := cmd.Flags()
	t := &o.Train
	f.StringVar(&o.Out, "out", "", "output checkpoint directory (required)")
	f.StringVar(&t.Size, "size", t.Size, "model size preset: micro (tests), tiny (≈0.4M params) or small (≈1.8M)")
	f.StringVar(&t.Family, "family", t.Family, "task family to train on: arith, add, sort or all")
	f.IntVar(&t.Steps, "steps", t.Steps, "optimizer steps")
	f.IntVar(&t.BatchTokens, "batch-tokens", t.BatchTokens, "tokens per step including padding (B·T)")
	f.Float32Var(&t.LR, "lr", t.LR, "peak learning rate")
	f.IntVar(&t.Warmup, "warmup", t.Warmup, "linear warmup steps before the cosine decay")
	f.Float32Var(&t.MinLRRatio, "min-lr-ratio", t.MinLRRatio, "cosine floor as a fraction of --lr")
	f.Float32Var(&t.WeightDecay, "weight-decay", t.WeightDecay, "AdamW decoupled weight decay on matrices")
	f.Float32Var(&t.ClipNorm, "clip-norm", t.ClipNorm, "global gradient-norm clip (0 off)")
	f.Float64Var(&t.ConciseShare, "concise-share", t.ConciseShare, "fraction of traces written concise instead of verbose")
	f.Uint64Var(&t.Seed, "seed", t.Seed, "seed of initialisation, problems and teacher styles")
	f.DurationVar(&t.MaxDuration, "max-duration", t.MaxDuration, "stop early after this wall time (0: none); the LR schedule still assumes --steps")
	f.IntVar(&o.LogEvery, "log-every", 25, "report progress every N steps")
	f.BoolVar(&o.JSON, "json", false, "write progress as JSON lines on stdout (one per reported step) and a final recipe line")
	return cmd
}

// commandLine reconstructs the command that was run from its path and the
// flags set explicitly, for a recipe file.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, "--"+f.Name+"="+f.Value.String())
	})
	return strings.Join(parts, " ")
}

func runLabTrainBase(ctx context.Context, stdout, stderr io.Writer, o labTrainBaseOptions, command string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	enc := json.NewEncoder(stdout)
	o.Train.Progress = func(s lab.TrainStep) {
		if s.Step%o.LogEvery != 0 && s.Step != 1 && s.Step != o.Train.Steps {
			return
		}
		if o.JSON {
			enc.Encode(s)
			return
		}
		fmt.Fprintf(stderr, "step %5d/%d  loss %.4f  lr %.2e  grad-norm %.2f  tokens %d  %v\n",
			s.Step, o.Train.Steps, s.Loss, s.LR, s.GradNorm, s.Tokens, s.Elapsed.Round(time.Second))
	}
	res, err := lab.TrainBase(ctx, o.Train)
	if err != nil {
		return fmt.Errorf("lab train-base: %w", err)
	}
	if err := lab.SaveBase(o.Out, res, command); err != nil {
		return fmt.Errorf("lab train-base: %w", err)
	}
	rec := lab.NewRecipe(res, command)
	if o.JSON {
		return enc.Encode(rec)
	}
	fmt.Fprintf(stdout, "wrote %s: %d params, %d steps, %d tokens, final loss %.4f, %.0fs\n",
		o.Out, rec.Params, rec.StepsDone, rec.Tokens, rec.FinalLoss, rec.Elapsed)
	return nil
}
