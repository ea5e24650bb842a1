package reward

// Vanilla is the correctness-only reward (PAPER.md §4.1):
//
//	R = I(correct)
//
// It ignores length; plain RL with it tends to grow outputs.
type Vanilla struct{}

// Name returns "vanilla".
func (Vanilla) Name() string { return "vanilla" }

// String returns "vanilla".
func (Vanilla) String() string { return "vanilla" }

// Rewards returns I(correct) for each rollout (a truncated rollout is not
// correct; see Rollout.Solved).
func (Vanilla) Rewards(g Group) []Outcome {
	return each(g, func(r Rollout) Outcome { return Outcome{Reward: indicator(r.Solved())} })
}
