package demo

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/rl"
)

// The decision rules. Every finding's verdict is computed from measured
// numbers by the rule written beside it; the rule's text goes into the
// results with the numbers, so a reader can re-check it. Nothing is tuned
// after the fact: a finding that does not reproduce is reported as "no".
//
// Two runs' Mean@k (or Pass@k) count as tied when they differ by less than
// their tolerance: 1.96 standard errors of the paired per-problem
// difference (metrics.Paired over the same evaluation problems), a
// two-sided 95% band for evaluation noise. It covers the sampling of the
// evaluation, not the randomness of training: one training seed per run.
// Results without per-problem scores (written by an older terse) fall back
// to one worst-case standard error of a single share, 0.5/√(samples).
//
// A length counts as changed when it moves by more than lengthBand (5%).
const lengthBand = 0.05

// zPaired is the two-sided 95% normal quantile used for paired tolerances.
const zPaired = 1.96

// tolerance is 0.5/√samples, the standard error of a share at p = 0.5.
func tolerance(samples int) float64 {
	if samples < 1 {
		return 1
	}
	return 0.5 / math.Sqrt(float64(samples))
}

// tol is the tolerance for comparing runs a and b on bench at budget:
// Mean@k, or Pass@k when pass (see above).
func (j *judge) tol(a, b *RunResult, bench string, budget int, pass bool) float64 {
	x, okA := a.at(bench, budget)
	y, okB := b.at(bench, budget)
	pa, pb := x.PerProblem, y.PerProblem
	if pass {
		pa, pb = x.PerProblemPass, y.PerProblemPass
	}
	if okA && okB && len(pa) >= 2 && len(pa) == len(pb) {
		if _, se := metrics.Paired(pa, pb); !math.IsNaN(se) {
			return zPaired * se
		}
	}
	pr, k := samples(a, bench)
	if pass {
		k = 1
	}
	return tolerance(pr * k)
}

// judge collects a verdict's numbers and failures to decide.
type judge struct {
	r       *Results
	numbers map[string]float64
	missing []string
}

func newJudge(r *Results) *judge { return &judge{r: r, numbers: map[string]float64{}} }

// run returns a finished run, or records it as missing.
func (j *judge) run(name string) *RunResult {
	rr := j.r.run(name)
	if rr == nil || rr.Status != StatusOK {
		why := "not run"
		if rr != nil {
			why = "failed: " + rr.Error
		}
		j.missing = append(j.missing, fmt.Sprintf("run %s %s", name, why))
		return nil
	}
	return rr
}

// metric returns a run's BudgetResult on a benchmark at a budget, or
// records it as missing.
func (j *judge) metric(rr *RunResult, bench string, budget int) BudgetResult {
	if rr == nil {
		return BudgetResult{MeanAtK: math.NaN(), PassAtK: math.NaN(), MeanLength: math.NaN()}
	}
	b, ok := rr.at(bench, budget)
	if !ok {
		j.missing = append(j.missing, fmt.Sprintf("%s has no %s ladder at budget %d", rr.Name, bench, budget))
		return BudgetResult{MeanAtK: math.NaN(), PassAtK: math.NaN(), MeanLength: math.NaN()}
	}
	return b
}

// samples is problems·k of a run's ladder on a benchmark.
func samples(rr *RunResult, bench string) (problems, k int) {
	if rr == nil {
		return 0, 0
	}
	for _, b := range rr.Final {
		if b.Benchmark == bench {
			return b.Problems, b.K
		}
	}
	return 0, 0
}

// verdict finishes a verdict; any missing input makes it inconclusive.
func (j *judge) verdict(reproduced, rule, evidence string) Verdict {
	if len(j.missing) > 0 {
		reproduced = Inconclusive
		evidence = "Cannot decide: " + strings.Join(j.missing, "; ") + "."
	}
	return Verdict{Reproduced: reproduced, Rule: rule, Evidence: evidence, Numbers: j.numbers}
}

