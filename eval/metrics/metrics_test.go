package metrics_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval/metrics"
)

const eps = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPassAtK(t *testing.T) {
	for _, tc := range []struct {
		n, c, k int
		want    float64
	}{
		{5, 2, 2, 1 - 3.0/10},        // 1 − C(3,2)/C(5,2)
		{8, 1, 4, 1 - 35.0/70},       // 1 − C(7,4)/C(8,4)
		{10, 3, 1, 0.3},              // pass@1 = c/n
		{4, 1, 4, 1},                 // n = k: any correct sample passes
		{4, 0, 4, 0},                 // n = k, none correct
		{10, 10, 5, 1},               // all correct
		{10, 0, 5, 0},                // none correct
		{16, 2, 8, 1 - 3003.0/12870}, // 1 − C(14,8)/C(16,8)
		{1, 1, 1, 1},
	} {
		if got := metrics.PassAtK(tc.n, tc.c, tc.k); math.Abs(got-tc.want) > eps {
			t.Errorf("PassAtK(%d, %d, %d) = %.15g, want %.15g", tc.n, tc.c, tc.k, got, tc.want)
		}
	}
	for _, bad := range [][3]int{{3, 1, 4}, {4, 5, 2}, {4, -1, 2}, {4, 1, 0}} {
		if got := metrics.PassAtK(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("PassAtK%v = %g, want NaN", bad, got)
		}
	}
	// Large n stays finite and exact where binomials would overflow.
	if got := metrics.PassAtK(2000, 1, 1000); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("PassAtK(2000, 1, 1000) = %g, want 0.5", got)
	}
}

func ExamplePassAtK() {
	// 8 samples, 2 correct: the chance that 4 random samples of them
	// include a correct one is 1 − C(6,4)/C(8,4) = 1 − 15/70.
	fmt.Printf("%.4f\n", metrics.PassAtK(8, 2, 4))
	fmt.Printf("%.4f\n", metrics.PassAtK(8, 2, 1)) // = c/n
	// Output:
	// 0.7857
	// 0.2500
}

func TestMeanAtK(t *testing.T) {
	if got := metrics.MeanAtK([]int{1, 0, 4}, []int{4, 2, 4}); !near(got, (0.25+0+1)/3) {
		t.Errorf("MeanAtK = %g", got)
	}
	if !math.IsNaN(metrics.MeanAtK(nil, nil)) {
		t.Error("MeanAtK of nothing should be NaN")
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.5, 2.5}, {0.1, 1.3}, {0.9, 3.7}, {1, 4}} {
		if got := metrics.Quantile(s, tc.q); !near(got, tc.want) {
			t.Errorf("Quantile(%g) = %g, want %g", tc.q, got, tc.want)
		}
	}
}

func TestLengths(t *testing.T) {
	st := metrics.Lengths([]int{0, 10, 50, 99, 100}, 4, 100)
	if st.Count != 5 || !near(st.Mean, 51.8) || st.Median != 50 {
		t.Errorf("stats = %+v", st)
	}
	if want := []int{0, 25, 50, 75, 100}; !reflect.DeepEqual(st.Histogram.Edges, want) {
		t.Errorf("edges = %v, want %v", st.Histogram.Edges, want)
	}
	if want := []int{2, 0, 1, 2}; !reflect.DeepEqual(st.Histogram.Counts, want) {
		t.Errorf("counts = %v, want %v", st.Histogram.Counts, want)
	}
}

func s(tokens int, stop, correct bool) metrics.Sample {
	return metrics.Sample{Tokens: int32(tokens), MaxTokens: 200, Stop: stop, Correct: correct}
}

// handProblems: problem A has n = 4, B has n = 2 plus one failed request.
func handProblems() []metrics.Problem {
	return []metrics.Problem{
		{Benchmark: "x", ID: "A", Level: 1, Samples: []metrics.Sample{s(50, true, true), s(150, true, true), s(200, false, false), s(80, true, false)}},
		{Benchmark: "x", ID: "B", Level: 2, Samples: []metrics.Sample{s(120, true, true), s(30, true, false), {Failed: true}}},
	}
}

