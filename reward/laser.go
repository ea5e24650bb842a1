package reward

// Laser is the paper's form of LASER (arXiv 2505.15612; PAPER.md §4.4):
//
//	R = I(correct) · (1 + α·I(L < L_T))
//
// A correct answer earns 1, plus a bonus α when strictly shorter than L_T;
// wrong answers earn 0. Note the strict L < L_T, as the paper writes it
// (Truncation uses L ≤ L_T). The LASER authors' own code
// (hkust-nlp/Laser, verl/utils/reward_score/length_penalty.py) uses a
// different base (+1 correct, −0.5 wrong), L ≤ L_T and α = 0.5 in its
// scripts; this is the paper's version, with its α = 0.4.
type Laser struct {
	// TargetLen is L_T in tokens; > 0.
	TargetLen int
	// Alpha is the bonus α for a short correct answer (paper: 0.4); ≥ 0.
	Alpha float64
}

// Name returns "laser".
func (Laser) Name() string { return "laser" }

// String returns the spec, e.g. "laser:target=4096,alpha=0.4".
func (s Laser) String() string {
	return fmtSpec("laser", "target", s.TargetLen, "alpha", s.Alpha)
}

// Rewards applies the formula above to each rollout.
func (s Laser) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		if !r.Solved() {
			return Outcome{}
		}
		return Outcome{Reward: 1 + s.Alpha*indicator(r.Tokens < s.TargetLen)}
	})
}