// decideDynamics: finding 1, from rl.Diagnose of the baseline's step log.
func decideDynamics(r *Results) Verdict {
	const rule = "yes when rl.Diagnose finds both Stage I (length falls ≥ 30% from its initial level) and Stage II (a length plateau within ±20% over which held-out accuracy does not drop by ≥ 0.05); no when the length does not fall by 30%; inconclusive when it falls but no plateau follows within the run, or the run has under 10 steps"
	j := newJudge(r)
	rr := j.run(Baseline)
	if rr == nil || rr.Dynamics == nil {
		return j.verdict(Inconclusive, rule, "")
	}
	d := rr.Dynamics
	j.numbers["steps"] = float64(d.LastStep)
	if rr.Summary != nil {
		j.numbers["length_start"], j.numbers["length_end"] = rr.Summary.LengthStart, rr.Summary.LengthEnd
	}
	a, okA := d.Find(rl.StageAdaptation)
	b, okB := d.Find(rl.StageRefinement)
	for k, v := range a.Evidence {
		j.numbers["stage1_"+k] = v
	}
	for k, v := range b.Evidence {
		j.numbers["stage2_"+k] = v
	}
	if okB {
		j.numbers["stage_boundary_step"] = float64(d.RefinementStart)
	}
	switch {
	case d.Steps < 11:
		return j.verdict(Inconclusive, rule, fmt.Sprintf("Only %d training steps: too few to see the dynamics.", d.LastStep))
	case okA && okB:
		return j.verdict(Yes, rule, fmt.Sprintf("Reproduced: %s; then %s (stage boundary at step %d).", a.Summary, b.Summary, d.RefinementStart))
	case okA:
		return j.verdict(Inconclusive, rule, fmt.Sprintf("Stage I only: %s; no reasoning-refinement plateau within %d steps. %s", a.Summary, d.LastStep, strings.Join(d.Notes, " ")))
	default:
		return j.verdict(No, rule, fmt.Sprintf("Not reproduced: the training length did not fall by 30%% (%.0f → %.0f tokens over %d steps).",
			j.numbers["length_start"], j.numbers["length_end"], d.LastStep))
	}
}

// decideRewards: finding 2, Mean@k of the four shapes at the smallest and
// the largest budget of the in-domain ladder.
func decideRewards(r *Results) Verdict {
	const rule = "two parts on the in-domain ladder: (a) Kimi wins at the smallest budget — yes when its Mean@k is strictly above every other shape's, no when it is below the best other by more than the tolerance, else inconclusive; (b) Kimi does not win at the largest budget — yes when its Mean@k is below the best other shape's by more than the tolerance, no when it is at least the best other's, else inconclusive. The finding is yes when both parts are yes, no when either is no, otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	sm, lg := p.Budgets[0], p.Budgets[len(p.Budgets)-1]
	names := []string{Unified, runKimi, runLaser, runLaserD}
	small, large := map[string]float64{}, map[string]float64{}
	var runs []*RunResult
	for _, n := range names {
		rr := j.run(n)
		runs = append(runs, rr)
		small[n], large[n] = j.metric(rr, bench, sm).MeanAtK, j.metric(rr, bench, lg).MeanAtK
		j.numbers[n+"_mean_at_k_"+itoa(sm)], j.numbers[n+"_mean_at_k_"+itoa(lg)] = small[n], large[n]
	}
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	bestOther := func(m map[string]float64) (string, float64) {
		bn, bv := "", math.Inf(-1)
		for _, n := range names {
			if n != runKimi && m[n] > bv {
				bn, bv = n, m[n]
			}
		}
		return bn, bv
	}
	winner := func(m map[string]float64) string {
		bn, bv := "", math.Inf(-1)
		for _, n := range names {
			if m[n] > bv {
				bn, bv = n, m[n]
			}
		}
		return bn
	}
	// Balance: each shape's mean rank over the ladder (1 = best).
	rank := map[string]float64{}
	for _, b := range p.Budgets {
		for _, n := range names {
			v := j.metric(runs[slices.Index(names, n)], bench, b).MeanAtK
			better := 0
			for _, m := range names {
				if j.metric(runs[slices.Index(names, m)], bench, b).MeanAtK > v {
					better++
				}
			}
			rank[n] += float64(better+1) / float64(len(p.Budgets))
		}
	}
	for _, n := range names {
		j.numbers[n+"_mean_rank"] = rank[n]
	}
	balanced := !slices.ContainsFunc(names, func(n string) bool { return rank[n] < rank[Unified] })
	sn, so := bestOther(small)
	ln, ol := bestOther(large)
	kimi := runs[slices.Index(names, runKimi)]
	tolS := j.tol(kimi, runs[slices.Index(names, sn)], bench, sm, false)
	tolL := j.tol(kimi, runs[slices.Index(names, ln)], bench, lg, false)
	j.numbers["tolerance_"+itoa(sm)], j.numbers["tolerance_"+itoa(lg)] = tolS, tolL
	text := fmt.Sprintf("At budget %d the best shape is %s (Kimi %.3f vs best other %.3f, tolerance %.3f); at budget %d it is %s (Kimi %.3f vs %s %.3f, tolerance %.3f). Truncation's mean rank over the ladder is %.2f (%s).",
		sm, winner(small), small[runKimi], so, tolS, lg, winner(large), large[runKimi], ln, ol, tolL, rank[Unified],
		map[bool]string{true: "the most balanced", false: "not the most balanced"}[balanced])
	a, b := Inconclusive, Inconclusive
	switch {
	case small[runKimi] > so:
		a = Yes
	case small[runKimi] < so-tolS:
		a = No
	}
	switch {
	case large[runKimi] < ol-tolL:
		b = Yes
	case large[runKimi] >= ol:
		b = No
	}
	text += fmt.Sprintf(" Parts: (a) %s, (b) %s.", a, b)
	switch {
	case !(slices.Max([]float64{small[Unified], small[runKimi], small[runLaser], small[runLaserD]}) > 0):
		return j.verdict(Inconclusive, rule, fmt.Sprintf("No shape answers anything within %d tokens. %s", sm, text))
	case a == Yes && b == Yes:
		return j.verdict(Yes, rule, "Reproduced: Kimi wins at the smallest budget and loses its lead at the largest. "+text)
	case a == No || b == No:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Differences within noise. "+text)
	}
}

