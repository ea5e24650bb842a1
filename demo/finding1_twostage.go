package demo

import (
	"fmt"
	"math"

	"github.com/terse-dev/terse/rl"
)

// Finding 1 (PAPER.md §5.1): two-stage dynamics. The paper's "accuracy may
// dip" in Stage I and "entropy may rise again" in Stage II are
// possibilities, not claims, and are not tested.
func findingTwoStage(p Profile) Finding {
	return Finding{
		ID: 1, Name: "dynamics", Title: "Two-stage dynamics under truncation reward (L_R = L_T)",
		Claim: fmt.Sprintf("Training under truncation (L_R = L_T = %d) goes through two stages: (a) Stage I, length adaptation: the training length falls steeply (by at least 30%% of its initial level); (b) the policy entropy falls during Stage I; (c) Stage II, reasoning refinement: the length then plateaus within the target L_T while held-out accuracy holds or improves.", p.TargetLen),
		Runs:  []string{Baseline},
		Rule: "rl.Diagnose on the baseline's step log, per seed; each clause counts only when every seed agrees. " +
			"(a) yes when it finds Stage I (the smoothed length falls ≥ 30% from its initial level), no when the length does not fall by 30%. " +
			"(b) yes when the mean entropy over the last smoothing window of Stage I is more than 5% below that of the first window, no when it is not below it at all, else inconclusive; inconclusive without Stage I. " +
			"(c) yes when a plateau follows (length within ±20% of its median for at least max(3 windows, 10% of the run)), its level is at most L_T and held-out accuracy (the in-training ladder's Mean@k at the largest budget, smoothed) at the plateau's end is no more than 0.05 below its start; no when the plateau lies above L_T, accuracy falls by more than 0.05 over it, or the length collapses (rl.Diagnose's length_collapse) instead of plateauing; inconclusive when the length is still falling at the end of the run or there is no Stage I. " +
			"A run with fewer than 10 steps or degenerate lengths is inconclusive.",
		Margins: []Margin{mEntropy, mStageAcc},
		clauses: twoStageClauses,
		labDiff: twoStageLabDiff,
	}
}

// stages is rl.Diagnose of a run as finding 1 reads it: Stage II is
// reported whenever a plateau exists (AccDrop disabled), so that the rule
// judges the accuracy over it itself. Length collapse, which also uses
// AccDrop, is read from diagnose (the defaults).
func stages(rr *RunResult, p Profile) rl.Diagnosis {
	return rl.Diagnose(rr.Steps, rl.DiagnoseOptions{TargetLen: p.TargetLen, Staleness: 1, AccDrop: math.Inf(1)})
}

