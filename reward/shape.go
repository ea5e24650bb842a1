package reward

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rollout is one sampled response to a prompt, as a reward shape sees it.
type Rollout struct {
	// Correct is the grader's verdict on the final answer.
	Correct bool `json:"correct"`
	// Tokens is the response length in tokens (the rollout limit when
	// Truncated). Never negative.
	Tokens int `json:"tokens"`
	// Truncated reports that generation stopped at the rollout limit L_R
	// instead of at end-of-sequence.
	Truncated bool `json:"truncated"`
}

// Solved reports whether the rollout counts as correct for reward shaping:
// correct and not truncated. See the package doc for why a truncated rollout
// never counts as correct.
func (r Rollout) Solved() bool { return r.Correct && !r.Truncated }

// Group is the GroupSize rollouts sampled for one prompt. Group-relative
// shapes (Kimi, AroraZanette, ShorterBetter, ALP) compare rollouts within it;
// the others score each rollout on its own.
type Group []Rollout

// Validate reports the first rollout with a negative length.
func (g Group) Validate() error {
	for i, r := range g {
		if r.Tokens < 0 {
			return fmt.Errorf("reward: rollout %d: tokens = %d, want ≥ 0", i, r.Tokens)
		}
	}
	return nil
}

// Outcome is a shape's verdict on one rollout.
type Outcome struct {
	// Reward is the scalar reward; 0 when Masked.
	Reward float64 `json:"reward"`
	// Masked reports that the rollout must be left out of the policy update
	// (the "−" entries of PAPER.md §4.6), rather than rewarded with 0.
	Masked bool `json:"masked"`
}

// Shape is a reward shape: a function from a group of rollouts of one prompt
// to one Outcome per rollout, in order.
//
// Rewards must not modify g, returns a slice of len(g) (empty for an empty
// group), and is safe for concurrent use. Name is the name Parse accepts;
// String is the full spec with every parameter, which Parse maps back to an
// equal shape.
type Shape interface {
	Name() string
	String() string
	Rewards(g Group) []Outcome
}

// Stateful is a Shape whose parameters move with training, such as
// AdaptiveTarget. The trainer calls Observe with every group it rewards
// during a step and Update once at the end of the step.
type Stateful interface {
	Shape
	// Observe records the rollouts of one group for the current step.
	Observe(g Group)
	// Update closes the current step and recomputes the parameters.
	Update()
	// MarshalState returns the parameters and history that Observe and
	// Update have built (JSON), for a training checkpoint; call it between
	// steps, after Update.
	MarshalState() ([]byte, error)
	// UnmarshalState restores what MarshalState returned, so that a resumed
	// run rewards as the uninterrupted one would.
	UnmarshalState(data []byte) error
}

// GroupRelative reports whether s compares rollouts within a group, so that
// scoring a partial group (or one rollout alone) changes its rewards. A
// service that receives rollouts one at a time must assemble whole groups
// before calling Rewards on such a shape.
func GroupRelative(s Shape) bool {
	g, ok := s.(interface{ groupRelative() bool })
	return ok && g.groupRelative()
}

// ErrUnknownShape is returned (wrapped) by Parse for a name it does not know.
var ErrUnknownShape = errors.New("reward: unknown shape")

// fmtSpec writes name:k=v,k=v with the shortest exact float formatting.
func fmtSpec(name string, kv ...any) string {
	var b strings.Builder
	b.WriteString(name)
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(kv[i].(string))
		b.WriteByte('=')
		switch v := kv[i+1].(type) {
		case int:
			b.WriteString(strconv.Itoa(v))
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		default:
			panic(fmt.Sprintf("reward: fmtSpec: unsupported %T", v))
		}
	}
	return b.String()
}

// each applies f to every rollout of g.
func each(g Group, f func(r Rollout) Outcome) []Outcome {
	out := make([]Outcome, len(g))
	for i, r := range g {
		out[i] = f(r)
	}
	return out
}

// indicator is I(b).
func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
