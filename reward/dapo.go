package reward

// DAPOOverlong is DAPO's soft overlong punishment (arXiv 2503.14476,
// "Overlong Reward Shaping"), added to DAPO's rule-based correctness reward (+1 correct, −1 wrong):
//
//	R = (c ? 1 : Wrong) + R_len(L)
//	R_len(L) = 0                          if L ≤ L_max − L_cache
//	         = ((L_max − L_cache) − L)/L_cache  if L_max − L_cache < L ≤ L_max
//	         = −1                         if L > L_max
//
// The DAPO paper uses L_max = 20480 and L_cache = 4096 (L_R = 20480). Set
// Wrong = 0 for the 0/1 correctness reward the other shapes use.
type DAPOOverlong struct {
	// MaxLen is L_max in tokens; > 0.
	MaxLen int
	// CacheLen is the soft-penalty interval L_cache in tokens; in (0, MaxLen].
	CacheLen int
	// Wrong is the correctness reward of a wrong answer (DAPO: −1).
	Wrong float64
}

// Name returns "dapo-overlong".
func (DAPOOverlong) Name() string { return "dapo-overlong" }

// String returns the spec, e.g. "dapo-overlong:max=20480,cache=4096,wrong=-1".
func (s DAPOOverlong) String() string {
	return fmtSpec("dapo-overlong", "max", s.MaxLen, "cache", s.CacheLen, "wrong", s.Wrong)
}

// Rewards applies the formula above to each rollout.
func (s DAPOOverlong) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome {
		base := s.Wrong
		if r.Solved() {
			base = 1
		}
		soft := s.MaxLen - s.CacheLen
		var pen float64
		switch {
		case r.Tokens <= soft:
		case r.Tokens <= s.MaxLen:
			pen = float64(soft-r.Tokens) / float64(s.CacheLen)
		default:
			pen = -1
		}
		return Outcome{Reward: base + pen}
	})
}
