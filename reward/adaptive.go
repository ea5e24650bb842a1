package reward

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
)

// AdaptiveTarget is Truncation whose target length follows the policy
// (PAPER.md §4.7, appendix): after each training step,
//
//	L_T ← P_p(lengths of correct rollouts over the last Window steps)
//
// with p = 0.9 in the paper. The paper reports it unstable (KL spikes) and
// does not recommend it.
//
// The paper is silent on the window, the percentile method and the empty
// case; we use: Window = 1 (the previous step only) by default; the
// percentile by linear interpolation between order statistics (NumPy's
// default), rounded to the nearest token and at least 1; and no correct
// rollout in the window keeps the previous L_T. Before the first Update,
// L_T = Initial.
//
// It is stateful: Observe every group rewarded in a step, then Update once at
// the end of the step. Rewards uses the L_T in force. Safe for concurrent use.
type AdaptiveTarget struct {
	initial    int
	percentile float64
	window     int

	mu     sync.Mutex // guards the fields below
	target int        // L_T in force
	cur    []int      // correct lengths observed in the current step
	past   [][]int    // correct lengths of the last ≤ window closed steps, oldest first
}

// NewAdaptiveTarget returns an AdaptiveTarget starting at L_T = initial,
// tracking the given percentile (in (0, 1]) of correct lengths over the last
// window steps (≥ 1).
func NewAdaptiveTarget(initial int, percentile float64, window int) *AdaptiveTarget {
	return &AdaptiveTarget{initial: initial, percentile: percentile, window: window, target: initial}
}

// Name returns "adaptive".
func (a *AdaptiveTarget) Name() string { return "adaptive" }

// String returns the spec, e.g. "adaptive:target=4096,p=0.9,window=1"
// (target is the initial L_T).
func (a *AdaptiveTarget) String() string {
	return fmtSpec("adaptive", "target", a.initial, "p", a.percentile, "window", a.window)
}

// TargetLen returns the L_T in force.
func (a *AdaptiveTarget) TargetLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.target
}

// Rewards returns Truncation{TargetLen: L_T in force}.Rewards(g).
func (a *AdaptiveTarget) Rewards(g Group) []Outcome {
	return Truncation{TargetLen: a.TargetLen()}.Rewards(g)
}

// Observe records the lengths of g's correct (Solved) rollouts for the
// current step.
func (a *AdaptiveTarget) Observe(g Group) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range g {
		if r.Solved() {
			a.cur = append(a.cur, r.Tokens)
		}
	}
}

// Update closes the current step and sets L_T to the percentile of correct
// lengths over the last Window steps (unchanged when there are none).
func (a *AdaptiveTarget) Update() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.past = append(a.past, a.cur)
	a.cur = nil
	if len(a.past) > a.window {
		a.past = a.past[len(a.past)-a.window:]
	}
	var all []int
	for _, s := range a.past {
		all = append(all, s...)
	}
	if len(all) == 0 {
		return
	}
	a.target = max(1, int(math.Round(percentile(all, a.percentile))))
}

// adaptiveState is AdaptiveTarget's state in a checkpoint.
type adaptiveState struct {
	Target int     `json:"target"` // L_T in force
	Past   [][]int `json:"past"`   // correct lengths of the last ≤ window closed steps, oldest first
}

// MarshalState returns {"target": L_T, "past": [[lengths], ...]}. Lengths
// observed in a step not yet closed by Update are not included.
func (a *AdaptiveTarget) MarshalState() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	past := a.past
	if past == nil {
		past = [][]int{}
	}
	return json.Marshal(adaptiveState{Target: a.target, Past: past})
}

// UnmarshalState restores MarshalState's output and clears the current
// step's observations.
func (a *AdaptiveTarget) UnmarshalState(data []byte) error {
	var st adaptiveState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("reward: adaptive state: %w", err)
	}
	if st.Target < 1 {
		return fmt.Errorf("reward: adaptive state: target %d < 1", st.Target)
	}
	if len(st.Past) > a.window {
		return fmt.Errorf("reward: adaptive state: %d past steps, window is %d", len(st.Past), a.window)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.target, a.past, a.cur = st.Target, st.Past, nil
	return nil
}

// percentile returns the p-quantile of xs (non-empty) by linear
// interpolation between order statistics: h = (n−1)·p,
// q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). xs is sorted in place.
func percentile(xs []int, p float64) float64 {
	slices.Sort(xs)
	h := float64(len(xs)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(xs)-1 {
		return float64(xs[len(xs)-1])
	}
	return float64(xs[lo]) + (h-float64(lo))*float64(xs[lo+1]-xs[lo])
}
