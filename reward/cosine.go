package reward

import "math"

// Cosine is the cosine length-scaled reward of "Demystifying Long
// Chain-of-Thought Reasoning in LLMs" (Yeo et al., arXiv 2502.03373 §4.2).
// With CosFn(t, T, η_min, η_max) = η_min + ½(η_max − η_min)(1 + cos(tπ/T)):
//
//	R = CosFn(L, L_max, r_L^c, r_0^c)   if correct   (from r_0^c at L=0 down to r_L^c at L_max)
//	R = CosFn(L, L_max, r_L^w, r_0^w)   if wrong     (from r_0^w at L=0 up to r_L^w at L_max)
//	R = r_e                             if truncated or L > L_max
//
// so short correct answers earn most and short wrong answers are punished
// most (the slope is reversed for wrong answers, to keep the model thinking
// when it is wrong). Defaults follow the authors' scripts
// (eddycmu/demystify-long-cot, openrlhf/scripts/section_4*): r_0^c = 2,
// r_L^c = 1, r_0^w = −10, r_L^w = 0, r_e = −10. Two differences from their
// code: it applies r_e when L + 16 ≥ L_max (a 16-token margin), here when
// the rollout is truncated or L > L_max; and their "cosine + repetition
// penalty" runs add −0.05 per token of a repeated 40-gram, which needs the
// token ids and is not part of this shape.
type Cosine struct {
	// MaxLen is L_max in tokens; > 0.
	MaxLen int
	// Correct0 and CorrectL are r_0^c and r_L^c.
	Correct0, CorrectL float64
	// Wrong0 and WrongL are r_0^w and r_L^w.
	Wrong0, WrongL float64
	// Exceed is r_e, the reward of a truncated or over-long rollout.
	Exceed float64
}

// Name returns "cosine".
func (Cosine) Name() string { return "cosine" }

// String returns the spec, e.g.
// "cosine:max=16384,c0=2,cl=1,w0=-10,wl=0,exceed=-10".
func (s Cosine) String() string {
	return fmtSpec("cosine", "max", s.MaxLen, "c0", s.Correct0, "cl", s.CorrectL,
		"w0", s.Wrong0, "wl", s.WrongL, "exceed", s.Exceed)
}

// Rewards applies the formula above to each rollout.
func (s Cosine) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		if r.Truncated || r.Tokens > s.MaxLen {
			return Outcome{Reward: s.Exceed}
		}
		r0, rT := s.Wrong0, s.WrongL
		if r.Solved() {
			r0, rT = s.Correct0, s.CorrectL
		}
		c := 0.5 * (1 + math.Cos(float64(r.Tokens)*math.Pi/float64(s.MaxLen)))
		return Outcome{Reward: rT + (r0-rT)*c}
	})
}
