package rewardserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/terse-dev/terse/internal/atomicfile"
	"github.com/terse-dev/terse/reward"
)

// rsItem is one rollout moving through the reward service: prepared
// (response text, tokens, truncation), graded, then scored with its group.
type rsItem struct {
	text      string   // response without prompt, padding and EOS
	gold      []string // gold answers
	tokens    int      // length in tokens, ≤ RolloutLimit when that is set
	truncated bool     // hit the rollout limit (or no EOS)
	given     *bool    // correctness supplied by the caller: skip grading
	targetLen int      // the prompt's own L_T; 0: the shape's
	verdict   RewardVerdict

	// Set by the group's scoring, before done is closed.
	out           reward.Outcome
	groupComplete bool          // scored with a full group
	done          chan struct{} // closed when out is set
}

func rsNewItem() *rsItem { return &rsItem{done: make(chan struct{})} }

// rollout is the item as a reward shape sees it.
func (it *rsItem) rollout() reward.Rollout {
	return reward.Rollout{Correct: it.verdict.Correct, Tokens: it.tokens, Truncated: it.truncated}
}

// rsPool bounds the grading and tokenising work of all requests together.
type rsPool struct{ sem chan struct{} }

func rsNewPool(workers int) *rsPool { return &rsPool{sem: make(chan struct{}, workers)} }

// run calls f(0..n-1) with at most the pool's worker count running at once
// across every caller, and returns when all calls have returned. If ctx ends
// first it returns ctx's error at once; calls already started finish in the
// background (still holding their workers), so f must not touch anything
// the caller reuses after an error.
func (p *rsPool) run(ctx context.Context, n int, f func(i int)) error {
	done := make(chan struct{}, n)
	started := 0
	for i := range n {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		started++
		go func() {
			defer func() { <-p.sem; done <- struct{}{} }()
			f(i)
		}()
	}
	for range started {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// rsShape wraps the server's shape: for a reward.Stateful shape it observes
// every scored group, calls Update after every step rollouts and, with a
// state file, saves the state after each Update.
type rsShape struct {
	shape     reward.Shape
	st        reward.Stateful // nil unless shape is stateful
	step      int
	stateFile string       // "" saves nothing
	log       *slog.Logger // for state-file write errors

	mu   sync.Mutex // guards seen and the state file
	seen int        // rollouts observed in the current step
}

// isStateful reports whether s keeps state across training steps.
func isStateful(s reward.Shape) bool {
	_, ok := s.(reward.Stateful)
	return ok
}

// load restores the shape's state from path when the file exists.
func (r *rsShape) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = r.st.UnmarshalState(data)
	}
	if err != nil {
		return fmt.Errorf("rewardserver: state file %s: %w", path, err)
	}
	return nil
}

// save writes the shape's state to the state file atomically
// (atomicfile.WriteFile), so a crash leaves the previous state intact.
func (r *rsShape) save() error {
	data, err := r.st.MarshalState()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(r.stateFile, data, 0o644)
}

func rsNewShape(s reward.Shape, step int) *rsShape {
	st, _ := s.(reward.Stateful)
	return &rsShape{shape: s, st: st, step: step}
}

func (r *rsShape) rewards(g reward.Group) []reward.Outcome {
	out := r.shape.Rewards(g)
	if r.st == nil {
		return out
	}
	r.st.Observe(g)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen += len(g)
	for r.seen >= r.step {
		r.seen -= r.step
		r.st.Update()
		if r.stateFile != "" {
			if err := r.save(); err != nil {
				r.log.Error("reward: saving the shape state", "file", r.stateFile, "err", err)
			}
		}
	}
	return out
}

// rsAssembler gathers rollouts that arrive one request at a time into groups
// of one prompt, for group-relative shapes.
//
// A group is scored when GroupSize rollouts with the same key (prompt text
// and gold) have arrived. When the first rollout of a group has waited
// GroupWait, the partial group is scored as it is — the per-sample fallback:
// the shape sees only the rollouts that arrived (a group of one gets the
// shape's single-rollout value, e.g. Kimi's I(correct)), and every answer
// flags group_complete = 0. Surplus rollouts of a key (more than GroupSize,
// e.g. a client's retries) start a new group. After close, every rollout is
// scored at once with the partial group it is in.
type rsAssembler struct {
	size   int
	wait   time.Duration
	finish func(items []*rsItem, complete bool)

	mu     sync.Mutex // guards the fields below
	open   map[string]*rsOpenGroup
	closed bool
}