// decideDifficulty: finding 3, Easy-only (the baseline) vs Hard-only vs Full.
func decideDifficulty(r *Results) Verdict {
	const rule = "yes when Hard-only ends clearly worse than Easy-only (Mean@k at the largest budget lower by more than the tolerance, or rl.Diagnose finds a length collapse) AND Easy-only is not worse than Full (within the tolerance); no when Hard-only is not worse than Easy-only at all, or Easy-only is worse than Full by more than the tolerance; otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	lg := p.Budgets[len(p.Budgets)-1]
	easy, hard, full := j.run(Baseline), j.run(runHard), j.run(runFull)
	e, h, f := j.metric(easy, bench, lg), j.metric(hard, bench, lg), j.metric(full, bench, lg)
	if r.Difficulty != nil {
		j.numbers["easy_prompts"], j.numbers["hard_prompts"] = float64(r.Difficulty.Easy), float64(r.Difficulty.Hard)
	}
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	tolHE, tolEF := j.tol(hard, easy, bench, lg, false), j.tol(easy, full, bench, lg, false)
	collapse := hard.Dynamics != nil && hard.Dynamics.Has(rl.LengthCollapse)
	j.numbers["tolerance_hard_easy"], j.numbers["tolerance_easy_full"] = tolHE, tolEF
	j.numbers["easy_mean_at_k"], j.numbers["hard_mean_at_k"], j.numbers["full_mean_at_k"] = e.MeanAtK, h.MeanAtK, f.MeanAtK
	j.numbers["hard_length_collapse"] = b2f(collapse)
	for name, rr := range map[string]*RunResult{"easy": easy, "hard": hard, "full": full} {
		if rr.Summary != nil {
			j.numbers[name+"_entropy_max"], j.numbers[name+"_entropy_start"] = rr.Summary.EntropyMax, rr.Summary.EntropyStart
			j.numbers[name+"_length_end"] = rr.Summary.LengthEnd
		}
	}
	text := fmt.Sprintf("Mean@k at budget %d: Easy %.3f, Hard %.3f, Full %.3f (tolerances Hard–Easy %.3f, Easy–Full %.3f); Hard-only length collapse: %s; entropy max Easy %.2f, Hard %.2f.",
		lg, e.MeanAtK, h.MeanAtK, f.MeanAtK, tolHE, tolEF, map[bool]string{true: "yes", false: "no"}[collapse], j.numbers["easy_entropy_max"], j.numbers["hard_entropy_max"])
	hardWorse := h.MeanAtK < e.MeanAtK-tolHE || collapse
	switch {
	case hardWorse && e.MeanAtK >= f.MeanAtK-tolEF:
		return j.verdict(Yes, rule, "Reproduced: Hard-only does worse, Easy-only matches or beats Full. "+text)
	case (h.MeanAtK >= e.MeanAtK && !collapse) || e.MeanAtK < f.MeanAtK-tolEF:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Differences within noise. "+text)
	}
}

