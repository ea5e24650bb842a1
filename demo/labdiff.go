package demo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/terse-dev/terse/rl"
)

// Helpers for Finding.labDiff: each finding's file says in words how the
// lab differs from the paper for that finding and fills in the numbers
// measured in the seeds' runs with these.

// perSeed formats one value per seed ("seed 1: …; seed 2: …"), skipping
// the seeds where f has nothing to say (ok false); a value that every seed
// shares (the data's, which the seeds share) is given once.
func perSeed(seeds []*Results, f func(r *Results) (string, bool)) string {
	var parts, values []string
	for _, r := range seeds {
		if s, ok := f(r); ok {
			parts = append(parts, fmt.Sprintf("seed %d: %s", r.Profile.Seed, s))
			values = append(values, s)
		}
	}
	switch {
	case len(parts) == 0:
		return "not measured"
	case len(values) == len(seeds) && len(seeds) > 1 && !slices.ContainsFunc(values, func(v string) bool { return v != values[0] }):
		return "every seed: " + values[0]
	}
	return strings.Join(parts, "; ")
}

// lowestEval is the lowest in-training Mean@k of a run on bench at budget
// after step 0, the step where it fell there and the value at step 0.
func lowestEval(rr *RunResult, bench string, budget int) (low float64, step int, start float64, ok bool) {
	if rr == nil || rr.Status != StatusOK {
		return 0, 0, 0, false
	}
	haveStart := false
	for _, s := range rr.Steps {
		for _, e := range s.Eval {
			if e.Benchmark != bench || e.Budget != budget {
				continue
			}
			switch {
			case s.Step == 0:
				start, haveStart = e.MeanAtK, true
			case !ok || e.MeanAtK < low:
				low, step, ok = e.MeanAtK, s.Step, true
			}
		}
	}
	return low, step, start, ok && haveStart
}

// firstSteps averages get over a run's first n training steps, or
// reports false when the run or its steps are missing.
func firstSteps(rr *RunResult, n int, get func(rl.StepLog) float64) (float64, bool) {
	if rr == nil || rr.Status != StatusOK {
		return 0, false
	}
	sum, k := 0.0, 0
	for _, s := range rr.Steps {
		if s.Step < 1 {
			continue // step 0 is the ladder before training
		}
		if k == n {
			break
		}
		sum += get(s)
		k++
	}
	if k == 0 {
		return 0, false
	}
	return sum / float64(k), true
}

// finalAt is a run's final ladder entry on bench at budget.
func finalAt(r *Results, run, bench string, budget int) (BudgetResult, bool) {
	rr := r.runOrBase(run)
	if rr == nil || rr.Status != StatusOK {
		return BudgetResult{}, false
	}
	return rr.at(bench, budget)
}

// positiveDensity is a run's positive-reward density over its first n
// training steps: the share of rollouts with a positive reward and the
// share of groups with at least one (finding 3's measure of signal).
func positiveDensity(rr *RunResult, n int) (rollouts, groups float64, ok bool) {
	r, ok1 := firstSteps(rr, n, func(s rl.StepLog) float64 { return s.PosRewardDensity })
	g, ok2 := firstSteps(rr, n, func(s rl.StepLog) float64 { return s.PosGroupDensity })
	return r, g, ok1 && ok2
}
