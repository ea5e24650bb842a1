package demo

import (
	"math"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval/metrics"
)

// ladderOf is a one-benchmark ladder with the given Mean@k and mean length
// at every budget of p (Pass@k = Mean@k), 25 problems × k 4: tolerance
// 0.5/√100 = 0.05.
func ladderOf(p Profile, bench string, mean []float64, length float64) BenchResult {
	b := BenchResult{Benchmark: bench, Problems: 25, K: 4}
	for i, budget := range p.Budgets {
		b.Budgets = append(b.Budgets, BudgetResult{Budget: budget, MeanAtK: mean[i], PassAtK: mean[i], MeanLength: length})
	}
	return b
}

func okRun(name string, final ...BenchResult) RunResult {
	return RunResult{Name: name, Status: StatusOK, Final: final, Summary: &StepSummary{}}
}

func TestTolerance(t *testing.T) {
	if got := tolerance(100); got != 0.05 {
		t.Errorf("tolerance(100) = %v, want 0.05", got)
	}
	if got := tolerance(0); got != 1 {
		t.Errorf("tolerance(0) = %v, want 1", got)
	}
}

func TestDecideRewards(t *testing.T) {
	p := DefaultProfile() // budgets 64 … 1024
	b := inDomain(p)
	shapes := func(kimi, other []float64) *Results {
		r := &Results{Profile: p}
		r.Runs = []RunResult{
			okRun(Unified, ladderOf(p, b, other, 100)),
			okRun(runKimi, ladderOf(p, b, kimi, 60)),
			okRun(runLaser, ladderOf(p, b, other, 100)),
			okRun(runLaserD, ladderOf(p, b, other, 100)),
		}
		return r
	}
	for _, tc := range []struct {
		name        string
		kimi, other []float64
		want        string
	}{
		// Kimi 0.30 > 0.20 at 64; 0.50 < 0.70 − 0.05 at 1024.
		{"paper", []float64{0.3, 0.4, 0.5, 0.5, 0.5}, []float64{0.2, 0.4, 0.6, 0.7, 0.7}, Yes},
		// Kimi best at the largest budget too.
		{"kimi everywhere", []float64{0.3, 0.4, 0.6, 0.7, 0.8}, []float64{0.2, 0.4, 0.6, 0.7, 0.7}, No},
		// Kimi behind by 0.10 > tolerance at the smallest budget.
		{"kimi behind", []float64{0.1, 0.4, 0.5, 0.5, 0.5}, []float64{0.2, 0.4, 0.6, 0.7, 0.7}, No},
		// Tied at the smallest budget: part (a) inconclusive.
		{"tie", []float64{0.2, 0.4, 0.5, 0.5, 0.5}, []float64{0.2, 0.4, 0.6, 0.7, 0.7}, Inconclusive},
		// Nobody answers within 64 tokens.
		{"all zero", []float64{0, 0.4, 0.5, 0.5, 0.5}, []float64{0, 0.4, 0.6, 0.7, 0.7}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decideRewards(shapes(tc.kimi, tc.other))
			if v.Reproduced != tc.want {
				t.Errorf("reproduced %s, want %s: %s", v.Reproduced, tc.want, v.Evidence)
			}
			// No per-problem scores: the worst-case fallback.
			if v.Numbers["tolerance_64"] != 0.05 || v.Numbers["tolerance_1024"] != 0.05 {
				t.Errorf("tolerances %v, %v, want 0.05", v.Numbers["tolerance_64"], v.Numbers["tolerance_1024"])
			}
		})
	}
}

func TestDecideSummary(t *testing.T) {
	p := DefaultProfile()
	b := inDomain(p)
	flat := func(x float64) []float64 { return []float64{x, x, x, x, x} }
	for _, tc := range []struct {
		name                string
		baseLen, trainLen   float64
		baseMean, trainMean float64
		want                string
	}{
		{"shorter, same accuracy", 200, 140, 0.5, 0.48, Yes},   // −30%, −0.02 within 0.05
		{"shorter, worse", 200, 140, 0.5, 0.40, No},            // −0.10 beyond the tolerance
		{"not shorter", 200, 195, 0.5, 0.5, No},                // −2.5%
		{"a little shorter", 200, 184, 0.5, 0.5, Inconclusive}, // −8%
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := okRun("base", ladderOf(p, b, flat(tc.baseMean), tc.baseLen))
			r := &Results{Profile: p, Base: &base, Runs: []RunResult{okRun(Baseline, ladderOf(p, b, flat(tc.trainMean), tc.trainLen))}}
			v := decideSummary(r)
			if v.Reproduced != tc.want {
				t.Errorf("reproduced %s, want %s: %s", v.Reproduced, tc.want, v.Evidence)
			}
			if got, want := v.Numbers["length_change"], tc.trainLen/tc.baseLen-1; got != want {
				t.Errorf("length_change %v, want %v", got, want)
			}
		})
	}
}

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

// withPerProblem gives every budget of a ladder the per-problem scores ps
// (and sets Mean@k to their mean).
func withPerProblem(b BenchResult, ps []float64) BenchResult {
	mean := 0.0
	for _, x := range ps {
		mean += x / float64(len(ps))
	}
	for i := range b.Budgets {
		b.Budgets[i].PerProblem, b.Budgets[i].PerProblemPass = ps, ps
		b.Budgets[i].MeanAtK, b.Budgets[i].PassAtK = mean, mean
	}
	return b
}

// TestPairedTolerance: with per-problem scores the tolerance is 1.96
// paired standard errors. A drop of 0.03 on every problem is beyond it
// (the unpaired 0.05 would call it a tie); a drop of 0.03 on average made of
// large swings either way is within it.
func TestPairedTolerance(t *testing.T) {
	p := DefaultProfile()
	b := inDomain(p)
	base := make([]float64, 40)
	for i := range base {
		base[i] = float64(i%5) / 4 // difficulty spread 0 … 1
	}
	shifted, swinging := make([]float64, 40), make([]float64, 40)
	for i, x := range base {
		shifted[i] = x - 0.03
		swinging[i] = x - 0.03 + 0.5*float64(1-2*(i%2)) // ±0.5
	}
	for _, tc := range []struct {
		name    string
		trained []float64
		want    string
	}{
		{"consistent drop", shifted, No},
		{"noisy drop", swinging, Yes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := okRun("base", withPerProblem(ladderOf(p, b, make([]float64, 5), 200), base))
			tr := okRun(Baseline, withPerProblem(ladderOf(p, b, make([]float64, 5), 140), tc.trained))
			v := decideSummary(&Results{Profile: p, Base: &br, Runs: []RunResult{tr}})
			_, se := metrics.Paired(tc.trained, base)
			if got := v.Numbers["tolerance"]; math.Abs(got-1.96*se) > 1e-12 {
				t.Errorf("tolerance %v, want 1.96·%v", got, se)
			}
			if v.Reproduced != tc.want {
				t.Errorf("reproduced %s, want %s: %s", v.Reproduced, tc.want, v.Evidence)
			}
		})
	}
}