// decideRolloutLimit: finding 4, L_R = L_T (baseline) vs L_R = 4·L_T.
func decideRolloutLimit(r *Results) Verdict {
	const rule = "yes when the L_R = L_T run's final mean length (largest budget) is more than 5% shorter than the long-limit run's AND its Mean@k at budget L_T (or the nearest budget above) is not lower by more than the tolerance; no when it is more than 5% longer or its Mean@k is lower by more than the tolerance; otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	lg := p.Budgets[len(p.Budgets)-1]
	at := lg
	for _, b := range p.Budgets {
		if b >= p.TargetLen {
			at = b
			break
		}
	}
	short, long := j.run(Baseline), j.run(Unified)
	sl, ll := j.metric(short, bench, lg), j.metric(long, bench, lg)
	sa, la := j.metric(short, bench, at), j.metric(long, bench, at)
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	tol := j.tol(short, long, bench, at, false)
	j.numbers["tolerance"] = tol
	j.numbers["equal_length"], j.numbers["long_length"] = sl.MeanLength, ll.MeanLength
	j.numbers["equal_mean_at_k_"+itoa(at)], j.numbers["long_mean_at_k_"+itoa(at)] = sa.MeanAtK, la.MeanAtK
	if short.Summary != nil && long.Summary != nil {
		j.numbers["equal_neg_length_end"], j.numbers["long_neg_length_end"] = short.Summary.LengthNegEnd, long.Summary.LengthNegEnd
	}
	text := fmt.Sprintf("Final mean length %.0f (L_R = L_T) vs %.0f (L_R = %d·L_T); Mean@k at budget %d: %.3f vs %.3f (tolerance %.3f); training length of negatives at the end: %.0f vs %.0f.",
		sl.MeanLength, ll.MeanLength, p.LongLimit, at, sa.MeanAtK, la.MeanAtK, tol, j.numbers["equal_neg_length_end"], j.numbers["long_neg_length_end"])
	switch {
	case sl.MeanLength < ll.MeanLength*(1-lengthBand) && sa.MeanAtK >= la.MeanAtK-tol:
		return j.verdict(Yes, rule, "Reproduced: L_R = L_T is shorter at equal or better accuracy. "+text)
	case sl.MeanLength > ll.MeanLength*(1+lengthBand) || sa.MeanAtK < la.MeanAtK-tol:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Lengths within 5%. "+text)
	}
}

// decideGroupSize: finding 5, N from smallest to largest.
func decideGroupSize(r *Results) Verdict {
	const rule = "yes when the largest N's length falls faster than the smallest N's (relative drop by the middle step, larger by more than 0.05) AND its Mean@k at the largest budget is higher by more than the tolerance AND its Pass@k moves by at most the tolerance; no when the largest N adapts slower (drop smaller by more than 0.05) or its Mean@k is lower by more than the tolerance; otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	lg := p.Budgets[len(p.Budgets)-1]
	sizes := slices.Clone(p.GroupSizes)
	slices.Sort(sizes)
	var parts []string
	for _, n := range sizes {
		rr := j.run(groupRun(p, n))
		m := j.metric(rr, bench, lg)
		key := "n" + itoa(n)
		j.numbers[key+"_mean_at_k"], j.numbers[key+"_pass_at_k"] = m.MeanAtK, m.PassAtK
		if rr != nil && rr.Summary != nil {
			j.numbers[key+"_halfway_drop"] = rr.Summary.HalfwayDrop
			j.numbers[key+"_length_end"] = rr.Summary.LengthEnd
		}
		parts = append(parts, fmt.Sprintf("N = %d: length drop by mid-run %.0f%%, Mean@k %.3f, Pass@k %.3f", n, 100*j.numbers[key+"_halfway_drop"], m.MeanAtK, m.PassAtK))
	}
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	lo, hi := "n"+itoa(sizes[0]), "n"+itoa(sizes[len(sizes)-1])
	small, large := r.run(groupRun(p, sizes[0])), r.run(groupRun(p, sizes[len(sizes)-1]))
	tol, tolPass := j.tol(large, small, bench, lg, false), j.tol(large, small, bench, lg, true)
	j.numbers["tolerance"], j.numbers["tolerance_pass"] = tol, tolPass
	dDrop := j.numbers[hi+"_halfway_drop"] - j.numbers[lo+"_halfway_drop"]
	dMean := j.numbers[hi+"_mean_at_k"] - j.numbers[lo+"_mean_at_k"]
	dPass := j.numbers[hi+"_pass_at_k"] - j.numbers[lo+"_pass_at_k"]
	text := strings.Join(parts, "; ") + fmt.Sprintf(". Largest vs smallest N: drop %+.2f, Mean@k %+.3f, Pass@k %+.3f (tolerances %.3f, %.3f).", dDrop, dMean, dPass, tol, tolPass)
	switch {
	case dDrop > 0.05 && dMean > tol && math.Abs(dPass) <= tolPass:
		return j.verdict(Yes, rule, "Reproduced: more rollouts adapt faster with higher Mean@k and stable Pass@k. "+text)
	case dDrop < -0.05 || dMean < -tol:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Differences within noise. "+text)
	}
}

