package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
	"github.com/terse-dev/terse/eval/run"
)

// forceFlags are the flags of terse eval --mode forced|prefix.
type forceFlags struct {
	Mode         string   // --mode
	Closing      string   // --closing
	ClosingIDs   []int    // --closing-ids
	ThinkEndID   int      // --think-end-id
	AnswerTokens int      // --answer-tokens
	Every        int      // --every
	Markers      []string // --markers
	MaxProbes    int      // --max-probes
}

func addForceFlags(cmd *cobra.Command, o *forceFlags) {
	f := cmd.Flags()
	f.StringVar(&o.Mode, "mode", "strict", `"strict" samples (the default); "forced" and "prefix" read this run's stored rollouts (same flags as the run) and ask the server only for forced answers: forced cuts each rollout's thinking at every budget (token-exact, with the server's /tokenize), appends --closing and requests the answer; prefix probes along the thinking (--every, --markers) for the best-case early-exit curve and where the first correct answer appears`)
	f.StringVar(&o.Closing, "closing", force.DefaultClosing, "forced/prefix: the message appended after the cut thinking; must contain </think>")
	f.IntSliceVar(&o.ClosingIDs, "closing-ids", nil, "forced/prefix, for a server without /tokenize: the token ids of --closing under the served model's tokenizer; the rollouts, sampled with --store-token-ids, are then cut by their stored ids and each forced prompt is sent as ids (prompt ids + the first B generated ids + these) to the completions API")
	f.IntVar(&o.ThinkEndID, "think-end-id", -1, "with --closing-ids: the id of </think> (must be one of --closing-ids); a rollout's thinking is every generated token before it")
	f.IntVar(&o.AnswerTokens, "answer-tokens", 512, "forced/prefix: max_tokens of each forced answer")
	f.IntVar(&o.Every, "every", 0, "prefix: probe every N thinking tokens (0 = only at --markers and the budgets)")
	f.StringSliceVar(&o.Markers, "markers", force.DefaultMarkers, "prefix: probe before each of these words where it starts a sentence or a line (empty: none)")
	f.IntVar(&o.MaxProbes, "max-probes", 64, "prefix: at most this many --every/--markers probes per rollout, spread evenly")
}

// runEvalForced runs --mode forced or prefix over the run's stored rollouts.
// grade and gradeCut grade forced answers (gradeCut those cut at
// --answer-tokens).
func runEvalForced(ctx context.Context, cmd *cobra.Command, o evalOptions, problems []bench.Problem, budgets []int,
	client force.Sampler, tok force.Tokenizer, grade, gradeCut eval.Grader, progress io.Writer, warnf func(string, ...any)) error {
	path := filepath.Join(o.Out, run.RolloutsFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("eval --mode %s: no stored rollouts (%w); run the same command without --mode first", o.Force.Mode, err)
	}
	key := o.Sampling.Key()
	want := map[string]bool{}
	for _, p := range problems {
		want[run.ProblemKey(p.Benchmark, p.ID)] = true
	}
	// Strict metrics of exactly this run, as terse eval writes them.
	ps, info, err := run.Collect([]string{path}, run.Selection{Key: key, MaxTokens: o.MaxTokens, Problems: want, Samples: o.Samples, Warnf: warnf})
	if err != nil {
		return fmt.Errorf("eval --mode %s: %w", o.Force.Mode, err)
	}
	mopts := metrics.Options{Budgets: budgets, K: o.PassK, Bootstrap: o.Bootstrap, Seed: uint64(o.Sampling.Seed)}
	res := metrics.Compute(ps, mopts)
	res.Run = info
	res.Run.Samples = o.Samples
	perBench := map[string][]int{}
	var all []int
	for _, bm := range res.Benchmarks {
		for _, b := range bm.Budgets {
			perBench[bm.Benchmark] = append(perBench[bm.Benchmark], b.Budget)
			all = append(all, b.Budget)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	rollouts, err := force.LoadRollouts([]string{path}, key, nil, o.Samples, warnf)
	if err != nil {
		return fmt.Errorf("eval --mode %s: %w", o.Force.Mode, err)
	}
	rollouts = slices.DeleteFunc(rollouts, func(r eval.Rollout) bool { return !want[run.ProblemKey(r.Benchmark, r.ProblemID)] })
	for i := range rollouts { // seen at the run's budget, as the strict metrics
		if rollouts[i].MaxTokens > o.MaxTokens {
			rollouts[i] = rollouts[i].AtBudget(o.MaxTokens)
		}
	}
	st, err := force.OpenStore(filepath.Join(o.Out, force.ProbesFile), warnf)
	if err != nil {
		return err
	}
	defer st.Close()
	plans, sum, ferr := force.Run(ctx, rollouts, force.Options{
		Mode: o.Force.Mode, Budgets: all, Every: o.Force.Every, Markers: o.Force.Markers, MaxProbes: o.Force.MaxProbes,
		Closing: o.Force.Closing, ClosingIDs: o.Force.ClosingIDs, ThinkEndID: o.Force.ThinkEndID,
		AnswerTokens: o.Force.AnswerTokens, Concurrency: o.Concurrency, Client: client, Tokenizer: tok, Grade: grade, GradeCut: gradeCut, Store: st, Progress: progress,
	})
	if plans != nil {
		byBench, warn := force.Compute(o.Force.Mode, plans, all, func(b string) []int { return perBench[b] }, o.PassK, mopts)
		force.Attach(&res, byBench)
		res.Warnings = append(res.Warnings, warn...)
		res.ModeNote += " Forced/early-exit curves: see modes (" + o.Force.Mode + " mode)."
		if ferr != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("forced answers incomplete (%v): rerun the same command to finish", ferr))
		}
		if err := report.Write(o.Out, res); err != nil {
			return err
		}
	}
	stderr := cmd.ErrOrStderr()
	if !o.Quiet {
		fmt.Fprintf(stderr, "eval --mode %s: %d rollouts, %d forced answers (%d stored, %d requested, %d failed), %d answer tokens in %s; results in %s\n",
			o.Force.Mode, sum.Rollouts, sum.Probes, sum.Cached, sum.Requested, sum.Failed, sum.AnswerTokens, sum.Elapsed.Round(time.Millisecond), o.Out)
	}
	out := cmd.OutOrStdout()
	if o.JSON {
		if err := report.WriteJSON(out, res); err != nil {
			return err
		}
	} else {
		fmt.Fprint(out, report.Markdown(res))
	}
	if ferr != nil {
		return fmt.Errorf("eval: %w", ferr)
	}
	return nil
}

// localTokenizer serves force.Tokenizer from an in-process tokenizer
// (--local): the same ids terse serve's /tokenize returns.
type localTokenizer struct{ tok tokenizer.Tokenizer }

func (l localTokenizer) Tokenize(_ context.Context, _ string, text string) ([]int, error) {
	ids := l.tok.Encode(text)
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}

func (l localTokenizer) Detokenize(_ context.Context, _ string, ids []int) (string, error) {
	in := make([]int32, len(ids))
	for i, id := range ids {
		in[i] = int32(id)
	}
	return l.tok.Decode(in), nil
}
