package reward

// L1Exact is L1's length-controlled reward, exact variant (LCPO, arXiv
// 2503.04697):
//
//	R = I(correct) − α·|n_gold − L|
//
// L1 puts a per-prompt target n_gold into the prompt; here n_gold is
// TargetLen for every prompt. The penalty applies to wrong answers too. L1
// uses α = 0.0003.
type L1Exact struct {
	// TargetLen is n_gold in tokens; > 0.
	TargetLen int
	// Alpha is α, the per-token penalty; ≥ 0.
	Alpha float64
}

// Name returns "l1-exact".
func (L1Exact) Name() string { return "l1-exact" }

// String returns the spec, e.g. "l1-exact:target=4096,alpha=0.0003".
func (s L1Exact) String() string {
	return fmtSpec("l1-exact", "target", s.TargetLen, "alpha", s.Alpha)
}

// Rewards applies the formula above to each rollout.
func (s L1Exact) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		d := float64(s.TargetLen - r.Tokens)
		if d < 0 {
			d = -d
		}
		return Outcome{Reward: indicator(r.Solved()) - s.Alpha*d}
	})
}

// L1Max is L1's length-controlled reward, max variant (LCPO-Max, arXiv
// 2503.04697), for a budget rather than an exact length:
//
//	R = I(correct) · clip(α·(n_gold − L) + δ, 0, 1)
//
// n_gold is TargetLen for every prompt. This is the formula as written; the
// official code (cmu-l3/l1, get_delta_score_linear_both) computes
// (clip(α·(n_gold − L), −1, 1) + 1)/2, i.e. δ = 0.5 with slope α/2, and its
// config default is α = 0.01. The defaults here, α = 0.0003 and δ = 0.5,
// follow the written form and L1-Exact's α; pass alpha to match a run.
type L1Max struct {
	// TargetLen is n_gold in tokens; > 0.
	TargetLen int
	// Alpha is α, the slope per token; ≥ 0.
	Alpha float64
	// Delta is δ, the reward of a correct answer of exactly n_gold tokens.
	Delta float64
}

// Name returns "l1-max".
func (L1Max) Name() string { return "l1-max" }

// String returns the spec, e.g. "l1-max:target=4096,alpha=0.0003,delta=0.5".
func (s L1Max) String() string {
	return fmtSpec("l1-max", "target", s.TargetLen, "alpha", s.Alpha, "delta", s.Delta)
}

// Rewards applies the formula above to each rollout.
func (s L1Max) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		if !r.Solved() {
			return Outcome{}
		}
		v := s.Alpha*float64(s.TargetLen-r.Tokens) + s.Delta
		return Outcome{Reward: min(1, max(0, v))}
	})
}
