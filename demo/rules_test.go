package demo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/terse-dev/terse/rl"
)

// Fixtures for the verdict tests: synthetic runs with per-problem scores on
// the final ladder and synthetic step logs, for one or more seeds.

const testProblems = 60

// world is a demo's results over one or more seeds, built run by run.
type world struct {
	p     Profile
	seeds []*Results
}

func newWorld(seeds ...uint64) *world {
	w := &world{p: DefaultProfile()}
	for _, s := range seeds {
		p := w.p
		p.Seed = s
		w.seeds = append(w.seeds, &Results{Profile: p})
	}
	return w
}

// spec describes one run in every seed: per-problem Mean@k (pass: Pass@k,
// nil = Mean@k) as shift + noise around spread(testProblems) at every
// budget (or per budget), per-problem lengths as factor × a base length,
// and a step log.
type spec struct {
	shift      float64
	shiftAt    map[int]float64 // budget → shift, overriding shift
	noise      float64
	passShift  *float64
	lenFactor  float64 // 0: 1
	lenNoise   float64
	zeroLength bool
	curve      *curve
	benches    []string // nil: the in-domain benchmark
}

// add puts run name into every seed (name baseRun: the base ladder).
func (w *world) add(name string, sp spec) *world {
	sps := make([]spec, len(w.seeds))
	for i := range sps {
		sps[i] = sp
	}
	return w.addEach(name, sps...)
}

// addEach puts run name into every seed, seed i built from sps[i].
func (w *world) addEach(name string, sps ...spec) *world {
	for si, r := range w.seeds {
		sp := sps[si]
		seed := uint64(si+1)*1000 + uint64(len(r.Runs))
		for _, c := range name {
			seed = seed*31 + uint64(c)
		}
		rr := RunResult{Name: name, Status: StatusOK}
		benches := sp.benches
		if benches == nil {
			benches = []string{inDomain(w.p)}
		}
		for bi, bench := range benches {
			br := BenchResult{Benchmark: bench, Problems: testProblems, K: 8}
			for _, budget := range w.p.Budgets {
				shift := sp.shift
				if v, ok := sp.shiftAt[budget]; ok {
					shift = v
				}
				mean := noisyScores(spread(testProblems), shift, sp.noise, seed+uint64(budget)+uint64(bi)*7)
				pass := mean
				if sp.passShift != nil {
					pass = noisyScores(spread(testProblems), *sp.passShift, sp.noise, seed+uint64(budget)+99)
				}
				f := sp.lenFactor
				if f == 0 {
					f = 1
				}
				lens := make([]float64, testProblems)
				rng := rand.New(rand.NewPCG(seed, uint64(budget)))
				for i := range lens {
					if !sp.zeroLength {
						lens[i] = (100 + 10*float64(i%9)) * f * (1 + sp.lenNoise*(2*rng.Float64()-1))
					}
				}
				br.Budgets = append(br.Budgets, BudgetResult{Budget: budget, MeanAtK: avg(mean), PassAtK: avg(pass), MeanLength: avg(lens),
					PerProblem: mean, PerProblemPass: pass, PerProblemLength: lens})
			}
			rr.Final = append(rr.Final, br)
		}
		if sp.curve != nil {
			rr.Steps = sp.curve.logs(seed, w.p.Budgets[len(w.p.Budgets)-1])
		}
		rr.Summary = summarise(rr.Steps)
		if name == baseRun {
			r.Base = &rr
		} else {
			r.Runs = append(r.Runs, rr)
		}
	}
	return w
}

func avg(xs []float64) float64 { m, _ := meanSE(xs); return m }

// curve is a synthetic training run, as in rl/dynamics_test.go: smooth
// curves of the step plus multiplicative uniform noise of ±noise; the
// held-out accuracy goes to an in-training ladder every 5 steps.
type curve struct {
	steps                                   int
	length, lengthNeg, entropy, acc, trainA func(t float64) float64
	noise                                   float64
}

