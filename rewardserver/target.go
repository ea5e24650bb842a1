package rewardserver

import (
	"github.com/terse-dev/terse/reward"
)

// rsTargetShape returns shape with its L_T set to a prompt's own target
// length (reward.WithTargetLen).
func rsTargetShape(shape reward.Shape, targetLen int) (reward.Shape, error) {
	return reward.WithTargetLen(shape, targetLen)
}

// groupRewards scores g (the rollouts of items, one prompt) with the
// server's shape, or with its L_T set to the prompt's own target length
// (handlers check beforehand that the shape takes one).
func (s *Server) groupRewards(items []*rsItem, g reward.Group) []reward.Outcome {
	if len(items) > 0 && items[0].targetLen > 0 {
		if sh, err := rsTargetShape(s.opts.Shape, items[0].targetLen); err == nil {
			return sh.Rewards(g)
		}
	}
	return s.shape.rewards(g)
}

// scoreAlone scores one rollout as a group of one, with its prompt's L_T.
func (s *Server) scoreAlone(it *rsItem) {
	rsScoreDirect(func(g reward.Group) []reward.Outcome { return s.groupRewards([]*rsItem{it}, g) }, []*rsItem{it})
}

// rsScoreAccuracy scores an evaluation rollout: reward 1 when it is correct
// and not truncated, else 0, so that a trainer's evaluation pass@1, the
// mean of the rewards (OpenRLHF), is the accuracy and not a shaped reward.
func rsScoreAccuracy(it *rsItem) {
	rsScoreDirect(func(g reward.Group) []reward.Outcome {
		out := make([]reward.Outcome, len(g))
		for i, r := range g {
			if r.Solved() {
				out[i].Reward = 1
			}
		}
		return out
	}, []*rsItem{it})
}
