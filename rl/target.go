package rl

import (
	"fmt"
	"math"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/reward"
)

// PromptTargetLen returns a prompt's own L_T: its Meta "target_len" (set by
// `terse data export --format terse --target-quantile`), or 0 when it has
// none. A value that is not a whole number > 0 is an error naming the
// prompt.
func PromptTargetLen(p bench.Problem) (int, error) {
	v, ok := p.Meta["target_len"]
	if !ok || v == nil {
		return 0, nil
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return 0, fmt.Errorf("rl: prompt %s/%s: meta.target_len = %v, want a whole number > 0", p.Benchmark, p.ID, v)
	}
	if f < 1 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("rl: prompt %s/%s: meta.target_len = %v, want a whole number > 0", p.Benchmark, p.ID, v)
	}
	return int(f), nil
}

// promptShape returns the shape that scores p's group: shape, or shape with
// L_T set to the prompt's own target length (reward.WithTargetLen) when p
// has one. A shape that cannot take it is an error, never ignored.
func promptShape(shape reward.Shape, p bench.Problem) (reward.Shape, error) {
	tl, err := PromptTargetLen(p)
	if err != nil || tl == 0 {
		return shape, err
	}
	s, err := reward.WithTargetLen(shape, tl)
	if err != nil {
		return nil, fmt.Errorf("rl: prompt %s/%s has target_len %d: %w", p.Benchmark, p.ID, tl, err)
	}
	return s, nil
}
