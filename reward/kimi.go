package reward

// Kimi is the group-relative length reward of Kimi k1.5 (arXiv 2501.12599)
// in the paper's form (PAPER.md §4.3). Within the group,
//
//	L̃ = (L − L_min) / (L_max − L_min)
//	R = I(correct)·(1 + α(0.5 − L̃)) + I(incorrect)·min(0, α(0.5 − L̃))
//
// where L_min and L_max are taken over all rollouts of the group, correct or
// not. The shortest correct rollout gets 1 + α/2, the longest 1 − α/2; wrong
// answers are only ever penalised (down to −α/2), never rewarded for being
// short. α = 1 gives Kimi k1.5's λ itself on top of the correctness
// reward (its report gives no weight); the paper uses α = 0.4.
//
// The paper is silent when L_max = L_min (all lengths equal, or a group of
// one); we set L̃ = 0.5, so the length term vanishes and R = I(correct).
type Kimi struct {
	// Alpha is α, the weight of the length term; ≥ 0.
	Alpha float64
}

// Name returns "kimi".
func (Kimi) Name() string { return "kimi" }

// String returns the spec, e.g. "kimi:alpha=0.4".
func (s Kimi) String() string { return fmtSpec("kimi", "alpha", s.Alpha) }

func (Kimi) groupRelative() bool { return true }

// Rewards applies the formula above to the group.
func (s Kimi) Rewards(g Group) []Outcome {
	if len(g) == 0 {
		return []Outcome{}
	}
	lmin, lmax := g[0].Tokens, g[0].Tokens
	for _, r := range g[1:] {
		lmin = min(lmin, r.Tokens)
		lmax = max(lmax, r.Tokens)
	}
	return each(g, func(r Rollout) Outcome {
		lt := 0.5 // L_max = L_min: length term vanishes.
		if lmax > lmin {
			lt = float64(r.Tokens-lmin) / float64(lmax-lmin)
		}
		lambda := s.Alpha * (0.5 - lt)
		if r.Solved() {
			return Outcome{Reward: 1 + lambda}
		}
		return Outcome{Reward: min(0, lambda)}
	})
}