type rsOpenGroup struct {
	items []*rsItem
	timer *time.Timer
}

func rsNewAssembler(size int, wait time.Duration, finish func([]*rsItem, bool)) *rsAssembler {
	return &rsAssembler{size: size, wait: wait, finish: finish, open: map[string]*rsOpenGroup{}}
}

// add adds it to the group of key; it.done is closed once the group is scored.
func (a *rsAssembler) add(key string, it *rsItem) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.finish([]*rsItem{it}, false)
		return
	}
	g := a.open[key]
	if g == nil {
		g = &rsOpenGroup{}
		a.open[key] = g
		g.timer = time.AfterFunc(a.wait, func() { a.expire(key, g) })
	}
	g.items = append(g.items, it)
	if len(g.items) < a.size {
		a.mu.Unlock()
		return
	}
	delete(a.open, key)
	g.timer.Stop()
	a.mu.Unlock()
	a.finish(g.items, true)
}

// expire scores g as a partial group unless it was completed meanwhile.
func (a *rsAssembler) expire(key string, g *rsOpenGroup) {
	a.mu.Lock()
	if a.open[key] != g {
		a.mu.Unlock()
		return
	}
	delete(a.open, key)
	a.mu.Unlock()
	a.finish(g.items, false)
}

// pending returns the number of rollouts waiting for their group.
func (a *rsAssembler) pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, g := range a.open {
		n += len(g.items)
	}
	return n
}

// close scores every open group as it is; later adds are scored alone.
func (a *rsAssembler) close() {
	a.mu.Lock()
	a.closed = true
	groups := make([]*rsOpenGroup, 0, len(a.open))
	for k, g := range a.open {
		g.timer.Stop()
		groups = append(groups, g)
		delete(a.open, k)
	}
	a.mu.Unlock()
	for _, g := range groups {
		a.finish(g.items, false)
	}
}

// finishGroup scores items as one group with the server's shape and
// releases their waiters.
func (s *Server) finishGroup(items []*rsItem, complete bool) {
	g := make(reward.Group, len(items))
	for i, it := range items {
		g[i] = it.rollout()
	}
	out := s.groupRewards(items, g)
	s.metrics.group(complete)
	for i, it := range items {
		it.out = out[i]
		it.groupComplete = complete
		close(it.done)
	}
}

// rsScoreDirect scores items as one group with shape, without assembly.
func rsScoreDirect(shape func(reward.Group) []reward.Outcome, items []*rsItem) {
	g := make(reward.Group, len(items))
	for i, it := range items {
		g[i] = it.rollout()
	}
	out := shape(g)
	for i, it := range items {
		it.out = out[i]
		it.groupComplete = true
		close(it.done)
	}
}

// gradeAll runs prepare(i) (decoding, measuring; an error stops item i
// there) and then grades item i unless its caller gave the verdict, on the
// pool. It returns the first item error in request order, or the context's
// error. A grader panic becomes an incorrect verdict with reason
// "grader_panic".
func (s *Server) gradeAll(ctx context.Context, items []*rsItem, prepare func(i int) *rsError) *rsError {
	errs := make([]*rsError, len(items))
	err := s.pool.run(ctx, len(items), func(i int) {
		it := items[i]
		if errs[i] = prepare(i); errs[i] != nil {
			return
		}
		if it.given != nil {
			it.verdict = RewardVerdict{Correct: *it.given, Reason: "provided"}
			return
		}
		defer func() {
			if r := recover(); r != nil {
				s.opts.Logger.Error("reward grader panic", "panic", fmt.Sprint(r))
				it.verdict = RewardVerdict{Reason: "grader_panic"}
			}
		}()
		it.verdict = s.opts.Grader(it.text, it.gold)
	})
	if err != nil {
		return rsCtxError(err, "grading")
	}
	for _, e := range errs {
		if e != nil {
			return e // the first bad item in request order
		}
	}
	return nil
}

// rsWaitAll waits until every item is scored or ctx ends.
func rsWaitAll(ctx context.Context, items []*rsItem) error {
	for _, it := range items {
		select {
		case <-it.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
