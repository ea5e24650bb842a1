package demo

import (
	"fmt"
	"math"
	"slices"
)

// Finding 4 (PAPER.md §5.4): more rollouts per prompt.
func findingGroupSize(p Profile) Finding {
	sizes := slices.Sorted(slices.Values(p.GroupSizes))
	var runs []string
	for _, n := range sizes {
		runs = append(runs, groupRun(p, n))
	}
	lo, hi := sizes[0], sizes[len(sizes)-1]
	_, lg := ladderEnds(p)
	return Finding{
		ID: 4, Name: "group-size", Title: "Rollouts per prompt: N = " + joinInts(sizes, " vs "),
		Claim: fmt.Sprintf("More rollouts per prompt find short correct trajectories more easily: with N = %d rather than N = %d, (a) the training length adapts faster; (b) Mean@k is higher; (c) Pass@k barely moves (budget %d).", hi, lo, lg),
		Runs:  runs,
		Rule: fmt.Sprintf("Largest N (%d) against smallest N (%d). ", hi, lo) +
			"(a) per seed, the relative fall of the training length by the middle step (StepSummary.halfway_drop): yes when the largest N's exceeds the smallest N's by more than 0.05, no when it does not exceed it at all, else inconclusive; a run with fewer than 10 steps is inconclusive; counts when every seed agrees. " +
			"(b) paired per-problem Mean@k on the in-domain benchmark at the largest budget, pooled over seeds (SeedRule): yes when the largest N beats the smallest beyond the 95% band; no when the smallest beats it beyond the band or the two are equivalent (90% band inside ±0.05); else inconclusive. " +
			"(c) paired per-problem Pass@k there: yes when equivalent within ±0.05 (90% band); no when the whole 95% band lies beyond ±0.05; else inconclusive.",
		Margins: []Margin{mDrop, mMeanAtK, mPassAtK},
		clauses: groupSizeClauses,
		labDiff: groupSizeLabDiff,
	}
}

func groupSizeClauses(j *judge) {
	p := j.profile()
	bench := inDomain(p)
	_, lg := ladderEnds(p)
	sizes := slices.Sorted(slices.Values(p.GroupSizes))
	lo, hi := groupRun(p, sizes[0]), groupRun(p, sizes[len(sizes)-1])

	nLo, nHi := sizes[0], sizes[len(sizes)-1]
	j.stepClause("a", "the training length adapts faster with the larger N", []string{lo, hi},
		func(s int, rs []*RunResult) (string, string) {
			dl, dh := rs[0].Summary.HalfwayDrop, rs[1].Summary.HalfwayDrop
			j.numbers[j.seedKey(s)+"halfway_drop_small"], j.numbers[j.seedKey(s)+"halfway_drop_large"] = dl, dh
			text := fmt.Sprintf("length fall by mid-run %.0f%% (N = %d) vs %.0f%% (N = %d)", 100*dh, nHi, 100*dl, nLo)
			switch {
			case dh-dl > MarginDrop:
				return Yes, text
			case dh-dl <= 0:
				return No, text
			}
			return Inconclusive, text
		})

	c := j.cmp("mean_at_k_large_vs_small", hi, lo, bench, lg, meanAtK)
	j.clause("b", "Mean@k is higher with the larger N", better(c, MarginMeanAtK, false),
		fmt.Sprintf("Mean@k, N = %d − N = %d at budget %d: %s.", nHi, nLo, lg, c))
	c = j.cmp("pass_at_k_large_vs_small", hi, lo, bench, lg, passAtK)
	j.clause("c", "Pass@k barely moves", barelyMoves(c, MarginPassAtK),
		fmt.Sprintf("Pass@k, N = %d − N = %d at budget %d: %s.", nHi, nLo, lg, c))
}

// groupSizeLabDiff: on the lab's Easy prompts even the smallest group
// almost always holds a positive, so a larger N adds little.
func groupSizeLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	sizes := slices.Sorted(slices.Values(p.GroupSizes))
	lo, hi := sizes[0], sizes[len(sizes)-1]
	return fmt.Sprintf("On the lab's Easy prompts a small group already finds a positive: at the base's mean pass rate p under truncation, a group of N = %d holds at least one positive with probability 1 − (1 − p)^N = %s, so N = %d adds little signal that N = %d lacks. The paper's ablation is N = 8–32 with 128 prompts per step on a 1.5B model over ~800 steps; the lab has %d prompts per step and %d steps, and at this scale the length fall and the final Mean@k vary between seeds by as much as the effect (the clauses' evidence).",
		lo, perSeed(seeds, func(r *Results) (string, bool) {
			d := r.Difficulty
			if d == nil || d.Easy == 0 {
				return "", false
			}
			return fmt.Sprintf("%.3f (p = %.2f)", 1-math.Pow(1-d.EasyPassRate, float64(lo)), d.EasyPassRate), true
		}), hi, lo, p.PromptsPerStep, p.Steps)
}
