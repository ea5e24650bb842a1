package rewardserver

import (
	"fmt"
	"math"
	"sync"

	"github.com/terse-dev/terse/reward"
)

// rsBudget is a byte budget: reserve fails rather than pass the limit.
type rsBudget struct {
	limit int64

	mu  sync.Mutex
	now int64
}

// reserve takes n bytes of the budget, or reports false when they do not
// fit. A request larger than the whole budget fits only an empty budget,
// so that one large request is never refused for ever.
func (b *rsBudget) reserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.now > 0 && b.now+n > b.limit {
		return false
	}
	b.now += n
	return true
}

// release returns n bytes taken by reserve.
func (b *rsBudget) release(n int64) {
	b.mu.Lock()
	b.now -= n
	b.mu.Unlock()
}

// held returns the bytes reserved now.
func (b *rsBudget) held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

// rsProbeLengths are the lengths rsFiniteShape tries.
var rsProbeLengths = []int{0, 1, 2, 16, 256, 1024, 4096, 16384, 65536, 1 << 20}

// rsFiniteShape checks that shape gives finite rewards over a range of
// rollouts (every length of rsProbeLengths and limit, correct or not,
// truncated or not), alone and in one group. Parameters such as
// cosine:c0=1e308,cl=-1e308 overflow to ±Inf or NaN, which no trainer
// can use and which would poison the reward metrics; they are refused
// up front. (A check after scoring catches what the probe misses.)
func rsFiniteShape(shape reward.Shape, limit int) error {
	lengths := rsProbeLengths
	if limit > 0 {
		lengths = append(lengths[:len(lengths):len(lengths)], limit-1, limit)
	}
	var all reward.Group
	for _, n := range lengths {
		for _, correct := range []bool{true, false} {
			for _, trunc := range []bool{false, true} {
				r := reward.Rollout{Correct: correct, Tokens: n, Truncated: trunc}
				all = append(all, r)
				if err := rsFinite(shape, reward.Group{r}); err != nil {
					return err
				}
			}
		}
	}
	return rsFinite(shape, all)
}

func rsFinite(shape reward.Shape, g reward.Group) error {
	for i, o := range shape.Rewards(g) {
		if math.IsNaN(o.Reward) || math.IsInf(o.Reward, 0) {
			r := g[i]
			return fmt.Errorf("shape %s gives a non-finite reward (%g) to a rollout of %d tokens (correct %v, truncated %v) in a group of %d; choose smaller parameters", shape, o.Reward, r.Tokens, r.Correct, r.Truncated, len(g))
		}
	}
	return nil
}

// rsFiniteOutcomes reports a non-finite reward among scored items.
func rsFiniteOutcomes(items []*rsItem) error {
	for _, it := range items {
		if r := it.out.Reward; math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("gave a non-finite reward (%g) to a rollout of %d tokens; choose smaller parameters", r, it.tokens)
		}
	}
	return nil
}
