package rl

import "fmt"

// splitmix64 is a tiny, fully specified generator (Steele et al. 2014), so
// that a shuffle by seed gives the same order on every Go version.
type splitmix64 struct{ s uint64 }

func (g *splitmix64) next() uint64 {
	g.s += 0x9e3779b97f4a7c15
	z := g.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n) by rejection (no modulo bias).
func (g *splitmix64) below(n uint64) uint64 {
	limit := -n % n // 2^64 mod n: reject the incomplete last block
	for {
		if v := g.next(); v >= limit {
			return v % n
		}
	}
}

// Permutation returns a permutation of 0..n−1 determined by seed alone
// (Fisher–Yates driven by splitmix64).
func Permutation(n int, seed uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	g := splitmix64{seed}
	for i := n - 1; i > 0; i-- {
		j := int(g.below(uint64(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// SplitMiniBatches splits items 0..n−1 into staleness sequential update
// mini-batches (PAPER.md §3: off-policy staleness S is the rollout batch /
// update mini-batch ratio; S = 1 is on-policy, one update per rollout batch).
// With shuffle the items are first permuted by Permutation(n, seed);
// otherwise they keep their order. When S does not divide n, the first
// n mod S mini-batches get one item more. Each index appears exactly once.
func SplitMiniBatches(n, staleness int, seed uint64, shuffle bool) ([][]int, error) {
	if staleness < 1 {
		return nil, fmt.Errorf("rl: staleness %d must be ≥ 1", staleness)
	}
	if n < staleness {
		return nil, fmt.Errorf("rl: %d items cannot fill %d mini-batches (staleness)", n, staleness)
	}
	order := Permutation(n, seed)
	if !shuffle {
		for i := range order {
			order[i] = i
		}
	}
	out := make([][]int, staleness)
	size, extra := n/staleness, n%staleness
	at := 0
	for k := range out {
		m := size
		if k < extra {
			m++
		}
		out[k] = order[at : at+m : at+m]
		at += m
	}
	return out, nil
}

// SplitGroups is SplitMiniBatches over whole groups: groups of groupSize
// rollouts stored consecutively (rollout i of group g has index
// g·groupSize + i) are dealt to staleness mini-batches, and the rollout
// indices of each mini-batch are returned, groups kept together and in
// rollout order. Keeping groups whole matches verl, whose mini-batch size
// counts prompts.
func SplitGroups(groups, groupSize, staleness int, seed uint64, shuffle bool) ([][]int, error) {
	if groupSize < 1 {
		return nil, fmt.Errorf("rl: group size %d must be ≥ 1", groupSize)
	}
	mb, err := SplitMiniBatches(groups, staleness, seed, shuffle)
	if err != nil {
		return nil, fmt.Errorf("splitting %d groups: %w", groups, err)
	}
	out := make([][]int, len(mb))
	for k, gs := range mb {
		out[k] = make([]int, 0, len(gs)*groupSize)
		for _, g := range gs {
			for i := range groupSize {
				out[k] = append(out[k], g*groupSize+i)
			}
		}
	}
	return out, nil
}

// FilterGroups is FilterGroupsWith under StatsWholeGroup, the default.
func FilterGroups(rewards [][]float64, masked [][]bool) ([]int, error) {
	return FilterGroupsWith(rewards, masked, StatsWholeGroup)
}

// FilterGroupsWith implements DAPO's dynamic sampling (arXiv 2503.14476):
// it returns the indices of the groups that carry a learning signal, those
// where some unmasked rollout gets a nonzero advantage under stats
// (GroupAdvantagesWith). Groups without one (all rewards equal: all
// correct, all wrong, all truncated; or every rollout that differs is
// masked) only dilute the batch. rewards is (G)(N); masked is nil or
// (G)(N). Re-sampling to refill the batch is the trainer's job.
func FilterGroupsWith(rewards [][]float64, masked [][]bool, stats GroupStats) ([]int, error) {
	if masked != nil && len(masked) != len(rewards) {
		return nil, fmt.Errorf("rl: dynamic sampling: %d groups of rewards but %d of masks", len(rewards), len(masked))
	}
	var keep []int
	for g, rs := range rewards {
		var m []bool
		if masked != nil {
			m = masked[g]
			if len(m) != len(rs) {
				return nil, fmt.Errorf("rl: dynamic sampling: group %d has %d rewards but %d mask entries", g, len(rs), len(m))
			}
		}
		adv, err := GroupAdvantagesWith(rs, m, false, stats)
		if err != nil {
			return nil, fmt.Errorf("rl: dynamic sampling: group %d: %w", g, err)
		}
		for _, a := range adv {
			if a != 0 {
				keep = append(keep, g)
				break
			}
		}
	}
	return keep, nil
}
