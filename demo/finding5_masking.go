package demo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/rl"
)

// Finding 5 (PAPER.md §5.5): masking variants of truncation, compared
// under the unified protocol (L_R = LongLimit·L_T; with L_R = L_T no
// finished rollout is long and −L&C would coincide with truncation). The
// paper's onsets (~400 steps for the trap, ~200 for exploitation) are not
// claims the lab tests; TrapOnsetSteps only says when a missing trap counts.
func findingMasking(p Profile) Finding {
	_, lg := ladderEnds(p)
	return Finding{
		ID: 5, Name: "masking", Title: "Masking variants of the truncation reward (L_R = " + strconv.Itoa(p.LongLimit) + "·L_T)",
		Claim: fmt.Sprintf("Bad masking creates traps: (a) −I and −L&C−S&I couple short with correct and fall into the short-is-correct trap (entropy explodes, length collapses) while plain truncation does not; (b) −L&C−L&I leaves long wrong outputs unpenalised, so its outputs end longer than truncation's; (c) −L&C gives longer outputs than truncation but better accuracy (Mean@k, budget %d).", lg),
		Runs:  []string{Unified, runMaskI, runMaskLC, runMaskLCSI, runMaskLCLI},
		Rule: "(a) per seed, from rl.Diagnose of each step log, a run is trapped when it shows short_is_correct_trap, or an entropy explosion together with a length collapse: yes when −I and −L&C−S&I are both trapped and truncation is not; no when truncation is trapped too, or when neither masked run is trapped although the runs lasted at least 400 steps (the paper's onset); else inconclusive; counts when every seed agrees. " +
			"(b) paired per-problem lengths on the in-domain benchmark at the largest budget (log of each problem's mean length), pooled over seeds (SeedRule): yes when −L&C−L&I is longer than truncation beyond the 95% band; no when it is shorter beyond the band or equivalent (90% band of the length ratio inside ±5%); else inconclusive. " +
			"(c) both: −L&C longer than truncation (as in (b)) and its Mean@k higher beyond the 95% band; no when −L&C is shorter or equal in length, or its Mean@k is lower beyond the band or equivalent (inside ±0.05): equal accuracy is not better; else inconclusive.",
		Margins: []Margin{mTrap, mLength, mMeanAtK},
		clauses: maskingClauses,
		labDiff: maskingLabDiff,
	}
}

// trapped reports the short-is-correct trap in a run (see the rule).
func trapped(rr *RunResult, p Profile) bool {
	d := diagnose(rr, p)
	return d.Has(rl.ShortIsCorrectTrap) || (d.Has(rl.EntropyExplosion) && d.Has(rl.LengthCollapse))
}

func maskingClauses(j *judge) {
	p := j.profile()
	bench := inDomain(p)
	_, lg := ladderEnds(p)

	// (a) The trap.
	j.stepClause("a", "−I and −L&C−S&I fall into the short-is-correct trap while truncation does not", []string{Unified, runMaskI, runMaskLCSI},
		func(s int, rs []*RunResult) (string, string) {
			tt, ti, ts := trapped(rs[0], p), trapped(rs[1], p), trapped(rs[2], p)
			steps := min(rs[1].Summary.Steps, rs[2].Summary.Steps)
			key := j.seedKey(s)
			j.numbers[key+"trap_truncation"], j.numbers[key+"trap_I"], j.numbers[key+"trap_LC_SI"] = b2f(tt), b2f(ti), b2f(ts)
			text := fmt.Sprintf("−I %s, −L&C−S&I %s, truncation %s (%d steps)", trapWord(ti), trapWord(ts), trapWord(tt), steps)
			switch {
			case tt:
				return No, text
			case ti && ts:
				return Yes, text
			case !ti && !ts && steps >= TrapOnsetSteps:
				return No, text
			}
			return Inconclusive, text
		})

	// (b) −L&C−L&I ends longer.
	lm := logMargin(MarginLength)
	c := j.cmp("length_LC_LI_vs_truncation", runMaskLCLI, Unified, bench, lg, logLength)
	j.clause("b", "−L&C−L&I's outputs end longer than truncation's", better(c, lm, false),
		fmt.Sprintf("length −L&C−L&I / truncation at budget %d: %s.", lg, c.relString()))

	// (c) −L&C longer but more accurate.
	cl := j.cmp("length_LC_vs_truncation", runMaskLC, Unified, bench, lg, logLength)
	ca := j.cmp("mean_at_k_LC_vs_truncation", runMaskLC, Unified, bench, lg, meanAtK)
	j.clause("c", "−L&C gives longer outputs than truncation but higher Mean@k",
		allOf([]string{better(cl, lm, false), better(ca, MarginMeanAtK, false)}),
		fmt.Sprintf("at budget %d: length −L&C / truncation %s; Mean@k −L&C − truncation %s.", lg, cl.relString(), ca))
}

func trapWord(b bool) string {
	if b {
		return "trapped"
	}
	return "not trapped"
}

// maskingLabDiff: the traps come late in the paper; the lab's runs end
// before.
func maskingLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	entropy := func(r *Results) (string, bool) {
		var parts []string
		for _, name := range []string{runMaskI, runMaskLCSI, Unified} {
			rr := r.run(name)
			if rr == nil || rr.Summary == nil {
				return "", false
			}
			parts = append(parts, fmt.Sprintf("%.3f → %.3f", rr.Summary.EntropyStart, rr.Summary.EntropyEnd))
		}
		return strings.Join(parts, " / "), true
	}
	return fmt.Sprintf("The lab's runs last %d steps; the paper sees the short-is-correct trap after ~400 steps and −L&C−L&I's exploitation after ~200 (PAPER.md §5.5), so clause (a) cannot be decided here: the rule counts a missing trap against the paper only in runs of at least %d steps. Policy entropy, first → last quarter of the steps, −I / −L&C−S&I / truncation: %s.",
		p.Steps, TrapOnsetSteps, perSeed(seeds, entropy))
}
