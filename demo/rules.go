package demo

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The verdict rules: how each finding (finding1_*.go … finding8_*.go) is
// decided from measured numbers. The rules and their margins were fixed
// before the runs they judge and are not changed to obtain a verdict; a
// change of rule goes into the commit message and the README with its
// reason.
//
// A finding's claim is split into clauses, every one of them tested; a
// clause is yes, no or inconclusive, and the finding is
//
//	yes           when every clause is yes,
//	no            when any clause is no,
//	inconclusive  otherwise, and whenever a run it needs is missing or failed.
//
// Clauses are of three kinds:
//
//   - Paired comparisons of two runs over the evaluation problems (Mean@k,
//     Pass@k or length), pooled over seeds (stats.go): "A beats B" needs the
//     difference beyond its 95% band; "A equals B" / "barely moves" needs
//     equivalence against a margin δ fixed in advance (the 90% band inside
//     ±δ); "no" needs the opposite effect beyond the band, or equivalence
//     where the claim asserts a difference. Equivalence takes precedence:
//     a difference inside ±δ counts as equal even when its band excludes 0,
//     so it is "no" for "A is better" and "yes" for "A is equal or better".
//   - Events that rl.Diagnose detects in a run's step log (stages, traps,
//     collapses), and
//   - thresholds on step-log means (the relative fall of the training
//     length, the length of negatives): a run's training curve has no
//     per-problem pairing, so these use a fixed margin and count only when
//     every seed agrees.
//
// Lengths are compared on the final ladder at the largest budget, per
// problem: the log of the problem's mean length (tokens, capped at the
// budget), so that the pooled difference is the log of the geometric-mean
// ratio of the lengths and a margin of ±5% is ±log 1.05. A length of 0 is
// degenerate (inconclusive).
//
// SeedRule is the rule across seeds, printed in every report.
const SeedRule = "Across seeds every paired comparison is one test over the evaluation problems: each problem's difference is averaged over the seeds, and the band of the mean uses the larger of two standard errors, the problem-level one (paired over problems) and the seed-level one (spread of the seeds' mean differences / √seeds), with the t quantile for problems − 1 degrees of freedom. A difference counts only when it is beyond its 95% band and every seed's own mean difference has the same sign; an equivalence only when the 90% band lies inside ±δ and every seed's mean difference too, and a difference inside ±δ counts as equal, never as better. Events in the step logs (stages, traps, instabilities) and step-log thresholds count only when every seed agrees. A finding is yes when every clause is yes, no when any clause is no, inconclusive otherwise. Each seed's own verdict is the same rule applied to that seed alone."

// The margins of the rules, fixed before the runs. Each finding lists the
// ones it uses in its Verdict.Margins (results.json) and the report prints
// them.
const (
	// MarginMeanAtK is δ for "equal Mean@k": two runs' Mean@k count as
	// equal when the 90% band of their paired difference lies inside
	// ±0.05 (five points of accuracy; the paper calls 65.83 → 67.08 and
	// 45.42 → 46.67 "equal or better" and its effects are 0.1–0.16).
	MarginMeanAtK = 0.05
	// MarginPassAtK is δ for "Pass@k barely moves" (finding 4): ±0.05.
	MarginPassAtK = 0.05
	// MarginLength is δ for "equal length": ±5% in the geometric-mean
	// ratio of per-problem lengths (±log 1.05 on log lengths).
	MarginLength = 0.05
	// MarginShorten is how much shorter "substantially shorter" is
	// (finding 8): the whole 95% band of the length change below −10%
	// (the paper's smallest shortening is −14.5%).
	MarginShorten = 0.10
	// MarginDrop is how much faster "faster adaptation" is (finding 4):
	// the relative fall of the training length by the middle step larger
	// by more than 0.05 (a share of the initial length), in every seed.
	MarginDrop = 0.05
	// MarginNegLength is how much shorter "negatives become short" is
	// (finding 6): the training length of negatives over the last quarter
	// of the steps more than 10% below the long-limit run's, in every seed.
	MarginNegLength = 0.10
	// MarginEntropy is how much "entropy falls" in Stage I (finding 1):
	// the mean entropy of the last quarter of Stage I more than 5% below
	// that of the first steps, in every seed.
	MarginEntropy = 0.05
	// MarginStageAccuracy is the fall of held-out accuracy over Stage II
	// that makes it no reasoning-refinement stage (finding 1): 0.05, as
	// rl.DiagnoseOptions.AccDrop.
	MarginStageAccuracy = 0.05
	// TrapOnsetSteps is the run length after which a missing
	// short-is-correct trap counts against finding 5 (the paper sees it
	// after ~400 steps); shorter runs leave it inconclusive.
	TrapOnsetSteps = 400
	// MinSteps is the fewest training steps (step logs with a length) a
	// run needs for its step-log clauses (rl.Diagnose's own minimum).
	MinSteps = 10
)