func (c curve) logs(seed uint64, budget int) []rl.StepLog {
	rng := rand.New(rand.NewPCG(seed, 99))
	jitter := func(x float64) float64 { return x * (1 + c.noise*(2*rng.Float64()-1)) }
	var out []rl.StepLog
	for t := 1; t <= c.steps; t++ {
		s := rl.NewStepLog(t)
		tf := float64(t)
		s.MeanLength = jitter(c.length(tf))
		s.MeanLengthNeg = s.MeanLength
		if c.lengthNeg != nil {
			s.MeanLengthNeg = jitter(c.lengthNeg(tf))
		}
		s.Entropy = jitter(c.entropy(tf))
		if t%5 == 0 {
			s.Eval = []rl.EvalPoint{{Benchmark: "lab-add", Budget: budget, K: 8, MeanAtK: min(1, max(0, c.acc(tf)+c.noise/4*(2*rng.Float64()-1)))}}
		}
		out = append(out, s)
	}
	return out
}

func constant(v float64) func(float64) float64 { return func(float64) float64 { return v } }

func expDecay(a, b, tau float64) func(float64) float64 {
	return func(t float64) float64 { return b + (a-b)*math.Exp(-t/tau) }
}

func ramp(t, t0, t1, a, b float64) float64 {
	switch {
	case t <= t0:
		return a
	case t >= t1:
		return b
	}
	return a + (b-a)*(t-t0)/(t1-t0)
}

var (
	// twoStage: length 220 → 110 (τ = 15), entropy 1.2 → 0.8, held-out
	// accuracy steady at 0.6: both stages.
	twoStage = curve{steps: 150, length: expDecay(220, 110, 15), entropy: expDecay(1.2, 0.8, 15), acc: constant(0.6), noise: 0.04}
	// flatRun: nothing happens.
	flatRun = curve{steps: 150, length: constant(200), entropy: constant(1), acc: constant(0.6), noise: 0.04}
	// collapse: the length collapses far below L_T while entropy explodes
	// and accuracy falls (Hard-only, the short-is-correct trap).
	collapse = curve{steps: 150,
		length:  expDecay(220, 20, 15),
		entropy: func(t float64) float64 { return expDecay(1, 0.6, 10)(t) + ramp(t, 40, 70, 0, 1.6) },
		acc:     func(t float64) float64 { return ramp(t, 10, 80, 0.6, 0.2) }, noise: 0.04}
)

func ptr(x float64) *float64 { return &x }

// decideAll is a finding's verdict over every seed of w.
func (w *world) decide(f func(Profile) Finding) Verdict {
	return f(w.p).decideSeeds(w.seeds)
}

// checkVerdict fails unless v is want, printing its evidence.
func checkVerdict(t *testing.T, v Verdict, want string) {
	t.Helper()
	if v.Reproduced != want {
		t.Errorf("reproduced %s, want %s\nevidence: %s", v.Reproduced, want, v.Evidence)
	}
	if v.Rule == "" || v.Claim == "" || len(v.Margins) == 0 {
		t.Errorf("verdict without rule, claim or margins: %+v", v)
	}
	if v.Reproduced != Inconclusive || !strings.HasPrefix(v.Evidence, "Cannot decide") {
		for _, c := range v.Clauses {
			if !strings.Contains(v.Claim, "("+c.ID+")") {
				t.Errorf("clause (%s) %q is not marked in the claim %q", c.ID, c.Text, v.Claim)
			}
		}
	}
}

