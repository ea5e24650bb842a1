package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/terse-dev/terse/lab"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/demo"
)

// demoOptions are the flags of terse demo.
type demoOptions struct {
	Out     string
	Model   string
	Quick   bool
	Full    bool
	Jobs    int
	Only    []string
	Verbose bool
	JSON    bool
	Check   bool
	Seeds   []uint
	// Lab-condition overrides (0 or "": the profile's value).
	Steps    int
	LR       float64
	Schedule string
}

func newDemoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo [--out DIR] [--quick|--full] [--seeds N,...] [--jobs N] [--only NAME,...] [--model lab-base|DIR]",
		Short: "Reproduce the paper's findings in the lab and write an HTML report",
		Long:  demoLong(),
		Example: `  terse demo
  terse demo --quick --out /tmp/terse-demo && terse demo --check --out /tmp/terse-demo
  terse demo --only rewards,difficulty
  terse demo --seeds 1 --out terse-demo-seed1
  terse demo --full --out terse-demo-full
  terse demo --model runs/my-base --out demo-my-base`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Out == "" {
				return usagef("demo: --out must not be empty")
			}
			if o.Quick && o.Full {
				return usagef("demo: --quick and --full exclude each other")
			}
			if o.Jobs < 0 {
				return usagef("demo: --jobs %d: want 0 (one per core) or more", o.Jobs)
			}
			if _, _, err := o.profile(); err != nil {
				return usagef("%v", err)
			}
			for _, name := range o.Only {
				if !slices.Contains(demo.FindingNames(), name) {
					return usagef("demo: --only %q: want some of %s", name, strings.Join(demo.FindingNames(), ", "))
				}
			}
			if o.Check {
				check := demo.Check
				if demo.IsSeedsDir(o.Out) {
					check = demo.CheckSeeds
				}
				if err := check(o.Out); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "demo: %s: results.json and report.html are complete and well-formed\n", o.Out)
				return nil
			}
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt)
			defer stop()
			return runDemo(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "terse-demo", "output directory: report.html, results.json and the cached runs")
	f.StringVar(&o.Model, "model", demo.LabBase, "base model: lab-base (shipped) or a checkpoint directory")
	f.BoolVar(&o.Quick, "quick", false, "few steps and small sets, one seed (under 3 minutes; the CI smoke run; verdicts are noise)")
	f.BoolVar(&o.Full, "full", false, fmt.Sprintf("the long runs: %d steps per run instead of %d (41 min on 2 cores with the SkylakeX OpenBLAS kernel; README: \"The long runs\")", demo.FullProfile().Steps, demo.DefaultProfile().Steps))
	f.IntVar(&o.Jobs, "jobs", 0, "runs trained side by side (0: GOMAXPROCS, at most 4); changes the wall time only, never a result")
	f.StringSliceVar(&o.Only, "only", nil, "run only these findings (comma-separated: "+strings.Join(demo.FindingNames(), ", ")+")")
	f.BoolVar(&o.Verbose, "verbose", false, "also print rl's summary line of every training step")
	f.BoolVar(&o.JSON, "json", false, "print results.json to stdout instead of the verdict table")
	f.UintSliceVar(&o.Seeds, "seeds", nil, "training seeds, comma-separated: the demo runs once per seed (each seeds every run and the evaluations; the training prompts and their difficulty profile are the data, shared by all seeds and profiled once) and each finding is decided over all of them (default 1,2,3; with --quick 1)")
	f.IntVar(&o.Steps, "steps", 0, "override the profile's GRPO steps per run (0: the profile's; a lab condition, so the cached runs and the verdicts are another experiment)")
	f.Float64Var(&o.LR, "lr", 0, "override the profile's peak learning rate (0: the profile's, 2e-4)")
	f.StringVar(&o.Schedule, "lr-schedule", "", "override the profile's learning-rate schedule: constant or cosine (decays to 0 at the last step; the profile's)")
	f.BoolVar(&o.Check, "check", false, "run nothing: validate the results.json and report.html already in --out (CI runs it after --quick)")
	return cmd
}

