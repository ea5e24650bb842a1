package reward

// The masking variants of Truncation (PAPER.md §4.6). Each keeps truncation's
// reward for correct-and-short rollouts (1) and masks some cells out of the
// policy update ("−") instead of rewarding them with 0:
//
//	variant            correct&short  correct&long  incorrect&short  incorrect&long
//	truncation               1              0               0                0
//	truncation-I  (−I)       1              0               −                −
//	truncation-LC (−L&C)     1              −               0                0
//	truncation-LC-SI         1              −               −                0
//	truncation-LC-LI         1              −               0                −
//
// Short means L ≤ L_T, long L > L_T. A truncated rollout counts as incorrect
// and as long even when L = L_T (as with L_R = L_T): it was cut off, so it is
// the longest output the rollout allowed.
//
// The paper's findings: −I and −L&C−S&I couple "short" with "correct" and fall
// into the short-is-correct trap (entropy explodes, length collapses after
// ~400 steps); −L&C−L&I leaves long wrong outputs unpenalised and gets
// exploited after ~200 steps; −L&C gives longer outputs but better accuracy.

// maskCells says, per cell, whether the rollout is masked. The
// correct-and-short cell is never masked.
type maskCells struct{ longCorrect, shortIncorrect, longIncorrect bool }

// masked applies a masking table to a group at target length lt.
func masked(g Group, lt int, m maskCells) []Outcome {
	return each(g, func(r Rollout) Outcome {
		long := r.Tokens > lt || r.Truncated
		switch {
		case r.Solved() && !long:
			return Outcome{Reward: 1}
		case r.Solved():
			return Outcome{Masked: m.longCorrect}
		case long:
			return Outcome{Masked: m.longIncorrect}
		default:
			return Outcome{Masked: m.shortIncorrect}
		}
	})
}

// MaskIncorrect is the paper's "−I" variant: truncation, with every incorrect
// rollout masked. Falls into the short-is-correct trap.
type MaskIncorrect struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
}

// Name returns "truncation-I".
func (MaskIncorrect) Name() string { return "truncation-I" }

// String returns the spec, e.g. "truncation-I:target=4096".
func (s MaskIncorrect) String() string { return fmtSpec("truncation-I", "target", s.TargetLen) }

// Rewards applies the −I row of the table above.
func (s MaskIncorrect) Rewards(g Group) []Outcome {
	return masked(g, s.TargetLen, maskCells{shortIncorrect: true, longIncorrect: true})
}

// MaskLongCorrect is the paper's "−L&C" variant: truncation, with correct but
// long rollouts masked instead of rewarded 0.
type MaskLongCorrect struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
}

// Name returns "truncation-LC".
func (MaskLongCorrect) Name() string { return "truncation-LC" }

// String returns the spec, e.g. "truncation-LC:target=4096".
func (s MaskLongCorrect) String() string { return fmtSpec("truncation-LC", "target", s.TargetLen) }

// Rewards applies the −L&C row of the table above.
func (s MaskLongCorrect) Rewards(g Group) []Outcome {
	return masked(g, s.TargetLen, maskCells{longCorrect: true})
}

// MaskLongCorrectShortIncorrect is the paper's "−L&C−S&I" variant: long
// correct and short incorrect rollouts are masked. Falls into the
// short-is-correct trap.
type MaskLongCorrectShortIncorrect struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
}

// Name returns "truncation-LC-SI".
func (MaskLongCorrectShortIncorrect) Name() string { return "truncation-LC-SI" }

// String returns the spec, e.g. "truncation-LC-SI:target=4096".
func (s MaskLongCorrectShortIncorrect) String() string {
	return fmtSpec("truncation-LC-SI", "target", s.TargetLen)
}

// Rewards applies the −L&C−S&I row of the table above.
func (s MaskLongCorrectShortIncorrect) Rewards(g Group) []Outcome {
	return masked(g, s.TargetLen, maskCells{longCorrect: true, shortIncorrect: true})
}

// MaskLongCorrectLongIncorrect is the paper's "−L&C−L&I" variant: every long
// rollout is masked. Long wrong outputs go unpenalised and get exploited.
type MaskLongCorrectLongIncorrect struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
}

// Name returns "truncation-LC-LI".
func (MaskLongCorrectLongIncorrect) Name() string { return "truncation-LC-LI" }

// String returns the spec, e.g. "truncation-LC-LI:target=4096".
func (s MaskLongCorrectLongIncorrect) String() string {
	return fmtSpec("truncation-LC-LI", "target", s.TargetLen)
}

// Rewards applies the −L&C−L&I row of the table above.
func (s MaskLongCorrectLongIncorrect) Rewards(g Group) []Outcome {
	return masked(g, s.TargetLen, maskCells{longCorrect: true, longIncorrect: true})
}