// decideMasking: finding 6, three sub-claims about the masking variants.
func decideMasking(r *Results) Verdict {
	const rule = "three sub-claims, each yes/no/inconclusive: (a) −I and −L&C−S&I fall into the short-is-correct trap (rl.Diagnose: short_is_correct_trap, or entropy explosion with length collapse) — yes when both do, inconclusive when not observed (the paper sees it after ~400 steps); (b) −L&C−L&I ends with a training length more than 5% above truncation's (yes) or more than 5% below (no); (c) −L&C ends more than 5% longer than truncation with Mean@k at the largest budget not lower by more than the tolerance (yes), or shorter by 5% or less accurate (no). The finding is yes when all three are yes, no when any is no, otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	lg := p.Budgets[len(p.Budgets)-1]
	base, mi, lc, lcsi, lcli := j.run(Unified), j.run(runMaskI), j.run(runMaskLC), j.run(runMaskLCSI), j.run(runMaskLCLI)
	bm, lcm := j.metric(base, bench, lg), j.metric(lc, bench, lg)
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	trapped := func(rr *RunResult) bool {
		d := rr.Dynamics
		return d != nil && (d.Has(rl.ShortIsCorrectTrap) || (d.Has(rl.EntropyExplosion) && d.Has(rl.LengthCollapse)))
	}
	tol := j.tol(lc, base, bench, lg, false)
	j.numbers["tolerance"] = tol
	for name, rr := range map[string]*RunResult{"truncation": base, "I": mi, "LC": lc, "LC_SI": lcsi, "LC_LI": lcli} {
		j.numbers[name+"_trap"] = b2f(trapped(rr))
		if rr.Summary != nil {
			j.numbers[name+"_length_end"] = rr.Summary.LengthEnd
			j.numbers[name+"_entropy_max"] = rr.Summary.EntropyMax
		}
	}
	j.numbers["truncation_mean_at_k"], j.numbers["LC_mean_at_k"] = bm.MeanAtK, lcm.MeanAtK
	bl := j.numbers["truncation_length_end"]

	var a, b, c string
	switch {
	case trapped(mi) && trapped(lcsi):
		a = Yes
	default:
		a = Inconclusive
	}
	lcliLen := j.numbers["LC_LI_length_end"]
	switch {
	case lcliLen > bl*(1+lengthBand):
		b = Yes
	case lcliLen < bl*(1-lengthBand):
		b = No
	default:
		b = Inconclusive
	}
	lcLen := j.numbers["LC_length_end"]
	switch {
	case lcLen > bl*(1+lengthBand) && lcm.MeanAtK >= bm.MeanAtK-tol:
		c = Yes
	case lcLen < bl*(1-lengthBand) || lcm.MeanAtK < bm.MeanAtK-tol:
		c = No
	default:
		c = Inconclusive
	}
	text := fmt.Sprintf("(a) trap: −I %s, −L&C−S&I %s (truncation %s) → %s; (b) −L&C−L&I training length at the end %.0f vs truncation %.0f → %s; (c) −L&C length %.0f vs %.0f, Mean@k %.3f vs %.3f (tolerance %.3f) → %s.",
		yn(trapped(mi)), yn(trapped(lcsi)), yn(trapped(base)), a, lcliLen, bl, b, lcLen, bl, lcm.MeanAtK, bm.MeanAtK, tol, c)
	subs := []string{a, b, c}
	switch {
	case slices.Contains(subs, No):
		return j.verdict(No, rule, "Not reproduced (at least one sub-claim contradicted). "+text)
	case !slices.Contains(subs, Inconclusive):
		return j.verdict(Yes, rule, "Reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Partly unobserved. "+text)
	}
}