// demoLong is demo's --help text. The list of findings and the step
// counts come from the demo package, so that the help cannot drift from
// what runs (PAPER.md §5 numbering).
func demoLong() string {
	var list strings.Builder
	for _, f := range demo.Findings(demo.DefaultProfile()) {
		fmt.Fprintf(&list, "  %d %-14s %s\n", f.ID, f.Name, f.Title)
	}
	return fmt.Sprintf(`demo is terse's main job. Starting from the lab base model, it runs the paper's
protocol scaled to the lab with fixed seeds: a baseline GRPO run with the
truncation reward (L_R = L_T, Easy prompts, on-policy) and the runs each finding
compares against it, every one evaluated across the token-budget ladder. It
writes into --out one self-contained report.html and results.json (schema
terse.demo/v1), with a section per finding, numbered as in the paper's §5
(the name is the --only key):

%s
Each finding states whether the lab reproduces the paper's claim, decided by an
explicit rule from the measured numbers; a finding that does not reproduce is
reported as such, with what in the lab differs from the paper's setting.

The whole demo runs once per training seed (--seeds, default 1,2,3), each seed
into its own subdirectory seed-N of --out with its full report; the seeds share
the data (the training prompts and their Easy/Hard profile, in --out/profile),
as every run of the paper trains on one DeepScaleR split; the top-level
results.json and report.html give each finding's verdict over the seeds:
its rule applied to all seeds at once (paired comparisons pooled over seeds
and problems, with every seed's effect on the same side; events in the step
logs only when every seed agrees), beside each seed's own verdict. The rules
and margins are printed in the report (see demo.SeedRule).

The default run (three seeds, %d steps per run) takes %s on a 2-core
machine with OpenBLAS; --full trains %d steps per run; --quick (one seed, few
steps, small sets) is a smoke test whose verdicts are noise. Runs train --jobs
at a time (default: one per core, at most 4); the results do not depend on
--jobs. The same command on the same machine gives the same results.json
(timings aside). Another CPU (another OpenBLAS kernel) or another GOMAXPROCS
changes the last bits of training from the first step on: verdicts whose
effects stand far outside their bands hold there, a verdict near a margin can
change (README, "Reproducibility"). A single seed (--seeds 1) writes its
report at the top of --out. Every piece of work is cached under --out:
rerunning skips finished runs and resumes a half-finished one from its last
checkpoint; --only runs a subset.`, list.String(), demo.DefaultProfile().Steps, demoDefaultWall,
		demo.FullProfile().Steps)
}

// demoDefaultWall is the measured wall time of the default demo
// (BENCHMARKS.md, "demo").
const demoDefaultWall = "about 17 minutes (17 min 18 s measured, BENCHMARKS.md)"

// profile is the demo profile and the training seeds the flags ask for:
// the chosen profile with the lab-condition overrides applied, checked by
// demo.Profile.Validate.
func (o demoOptions) profile() (demo.Profile, []uint64, error) {
	p := demo.DefaultProfile()
	seeds := []uint64{1, 2, 3}
	switch {
	case o.Quick:
		p, seeds = demo.QuickProfile(), []uint64{1}
	case o.Full:
		p = demo.FullProfile()
	}
	if len(o.Seeds) > 0 {
		seeds = seeds[:0]
		for _, s := range o.Seeds {
			seeds = append(seeds, uint64(s))
		}
	}
	if o.Steps < 0 || o.LR < 0 {
		return p, seeds, fmt.Errorf("demo: --steps %d, --lr %g: want 0 (the profile's) or more", o.Steps, o.LR)
	}
	if o.Steps > 0 {
		p.Steps = o.Steps
	}
	if o.LR > 0 {
		p.LR = o.LR
	}
	if o.Schedule != "" {
		p.Schedule = o.Schedule
	}
	p.Seed = seeds[0]
	return p, seeds, p.Validate()
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, o demoOptions) error {
	announceBLAS(stderr)
	policy, tok, err := lab.Load(o.Model)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	p, seeds, err := o.profile()
	if err != nil {
		return err
	}
	opts := demo.Options{Out: o.Out, Model: o.Model, Policy: policy, Tokenizer: tok, Profile: p, Only: o.Only,
		Progress: stderr, Bar: isTerminal(stderr), Jobs: o.Jobs}
	if o.Verbose {
		opts.Log = stderr
	}
	wrap := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("demo: interrupted (rerun the same command to resume): %w", err)
		}
		return fmt.Errorf("demo: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if len(seeds) == 1 {
		res, err := demo.Run(ctx, opts)
		if err != nil {
			return wrap(err)
		}
		if o.JSON {
			return printJSON(stdout, res)
		}
		fmt.Fprintln(tw, "#\tfinding\treproduced")
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", f.ID, f.Title, f.Verdict.Reproduced)
		}
	} else {
		res, err := demo.RunSeeds(ctx, opts, seeds)
		if err != nil {
			return wrap(err)
		}
		if o.JSON {
			return printJSON(stdout, res)
		}
		head := "#\tfinding\tover the seeds"
		for _, s := range seeds {
			head += fmt.Sprintf("\tseed %d", s)
		}
		fmt.Fprintln(tw, head)
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", f.ID, f.Title, f.Reproduced, strings.Join(f.PerSeed, "\t"))
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "report: %s\nresults: %s\n", filepath.Join(o.Out, demo.ReportFile), filepath.Join(o.Out, demo.ResultsFile))
	return nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a character device (a terminal), where
// the progress bar can redraw one line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
