package run

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/store"
)

// Selection says which rollouts of one or more files form a run.
type Selection struct {
	// Key selects rollouts whose key starts with it; "" accepts any key but
	// then all rollouts must share one key (a rollout without a key, e.g.
	// converted from another harness, counts as the key "").
	Key string
	// MaxTokens, when > 0, takes the run at that budget: per sample the ok
	// rollout with the smallest max_tokens ≥ MaxTokens, seen through
	// eval.Rollout.AtBudget(MaxTokens). When 0, per sample the ok rollout
	// with the largest max_tokens, as it is.
	MaxTokens int
	// Benchmarks, when not empty, keeps only these benchmarks.
	Benchmarks []string
	// Problems, when not nil, keeps only these problems, keyed by
	// ProblemKey(benchmark, id).
	Problems map[string]bool
	// Samples, when > 0, keeps only sample indices below it.
	Samples int
	// Regrade, when not nil, grades every ok rollout again.
	Regrade eval.Grader
	// Warnf receives warnings (torn last lines); nil discards them.
	Warnf func(format string, args ...any)
}

// ProblemKey joins a benchmark name and a problem ID for Selection.Problems.
func ProblemKey(benchmark, id string) string { return benchmark + "\x00" + id }

type choice struct {
	level  int
	s      metrics.Sample
	line   int
	failed bool
}

// Collect streams rollout files and returns, per problem, the selected
// sample of each (problem, sample index) ready for metrics.Compute, and the
// run's description. Rollout texts are not kept, so memory grows with the
// number of rollouts, not their length. When several rollouts compete for
// one sample, the rule in Selection.MaxTokens picks one and ties go to the
// first in file order; failed rollouts count only where no ok one exists.
func Collect(paths []string, sel Selection) ([]metrics.Problem, metrics.Run, error) {
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		intern[s] = s
		return s
	}
	keys := map[string]int{}
	var run metrics.Run
	picked := map[eval.SampleID]*choice{}
	for _, path := range paths {
		err := store.Scan(path, sel.Warnf, func(line int, r *eval.Rollout) error {
			if !strings.HasPrefix(r.Key, sel.Key) {
				return nil
			}
			if len(sel.Benchmarks) > 0 && !slices.Contains(sel.Benchmarks, r.Benchmark) {
				return nil
			}
			if sel.Problems != nil && !sel.Problems[ProblemKey(r.Benchmark, r.ProblemID)] {
				return nil
			}
			if sel.Samples > 0 && r.Sample >= sel.Samples {
				return nil
			}
			if sel.MaxTokens > 0 && r.MaxTokens != sel.MaxTokens && !r.CanAnswer(sel.MaxTokens) {
				return nil // a failed or shorter rollout of another budget
			}
			if _, ok := keys[r.Key]; !ok && len(keys) == 0 {
				run.Key, run.Sampling = r.Key, r.Sampling
			}
			keys[r.Key]++
			for _, f := range r.ServerFaults {
				if run.ServerFaults == nil {
					run.ServerFaults = map[string]int{}
				}
				run.ServerFaults[in(f)]++
			}
			if r.Status == eval.StatusOK && sel.Regrade != nil {
				r.Grade(sel.Regrade)
			}
			v := *r
			if sel.MaxTokens > 0 && r.Status == eval.StatusOK {
				v = r.AtBudget(sel.MaxTokens)
			}
			c := &choice{level: r.Level, s: metrics.SampleOf(&v), line: line, failed: r.Status != eval.StatusOK}
			c.s.MaxTokens = int32(r.MaxTokens) // the rollout's own budget decides ties
			id := eval.SampleID{Key: in(r.Key), Benchmark: in(r.Benchmark), ProblemID: in(r.ProblemID), Sample: r.Sample}
			if old, ok := picked[id]; !ok || better(c, old, sel.MaxTokens) {
				picked[id] = c
			}
			return nil
		})
		if err != nil {
			return nil, run, fmt.Errorf("run: collect: %w", err)
		}
	}
	if len(keys) > 1 {
		var ks []string
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			ks = append(ks, fmt.Sprintf("%q (%d rollouts)", k, keys[k]))
		}
		return nil, run, fmt.Errorf("run: collect: rollouts from %d different runs (keys %s); choose one with a key prefix", len(keys), strings.Join(ks, ", "))
	}
	if len(picked) == 0 {
		return nil, run, fmt.Errorf("run: collect: no rollouts selected from %s", strings.Join(paths, ", "))
	}
	type pk struct{ bench, id string }
	probs := map[pk]*metrics.Problem{}
	ids := slices.SortedFunc(maps.Keys(picked), func(a, b eval.SampleID) int {
		return cmp.Or(cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.ProblemID, b.ProblemID), cmp.Compare(a.Sample, b.Sample))
	})
	var out []metrics.Problem
	order := []pk{}
	for _, id := range ids {
		c := picked[id]
		k := pk{id.Benchmark, id.ProblemID}
		p, ok := probs[k]
		if !ok {
			p = &metrics.Problem{Benchmark: id.Benchmark, ID: id.ProblemID, Level: c.level}
			probs[k] = p
			order = append(order, k)
		}
		s := c.s
		if sel.MaxTokens > 0 && !s.Failed {
			s.MaxTokens = int32(sel.MaxTokens)
		}
		p.Samples = append(p.Samples, s)
		if !s.Failed {
			run.MaxTokens = max(run.MaxTokens, int(s.MaxTokens))
		}
	}
	for _, k := range order {
		out = append(out, *probs[k])
		run.Samples = max(run.Samples, len(probs[k].Samples))
	}
	run.Files = paths
	run.Regraded = sel.Regrade != nil
	return out, run, nil
}

// better reports whether candidate c should replace the current choice
// old for one sample: ok beats failed; among ok rollouts the smallest
// max_tokens at or above the selected budget wins (budget > 0), or the
// largest max_tokens (budget = 0); a tie keeps the earlier line.
func better(c, old *choice, budget int) bool {
	if c.failed != old.failed {
		return !c.failed
	}
	if c.failed {
		return false
	}
	if budget > 0 {
		return c.s.MaxTokens < old.s.MaxTokens
	}
	return c.s.MaxTokens > old.s.MaxTokens
}
