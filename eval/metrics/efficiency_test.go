package metrics_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/metrics"
)

func TestNormalisedAUC(t *testing.T) {
	for _, tc := range []struct {
		budgets []int
		values  []float64
		want    float64
	}{
		{nil, nil, 0},
		{[]int{4096}, []float64{0.4}, 0.4},
		// 2k→4k→8k: two unit steps on log2; trapezoids (0.2+0.4)/2 + (0.4+0.8)/2 = 0.9 over width 2.
		{[]int{2048, 4096, 8192}, []float64{0.2, 0.4, 0.8}, 0.45},
		// Uneven steps: 1k→2k (1), 2k→8k (2): (0+0.5)/2·1 + (0.5+1)/2·2 = 1.75 over 3.
		{[]int{1024, 2048, 8192}, []float64{0, 0.5, 1}, 1.75 / 3},
		{[]int{2048, 4096}, []float64{1, 1}, 1},
	} {
		if got := metrics.NormalisedAUC(tc.budgets, tc.values); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("NormalisedAUC(%v, %v) = %g, want %g", tc.budgets, tc.values, got, tc.want)
		}
	}
}

func TestMajorityVote(t *testing.T) {
	const C = metrics.VoteCorrect
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name  string
		votes []string
		k     int
		want  float64
	}{
		// k = 1 is the share of correct votes (Mean@k).
		{"k1", []string{C, "3", "", C}, 1, 0.5},
		// All four: C×2 vs "3"×1 → correct.
		{"all", []string{C, "3", "", C}, 4, 1},
		// Pairs of {C, C, 3, 3}: 6 subsets; CC → 1, 33 → 0, four C3 ties → ½ each: (1 + 0 + 4·½)/6 = 0.5.
		{"ties", []string{C, C, "3", "3"}, 2, 0.5},
		// Triples of {C, 3, 3, ""}: {C,3,3} → 0 (twice… 3 wins), {C,3,""} ×2 → tie ½, {3,3,""} → 0: (0+½+½+0)/4 = 0.25.
		{"abstain", []string{C, "3", "3", ""}, 3, 0.25},
		// Only abstentions: 0.
		{"none", []string{"", ""}, 2, 0},
	} {
		if got := metrics.MajorityVote(tc.votes, tc.k, rng); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: MajorityVote = %g, want %g", tc.name, got, tc.want)
		}
	}
	// Beyond 4096 subsets it samples: C(40, 20) subsets of 30 correct, 10
	// wrong-and-distinct votes is always won by the correct class.
	votes := make([]string, 40)
	for i := range votes {
		votes[i] = C
		if i >= 30 {
			votes[i] = string(rune('a' + i - 30))
		}
	}
	if got := metrics.MajorityVote(votes, 20, rng); got != 1 {
		t.Errorf("sampled MajorityVote = %g, want 1", got)
	}
	if !math.IsNaN(metrics.MajorityVote(votes, 41, rng)) {
		t.Error("k > n should be NaN")
	}
}

// TestEfficiencyInCompute works the strict-mode efficiency numbers of one
// problem by hand. Four samples, budgets 100 and 400:
//
//	s0: stop, 80 tokens, correct     s1: stop, 300 tokens, correct
//	s2: stop, 90 tokens, wrong "5"   s3: length, 400 tokens
//
// B=100: finished s0, s2; censored 2 (s1, s3); Mean@4 = 1/4; lengths capped
// at 100: 80, 100, 90, 100 → mean 92.5; acc/1k = 0.25 / 0.0925.
// B=400: censored 1; Mean@4 = 2/4; mean length (80+300+90+400)/4 = 217.5.
// AUC on log2 axis: (0.25 + 0.5)/2 = 0.375.
// Token-matched vote at B=100: k = ⌊217.5 / 92.5⌋ = 2; votes {C, "", "5", ""}:
// pairs: {C,""} ×2 → 1, {C,"5"} → tie ½, {"","5"} ×2 → 0, {"",""} → 0:
// (2 + ½)/6 = 5/12. At B=400: k = 1 → Mean@4 = 0.5.
func TestEfficiencyInCompute(t *testing.T) {
	mk := func(tok int, stop, correct bool, extracted string) metrics.Sample {
		r := eval.Rollout{Status: eval.StatusOK, CompletionTokens: tok, MaxTokens: 400, Correct: correct, Extracted: extracted, FinishReason: eval.FinishLength}
		if stop {
			r.FinishReason = eval.FinishStop
		}
		return metrics.SampleOf(&r)
	}
	p := metrics.Problem{Benchmark: "b", ID: "1", Samples: []metrics.Sample{
		mk(80, true, true, "7"), mk(300, true, true, "7"), mk(90, true, false, "5"), mk(400, false, false, ""),
	}}
	res := metrics.Compute([]metrics.Problem{p}, metrics.Options{Budgets: []int{100, 400}, Bootstrap: 10})
	b := res.Benchmarks[0]
	lo, hi := b.Budgets[0], b.Budgets[1]
	if lo.Censored != 2 || hi.Censored != 1 {
		t.Errorf("censored = %d, %d; want 2, 1", lo.Censored, hi.Censored)
	}
	if !near(lo.AccuracyPer1kTokens, 0.25/0.0925) || !near(hi.AccuracyPer1kTokens, 0.5/0.2175) {
		t.Errorf("acc/1k = %g, %g", lo.AccuracyPer1kTokens, hi.AccuracyPer1kTokens)
	}
	if !near(b.AUC, 0.375) {
		t.Errorf("AUC = %g, want 0.375", b.AUC)
	}
	if lo.MajK != 2 || !near(lo.MajAtK, 5.0/12) || hi.MajK != 1 || !near(hi.MajAtK, 0.5) {
		t.Errorf("maj: B=100 maj@%d = %g (want maj@2 = 5/12), B=400 maj@%d = %g (want maj@1 = 0.5)", lo.MajK, lo.MajAtK, hi.MajK, hi.MajAtK)
	}
}

