package reward

// Truncation is the paper's recommended shape (PAPER.md §4.2; also ThinkPrune
// 2504.01296 and DLER 2510.15110):
//
//	R = I(correct) · I(L ≤ L_T)
//
// A correct answer longer than the target length L_T earns nothing, as if it
// had been cut off at L_T. The paper recommends L_R = L_T, with L_T chosen so
// that the base model's initial truncation rate is low.
type Truncation struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
}

// Name returns "truncation".
func (Truncation) Name() string { return "truncation" }

// String returns the spec, e.g. "truncation:target=4096".
func (s Truncation) String() string { return fmtSpec("truncation", "target", s.TargetLen) }

// Rewards returns I(correct)·I(L ≤ L_T) for each rollout.
func (s Truncation) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		return Outcome{Reward: indicator(r.Solved() && r.Tokens <= s.TargetLen)}
	})
}
