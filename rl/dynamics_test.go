package rl

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// run describes a synthetic training run: smooth curves of step t plus
// multiplicative uniform noise of ±noise.
type run struct {
	steps                 int
	length, entropy, acc  func(t float64) float64
	noise                 float64
	evalEvery, evalBudget int // 0: accuracy goes to StepLog.Accuracy instead
}

func (r run) logs(seed uint64) []StepLog {
	rng := rand.New(rand.NewPCG(seed, 99))
	jitter := func(x float64) float64 { return x * (1 + r.noise*(2*rng.Float64()-1)) }
	var out []StepLog
	for t := range r.steps {
		s := NewStepLog(t)
		tf := float64(t)
		s.MeanLength = jitter(r.length(tf))
		s.Entropy = jitter(r.entropy(tf))
		a := min(1, max(0, r.acc(tf)+r.noise/4*(2*rng.Float64()-1)))
		if r.evalEvery > 0 {
			if t%r.evalEvery == 0 {
				s.Eval = []EvalPoint{
					{Benchmark: "lab-easy", Budget: r.evalBudget / 2, K: 4, MeanAtK: a / 2},
					{Benchmark: "lab-easy", Budget: r.evalBudget, K: 4, MeanAtK: a},
				}
			}
		} else {
			s.Accuracy = a
		}
		out = append(out, s)
	}
	return out
}

func constant(v float64) func(float64) float64 { return func(float64) float64 { return v } }

// expDecay falls from a to b with time constant tau.
func expDecay(a, b, tau float64) func(float64) float64 {
	return func(t float64) float64 { return b + (a-b)*math.Exp(-t/tau) }
}

// ramp moves linearly from a to b between steps t0 and t1.
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
	// twoStage: length 600 → 200 (τ = 30), accuracy dips to 0.5 around
	// step 40 and recovers to 0.65, entropy falls then rises mildly.
	twoStage = run{
		steps:   400,
		length:  expDecay(600, 200, 30),
		entropy: func(t float64) float64 { return expDecay(0.8, 0.4, 30)(t) + ramp(t, 100, 400, 0, 0.1) },
		acc: func(t float64) float64 {
			return 0.6 - 0.1*math.Exp(-(t-40)*(t-40)/800) + ramp(t, 80, 400, 0, 0.05)
		},
		noise: 0.05, evalEvery: 10, evalBudget: 512,
	}
	flat = run{steps: 300, length: constant(500), entropy: constant(0.7), acc: constant(0.6), noise: 0.05}
	// noisy: ±25% noise on a flat run.
	noisy = run{steps: 300, length: constant(500), entropy: constant(0.7), acc: constant(0.6), noise: 0.25}
	// hardOnly: length collapses early far below the target, accuracy drops.
	hardOnly = run{
		steps:   300,
		length:  expDecay(500, 30, 15),
		entropy: func(t float64) float64 { return 0.7 + ramp(t, 20, 60, 0, 0.3) },
		acc:     func(t float64) float64 { return ramp(t, 10, 80, 0.45, 0.2) },
		noise:   0.05,
	}
	// trap: two stages, then from step 400 entropy explodes and length collapses.
	trap = run{
		steps:   600,
		length:  func(t float64) float64 { return expDecay(600, 200, 30)(t) * ramp(t, 400, 480, 1, 0.25) },
		entropy: func(t float64) float64 { return expDecay(0.8, 0.4, 30)(t) + ramp(t, 400, 460, 0, 1.6) },
		acc:     func(t float64) float64 { return 0.6 - ramp(t, 420, 520, 0, 0.15) },
		noise:   0.05,
	}
	// stale: two stages, then from step 300 length rebounds and entropy explodes.
	stale = run{
		steps:   600,
		length:  func(t float64) float64 { return expDecay(600, 200, 30)(t) + ramp(t, 300, 450, 0, 250) },
		entropy: func(t float64) float64 { return expDecay(0.8, 0.4, 30)(t) + ramp(t, 300, 400, 0, 1.2) },
		acc:     constant(0.6),
		noise:   0.05,
	}
)

