package report_test

import (
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
)

// TestEfficiencySection: the strict table's censored counts and, after
// --mode prefix, the forced and early-exit columns, their cost, the
// early-exit summary, the overlaid curves and the first-correct histogram.
func TestEfficiencySection(t *testing.T) {
	res := synthetic(1, 1)
	bm := &res.Benchmarks[0]
	var pts, ee []metrics.ModePoint
	for _, b := range bm.Budgets {
		pts = append(pts, metrics.ModePoint{Budget: b.Budget, MeanAtK: b.MeanAtK + 0.05, Censored: 7})
		ee = append(ee, metrics.ModePoint{Budget: b.Budget, MeanAtK: b.MeanAtK + 0.1, Censored: 3})
	}
	cost := metrics.ModeCostNote{Requests: 12, AnswerTokens: 345, OriginalTokens: 1000, Fraction: 0.345}
	bm.Modes = []metrics.ModeCurve{{Mode: "forced", Points: pts, AUC: 0.5, Cost: cost}, {Mode: "early_exit", Points: ee, AUC: 0.6, Cost: cost}}
	bm.EarlyExit = &metrics.EarlyExit{Rollouts: 10, WithCorrect: 4, OutcomeEfficiency: 0.25, Underthinking: 0.125,
		FirstCorrect: metrics.Histogram{Edges: []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, Counts: []int{1, 0, 0, 0, 0, 0, 0, 0, 0, 3}}}
	md := report.Markdown(res)
	for _, want := range []string{
		"| budget | strict Mean@k | censored | acc / 1k tokens | maj@k (token-matched) | forced (censored) | early exit (censored) |",
		"(7) | ", "(3) |", "345 answer tokens = 34.5%", "ξ_O = 0.250", "ξ_UT = 0.125", "forced 0.500, early_exit 0.600",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if !strings.Contains(md, " / 320 |") { // censored count out of all rollouts (40 problems × 8)
		t.Errorf("Markdown lacks the censored count out of 320 rollouts")
	}
	html := report.HTML(res)
	for _, want := range []string{"strict vs forced vs early exit", "best-case early exit", "where the first correct answer appears", "first correct probe (4)"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Without modes, no overlay chart but still the efficiency table.
	plain := synthetic(1, 1)
	if h := report.HTML(plain); strings.Contains(h, "strict vs forced") || !strings.Contains(h, "acc / 1k tokens") {
		t.Error("a strict-only report should have the efficiency table and no overlay")
	}
}