// TestComputeByHand checks every metric against values worked out by hand.
func TestComputeByHand(t *testing.T) {
	res := metrics.Compute(handProblems(), metrics.Options{Budgets: []int{100, 200, 400}, Bootstrap: 200, Seed: 1, Bins: 2})
	if len(res.Benchmarks) != 1 {
		t.Fatalf("benchmarks = %d", len(res.Benchmarks))
	}
	b := res.Benchmarks[0]
	if b.Problems != 2 || b.Rollouts != 6 || b.Failed != 1 || b.MinSamples != 2 || b.MaxSamples != 4 || b.MaxTokens != 200 {
		t.Errorf("counts = %+v", b)
	}
	if len(b.Budgets) != 2 || !strings.Contains(strings.Join(b.Notes, ";"), "budget 400 dropped") {
		t.Fatalf("budgets = %d, notes %q; want 2 and 400 dropped", len(b.Budgets), b.Notes)
	}
	// At 100: A has 50 correct, 80 incorrect, 150 and 200 truncated; B has
	// 30 incorrect and 120 truncated. k = min n = 2.
	b100, b200 := b.Budgets[0], b.Budgets[1]
	checks := []struct {
		name      string
		got, want float64
	}{
		{"mean@100", b100.MeanAtK, (1.0/4 + 0) / 2},
		{"pass@100", b100.PassAtK, ((1 - 3.0/6) + 0) / 2},
		{"trunc@100", b100.TruncationRate, 3.0 / 6},
		{"len.correct@100", b100.Length.Correct.Mean, 50},
		{"len.incorrect@100", b100.Length.Incorrect.Mean, 55},
		{"len.truncated@100", b100.Length.Truncated.Mean, 100},
		{"len.all@100", b100.Length.All.Mean, 460.0 / 6},
		{"mean@200", b200.MeanAtK, (2.0/4 + 1.0/2) / 2},
		{"pass@200", b200.PassAtK, ((1 - 1.0/6) + 1) / 2},
		{"trunc@200", b200.TruncationRate, 1.0 / 6},
		{"len.correct@200", b200.Length.Correct.Mean, (50 + 150 + 120) / 3.0},
		{"len.correct.median@200", b200.Length.Correct.Median, 120},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if b100.K != 2 || b100.Length.Truncated.Count != 3 || b100.Length.Correct.Count != 1 {
		t.Errorf("k %d, truncated count %d, correct count %d", b100.K, b100.Length.Truncated.Count, b100.Length.Correct.Count)
	}
	for _, r := range b.Budgets {
		for name, iv := range map[string][3]float64{
			"mean": {r.MeanAtKCI.Lo, r.MeanAtK, r.MeanAtKCI.Hi},
			"pass": {r.PassAtKCI.Lo, r.PassAtK, r.PassAtKCI.Hi},
		} {
			if !(iv[0] <= iv[1]+eps && iv[1] <= iv[2]+eps) {
				t.Errorf("budget %d %s: interval %v does not hold the estimate", r.Budget, name, iv)
			}
		}
	}
	if len(b.Levels) != 2 || b.Levels[0].Level != 1 || !near(b.Levels[0].Budgets[1].MeanAtK, 0.5) || !near(b.Levels[1].Budgets[1].MeanAtK, 0.5) {
		t.Errorf("levels = %+v", b.Levels)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "1 failed") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// Seeded: the same input gives the same intervals.
	again := metrics.Compute(handProblems(), metrics.Options{Budgets: []int{100, 200, 400}, Bootstrap: 200, Seed: 1, Bins: 2})
	if !reflect.DeepEqual(res, again) {
		t.Error("Compute is not deterministic")
	}
}

func TestComputeEdges(t *testing.T) {
	all := []metrics.Problem{{Benchmark: "y", ID: "1", Samples: []metrics.Sample{s(10, true, true), s(10, true, true)}},
		{Benchmark: "y", ID: "2", Samples: []metrics.Sample{s(10, true, true), s(10, true, true)}}}
	r := metrics.Compute(all, metrics.Options{Budgets: []int{100}}).Benchmarks[0].Budgets[0]
	if r.MeanAtK != 1 || r.PassAtK != 1 || r.MeanAtKCI != (metrics.Interval{Lo: 1, Hi: 1}) || r.TruncationRate != 0 {
		t.Errorf("all correct: %+v", r)
	}
	none := []metrics.Problem{{Benchmark: "y", ID: "1", Samples: []metrics.Sample{s(10, true, false), s(300, false, false)}}}
	r = metrics.Compute(none, metrics.Options{Budgets: []int{100}}).Benchmarks[0].Budgets[0]
	if r.MeanAtK != 0 || r.PassAtK != 0 || r.TruncationRate != 0.5 {
		t.Errorf("none correct: %+v", r)
	}
	// Max tokens below the largest budget is added as a budget of its own.
	odd := []metrics.Problem{{Benchmark: "y", ID: "1", Samples: []metrics.Sample{{Tokens: 10, MaxTokens: 3000, Stop: true, Correct: true}}}}
	b := metrics.Compute(odd, metrics.Options{Budgets: []int{2048, 4096}}).Benchmarks[0]
	if len(b.Budgets) != 2 || b.Budgets[1].Budget != 3000 {
		t.Errorf("budgets = %+v", b.Budgets)
	}
	// k larger than n is capped with a note.
	b = metrics.Compute(none, metrics.Options{Budgets: []int{100}, K: 5}).Benchmarks[0]
	if b.Budgets[0].K != 2 || len(b.Notes) == 0 {
		t.Errorf("k = %d, notes %q; want 2 with a note", b.Budgets[0].K, b.Notes)
	}
	// A problem whose only sample failed is left out with a warning.
	res := metrics.Compute([]metrics.Problem{{Benchmark: "z", ID: "1", Samples: []metrics.Sample{{Failed: true}}}}, metrics.Options{})
	if res.Benchmarks[0].Problems != 0 || len(res.Warnings) == 0 {
		t.Errorf("all failed: %+v", res)
	}
}

func TestSolvedAt(t *testing.T) {
	p := metrics.Problem{Samples: []metrics.Sample{
		{Tokens: 10, Stop: true, Correct: true},
		{Tokens: 30, Stop: true, Correct: true},
		{Tokens: 20, Stop: true, Correct: false},
		{Tokens: 40, Stop: false, Correct: true}, // cut off: never correct
		{Tokens: 5, Stop: true, Correct: true, Failed: true},
	}}
	for _, c := range []struct{ b, correct, n int }{{5, 0, 4}, {10, 1, 4}, {29, 1, 4}, {30, 2, 4}, {1000, 2, 4}} {
		if got, n := p.SolvedAt(c.b); got != c.correct || n != c.n {
			t.Errorf("SolvedAt(%d) = %d of %d, want %d of %d", c.b, got, n, c.correct, c.n)
		}
	}
}

// TestPaired: by hand, and pairing removes the between-problem spread.
func TestPaired(t *testing.T) {
	// d = 0.1, 0.3, 0.2: mean 0.2, sd 0.1, se 0.1/√3.
	diff, se := metrics.Paired([]float64{0.9, 0.5, 0.3}, []float64{0.8, 0.2, 0.1})
	if math.Abs(diff-0.2) > 1e-12 || math.Abs(se-0.1/math.Sqrt(3)) > 1e-12 {
		t.Errorf("Paired = %g, %g; want 0.2, %g", diff, se, 0.1/math.Sqrt(3))
	}
	// Problems from easy to hard, b = a − 0.05 everywhere: se 0 although
	// each run's own mean has a large spread.
	a := []float64{1, 0.9, 0.5, 0.2, 0}
	b := []float64{0.95, 0.85, 0.45, 0.15, -0.05}
	if d, se := metrics.Paired(a, b); math.Abs(d-0.05) > 1e-12 || se > 1e-12 {
		t.Errorf("constant shift: Paired = %g, %g; want 0.05, 0", d, se)
	}
	if d, se := metrics.Paired([]float64{1}, []float64{0}); d != 1 || !math.IsNaN(se) {
		t.Errorf("one problem: %g, %g", d, se)
	}
	if d, _ := metrics.Paired([]float64{1, 2}, []float64{1}); !math.IsNaN(d) {
		t.Errorf("length mismatch: %g", d)
	}
}
