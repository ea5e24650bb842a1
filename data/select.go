package data

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Balance values of SelectOptions.Balance.
const (
	// BalanceNone samples uniformly from the candidates.
	BalanceNone = ""
	// BalanceSource gives every source (Record.Source) an equal share.
	BalanceSource = "source"
	// BalanceLevel gives every level (Record.Level) an equal share.
	BalanceLevel = "level"
)

// SelectOptions says which prompts to keep. Every condition must hold.
// Start from DefaultSelectOptions: the zero value has a [0, 0] pass band.
type SelectOptions struct {
	// Easy keeps PassRate > Threshold; Hard keeps PassRate ≤ Threshold
	// (the paper's split, PAPER.md §3). At most one may be set.
	Easy, Hard bool
	// Threshold of Easy/Hard, in [0, 1) (DefaultThreshold: the paper's 0.5;
	// 0 makes Easy "solved at least once").
	Threshold float64
	// MinPass and MaxPass keep MinPass ≤ PassRate ≤ MaxPass.
	MinPass, MaxPass float64
	// ExcludeNeverSolved drops prompts with no correct rollout;
	// ExcludeAllSolved drops prompts whose every rollout was correct.
	ExcludeNeverSolved, ExcludeAllSolved bool
	// Size, when > 0, samples that many prompts from those that pass (all
	// of them when fewer pass).
	Size int
	// Seed drives the sampling.
	Seed uint64
	// Balance is BalanceNone, BalanceSource or BalanceLevel: sample so that
	// every group gets an equal share (a group with fewer prompts gives all
	// of them and the rest is spread over the others). With Size 0 every
	// group is cut to the size of the smallest.
	Balance string
}

// DefaultSelectOptions keeps every prompt: threshold DefaultThreshold,
// pass band [0, 1], no exclusions, no sampling.
func DefaultSelectOptions() SelectOptions {
	return SelectOptions{Threshold: DefaultThreshold, MaxPass: 1}
}

// Validate reports the first inconsistent option.
func (o SelectOptions) Validate() error {
	switch {
	case o.Easy && o.Hard:
		return fmt.Errorf("data: select: Easy and Hard together select nothing")
	case o.MinPass < 0 || o.MaxPass > 1 || o.MinPass > o.MaxPass:
		return fmt.Errorf("data: select: pass band [%g, %g] is not within [0, 1]", o.MinPass, o.MaxPass)
	case o.Threshold < 0 || o.Threshold >= 1:
		return fmt.Errorf("data: select: threshold %g outside [0, 1)", o.Threshold)
	case o.Size < 0:
		return fmt.Errorf("data: select: size %d < 0", o.Size)
	case o.Balance != BalanceNone && o.Balance != BalanceSource && o.Balance != BalanceLevel:
		return fmt.Errorf("data: select: balance %q: want %q, %q or none", o.Balance, BalanceSource, BalanceLevel)
	}
	return nil
}

// Keep reports whether r passes the filters (everything but Size and
// Balance).
func (o SelectOptions) Keep(r *Record) bool {
	switch {
	case o.Easy && !r.Easy(o.Threshold), o.Hard && r.Easy(o.Threshold):
		return false
	case r.PassRate < o.MinPass || r.PassRate > o.MaxPass:
		return false
	case o.ExcludeNeverSolved && r.NeverSolved(), o.ExcludeAllSolved && r.AllSolved():
		return false
	}
	return true
}

// Select returns the records that pass o's filters, sampled down to
// o.Size (balanced on request), in their original order.
func Select(recs []Record, o SelectOptions) ([]Record, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var idx []int
	for i := range recs {
		if o.Keep(&recs[i]) {
			idx = append(idx, i)
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x73656c656374)) // "select"
	switch {
	case o.Balance != BalanceNone:
		idx = balanced(recs, idx, o, rng)
	case o.Size > 0 && o.Size < len(idx):
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:o.Size]
	}
	slices.Sort(idx)
	out := make([]Record, len(idx))
	for i, j := range idx {
		out[i] = recs[j]
	}
	return out, nil
}

// balanced samples idx so that every group (source or level) gets an equal
// share of o.Size, water-filling: groups smaller than their share give all
// their prompts and the remainder is shared among the rest. With Size 0
// the target is the smallest group's size times the number of groups.
func balanced(recs []Record, idx []int, o SelectOptions, rng *rand.Rand) []int {
	groups := map[string][]int{}
	for _, i := range idx {
		k := recs[i].Source
		if o.Balance == BalanceLevel {
			k = strconv.Itoa(recs[i].Level)
		}
		groups[k] = append(groups[k], i)
	}
	if len(groups) == 0 {
		return nil
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	// Smallest groups first, so water-filling settles them before the rest.
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(len(groups[a]), len(groups[b])), cmp.Compare(a, b)) })
	size := o.Size
	if size == 0 || size > len(idx) {
		size = len(idx)
		if o.Size == 0 {
			size = len(groups[keys[0]]) * len(keys)
		}
	}
	var out []int
	left := size
	for n, k := range keys {
		g := groups[k]
		share := left / (len(keys) - n)
		if rem := left % (len(keys) - n); rem > 0 && o.Size > 0 {
			share++ // round up so the total reaches Size; later groups take less
		}
		take := min(share, len(g))
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		out = append(out, g[:take]...)
		left -= take
	}
	return out
}