func TestDiagnose(t *testing.T) {
	// The degenerate-run kinds must stay quiet on all of these runs.
	all := []FindingKind{StageAdaptation, StageRefinement, LengthCollapse, ShortIsCorrectTrap, LengthRebound, EntropyExplosion,
		ZeroAdvantage, LengthCapSaturated, RewardFlat, GradNormZero, EntropyCollapse, RewardHacking}
	tests := []struct {
		name string
		run  run
		opt  DiagnoseOptions
		want []FindingKind
		// stage II start window, when StageRefinement is wanted
		refineLo, refineHi int
	}{
		{"two-stage", twoStage, DiagnoseOptions{TargetLen: 256}, []FindingKind{StageAdaptation, StageRefinement}, 50, 100},
		{"flat", flat, DiagnoseOptions{TargetLen: 256}, nil, 0, 0},
		{"noisy", noisy, DiagnoseOptions{TargetLen: 256}, nil, 0, 0},
		{"hard-only collapse", hardOnly, DiagnoseOptions{TargetLen: 256}, []FindingKind{StageAdaptation, LengthCollapse}, 0, 0},
		{"hard-only collapse, target unknown", hardOnly, DiagnoseOptions{}, []FindingKind{StageAdaptation, LengthCollapse}, 0, 0},
		{"short-is-correct trap", trap, DiagnoseOptions{TargetLen: 256}, []FindingKind{StageAdaptation, StageRefinement, EntropyExplosion, ShortIsCorrectTrap, LengthCollapse}, 50, 100},
		{"staleness rebound", stale, DiagnoseOptions{TargetLen: 256, Staleness: 4}, []FindingKind{StageAdaptation, StageRefinement, LengthRebound, EntropyExplosion}, 50, 100},
	}
	for _, tc := range tests {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(tc.name, func(t *testing.T) {
				d := Diagnose(tc.run.logs(seed), tc.opt)
				var text bytes.Buffer
				d.WriteText(&text)
				for _, k := range all {
					want := false
					for _, w := range tc.want {
						want = want || w == k
					}
					if d.Has(k) != want {
						t.Errorf("seed %d: %s found = %v, want %v\n%s", seed, k, d.Has(k), want, text.String())
					}
				}
				if f, ok := d.Find(StageRefinement); ok {
					if f.Step < tc.refineLo || f.Step > tc.refineHi || d.RefinementStart != f.Step {
						t.Errorf("seed %d: stage II starts at %d (RefinementStart %d), want in [%d, %d]\n%s", seed, f.Step, d.RefinementStart, tc.refineLo, tc.refineHi, text.String())
					}
				} else if d.RefinementStart != -1 {
					t.Errorf("RefinementStart %d without a finding", d.RefinementStart)
				}
			})
		}
	}
}

func TestDiagnoseEvidence(t *testing.T) {
	d := Diagnose(trap.logs(1), DiagnoseOptions{TargetLen: 256})
	ex, _ := d.Find(EntropyExplosion)
	if ex.Step < 400 || ex.Step > 470 || ex.Evidence["ratio_to_min"] < 3 {
		t.Errorf("explosion %+v", ex)
	}
	tr, _ := d.Find(ShortIsCorrectTrap)
	if tr.Evidence["length_fall"] < 0.6 || tr.Step != ex.Step {
		t.Errorf("trap %+v", tr)
	}
	a, _ := d.Find(StageAdaptation)
	if f := a.Evidence["fall_fraction"]; f < 0.6 || f > 0.75 {
		t.Errorf("fall fraction %v, want ≈ 2/3", f)
	}
	if hs := a.Evidence["half_fall_step"]; hs < 10 || hs > 35 {
		t.Errorf("half-fall step %v, want ≈ 30·ln 2 ≈ 21", hs)
	}
	two := Diagnose(twoStage.logs(1), DiagnoseOptions{TargetLen: 256})
	if !strings.Contains(two.AccuracySource, "budget 512") {
		t.Errorf("accuracy source %q, want the largest budget", two.AccuracySource)
	}
	r, _ := two.Find(StageRefinement)
	if r.Evidence["accuracy_at_end"] <= r.Evidence["accuracy_min_stage1"] {
		t.Errorf("refinement evidence %+v: accuracy should recover", r.Evidence)
	}
	st := Diagnose(stale.logs(1), DiagnoseOptions{Staleness: 4})
	found := false
	for _, n := range st.Notes {
		found = found || strings.Contains(n, "staleness S = 4")
	}
	if !found {
		t.Errorf("notes %v lack the staleness advice", st.Notes)
	}
}

func TestDiagnoseShortOrEmpty(t *testing.T) {
	for _, steps := range [][]StepLog{nil, twoStage.logs(1)[:5]} {
		d := Diagnose(steps, DiagnoseOptions{})
		if len(d.Findings) != 0 || len(d.Notes) == 0 {
			t.Errorf("%d steps: %+v", len(steps), d)
		}
	}
}

func TestDiagnoseVerlImport(t *testing.T) {
	// The two-stage run exported as verl metrics diagnoses the same way.
	var b strings.Builder
	for _, s := range twoStage.logs(1) {
		b.WriteString(`{"step": ` + itoa(s.Step) + `, "data": {"response_length/mean": ` + ftoa(s.MeanLength) +
			`, "actor/entropy": ` + ftoa(s.Entropy) + `, "critic/score/mean": 0.5`)
		if len(s.Eval) > 0 {
			b.WriteString(`, "val-core/lab/acc/mean@4": ` + ftoa(s.Eval[1].MeanAtK))
		}
		b.WriteString("}}\n")
	}
	steps, err := ReadSteps(strings.NewReader(b.String()), "verl.jsonl", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := Diagnose(steps, DiagnoseOptions{})
	if !d.Has(StageAdaptation) || !d.Has(StageRefinement) || d.AccuracySource != "eval mean@k" {
		var text bytes.Buffer
		d.WriteText(&text)
		t.Errorf("verl import:\n%s", text.String())
	}
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