// Margin is one margin or threshold of a rule, as results.json records it.
type Margin struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Meaning string  `json:"meaning"`
}

// The margins as the findings list them.
var (
	mMeanAtK   = Margin{"mean_at_k", MarginMeanAtK, "Mean@k counts as equal when the 90% band of the paired difference lies inside ±0.05"}
	mPassAtK   = Margin{"pass_at_k", MarginPassAtK, "Pass@k barely moves when the 90% band of the paired difference lies inside ±0.05"}
	mLength    = Margin{"length", MarginLength, "lengths count as equal when the 90% band of the geometric-mean length ratio lies inside ±5%"}
	mShorten   = Margin{"shorten", MarginShorten, "substantially shorter: the whole 95% band of the length change below −10%"}
	mDrop      = Margin{"length_drop", MarginDrop, "faster adaptation: the training length's relative fall by mid-run larger by more than 0.05, in every seed"}
	mNegLength = Margin{"negative_length", MarginNegLength, "negatives shorter: training length of negatives (last quarter) more than 10% below, in every seed"}
	mEntropy   = Margin{"entropy_fall", MarginEntropy, "entropy falls in Stage I: more than 5% below its initial level, in every seed"}
	mStageAcc  = Margin{"stage2_accuracy", MarginStageAccuracy, "Stage II fails when held-out accuracy falls by more than 0.05 over it"}
	mTrap      = Margin{"trap_onset_steps", TrapOnsetSteps, "a missing short-is-correct trap counts against the claim only in runs of at least 400 steps"}
)

// metric is what a paired comparison compares per problem.
type metric int

const (
	meanAtK   metric = iota // share of correct samples (Mean@k's summand)
	passAtK                 // the problem's Pass@k
	logLength               // log of the problem's mean length in tokens
)

// Clause is one tested part of a finding's claim.
type Clause struct {
	ID         string `json:"id"` // a, b, c…
	Text       string `json:"text"`
	Reproduced string `json:"reproduced"`
	Evidence   string `json:"evidence"`
}

// judge decides one finding over one or more seeds' results.
type judge struct {
	seeds   []*Results
	numbers map[string]float64
	missing []string
	clauses []Clause
}

func newJudge(seeds []*Results) *judge {
	return &judge{seeds: seeds, numbers: map[string]float64{}}
}

// profile is the first seed's sizing (every seed shares it but the seed).
func (j *judge) profile() Profile { return j.seeds[0].Profile }

// baseRun names the base model's ladder in judge calls.
const baseRun = "base"

// runs returns run name in every seed (baseRun: the base ladder), or nil
// after recording what is missing.
func (j *judge) runs(name string) []*RunResult {
	var out []*RunResult
	for _, r := range j.seeds {
		rr := r.runOrBase(name)
		if rr == nil || rr.Status != StatusOK {
			why := "not run"
			if rr != nil {
				why = "failed: " + rr.Error
			}
			j.miss(fmt.Sprintf("run %s %s (seed %d)", name, why, r.Profile.Seed))
			return nil
		}
		out = append(out, rr)
	}
	return out
}

// miss records a missing input once.
func (j *judge) miss(what string) {
	if !slices.Contains(j.missing, what) {
		j.missing = append(j.missing, what)
	}
}

// scores returns run name's per-problem metric on bench at budget, one row
// per seed, or nil after recording what is missing.
func (j *judge) scores(name, bench string, budget int, m metric) [][]float64 {
	rs := j.runs(name)
	if rs == nil {
		return nil
	}
	var out [][]float64
	for _, rr := range rs {
		if budget == ladderMean {
			xs, ok := ladderAverage(rr, bench, j.profile().Budgets, m)
			if !ok {
				j.miss(fmt.Sprintf("%s has no per-problem %s on %s at every budget", name, m, bench))
				return nil
			}
			out = append(out, xs)
			continue
		}
		b, ok := rr.at(bench, budget)
		var xs []float64
		switch m {
		case meanAtK:
			xs = b.PerProblem
		case passAtK:
			xs = b.PerProblemPass
		case logLength:
			for _, l := range b.PerProblemLength {
				if !(l > 0) {
					xs = append(xs, math.NaN())
					continue
				}
				xs = append(xs, math.Log(l))
			}
		}
		if !ok || len(xs) == 0 {
			j.miss(fmt.Sprintf("%s has no per-problem %s on %s at budget %d", name, m, bench, budget))
			return nil
		}
		out = append(out, xs)
	}
	return out
}

