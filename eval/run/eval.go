package run

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/internal/dirlock"
)

// RolloutsFile is the rollout store's name inside a run directory.
const RolloutsFile = "rollouts.jsonl"

// Config is everything `terse eval` needs: the sampling pipeline, the
// client settings, where to write and how to compute metrics.
type Config struct {
	// Options configures sampling; its Client and Store are built by Eval
	// when nil.
	Options
	// Sampler configures the OpenAI-compatible client.
	Sampler sampler.Options
	// OutDir receives rollouts.jsonl, results.json, report.md and report.html.
	OutDir string
	// Metrics configures the metrics (budgets, k, bootstrap).
	Metrics metrics.Options
	// SyncEvery is the store's fsync interval (see store.Options).
	SyncEvery time.Duration
	// Warnf receives warnings; nil discards them.
	Warnf func(format string, args ...any)
}

// Eval samples what the store in cfg.OutDir is missing, then computes the
// metrics of exactly this run (these problems, sample indices below k, this
// cache key, viewed at cfg.MaxTokens) and writes the reports. It returns
// the results even when sampling stopped early, computed from what is
// stored, together with the error.
//
// Eval holds an advisory lock on cfg.OutDir (internal/dirlock) while it
// runs: a second Eval on the same directory, in this process or another,
// returns at once with an error naming the holder (pid, host, start time,
// command) and samples nothing.
func Eval(ctx context.Context, cfg Config) (Summary, metrics.Results, error) {
	if cfg.OutDir == "" {
		return Summary{}, metrics.Results{}, fmt.Errorf("run: no output directory")
	}
	lock, err := dirlock.Acquire(cfg.OutDir, "")
	if err != nil {
		return Summary{}, metrics.Results{}, fmt.Errorf("run: %w", err)
	}
	defer lock.Release()
	path := filepath.Join(cfg.OutDir, RolloutsFile)
	if cfg.Store == nil {
		st, err := store.Open(path, store.Options{SyncEvery: cfg.SyncEvery, Warnf: cfg.Warnf})
		if err != nil {
			return Summary{}, metrics.Results{}, err
		}
		defer st.Close()
		cfg.Store = st
	}
	if cfg.Client == nil {
		c, err := sampler.New(cfg.Sampler)
		if err != nil {
			return Summary{}, metrics.Results{}, err
		}
		cfg.Client = c
	}
	sum, serr := Sample(ctx, cfg.Options)
	if sum.Total == 0 && serr != nil {
		return sum, metrics.Results{}, serr
	}
	problems := map[string]bool{}
	for _, p := range cfg.Problems {
		problems[ProblemKey(p.Benchmark, p.ID)] = true
	}
	ps, info, err := Collect([]string{cfg.Store.Path()}, Selection{
		Key: cfg.Sampling.Key(), MaxTokens: cfg.MaxTokens, Problems: problems, Samples: cfg.Samples, Warnf: cfg.Warnf,
	})
	if err != nil {
		if serr != nil {
			return sum, metrics.Results{}, serr
		}
		return sum, metrics.Results{}, err
	}
	res := metrics.Compute(ps, cfg.Metrics)
	res.Run = info
	res.Run.Samples = cfg.Samples
	NoteMissing(&res, ps, cfg.Problems)
	NoteServerFaults(&res)
	if serr != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("run incomplete (%v): these results cover only the rollouts stored so far; rerun the same command to finish", serr))
	}
	if cfg.Sampling.Temperature == 0 && cfg.Samples > 1 {
		res.Warnings = append(res.Warnings, "temperature 0 with several samples per problem: greedy samples are (nearly) identical, so Pass@k and the intervals say little")
	}
	if err := report.Write(cfg.OutDir, res); err != nil {
		return sum, res, err
	}
	return sum, res, serr
}
