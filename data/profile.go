package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/internal/atomicfile"
	"github.com/terse-dev/terse/internal/dirlock"
)

// Files Profile writes into its output directory.
const (
	// RolloutsFile holds every rollout (eval/SCHEMA.md §1), append-only.
	RolloutsFile = run.RolloutsFile
	// ProfileFile holds one Record per prompt.
	ProfileFile = "profile.jsonl"
	// SummaryFile holds the Summary as JSON.
	SummaryFile = "summary.json"
)

// DefaultGroupSize is the paper's 8 rollouts per prompt for the split.
const DefaultGroupSize = 8

// ProfileOptions configures Profile. Zero values take the defaults in
// brackets.
type ProfileOptions struct {
	// Problems to profile; (Benchmark, ID) must be unique.
	Problems []bench.Problem
	// Sampling settings; their Key is the rollouts' cache key, so an eval
	// or profile run with the same settings is reused.
	Sampling eval.Sampling
	// RolloutLimit is L_R, the max_tokens of every request.
	RolloutLimit int
	// GroupSize is the rollouts per prompt [DefaultGroupSize].
	GroupSize int
	// ThinkingOpen: the chat template itself opens <think> (see run.Options).
	ThinkingOpen bool
	// Concurrency bounds the requests in flight [64].
	Concurrency int
	// Client samples; *sampler.Client (several endpoints) or *Local.
	Client run.Sampler
	// Grade grades a response.
	Grade eval.Grader
	// OutDir receives profile.jsonl and summary.json, and rollouts.jsonl
	// unless Rollouts is set.
	OutDir string
	// Rollouts is the rollout store's path [OutDir/rollouts.jsonl]; point it
	// at an eval run's rollouts.jsonl to reuse its samples.
	Rollouts string
	// Summary configures the summary (threshold, L_T, group size); start
	// from DefaultSummaryOptions.
	Summary SummaryOptions
	// Progress receives the progress line (done/total, rate, ETA) when set.
	Progress io.Writer
	// Warnf receives warnings; nil discards them.
	Warnf func(format string, args ...any)
}

