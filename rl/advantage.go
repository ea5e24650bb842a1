package rl

import (
	"fmt"
	"math"
)

// AdvantageEps is added to the group standard deviation before dividing, as
// verl's compute_grpo_outcome_advantage does (epsilon = 1e-6).
const AdvantageEps = 1e-6

// GroupStats says over which rollouts of a group GroupAdvantages takes the
// mean and the standard deviation when a reward shape masks some of them
// (PAPER.md §4.6, the masking variants of truncation; config key
// loss.group_stats). The paper's table marks a masked cell "−", "masked out
// of the update", and says no more; the two readings differ only for groups
// with masked rollouts.
type GroupStats string

const (
	// StatsWholeGroup (the default) reads "−" as "no loss": mean and std
	// are taken over all N rollouts of the group, a masked rollout counting
	// with the reward the shape reports for it (0: every masked cell is one
	// that truncation rewards 0), and only the loss leaves masked rollouts
	// out. The unmasked rollouts thus get exactly the advantages that plain
	// truncation gives them, and masking only removes gradient terms. This
	// is what verl does when a rollout is masked through its response
	// mask: compute_grpo_outcome_advantage groups every rollout's score by
	// prompt and multiplies by response_mask only afterwards
	// (volcengine/verl, verl/trainer/ppo/core_algos.py at commit
	// 012be9d9dcb7c38499f23616142870d2682757fc). A second short correct
	// answer never takes the learning signal from the first: its advantage
	// stays positive while any rollout of the group is not short and
	// correct.
	StatsWholeGroup GroupStats = "group"
	// StatsUnmasked reads "−" as "not part of the group": mean and std over
	// the unmasked rollouts only. A group left with fewer than two unmasked
	// rollouts has no baseline and gets all-zero advantages (verl's rule
	// for a group of size one, advantage = reward, is for a prompt sampled
	// once, not for a group shrunk by masking). Under −I a group then
	// learns only from the spread among its correct rollouts.
	StatsUnmasked GroupStats = "unmasked"
)

// ParseGroupStats checks a loss.group_stats value.
func ParseGroupStats(s string) (GroupStats, error) {
	switch g := GroupStats(s); g {
	case StatsWholeGroup, StatsUnmasked:
		return g, nil
	}
	return "", fmt.Errorf("rl: unknown group statistics %q (want %s or %s)", s, StatsWholeGroup, StatsUnmasked)
}

// GroupAdvantages is GroupAdvantagesWith under StatsWholeGroup, the
// default.
func GroupAdvantages(rewards []float64, masked []bool, normStd bool) ([]float64, error) {
	return GroupAdvantagesWith(rewards, masked, normStd, StatsWholeGroup)
}

// GroupAdvantagesWith returns the group-relative advantage of each rollout
// of one prompt (GRPO, arXiv 2402.03300; PAPER.md §3):
//
//	normStd:  A_i = (r_i − mean(r)) / (std(r) + AdvantageEps)   (GRPO)
//	!normStd: A_i =  r_i − mean(r)                              (Dr. GRPO, arXiv 2503.20783)
//
// rewards has shape (N), N = GroupSize; masked (nil or shape (N)) marks
// rollouts that a reward shape excluded from the update. stats says which
// rollouts mean and std are taken over (GroupStats); std uses Bessel's
// correction (n−1) as torch.std in verl. Masked rollouts get advantage 0
// and must also be excluded from the loss (Sequence.Masked).
//
// A group of a single rollout (N = 1) has mean 0 and std 1, so its
// advantage is its reward, as in verl. A group whose rewards (over the
// rollouts stats counts) are all equal gets all-zero advantages: it carries
// no learning signal (see FilterGroups for dynamic sampling).
func GroupAdvantagesWith(rewards []float64, masked []bool, normStd bool, stats GroupStats) ([]float64, error) {
	if masked != nil && len(masked) != len(rewards) {
		return nil, fmt.Errorf("rl: group advantages: %d rewards but %d mask entries", len(rewards), len(masked))
	}
	if _, err := ParseGroupStats(string(stats)); err != nil {
		return nil, err
	}
	isMasked := func(i int) bool { return masked != nil && masked[i] }
	counts := func(i int) bool { return stats == StatsWholeGroup || !isMasked(i) }
	for i, r := range rewards {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rl: group advantages: reward %d is %v", i, r)
		}
	}
	adv := make([]float64, len(rewards))
	n, sum := 0, 0.0
	for i, r := range rewards {
		if counts(i) {
			n++
			sum += r
		}
	}
	var mean, std float64
	switch {
	case len(rewards) == 1:
		mean, std = 0, 1 // a prompt sampled once (verl)
	case n < 2:
		return adv, nil // masking left no baseline
	default:
		mean = sum / float64(n)
		ss := 0.0
		for i, r := range rewards {
			if counts(i) {
				ss += (r - mean) * (r - mean)
			}
		}
		std = math.Sqrt(ss / float64(n-1))
	}
	for i, r := range rewards {
		if isMasked(i) {
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
