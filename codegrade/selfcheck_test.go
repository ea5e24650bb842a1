package codegrade

import (
	"context"
	"sync"
	"testing"

	"github.com/terse-dev/terse/bench"
)

// TestHumanEvalCanonical grades every HumanEval reference solution (the
// record's prompt continued by canonical_solution, as a base model's
// completion would be) in the sandbox: all 164 must pass, and every fourth
// function with its body replaced by a raising one must fail.
func TestHumanEvalCanonical(t *testing.T) {
	g := graderOrSkip(t)
	ps, err := bench.Load("humaneval")
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		ps = ps[:20]
	}
	type result struct {
		id       string
		ref, bad Verdict
	}
	results := make([]result, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			ref := g.Run(context.Background(), p.Solution, p.Tests)
			bad := Verdict{Reason: RuntimeError}
			if i%4 == 0 { // a quarter suffices to show the check can fail
				bad = g.Run(context.Background(), p.Tests.Stub+"    raise NotImplementedError\n", p.Tests)
			}
			results[i] = result{p.ID, ref, bad}
		})
	}
	wg.Wait()
	passed := 0
	for _, r := range results {
		if r.ref.Correct {
			passed++
		} else {
			t.Errorf("%s: reference solution: %s %+v", r.id, r.ref.Reason, r.ref.Tests)
		}
		if r.bad.Correct || r.bad.Reason != RuntimeError {
			t.Errorf("%s: a body that raises got %s", r.id, r.bad.Reason)
		}
	}
	t.Logf("%d of %d reference solutions pass", passed, len(ps))
}
