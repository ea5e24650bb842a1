package reward

// ALP is the Adaptive Length Penalty of "Just Enough Thinking" (Xiang et al.,
// arXiv 2506.05256):
//
//	R = I(correct) − (β/N) · max(p_solved, 1/K) · L
//
// where K is the group size, p_solved the share of the group's rollouts that
// are correct (the prompt's online solve rate), and N a normalising length.
// Easy prompts (high p_solved) pay the full per-token cost, hard ones little,
// so compute moves to hard prompts. The penalty applies to wrong answers too.
// Defaults here (not the paper's): β = 1, N = 16384, so a correct rollout of
// N tokens on a fully solved prompt earns 0.
type ALP struct {
	// Beta is β, the global penalty weight; ≥ 0.
	Beta float64
	// NormLen is N, the normalising length in tokens; > 0.
	NormLen int
}

// Name returns "alp".
func (ALP) Name() string { return "alp" }

// String returns the spec, e.g. "alp:beta=1,norm=16384".
func (s ALP) String() string { return fmtSpec("alp", "beta", s.Beta, "norm", s.NormLen) }

func (ALP) groupRelative() bool { return true }

// Rewards applies the formula above to the group.
func (s ALP) Rewards(g Group) []Outcome {
	if len(g) == 0 {
		return []Outcome{}
	}
	k := float64(len(g))
	var solved float64
	for _, r := range g {
		solved += indicator(r.Solved())
	}
	w := s.Beta / float64(s.NormLen) * max(solved/k, 1/k)
	return each(g, func(r Rollout) Outcome {
		return Outcome{Reward: indicator(r.Solved()) - w*float64(r.Tokens)}
	})
}
