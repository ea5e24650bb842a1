package demo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/terse-dev/terse/rl"
)

// TestLabDiff checks that a finding not reproduced says what in the lab
// differs from the paper, with the numbers of the seeds' runs, and that a
// reproduced one does not.
func TestLabDiff(t *testing.T) {
	t.Run("every finding has one and survives missing runs", func(t *testing.T) {
		w := newWorld(1, 2)
		for _, f := range Findings(w.p) {
			if f.labDiff == nil {
				t.Fatalf("finding %d has no labDiff", f.ID)
			}
			if s := f.labDiff(w.seeds); s == "" {
				t.Errorf("finding %d: empty lab difference without runs", f.ID)
			}
			v := f.decideSeeds(w.seeds)
			if v.Reproduced == Yes || v.LabDiff == "" {
				t.Errorf("finding %d without runs: reproduced %s, lab difference %q", f.ID, v.Reproduced, v.LabDiff)
			}
		}
	})

	t.Run("rollout limit: long outputs of the long-limit run and the base", func(t *testing.T) {
		long := spec{noise: 0.02, lenNoise: 0.05, curve: &twoStage}
		w := newWorld(1, 2, 3).add(Baseline, spec{noise: 0.02, lenFactor: 1, lenNoise: 0.01, curve: &twoStage}).
			add(Unified, long).add(baseRun, spec{noise: 0.02})
		for si, r := range w.seeds {
			setTruncation(r.run(Unified), w.p.TargetLen, 0.01*float64(si+1))
			setTruncation(r.Base, w.p.TargetLen, 0.3)
		}
		v := w.decide(findingRolloutLimit)
		checkVerdict(t, v, No)
		for _, want := range []string{"seed 1: 1.0%; seed 2: 2.0%; seed 3: 3.0%", "base model's: every seed: 30.0%", "L_R = 768"} {
			if !strings.Contains(v.LabDiff, want) {
				t.Errorf("lab difference lacks %q:\n%s", want, v.LabDiff)
			}
		}
	})

	t.Run("group size: chance of a positive in the smallest group", func(t *testing.T) {
		w := newWorld(1)
		w.seeds[0].Difficulty = &Difficulty{Prompts: 320, K: 8, Easy: 40, EasyPassRate: 0.7}
		s := findingGroupSize(w.p).labDiff(w.seeds)
		if !strings.Contains(s, "0.992 (p = 0.70)") { // 1 − 0.3⁴
			t.Errorf("lab difference lacks 1 − (1 − 0.7)^4 = 0.992:\n%s", s)
		}
	})

	t.Run("reproduced: none", func(t *testing.T) {
		negShort := twoStage
		negShort.lengthNeg = constant(120)
		negLong := twoStage
		negLong.lengthNeg = constant(200)
		w := newWorld(1, 2, 3).add(Baseline, spec{noise: 0.02, lenFactor: 0.8, lenNoise: 0.05, curve: &negShort}).
			add(Unified, spec{noise: 0.02, lenNoise: 0.05, curve: &negLong})
		v := w.decide(findingRolloutLimit)
		checkVerdict(t, v, Yes)
		if v.LabDiff != "" {
			t.Errorf("reproduced finding with a lab difference: %q", v.LabDiff)
		}
	})
}

// TestLowestEval: the lowest in-training point after step 0, its step and
// the start; a run without a step-0 ladder or a failed run has none.
func TestLowestEval(t *testing.T) {
	at := func(step int, v float64) rl.StepLog {
		return rl.StepLog{Step: step, Eval: []rl.EvalPoint{{Benchmark: "lab-add", Budget: 1024, MeanAtK: v}, {Benchmark: "lab-add", Budget: 64, MeanAtK: 0}}}
	}
	rr := &RunResult{Status: StatusOK, Steps: []rl.StepLog{at(0, 0.8), {Step: 1}, at(8, 0.3), at(16, 0.1), at(24, 0.5)}}
	low, step, start, ok := lowestEval(rr, "lab-add", 1024)
	if !ok || low != 0.1 || step != 16 || start != 0.8 {
		t.Errorf("lowestEval = %v at %d from %v (%v), want 0.1 at 16 from 0.8", low, step, start, ok)
	}
	if _, _, _, ok := lowestEval(&RunResult{Status: StatusOK, Steps: rr.Steps[1:]}, "lab-add", 1024); ok {
		t.Error("no step-0 ladder: reported a fall")
	}
	rr.Status = StatusFailed
	if _, _, _, ok := lowestEval(rr, "lab-add", 1024); ok {
		t.Error("failed run: reported a fall")
	}
}

// TestPerSeedShared: a value every seed shares is said once.
func TestPerSeedShared(t *testing.T) {
	w := newWorld(1, 2)
	same := perSeed(w.seeds, func(*Results) (string, bool) { return "x", true })
	diff := perSeed(w.seeds, func(r *Results) (string, bool) { return fmt.Sprint(r.Profile.Seed), true })
	part := perSeed(w.seeds, func(r *Results) (string, bool) { return "x", r.Profile.Seed == 1 })
	if same != "every seed: x" || diff != "seed 1: 1; seed 2: 2" || part != "seed 1: x" {
		t.Errorf("perSeed: %q, %q, %q", same, diff, part)
	}
}

// setTruncation sets a run's truncation rate at budget on every benchmark.
func setTruncation(rr *RunResult, budget int, rate float64) {
	for i := range rr.Final {
		for j := range rr.Final[i].Budgets {
			if rr.Final[i].Budgets[j].Budget == budget {
				rr.Final[i].Budgets[j].TruncationRate = rate
			}
		}
	}
}
