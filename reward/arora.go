package reward

import "math"

// AroraZanette is the group-length-normalised penalty of "Training Language
// Models to Reason Efficiently" (Arora & Zanette, arXiv 2502.04463):
//
//	R = I(correct) · (1 − α·σ((L − μ)/s))
//
// where σ is the logistic function and μ, s are the mean and (population)
// standard deviation of the lengths of the correct rollouts in the group.
// Only correct answers are rewarded, so a short wrong answer never wins; a
// correct answer shorter than its correct siblings earns more. The paper
// sweeps α ∈ [0, 0.4]; the default here is 0.1.
//
// When s = 0 (one correct rollout, or all of equal length) we set the z-score
// to 0 (as an ε in the denominator would), so every correct rollout earns
// 1 − α/2.
type AroraZanette struct {
	// Alpha is α, the weight of the length penalty; in [0, 1].
	Alpha float64
}

// Name returns "arora-zanette".
func (AroraZanette) Name() string { return "arora-zanette" }

// String returns the spec, e.g. "arora-zanette:alpha=0.1".
func (s AroraZanette) String() string { return fmtSpec("arora-zanette", "alpha", s.Alpha) }

func (AroraZanette) groupRelative() bool { return true }

// Rewards applies the formula above to the group.
func (s AroraZanette) Rewards(g Group) []Outcome {
	var n, sum, sumSq float64
	for _, r := range g {
		if r.Solved() {
			l := float64(r.Tokens)
			n++
			sum += l
			sumSq += l * l
		}
	}
	var mu, sd float64
	if n > 0 {
		mu = sum / n
		sd = math.Sqrt(max(0, sumSq/n-mu*mu))
	}
	return each(g, func(r Rollout) Outcome {
		if !r.Solved() {
			return Outcome{}
		}
		z := 0.0
		if sd > 1e-9 {
			z = (float64(r.Tokens) - mu) / sd
		}
		return Outcome{Reward: 1 - s.Alpha/(1+math.Exp(-z))}
	})
}