// Profile samples what the rollout store lacks (GroupSize rollouts per
// problem at RolloutLimit), grades them, reduces every problem to a Record
// and writes profile.jsonl and summary.json into OutDir. Interrupted (ctx
// ended) it writes nothing but the rollouts already sampled and returns the
// error; the same call resumes. Problems whose every request failed are
// left out with a warning; failed requests of other problems are counted
// in Record.Failed and resampled by the next call.
func Profile(ctx context.Context, o ProfileOptions) ([]Record, Summary, run.Summary, error) {
	var rs run.Summary
	if o.GroupSize == 0 {
		o.GroupSize = DefaultGroupSize
	}
	switch {
	case len(o.Problems) == 0:
		return nil, Summary{}, rs, fmt.Errorf("%w to profile", ErrEmpty)
	case o.RolloutLimit <= 0:
		return nil, Summary{}, rs, fmt.Errorf("data: profile: rollout limit %d ≤ 0", o.RolloutLimit)
	case o.GroupSize < 1:
		return nil, Summary{}, rs, fmt.Errorf("data: profile: group size %d < 1", o.GroupSize)
	case o.OutDir == "":
		return nil, Summary{}, rs, fmt.Errorf("data: profile: no output directory")
	case o.Summary.TargetLen > o.RolloutLimit:
		return nil, Summary{}, rs, fmt.Errorf("%w: L_T %d > L_R %d", ErrTargetLen, o.Summary.TargetLen, o.RolloutLimit)
	}
	if o.Rollouts == "" {
		o.Rollouts = filepath.Join(o.OutDir, RolloutsFile)
	}
	// Two profiles writing one directory would each sample everything.
	lock, err := dirlock.Acquire(o.OutDir, "")
	if err != nil {
		return nil, Summary{}, rs, fmt.Errorf("data: profile: %w", err)
	}
	defer lock.Release()
	st, err := store.Open(o.Rollouts, store.Options{Warnf: o.Warnf})
	if err != nil {
		return nil, Summary{}, rs, fmt.Errorf("data: profile: %w", err)
	}
	defer st.Close()
	rs, err = run.Sample(ctx, run.Options{
		Problems: o.Problems, Sampling: o.Sampling, MaxTokens: o.RolloutLimit, Samples: o.GroupSize,
		ThinkingOpen: o.ThinkingOpen, Concurrency: o.Concurrency, Client: o.Client, Store: st,
		Grade: o.Grade, Progress: o.Progress,
	})
	if err != nil {
		return nil, Summary{}, rs, fmt.Errorf("data: profile: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, Summary{}, rs, fmt.Errorf("data: profile: %w", err)
	}
	recs, err := Records(o.Rollouts, o.Problems, o.Sampling, o.RolloutLimit, o.GroupSize, o.Warnf)
	if errors.Is(err, ErrEmpty) && rs.Failed > 0 {
		return nil, Summary{}, rs, fmt.Errorf("%w (%d requests failed after every retry; their error field in %s says why)", err, rs.Failed, o.Rollouts)
	}
	if err != nil {
		return nil, Summary{}, rs, err
	}
	if rs.Failed > 0 && o.Warnf != nil {
		o.Warnf("data: profile: %d requests failed after every retry and are left out of n; rerun to retry them", rs.Failed)
	}
	sum, err := Summarize(recs, o.Summary)
	if err != nil {
		return recs, sum, rs, err
	}
	smp := o.Sampling
	sum.Sampling = &smp
	if err := WriteProfile(o.OutDir, recs, sum); err != nil {
		return recs, sum, rs, err
	}
	return recs, sum, rs, nil
}

// Records reads the rollouts of problems sampled with s at rolloutLimit
// (sample indices below groupSize) from a rollout file and reduces each
// problem to a Record, in problem order. A rollout sampled at a larger
// max_tokens is seen at rolloutLimit (eval.Rollout.AtBudget). Problems
// without any ok rollout are left out with a warning.
func Records(path string, problems []bench.Problem, s eval.Sampling, rolloutLimit, groupSize int, warnf func(string, ...any)) ([]Record, error) {
	want := make(map[string]bool, len(problems))
	for _, p := range problems {
		want[run.ProblemKey(p.Benchmark, p.ID)] = true
	}
	ps, _, err := run.Collect([]string{path}, run.Selection{
		Key: s.Key(), MaxTokens: rolloutLimit, Problems: want, Samples: groupSize, Warnf: warnf,
	})
	if err != nil {
		return nil, fmt.Errorf("data: profile: %w", err)
	}
	got := make(map[string]int, len(ps))
	for i, p := range ps {
		got[run.ProblemKey(p.Benchmark, p.ID)] = i
	}
	recs := make([]Record, 0, len(problems))
	var left []string // problems left out, for one capped warning
	for _, p := range problems {
		i, ok := got[run.ProblemKey(p.Benchmark, p.ID)]
		if !ok {
			left = append(left, fmt.Sprintf("%s/%s (no rollouts)", p.Benchmark, p.ID))
			continue
		}
		r, err := NewRecord(p, s.Prompt(p), ps[i].Samples, rolloutLimit)
		if errors.Is(err, ErrNoRollouts) {
			left = append(left, fmt.Sprintf("%s/%s (%d failed)", p.Benchmark, p.ID, r.Failed))
			continue
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if len(left) > 0 && warnf != nil {
		more := ""
		if len(left) > 5 {
			more = fmt.Sprintf(" and %d more", len(left)-5)
			left = left[:5]
		}
		warnf("data: profile: prompts without an ok rollout in %s are left out: %s%s", path, strings.Join(left, ", "), more)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: none of %d has an ok rollout in %s", ErrEmpty, len(problems), path)
	}
	return recs, nil
}

// WriteProfile writes profile.jsonl and summary.json into dir, each
// atomically (temporary file, then rename).
func WriteProfile(dir string, recs []Record, sum Summary) error {
	if err := writeAtomic(filepath.Join(dir, ProfileFile), func(w io.Writer) error { return WriteRecords(w, recs) }); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, SummaryFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(sum)
	})
}

// writeAtomic writes a file atomically and durably (internal/atomicfile),
// creating its directory, so readers never see half a file and a crash
// never leaves one.
func writeAtomic(path string, fill func(io.Writer) error) error {
	if err := atomicfile.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := atomicfile.Write(path, 0o644, fill); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
