package reward

// LaserD is the paper's "Laser-D" (PAPER.md §4.5):
//
//	R = I(correct)·(1 + α·I(L < L_T)) + I(incorrect)·α·I(L ≥ L_T)
//
// Laser plus an exploration bonus α for wrong answers that reached the target
// length, so that the model is not pushed to give up early on hard prompts.
// A truncated rollout counts as incorrect, so it earns α when L ≥ L_T.
//
// Naming trap: this formula is what the LASER authors (arXiv 2505.15612) call
// LASER-DE; their LASER-D adapts L_T per difficulty bucket instead. terse
// follows the paper's name.
type LaserD struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
	// Alpha is α (paper: 0.4); ≥ 0.
	Alpha float64
}

// Name returns "laser-d".
func (LaserD) Name() string { return "laser-d" }

// String returns the spec, e.g. "laser-d:target=4096,alpha=0.4".
func (s LaserD) String() string {
	return fmtSpec("laser-d", "target", s.TargetLen, "alpha", s.Alpha)
}

// Rewards applies the formula above to each rollout.
func (s LaserD) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		if r.Solved() {
			return Outcome{Reward: 1 + s.Alpha*indicator(r.Tokens < s.TargetLen)}
		}
		return Outcome{Reward: s.Alpha * indicator(r.Tokens >= s.TargetLen)}
	})
}
