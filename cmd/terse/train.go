package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/demo"
	"github.com/terse-dev/terse/engine/blas"
	"github.com/terse-dev/terse/engine/kernel"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// defaultTrainPrompts is the training set when data.train is empty: a lab
// training split over every family.
const defaultTrainPrompts = "lab-train:all:512"

// trainOptions are the flags of terse train.
type trainOptions struct {
	Config       string   // --config
	Sets         []string // --set
	Model        string   // --model
	Out          string   // --out
	Resume       bool     // --resume
	PrintConfig  bool     // --print-config
	EvalPerLevel int      // --eval-per-level
}

func newTrainCmd() *cobra.Command {
	var o trainOptions
	var keys strings.Builder
	for _, k := range rl.Keys() {
		fmt.Fprintf(&keys, "  %-24s %s\n", k[0], k[1])
	}
	cmd := &cobra.Command{
		Use:   "train [--config run.toml] [--set key=value ...] [--model lab-base|DIR] [--out DIR] [--resume]",
		Short: "Train a policy with GRPO and a length-aware reward (the paper's protocol)",
		Long: `train runs GRPO (PAPER.md §3) on a policy checkpoint: per step it samples
group_size rollouts for each of prompts_per_step prompts, grades them, shapes the
rewards (reward.shape, e.g. truncation with L_R = L_T, the paper's recipe),
computes group-relative advantages and updates the policy with the clipped
objective. It prints one summary line per step and writes the run directory
(run.out): config.toml (this run's full config, commented), steps.jsonl (one
record per step, read by terse dynamics), pass_rates.json (the Easy/Hard
profile) and checkpoints/step-NNNNNN.

The config starts from the paper's unified protocol at lab scale (see
--print-config), then --config, then every --set in order. Training prompts come
from data.train: a lab training split lab-train:FAMILY:N[:SEED] (default ` + defaultTrainPrompts + `),
a lab benchmark, a built-in set or a JSONL problem file. The held-out ladder
evaluates eval.benchmarks (default: every lab benchmark, the first
--eval-per-level problems of each level).

Config keys (--set key=value; lists comma-separated):
` + keys.String(),
		Example: `  terse train --out runs/trunc
  terse train --set reward.shape=kimi --set run.steps=100 --out runs/kimi
  terse train --config run.toml --model runs/base --resume
  terse train --print-config > run.toml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.EvalPerLevel < 0 {
				return usagef("train: --eval-per-level %d: want >= 0", o.EvalPerLevel)
			}
			cfg, err := trainConfig(o)
			if err != nil {
				return usageError{fmt.Errorf("train: %w", err)}
			}
			if o.PrintConfig {
				return cfg.WriteTOML(cmd.OutOrStdout())
			}
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt)
			defer stop()
			return runTrain(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Config, "config", "", "run config file (.toml, .yaml or .yml); absent keys keep their defaults")
	f.StringArrayVar(&o.Sets, "set", nil, "override one config key, key=value (repeatable; applied after --config)")
	f.StringVar(&o.Model, "model", "", "initial policy: lab-base (the shipped lab base model) or a checkpoint directory; sets model.init (default lab-base)")
	f.StringVar(&o.Out, "out", "", "run directory; sets run.out")
	f.BoolVar(&o.Resume, "resume", false, "continue the run in run.out from its latest checkpoint, exactly as if never interrupted")
	f.BoolVar(&o.PrintConfig, "print-config", false, "print the effective config as commented TOML (the defaults when no --config/--set) and exit")
	f.IntVar(&o.EvalPerLevel, "eval-per-level", 6, "problems per difficulty level of each ladder benchmark (0 = all)")
	return cmd
}

// trainConfig builds the run config: defaults, --config, --set, then the
// --model and --out shortcuts.
func trainConfig(o trainOptions) (rl.Config, error) {
	cfg := rl.Default()
	if o.Config != "" {
		var err error
		if cfg, err = rl.Load(o.Config); err != nil {
			return rl.Config{}, err
		}
	}
	sets := append([]string(nil), o.Sets...)
	if o.Model != "" {
		sets = append(sets, "model.init="+o.Model)
	}
	if o.Out != "" {
		sets = append(sets, "run.out="+o.Out)
	}
	if err := cfg.SetAll(sets); err != nil {
		return rl.Config{}, err
	}
	if cfg.Model.Init == "" {
		cfg.Model.Init = demo.LabBase
	}
	if cfg.Data.Train == "" {
		cfg.Data.Train = defaultTrainPrompts
	}
	return cfg, nil
}

// runTrain loads the policy, the prompts and the ladder, then runs rl.Train.
func runTrain(ctx context.Context, stdout, stderr io.Writer, cfg rl.Config, o trainOptions) error {
	announceBLAS(stderr)
	policy, tok, err := lab.Load(cfg.Model.Init)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	in := rl.TrainInputs{Config: cfg, Policy: policy, Tokenizer: tok, Progress: stdout, Resume: o.Resume}
	if cfg.Model.Ref != "" {
		if in.Ref, _, err = lab.Load(cfg.Model.Ref); err != nil {
			return fmt.Errorf("train: model.ref: %w", err)
		}
	}
	if in.Train, _, err = loadProfileInput(cfg.Data.Train, bench.FieldMap{}); err != nil {
		return fmt.Errorf("train: data.train: %w", err)
	}
	names := cfg.Eval.Benchmarks
	if len(names) == 0 {
		names = lab.BenchmarkNames()
	}
	if cfg.Eval.Every > 0 {
		for _, name := range names {
			ps, _, err := loadProfileInput(name, bench.FieldMap{})
			if err != nil {
				return fmt.Errorf("train: eval.benchmarks: %w", err)
			}
			in.Eval = append(in.Eval, rl.EvalSet{Name: name, Problems: firstPerLevel(ps, o.EvalPerLevel)})
		}
	}
	fmt.Fprintf(stderr, "train: %s → %s: %d training prompts (%s, difficulty %s), %d steps\n",
		cfg.Model.Init, cfg.Run.Out, len(in.Train), cfg.Data.Train, cfg.Data.Difficulty, cfg.Run.Steps)
	res, err := rl.Train(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("train: interrupted (rerun with --resume to continue from the last checkpoint): %w", err)
		}
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(stderr, "train: done: %d step records in %s\n", len(res.Steps), res.Dir)
	return nil
}

// firstPerLevel keeps the first n problems of each level (all when n is 0).
func firstPerLevel(ps []bench.Problem, n int) []bench.Problem {
	if n <= 0 {
		return ps
	}
	count := map[int]int{}
	var out []bench.Problem
	for _, p := range ps {
		if count[p.Level] < n {
			count[p.Level]++
			out = append(out, p)
		}
	}
	return out
}

// announceBLAS says which matrix multiply and which vector kernels run, and
// warns when the matrix multiply is the slower pure-Go one.
func announceBLAS(w io.Writer) {
	s, err := blas.Default()
	switch {
	case err != nil:
		fmt.Fprintf(w, "terse: matrix multiply: %v\n", err)
	case strings.HasPrefix(s.Name(), "go"):
		fmt.Fprintf(w, "terse: OpenBLAS not found: running on the pure-Go matrix multiply (%s), several times slower; install libopenblas-dev for speed\n", s.Name())
	default:
		fmt.Fprintf(w, "terse: matrix multiply: %s; vector kernels: %s\n", s.Name(), kernel.Name())
	}
}