// ladderMean as a budget asks for each problem's score averaged over the
// ladder's budgets (the area under its budget curve, budgets evenly
// weighted on the ladder's log scale).
const ladderMean = -1

// ladderAverage is each problem's Mean@k or Pass@k averaged over budgets.
func ladderAverage(rr *RunResult, bench string, budgets []int, m metric) ([]float64, bool) {
	var sum []float64
	for _, budget := range budgets {
		b, ok := rr.at(bench, budget)
		xs := b.PerProblem
		if m == passAtK {
			xs = b.PerProblemPass
		}
		if !ok || len(xs) == 0 || m == logLength || (sum != nil && len(xs) != len(sum)) {
			return nil, false
		}
		if sum == nil {
			sum = make([]float64, len(xs))
		}
		for i, x := range xs {
			sum[i] += x / float64(len(budgets))
		}
	}
	return sum, sum != nil
}

func (m metric) String() string {
	return [...]string{"Mean@k", "Pass@k", "length"}[m]
}

// cmp compares run a with run b on bench at budget and records the numbers
// under key.
func (j *judge) cmp(key, a, b, bench string, budget int, m metric) comparison {
	x, y := j.scores(a, bench, budget, m), j.scores(b, bench, budget, m)
	if x == nil || y == nil {
		return comparison{Diff: math.NaN(), Degenerate: "missing scores"}
	}
	c := compare(x, y)
	if c.ok() {
		j.numbers[key+"_diff"], j.numbers[key+"_lo95"], j.numbers[key+"_hi95"] = c.Diff, c.Lo95, c.Hi95
		j.numbers[key+"_lo90"], j.numbers[key+"_hi90"], j.numbers[key+"_se"] = c.Lo90, c.Hi90, c.SE
	}
	return c
}

// better decides "A is better than B" (or, with wantWorse, "A is worse"):
// no when the two are equivalent within delta (a difference inside the
// margin of practical equality does not count, even when the band excludes
// 0) or A is beyond the 95% band the other way; yes beyond the band in the
// claimed direction; else inconclusive.
func better(c comparison, delta float64, wantWorse bool) string {
	win, lose := c.beats(), c.loses()
	if wantWorse {
		win, lose = lose, win
	}
	switch {
	case lose || c.equivalent(delta):
		return No
	case win:
		return Yes
	default:
		return Inconclusive
	}
}

// atLeast decides "A is at least as good as B" (equal or better; with
// reverse, "equal or lower"): yes when the two are equivalent within delta
// (inside the margin of practical equality a difference counts as equal,
// whichever way the band points, as in better) or A beats B beyond the
// 95% band; no when A loses beyond the band; else inconclusive.
func atLeast(c comparison, delta float64, reverse bool) string {
	win, lose := c.beats(), c.loses()
	if reverse {
		win, lose = lose, win
	}
	switch {
	case c.equivalent(delta) || win:
		return Yes
	case lose:
		return No
	default:
		return Inconclusive
	}
}

// barelyMoves decides "A and B are equal within delta": yes on
// equivalence, no when the difference lies beyond delta with its whole
// 95% band, else inconclusive.
func barelyMoves(c comparison, delta float64) string {
	switch {
	case c.equivalent(delta):
		return Yes
	case c.beyond(delta):
		return No
	default:
		return Inconclusive
	}
}

// agree combines per-seed outcomes of an event or threshold clause: yes
// when every seed says yes, no when every seed says no, else inconclusive.
func agree(per []string) string {
	switch {
	case len(per) == 0:
		return Inconclusive
	case !slices.ContainsFunc(per, func(s string) bool { return s != Yes }):
		return Yes
	case !slices.ContainsFunc(per, func(s string) bool { return s != No }):
		return No
	default:
		return Inconclusive
	}
}

// allOf combines the parts of a clause that must all hold: yes when every
// part is yes, no when any is no, else inconclusive.
func allOf(parts []string) string {
	switch {
	case len(parts) == 0:
		return Inconclusive
	case slices.Contains(parts, No):
		return No
	case agree(parts) == Yes:
		return Yes
	default:
		return Inconclusive
	}
}

// clause records one clause's outcome.
func (j *judge) clause(id, text, outcome, evidence string) {
	j.clauses = append(j.clauses, Clause{ID: id, Text: text, Reproduced: outcome, Evidence: evidence})
}

