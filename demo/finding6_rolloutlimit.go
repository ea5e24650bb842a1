package demo

import (
	"fmt"
)

// Finding 6 (PAPER.md §5.6): L_R = L_T against the unified protocol's
// L_R = LongLimit·L_T.
func findingRolloutLimit(p Profile) Finding {
	_, lg := ladderEnds(p)
	return Finding{
		ID: 6, Name: "rollout-limit", Title: fmt.Sprintf("Rollout limit: L_R = L_T vs L_R = %d·L_T", p.LongLimit),
		Claim: fmt.Sprintf("Setting the rollout limit to the target (L_R = L_T = %d rather than %d) gives the better trade-off: (a) negatives become short too; (b) outputs end shorter; (c) at equal or better accuracy (Mean@k, budget %d).", p.TargetLen, p.LongLimit*p.TargetLen, lg),
		Runs:  []string{Baseline, Unified},
		Rule: "(a) per seed, the mean training length of negative rollouts over the last quarter of the steps (StepSummary.length_neg_end): yes when the L_R = L_T run's is more than 10% below the long-limit run's, no when it is not below it at all, else inconclusive (also without negatives or with fewer than 10 steps); counts when every seed agrees. " +
			"(b) paired per-problem lengths on the in-domain benchmark at the largest budget (log of each problem's mean length), pooled over seeds (SeedRule): yes when L_R = L_T is shorter beyond the 95% band; no when it is longer beyond the band or equivalent (90% band of the length ratio inside ±5%); else inconclusive. " +
			"(c) paired per-problem Mean@k there: yes when L_R = L_T beats the long limit beyond the band or the two are equivalent (90% band inside ±0.05); no when it is lower beyond the band; else inconclusive.",
		Margins: []Margin{mNegLength, mLength, mMeanAtK},
		clauses: rolloutLimitClauses,
		labDiff: rolloutLimitLabDiff,
	}
}

func rolloutLimitClauses(j *judge) {
	p := j.profile()
	bench := inDomain(p)
	_, lg := ladderEnds(p)

	j.stepClause("a", "negatives become short too (training length of negatives)", []string{Baseline, Unified},
		func(s int, rs []*RunResult) (string, string) {
			ns, nl := rs[0].Summary.LengthNegEnd, rs[1].Summary.LengthNegEnd
			if !(ns > 0 && nl > 0) {
				return Inconclusive, "no negative rollouts logged at the end"
			}
			r := ns / nl
			j.numbers[j.seedKey(s)+"neg_length_ratio"] = r
			text := fmt.Sprintf("negatives %.0f vs %.0f tokens (%+.0f%%)", ns, nl, 100*(r-1))
			switch {
			case r < 1-MarginNegLength:
				return Yes, text
			case r >= 1:
				return No, text
			}
			return Inconclusive, text
		})

	c := j.cmp("length_equal_vs_long", Baseline, Unified, bench, lg, logLength)
	j.clause("b", "outputs end shorter with L_R = L_T", better(c, logMargin(MarginLength), true),
		fmt.Sprintf("length L_R = L_T / long limit at budget %d: %s.", lg, c.relString()))
	c = j.cmp("mean_at_k_equal_vs_long", Baseline, Unified, bench, lg, meanAtK)
	j.clause("c", "Mean@k equal or better with L_R = L_T", atLeast(c, MarginMeanAtK, false),
		fmt.Sprintf("Mean@k L_R = L_T − long limit at budget %d: %s.", lg, c))
}

// rolloutLimitLabDiff: the lab's policy rarely writes past L_T, so the
// long limit sees nearly the same rollouts as L_R = L_T.
func rolloutLimitLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	bench := inDomain(p)
	over := func(run string) func(r *Results) (string, bool) {
		return func(r *Results) (string, bool) {
			b, ok := finalAt(r, run, bench, p.TargetLen)
			if !ok {
				return "", false
			}
			return fmt.Sprintf("%.1f%%", 100*b.TruncationRate), true
		}
	}
	return fmt.Sprintf("With L_R = %d the lab's policy soon stops writing past L_T: after training, the share of the long-limit run's held-out outputs (%s) longer than L_T = %d was %s (the base model's: %s). The paper's base writes ≈6k-token traces against L_T = 4k (PAPER.md §6), so under its 16k limit many negatives are long and L_R = L_T shortens them; in the lab few rollouts exceed L_T after the first steps under either limit, so the two limits train on nearly the same rollouts.",
		p.LongLimit*p.TargetLen, bench, p.TargetLen, perSeed(seeds, over(Unified)), perSeed(seeds, over(baseRun)))
}