func twoStageClauses(j *judge) {
	p := j.profile()
	var outs [3][]string  // per clause, per seed
	var texts [3][]string // per clause, per seed
	set := func(c int, out, text string) {
		outs[c] = append(outs[c], out)
		texts[c] = append(texts[c], text)
	}
	ok := j.eachSeed(Baseline, func(s int, rr *RunResult) {
		key := j.seedKey(s)
		if why := stepsOK(rr); why != "" {
			for c := range outs {
				set(c, Inconclusive, why)
			}
			return
		}
		d := stages(rr, p)
		a, okA := d.Find(rl.StageAdaptation)
		// (a) Stage I.
		if okA {
			j.numbers[key+"stage1_fall"], j.numbers[key+"stage1_end"] = a.Evidence["fall_fraction"], float64(a.EndStep)
			set(0, Yes, a.Summary)
		} else {
			set(0, No, fmt.Sprintf("the length does not fall by 30%% (%.0f → %.0f tokens, first and last quarter)", rr.Summary.LengthStart, rr.Summary.LengthEnd))
		}
		// (b) Entropy over Stage I.
		if !okA {
			set(1, Inconclusive, "no Stage I")
		} else {
			e0 := meanEntropy(rr.Steps, 1, d.Window, true)
			e1 := meanEntropy(rr.Steps, a.EndStep, d.Window, false)
			j.numbers[key+"entropy_start"], j.numbers[key+"entropy_stage1_end"] = e0, e1
			switch r := e1 / e0; {
			case !(e0 > 0) || math.IsNaN(e1):
				set(1, Inconclusive, "no entropy logged")
			case r < 1-MarginEntropy:
				set(1, Yes, fmt.Sprintf("entropy %.3f → %.3f (%+.0f%%) by step %d", e0, e1, 100*(r-1), a.EndStep))
			case r >= 1:
				set(1, No, fmt.Sprintf("entropy does not fall: %.3f → %.3f by step %d", e0, e1, a.EndStep))
			default:
				set(1, Inconclusive, fmt.Sprintf("entropy falls only %.1f%% (%.3f → %.3f)", 100*(1-r), e0, e1))
			}
		}
		// (c) Stage II.
		b, okB := d.Find(rl.StageRefinement)
		switch {
		case !okA:
			set(2, Inconclusive, "no Stage I")
		case okB:
			P, a0, a1 := b.Evidence["plateau_length"], b.Evidence["accuracy_at_start"], b.Evidence["accuracy_at_end"]
			_, hasAcc := b.Evidence["accuracy_at_end"]
			j.numbers[key+"stage2_start"], j.numbers[key+"plateau_length"] = float64(b.Step), P
			j.numbers[key+"stage2_accuracy_start"], j.numbers[key+"stage2_accuracy_end"] = a0, a1
			switch {
			case P > float64(p.TargetLen):
				set(2, No, fmt.Sprintf("the plateau (≈%.0f tokens) lies above L_T = %d", P, p.TargetLen))
			case !hasAcc:
				set(2, Inconclusive, fmt.Sprintf("plateau at ≈%.0f tokens from step %d, but no accuracy logged", P, b.Step))
			case a1 < a0-MarginStageAccuracy:
				set(2, No, fmt.Sprintf("plateau at ≈%.0f tokens from step %d, but %s falls %.3f → %.3f", P, b.Step, d.AccuracySource, a0, a1))
			default:
				set(2, Yes, fmt.Sprintf("plateau at ≈%.0f tokens (≤ L_T) from step %d to %d while %s goes %.3f → %.3f", P, b.Step, b.EndStep, d.AccuracySource, a0, a1))
			}
		case diagnose(rr, p).Has(rl.LengthCollapse): // with the default accuracy drop
			c, _ := diagnose(rr, p).Find(rl.LengthCollapse)
			set(2, No, "no plateau: "+c.Summary)
		default:
			set(2, Inconclusive, fmt.Sprintf("the length is still falling at step %d: no plateau yet", d.LastStep))
		}
	})
	if !ok {
		return
	}
	j.clause("a", "Stage I: the training length falls by at least 30%", agree(outs[0]), j.seedTexts(texts[0]))
	j.clause("b", "entropy falls during Stage I", agree(outs[1]), j.seedTexts(texts[1]))
	j.clause("c", "Stage II: the length plateaus within L_T while held-out accuracy holds or improves", agree(outs[2]), j.seedTexts(texts[2]))
}

// meanEntropy is the mean entropy of the w step logs starting at step
// (forward) or ending at it (backward); NaN when none has an entropy.
func meanEntropy(steps []rl.StepLog, step, w int, forward bool) float64 {
	var xs []float64
	for _, s := range steps {
		if s.Step < 1 || math.IsNaN(s.Entropy) {
			continue
		}
		if forward && s.Step >= step || !forward && s.Step <= step {
			xs = append(xs, s.Entropy)
		}
	}
	if forward {
		xs = xs[:min(len(xs), w)]
	} else {
		xs = xs[max(0, len(xs)-w):]
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	m, _ := meanSE(xs)
	return m
}

// twoStageLabDiff: the lab's run is short and its model tiny.
func twoStageLabDiff(seeds []*Results) string {
	p := seeds[0].Profile
	return fmt.Sprintf("The lab trains a 0.4M-parameter model for %d steps of %d prompts × %d rollouts at L_T = %d tokens; the paper trains a 1.5B model for ~800 steps of 128 × 8 at L_T = 4k. Baseline training length, first → last quarter of the steps: %s; entropy: %s.",
		p.Steps, p.PromptsPerStep, p.GroupSize, p.TargetLen,
		perSeed(seeds, func(r *Results) (string, bool) {
			rr := r.run(Baseline)
			if rr == nil || rr.Summary == nil {
				return "", false
			}
			return fmt.Sprintf("%.0f → %.0f tokens", rr.Summary.LengthStart, rr.Summary.LengthEnd), true
		}),
		perSeed(seeds, func(r *Results) (string, bool) {
			rr := r.run(Baseline)
			if rr == nil || rr.Summary == nil {
				return "", false
			}
			return fmt.Sprintf("%.3f → %.3f", rr.Summary.EntropyStart, rr.Summary.EntropyEnd), true
		}))
}