// TestComputeEarlyExit: three rollouts worked by hand.
//
//	r0: T=100, first correct probe at 25, final correct → σ·t/T = 0.25
//	r1: T=200, first correct at 150, final wrong → underthinking 1 − 0.75
//	r2: T=50, no correct probe, final wrong → t = T, underthinking 0
//
// Outcome efficiency = 0.25 / 3; underthinking = (0.25 + 0) / 2 = 0.125;
// tokens after the first correct answer: 75 + 50 = 125, mean 62.5 over
// the two rollouts with a correct probe; wasted fraction 125 / 350.
func TestComputeEarlyExit(t *testing.T) {
	e := metrics.ComputeEarlyExit([]metrics.FirstCorrect{
		{Thinking: 100, First: 25, FinalCorrect: true},
		{Thinking: 200, First: 150},
		{Thinking: 50, First: -1},
	}, 12, 4)
	if !near(e.OutcomeEfficiency, 0.25/3) || !near(e.Underthinking, 0.125) {
		t.Errorf("ξ_O = %g, ξ_UT = %g", e.OutcomeEfficiency, e.Underthinking)
	}
	if e.TokensAfterFirstCorrectTotal != 125 || !near(e.TokensAfterFirstCorrectMean, 62.5) || !near(e.WastedFraction, 125.0/350) {
		t.Errorf("after first correct: %+v", e)
	}
	if e.WithCorrect != 2 || e.CorrectFinal != 1 || e.WrongRollouts != 2 || e.Probes != 12 {
		t.Errorf("counts: %+v", e)
	}
	// Relative positions 0.25 and 0.75 fall in bins 2 and 7.
	if e.FirstCorrect.Counts[2] != 1 || e.FirstCorrect.Counts[7] != 1 {
		t.Errorf("relative histogram = %v", e.FirstCorrect.Counts)
	}
}

// TestComputeMode: Mean@k, censored counts and tokens of a mode's outcomes.
func TestComputeMode(t *testing.T) {
	ps := []metrics.ModeProblem{
		{ID: "a", Outcomes: [][]metrics.Outcome{
			{{Correct: true, Tokens: 10}, {Censored: true, Tokens: 20}},
			{{Correct: true, Tokens: 10}, {Correct: true, Censored: true, Tokens: 30}},
		}},
		{ID: "b", Outcomes: [][]metrics.Outcome{
			{{Censored: true, Tokens: 20}, {Censored: true, Tokens: 20}},
			{{Tokens: 40}, {Correct: true, Tokens: 40}},
		}},
	}
	c := metrics.ComputeMode("forced", "", ps, []int{20, 40}, 0, metrics.Options{Bootstrap: 10})
	// B=20: a 1/2, b 0 → 0.25; censored 3; tokens 70/4.
	// B=40: a 2/2, b 1/2 → 0.75; censored 1; tokens 120/4.
	if p := c.Points[0]; !near(p.MeanAtK, 0.25) || p.Censored != 3 || !near(p.MeanTokens, 17.5) || p.K != 2 {
		t.Errorf("B=20: %+v", p)
	}
	if p := c.Points[1]; !near(p.MeanAtK, 0.75) || p.Censored != 1 || !near(p.MeanTokens, 30) {
		t.Errorf("B=40: %+v", p)
	}
	if !near(c.AUC, 0.5) { // (0.25 + 0.75) / 2 over one log2 step
		t.Errorf("AUC = %g", c.AUC)
	}
}

// TestUsageSplit: the thinking/answer split from reported reasoning_tokens.
// Rollouts of 100 (60 thinking) and 50 (20 thinking) tokens: thinking mean
// 40, answer mean 35, share 80/150.
func TestUsageSplit(t *testing.T) {
	mk := func(tok, reasoning int) metrics.Sample {
		r := eval.Rollout{Status: eval.StatusOK, CompletionTokens: tok, ReasoningTokens: reasoning, MaxTokens: 100, FinishReason: eval.FinishStop}
		return metrics.SampleOf(&r)
	}
	res := metrics.Compute([]metrics.Problem{{Benchmark: "b", ID: "1", Samples: []metrics.Sample{mk(100, 60), mk(50, 20)}}}, metrics.Options{Budgets: []int{100}, Bootstrap: 10})
	sp := res.Benchmarks[0].Split
	if sp == nil || !near(sp.Thinking.Mean, 40) || !near(sp.Answer.Mean, 35) || !near(sp.ThinkingShare, 80.0/150) {
		t.Fatalf("split = %+v", sp)
	}
	none := metrics.Compute([]metrics.Problem{{Benchmark: "b", ID: "1", Samples: []metrics.Sample{mk(100, 0)}}}, metrics.Options{Budgets: []int{100}, Bootstrap: 10})
	if none.Benchmarks[0].Split != nil {
		t.Error("no reported reasoning tokens: want no split")
	}
}