// verdict combines the clauses (see the top of this file).
func (j *judge) verdict(f Finding) Verdict {
	v := Verdict{Claim: f.Claim, Rule: f.Rule, Numbers: j.numbers, Clauses: j.clauses, Margins: f.Margins, Seeds: len(j.seeds)}
	if len(j.missing) > 0 {
		v.Reproduced = Inconclusive
		v.Evidence = "Cannot decide: " + strings.Join(j.missing, "; ") + "."
		return v
	}
	var outs, parts []string
	for _, c := range j.clauses {
		outs = append(outs, c.Reproduced)
		parts = append(parts, fmt.Sprintf("(%s) %s — %s", c.ID, c.Reproduced, c.Evidence))
	}
	switch {
	case len(outs) == 0:
		v.Reproduced = Inconclusive
	case slices.Contains(outs, No):
		v.Reproduced = No
	case !slices.ContainsFunc(outs, func(s string) bool { return s != Yes }):
		v.Reproduced = Yes
	default:
		v.Reproduced = Inconclusive
	}
	lead := map[string]string{Yes: "Reproduced: every clause holds.", No: "Not reproduced: a clause is contradicted.", Inconclusive: "Undecided: no clause is contradicted, but not every clause holds."}[v.Reproduced]
	v.Evidence = lead + " " + strings.Join(parts, " ")
	return v
}

// eachSeed calls f with run name of every seed (s indexes j.seeds), for
// event and threshold clauses; it returns false, calling nothing, after
// recording a missing run.
func (j *judge) eachSeed(name string, f func(s int, rr *RunResult)) bool {
	rs := j.runs(name)
	if rs == nil {
		return false
	}
	for s, rr := range rs {
		f(s, rr)
	}
	return true
}

// stepClause decides a clause on the step logs of runs names, seed by
// seed (events and thresholds): f decides one seed from its runs, in the
// order of names; a seed where a run has fewer than MinSteps steps or
// degenerate lengths is inconclusive; the clause counts when every seed
// agrees. Nothing is recorded but the missing run when one is missing.
func (j *judge) stepClause(id, text string, names []string, f func(s int, rs []*RunResult) (outcome, evidence string)) {
	runs := make([][]*RunResult, len(names))
	for i, n := range names {
		if runs[i] = j.runs(n); runs[i] == nil {
			return
		}
	}
	var outs, texts []string
	for s := range j.seeds {
		rs := make([]*RunResult, len(names))
		why := ""
		for i := range names {
			rs[i] = runs[i][s]
			if why == "" {
				why = stepsOK(rs[i])
			}
		}
		o, t := Inconclusive, why
		if why == "" {
			o, t = f(s, rs)
		}
		outs, texts = append(outs, o), append(texts, t)
	}
	j.clause(id, text, agree(outs), j.seedTexts(texts))
}

// seedKey prefixes a per-seed number in Verdict.Numbers.
func (j *judge) seedKey(s int) string { return fmt.Sprintf("seed%d_", j.seeds[s].Profile.Seed) }

// seedTexts joins per-seed texts, labelled by seed when there are several.
func (j *judge) seedTexts(texts []string) string {
	if len(texts) == 1 {
		return texts[0] + "."
	}
	parts := make([]string, len(texts))
	for i, t := range texts {
		parts[i] = fmt.Sprintf("seed %d: %s", j.seeds[i].Profile.Seed, t)
	}
	return strings.Join(parts, "; ") + "."
}

// stepsOK says why a run's step log cannot support a step-log clause, or
// "" when it can: too few steps, or lengths that are not positive and
// finite.
func stepsOK(rr *RunResult) string {
	s := rr.Summary
	switch {
	case s == nil || s.Steps < MinSteps:
		n := 0
		if s != nil {
			n = s.Steps
		}
		return fmt.Sprintf("only %d training steps (need %d)", n, MinSteps)
	case !(s.LengthStart > 0) || !(s.LengthEnd > 0) || math.IsInf(s.LengthStart, 0) || math.IsInf(s.LengthEnd, 0):
		return fmt.Sprintf("degenerate training lengths (%.4g → %.4g)", s.LengthStart, s.LengthEnd)
	}
	return ""
}

// relChange is a length comparison's pooled relative change, exp(diff) − 1.
func relChange(c comparison) float64 { return math.Exp(c.Diff) - 1 }

// logMargin turns a relative margin into one on log lengths.
func logMargin(rel float64) float64 { return math.Log1p(rel) }
