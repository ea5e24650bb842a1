package rl

import (
	"fmt"
	"math"
)

// AdvantageEps is added to the group standard deviation before dividing, as
// verl's compute_grpo_outcome_advantage does (epsilon = 1e-6).
const AdvantageEps = 1e-6

// GroupAdvantages returns the group-relative advantage of each rollout of one
// prompt (GRPO, arXiv 2402.03300; PAPER.md §3):
//
//	normStd:  A_i = (r_i − mean(r)) / (std(r) + AdvantageEps)   (GRPO)
//	!normStd: A_i =  r_i − mean(r)                              (Dr. GRPO, arXiv 2503.20783)
//
// rewards has shape (N), N = GroupSize; masked (nil or shape (N)) marks
// rollouts that a reward shape excluded from the update. mean and std are
// taken over the unmasked rollouts only, std with Bessel's correction (n−1)
// as torch.std in verl. Masked rollouts get advantage 0; they must also be
// excluded from the loss (Sequence.Masked). As in verl, a group with one
// (unmasked) rollout has mean 0 and std 1, so its advantage is its reward;
// a group with none gets all zeros.
//
// A group whose unmasked rewards are all equal gets all-zero advantages: it
// carries no learning signal (see FilterGroups for dynamic sampling).
func GroupAdvantages(rewards []float64, masked []bool, normStd bool) ([]float64, error) {
	if masked != nil && len(masked) != len(rewards) {
		return nil, fmt.Errorf("rl: group advantages: %d rewards but %d mask entries", len(rewards), len(masked))
	}
	adv := make([]float64, len(rewards))
	n := 0
	sum := 0.0
	for i, r := range rewards {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rl: group advantages: reward %d is %v", i, r)
		}
		if masked != nil && masked[i] {
			continue
		}
		n++
		sum += r
	}
	if n == 0 {
		return adv, nil
	}
	mean, std := 0.0, 1.0
	if n > 1 {
		mean = sum / float64(n)
		ss := 0.0
		for i, r := range rewards {
			if masked != nil && masked[i] {
				continue
			}
			ss += (r - mean) * (r - mean)
		}
		std = math.Sqrt(ss / float64(n-1))
	}
	for i, r := range rewards {
		if masked != nil && masked[i] {
			continue
		}
		a := r - mean
		if normStd {
			a /= std + AdvantageEps
		}
		adv[i] = a
	}
	return adv, nil
}
