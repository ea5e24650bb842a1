package lab

import (
	"fmt"
	"slices"
)

// LengthStats summarises trace lengths, in tokens, of one family and level.
type LengthStats struct {
	Family string  `json:"family"`
	Level  int     `json:"level"`
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	P10    int     `json:"p10"`
	P50    int     `json:"p50"`
	P90    int     `json:"p90"`
	Max    int     `json:"max"`
}

// TraceStats measures the length of n teacher traces per level of a family
// (verbose, or concise when concise is set), over training problems drawn
// with the seed. It shows how the lab's lengths sit on the Budgets ladder.
func TraceStats(familyName string, n int, seed uint64, concise bool) ([]LengthStats, error) {
	if n < 1 {
		return nil, fmt.Errorf("lab: trace stats of %s: n %d, want >= 1", familyName, n)
	}
	var out []LengthStats
	for level := MinLevel; level <= MaxLevel; level++ {
		ps, err := TrainSplitLevels(familyName, []int{level}, n, seed)
		if err != nil {
			return nil, err
		}
		rng := newRNG(seed, "stats", familyName, fmt.Sprint(level))
		lens := make([]int, 0, n)
		sum := 0
		for _, p := range ps {
			var t string
			if concise {
				t, err = Concise(p)
			} else {
				t, err = Verbose(p, rng)
			}
			if err != nil {
				return nil, err
			}
			l := TokenLen(t)
			lens = append(lens, l)
			sum += l
		}
		slices.Sort(lens)
		q := func(f float64) int { return lens[int(f*float64(len(lens)-1)+0.5)] }
		out = append(out, LengthStats{
			Family: familyName, Level: level, N: n,
			Mean: float64(sum) / float64(n),
			P10:  q(0.1), P50: q(0.5), P90: q(0.9), Max: lens[len(lens)-1],
		})
	}
	return out, nil
}