func TestOutcomeHelpers(t *testing.T) {
	base := [][]float64{spread(testProblems)}
	gain := compare([][]float64{noisyScores(spread(testProblems), 0.15, 0.05, 1)}, base)
	loss := compare([][]float64{noisyScores(spread(testProblems), -0.15, 0.05, 1)}, base)
	tiny := compare([][]float64{noisyScores(spread(testProblems), 0.005, 0.02, 1)}, base)
	tinyLoss := compare([][]float64{noisyScores(spread(testProblems), -0.008, 0.02, 1)}, base)
	if !tinyLoss.loses() || !tinyLoss.equivalent(MarginMeanAtK) {
		t.Fatalf("fixture: want a significant loss inside the margin: %s", tinyLoss)
	}
	wide := compare([][]float64{noisyScores(spread(testProblems), 0.04, 0.4, 1)}, base)
	far := compare([][]float64{noisyScores(spread(testProblems), 0.2, 0.02, 1)}, base)
	for _, tc := range []struct {
		name, got, want string
	}{
		{"better: gain", better(gain, MarginMeanAtK, false), Yes},
		{"better: loss", better(loss, MarginMeanAtK, false), No},
		{"better: tiny significant gain inside the margin", better(tiny, MarginMeanAtK, false), No},
		{"better: noise", better(wide, MarginMeanAtK, false), Inconclusive},
		{"worse: loss", better(loss, MarginMeanAtK, true), Yes},
		{"at least: gain", atLeast(gain, MarginMeanAtK, false), Yes},
		{"at least: equal", atLeast(tiny, MarginMeanAtK, false), Yes},
		{"at least: loss", atLeast(loss, MarginMeanAtK, false), No},
		{"at least: noise", atLeast(wide, MarginMeanAtK, false), Inconclusive},
		{"at least: tiny significant loss inside the margin is equal", atLeast(tinyLoss, MarginMeanAtK, false), Yes},
		{"barely moves: equal", barelyMoves(tiny, MarginPassAtK), Yes},
		{"barely moves: far", barelyMoves(far, MarginPassAtK), No},
		{"barely moves: noise", barelyMoves(wide, MarginPassAtK), Inconclusive},
		{"agree: all yes", agree([]string{Yes, Yes, Yes}), Yes},
		{"agree: all no", agree([]string{No, No}), No},
		{"agree: mixed", agree([]string{Yes, No, Yes}), Inconclusive},
		{"agree: none", agree(nil), Inconclusive},
		{"all of: one no", allOf([]string{Yes, No, Inconclusive}), No},
		{"all of: one open", allOf([]string{Yes, Inconclusive}), Inconclusive},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	deg := compare([][]float64{make([]float64, 5)}, [][]float64{make([]float64, 5)})
	for _, o := range []string{better(deg, 1, false), atLeast(deg, 1, false), barelyMoves(deg, 1)} {
		if o != Inconclusive {
			t.Errorf("a degenerate comparison decided %s", o)
		}
	}
}

// TestMissingRunIsInconclusive: every finding is inconclusive, saying why,
// when its runs are missing or failed.
func TestMissingRunIsInconclusive(t *testing.T) {
	p := DefaultProfile()
	r := &Results{Profile: p, Runs: []RunResult{{Name: Baseline, Status: StatusFailed, Error: "no easy prompts"}}}
	for _, f := range Findings(p) {
		v := f.decide(r)
		if v.Reproduced != Inconclusive || !strings.Contains(v.Evidence, "Cannot decide") {
			t.Errorf("%s: %s: %s", f.Name, v.Reproduced, v.Evidence)
		}
	}
}

// TestFindingsNumberedAsThePaper: IDs 1–8 in order, each with its runs.
func TestFindingsNumberedAsThePaper(t *testing.T) {
	want := []string{"dynamics", "rewards", "difficulty", "group-size", "masking", "rollout-limit", "transfer", "summary"}
	fs := Findings(DefaultProfile())
	if len(fs) != len(want) {
		t.Fatalf("%d findings", len(fs))
	}
	names := map[string]bool{}
	for _, s := range Runs(DefaultProfile()) {
		names[s.Name] = true
	}
	for i, f := range fs {
		if f.ID != i+1 || f.Name != want[i] {
			t.Errorf("finding %d: %d %s, want %s", i+1, f.ID, f.Name, want[i])
		}
		for _, r := range f.Runs {
			if !names[r] {
				t.Errorf("finding %s needs run %s, which Runs does not train", f.Name, r)
			}
		}
	}
}