// decideTransfer: finding 7, the baseline (trained on one family) against
// the base model on the other families.
func decideTransfer(r *Results) Verdict {
	const rule = "for every family not trained on, at the largest budget: yes when the trained model's mean length is more than 5% below the base model's AND its Mean@k is not lower by more than the tolerance; no when on any family the length does not fall at all or Mean@k is lower by more than the tolerance on any family; otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	lg := p.Budgets[len(p.Budgets)-1]
	tr := j.run(Baseline)
	base := r.Base
	if base == nil || base.Status != StatusOK {
		j.missing = append(j.missing, "base model ladder missing")
	}
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	yes, no := true, false
	var parts []string
	for _, f := range otherFamilies(p) {
		bench := "lab-" + f
		b, t := j.metric(base, bench, lg), j.metric(tr, bench, lg)
		if len(j.missing) > 0 {
			return j.verdict(Inconclusive, rule, "")
		}
		tol := j.tol(tr, base, bench, lg, false)
		change := t.MeanLength/b.MeanLength - 1
		j.numbers[f+"_length_change"], j.numbers[f+"_base_mean_at_k"], j.numbers[f+"_trained_mean_at_k"] = change, b.MeanAtK, t.MeanAtK
		j.numbers[f+"_base_length"], j.numbers[f+"_trained_length"], j.numbers[f+"_tolerance"] = b.MeanLength, t.MeanLength, tol
		parts = append(parts, fmt.Sprintf("%s: length %.0f → %.0f (%+.0f%%), Mean@k %.3f → %.3f (tolerance %.3f)", bench, b.MeanLength, t.MeanLength, 100*change, b.MeanAtK, t.MeanAtK, tol))
		if !(change < -lengthBand && t.MeanAtK >= b.MeanAtK-tol) {
			yes = false
		}
		if !(change < 0) || t.MeanAtK < b.MeanAtK-tol {
			no = true
		}
	}
	text := fmt.Sprintf("Trained on %s, at budget %d: %s.", p.TrainFamily, lg, strings.Join(parts, "; "))
	switch {
	case yes:
		return j.verdict(Yes, rule, "Reproduced: the length bias transfers. "+text)
	case no:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Small changes. "+text)
	}
}

// decideSummary: finding 8, base vs trained on the in-domain benchmark.
func decideSummary(r *Results) Verdict {
	const rule = "on the in-domain benchmark at the largest budget: yes when the mean length falls by more than 10% AND Mean@k is not lower by more than the tolerance; no when the length falls by less than 5% or Mean@k is lower by more than the tolerance; otherwise inconclusive"
	j := newJudge(r)
	p := r.Profile
	bench := inDomain(p)
	lg := p.Budgets[len(p.Budgets)-1]
	tr := j.run(Baseline)
	if r.Base == nil || r.Base.Status != StatusOK {
		j.missing = append(j.missing, "base model ladder missing")
	}
	b, t := j.metric(r.Base, bench, lg), j.metric(tr, bench, lg)
	if len(j.missing) > 0 {
		return j.verdict(Inconclusive, rule, "")
	}
	tol := j.tol(tr, r.Base, bench, lg, false)
	change := t.MeanLength/b.MeanLength - 1
	j.numbers["tolerance"], j.numbers["length_change"] = tol, change
	j.numbers["base_length"], j.numbers["trained_length"] = b.MeanLength, t.MeanLength
	j.numbers["base_mean_at_k"], j.numbers["trained_mean_at_k"] = b.MeanAtK, t.MeanAtK
	j.numbers["base_pass_at_k"], j.numbers["trained_pass_at_k"] = b.PassAtK, t.PassAtK
	text := fmt.Sprintf("%s at budget %d: length %.0f → %.0f (%+.1f%%), Mean@k %.3f → %.3f, Pass@k %.3f → %.3f (tolerance %.3f).",
		bench, lg, b.MeanLength, t.MeanLength, 100*change, b.MeanAtK, t.MeanAtK, b.PassAtK, t.PassAtK, tol)
	switch {
	case change < -0.10 && t.MeanAtK >= b.MeanAtK-tol:
		return j.verdict(Yes, rule, "Reproduced: shorter at equal or better Mean@k. "+text)
	case change > -lengthBand || t.MeanAtK < b.MeanAtK-tol:
		return j.verdict(No, rule, "Not reproduced. "+text)
	default:
		return j.verdict(Inconclusive, rule, "Length fell by 5–10%. "+text)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func yn(b bool) string {
	if b {
		return "trapped"
	}
	return "not trapped"
}
