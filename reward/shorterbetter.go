package reward

// ShorterBetter is the reward of "ShorterBetter" (arXiv 2504.21370), which
// pulls every rollout toward the group's Sample Optimal Length (SOL):
//
//	R = α·I(correct) − β·|L − SOL|
//	SOL = length of the shortest correct rollout in the group,
//	      or the mean length of the group when none is correct.
//
// The length term applies to wrong answers too. Defaults here: α = 2,
// β = 0.001 (check the paper's per-model values before comparing).
type ShorterBetter struct {
	// Alpha is α, the correctness reward; ≥ 0.
	Alpha float64
	// Beta is β, the penalty per token of distance to SOL; ≥ 0.
	Beta float64
}

// Name returns "shorterbetter".
func (ShorterBetter) Name() string { return "shorterbetter" }

// String returns the spec, e.g. "shorterbetter:alpha=2,beta=0.001".
func (s ShorterBetter) String() string {
	return fmtSpec("shorterbetter", "alpha", s.Alpha, "beta", s.Beta)
}

func (ShorterBetter) groupRelative() bool { return true }

// Rewards applies the formula above to the group.
func (s ShorterBetter) Rewards(g Group) []Outcome {
	if len(g) == 0 {
		return []Outcome{}
	}
	sol, found, sum := 0.0, false, 0.0
	for _, r := range g {
		sum += float64(r.Tokens)
		if r.Solved() && (!found || float64(r.Tokens) < sol) {
			sol, found = float64(r.Tokens), true
		}
	}
	if !found {
		sol = sum / float64(len(g))
	}
	return each(g, func(r Rollout) Outcome {
		d := float64(r.Tokens) - sol
		if d < 0 {
			d = -d
		}
		return Outcome{Reward: s.Alpha*indicator(r.Solved()) - s.Beta*d}
	})
}
