package demo

import (
	"fmt"
	"strconv"
	"strings"
)

// Finding 2 (PAPER.md §5.2): conclusions depend on the budget. The shapes
// are compared under the unified protocol (L_R = LongLimit·L_T): with
// L_R = L_T no finished rollout is longer than L_T and Laser would coincide
// with truncation by construction.
func findingBudget(p Profile) Finding {
	sm, lg := ladderEnds(p)
	return Finding{
		ID: 2, Name: "rewards", Title: "Budget dependence of reward shapes (unified protocol, L_R = " + strconv.Itoa(p.LongLimit) + "·L_T)",
		Claim: fmt.Sprintf("Which reward wins depends on the budget: (a) Kimi-1.5 has the highest Mean@k at the smallest budget (%d); (b) at the largest budget (%d) it falls below truncation (its ceiling drops); (c) truncation is the most balanced across the ladder: its Mean@k averaged over the budgets is above Kimi-1.5's and at least as high (higher, or equal within the margin) as Laser's and Laser-D's.", sm, lg),
		Runs:  []string{Unified, runKimi, runLaser, runLaserD},
		Rule: "Paired per-problem Mean@k on the in-domain ladder, pooled over seeds (SeedRule). " +
			"(a) yes when Kimi beats each of truncation, Laser and Laser-D at the smallest budget beyond the 95% band; no when any of them beats Kimi there beyond the band or is equivalent to it (90% band inside ±0.05); else inconclusive. " +
			"(b) yes when truncation beats Kimi at the largest budget beyond the 95% band; no when Kimi beats truncation there or the two are equivalent; else inconclusive. " +
			"(c) on each problem's Mean@k averaged over the ladder's budgets: yes when truncation beats Kimi beyond the band and beats or is equivalent to each of Laser and Laser-D; no when Kimi beats or equals truncation, or Laser or Laser-D beats truncation beyond the band; else inconclusive. " +
			"A budget at which every run scores 0 on every problem cannot decide (inconclusive).",
		Margins: []Margin{mMeanAtK},
		clauses: budgetClauses,
		labDiff: budgetLabDiff,
	}
}

// shapeLabels names the runs of finding 2 in its evidence.
var shapeLabels = map[string]string{Unified: "truncation", runKimi: "Kimi", runLaser: "Laser", runLaserD: "Laser-D"}

func budgetClauses(j *judge) {
	p := j.profile()
	bench := inDomain(p)
	sm, lg := ladderEnds(p)
	others := []string{Unified, runLaser, runLaserD}

	// (a) Kimi best at the smallest budget.
	var outs, parts []string
	for _, x := range others {
		c := j.cmp("kimi_vs_"+x+"_"+itoa(sm), runKimi, x, bench, sm, meanAtK)
		o := Inconclusive
		switch {
		case c.beats():
			o = Yes
		case c.loses() || c.equivalent(MarginMeanAtK):
			o = No
		}
		outs = append(outs, o)
		parts = append(parts, fmt.Sprintf("Kimi − %s %s", shapeLabels[x], c))
	}
	j.clause("a", fmt.Sprintf("Kimi-1.5 has the highest Mean@k at budget %d", sm), allOf(outs),
		fmt.Sprintf("at budget %d: %s.", sm, strings.Join(parts, "; ")))

	// (b) Kimi below truncation at the largest budget.
	c := j.cmp("truncation_vs_kimi_"+itoa(lg), Unified, runKimi, bench, lg, meanAtK)
	j.clause("b", fmt.Sprintf("Kimi-1.5 falls below truncation at budget %d", lg), better(c, MarginMeanAtK, false),
		fmt.Sprintf("at budget %d: truncation − Kimi %s.", lg, c))

	// (c) Truncation the most balanced.
	outs, parts = nil, nil
	for _, x := range []string{runKimi, runLaser, runLaserD} {
		c := j.cmp("truncation_vs_"+x+"_ladder", Unified, x, bench, ladderMean, meanAtK)
		o := atLeast(c, MarginMeanAtK, false)
		if x == runKimi {
			o = better(c, MarginMeanAtK, false)
		}
		outs = append(outs, o)
		parts = append(parts, fmt.Sprintf("truncation − %s %s", shapeLabels[x], c))
	}
	j.clause("c", "truncation is the most balanced: its ladder-average Mean@k is above Kimi-1.5's and at least Laser's and Laser-D's", allOf(outs),
		"Mean@k averaged over the ladder: "+strings.Join(parts, "; ")+".")
}

// budgetLabDiff: the lab's ladder and runs are short.
func budgetLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	sm, lg := ladderEnds(p)
	bench := inDomain(p)
	return fmt.Sprintf("The lab's ladder is %d–%d tokens (the paper's 2k–32k) and its runs last %d steps (the paper's ~800; its Kimi-1.5 ceiling loss, MATH-500 Mean@8 ≈0.85 → ≈0.69 at 32k, is measured after the whole run). Mean@k at budgets %d / %d, truncation (L_R = %d·L_T) against Kimi-1.5: %s.",
		sm, lg, p.Steps, sm, lg, p.LongLimit,
		perSeed(seeds, func(r *Results) (string, bool) {
			ts, ok1 := finalAt(r, Unified, bench, sm)
			tl, ok2 := finalAt(r, Unified, bench, lg)
			ks, ok3 := finalAt(r, runKimi, bench, sm)
			kl, ok4 := finalAt(r, runKimi, bench, lg)
			if !(ok1 && ok2 && ok3 && ok4) {
				return "", false
			}
			return fmt.Sprintf("%.3f / %.3f vs %.3f / %.3f", ts.MeanAtK, tl.MeanAtK, ks.MeanAtK, kl.MeanAtK), true
		}))
}
