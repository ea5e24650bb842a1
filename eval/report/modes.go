package report

import (
	"fmt"
	"html"
	"strings"

	"github.com/terse-dev/terse/chart"
	"github.com/terse-dev/terse/eval/metrics"
)

// The efficiency section of a benchmark: censored counts, accuracy per
// 1,000 tokens and the token-matched majority vote per budget, the AUC,
// the thinking/answer split, and — after terse eval --mode forced|prefix —
// the strict, forced and early-exit curves side by side and where the
// first correct answer appeared.

// modeOf returns bm's curve of the given mode, if any.
func modeOf(bm metrics.Benchmark, mode string) *metrics.ModeCurve {
	for i := range bm.Modes {
		if bm.Modes[i].Mode == mode {
			return &bm.Modes[i]
		}
	}
	return nil
}

// modeCell formats a mode's Mean@k and censored count at budget index j.
func modeCell(c *metrics.ModeCurve, budget int) string {
	if c == nil {
		return "–"
	}
	for _, p := range c.Points {
		if p.Budget == budget {
			return fmt.Sprintf("%s (%d)", pct(p.MeanAtK), p.Censored)
		}
	}
	return "–"
}

// efficiencyRows is the per-budget efficiency table.
func efficiencyRows(bm metrics.Benchmark) (head []string, rows [][]string) {
	forced, early := modeOf(bm, "forced"), modeOf(bm, "early_exit")
	head = []string{"budget", "strict Mean@k", "censored", "acc / 1k tokens", "maj@k (token-matched)"}
	if forced != nil {
		head = append(head, "forced (censored)")
	}
	if early != nil {
		head = append(head, "early exit (censored)")
	}
	for _, r := range bm.Budgets {
		row := []string{budgetLabel(r.Budget), pct(r.MeanAtK), fmt.Sprintf("%d / %d", r.Censored, r.Rollouts),
			fmt.Sprintf("%.2f", r.AccuracyPer1kTokens), fmt.Sprintf("%s (k=%d)", pct(r.MajAtK), r.MajK)}
		if forced != nil {
			row = append(row, modeCell(forced, r.Budget))
		}
		if early != nil {
			row = append(row, modeCell(early, r.Budget))
		}
		rows = append(rows, row)
	}
	return head, rows
}

// efficiencyNotes are the one-line summaries under the table.
func efficiencyNotes(bm metrics.Benchmark) []string {
	notes := []string{fmt.Sprintf("AUC of the Mean@k–budget curve (log2 budget axis, normalised): strict %.3f", bm.AUC)}
	for _, c := range bm.Modes {
		notes[0] += fmt.Sprintf(", %s %.3f", c.Mode, c.AUC)
	}
	if len(bm.Modes) > 0 { // the modes share one set of forced answers
		c := bm.Modes[0].Cost
		notes = append(notes, fmt.Sprintf("Cost of the forced answers: %d requests, %d answer tokens = %.1f%% of the %d completion tokens of the rollouts read (+%d prompt tokens re-read, which a prefix cache mostly absorbs).",
			c.Requests, c.AnswerTokens, 100*c.Fraction, c.OriginalTokens, c.PromptTokens))
	}
	if s := bm.Split; s != nil {
		notes = append(notes, fmt.Sprintf("Thinking vs answer (%s): thinking %s, answer %s tokens on average; thinking is %.1f%% of completion tokens.",
			s.Source, tokens(s.Thinking.Mean), tokens(s.Answer.Mean), 100*s.ThinkingShare))
	}
	if e := bm.EarlyExit; e != nil {
		notes = append(notes, fmt.Sprintf("Early exit: %d of %d rollouts reach a correct answer at some probe (%d of them in their own final answer); "+
			"tokens after the first correct answer: %s on average, %.1f%% of all thinking; outcome efficiency ξ_O = %.3f (Chen et al. 2412.21187); "+
			"underthinking ξ_UT = %.3f over %d wrong rollouts (Wang et al. 2501.18585).",
			e.WithCorrect, e.Rollouts, e.CorrectFinal, tokens(e.TokensAfterFirstCorrectMean), 100*e.WastedFraction, e.OutcomeEfficiency, e.Underthinking, e.WrongRollouts))
	}
	return notes
}

// writeEfficiencyMD writes the efficiency section in Markdown.
func writeEfficiencyMD(b *strings.Builder, bm metrics.Benchmark) {
	if len(bm.Budgets) == 0 {
		return
	}
	head, rows := efficiencyRows(bm)
	fmt.Fprintf(b, "### %s: efficiency\n\n| %s |\n|%s\n", bm.Benchmark, strings.Join(head, " | "), strings.Repeat("---:|", len(head)))
	for _, r := range rows {
		fmt.Fprintf(b, "| %s |\n", strings.Join(r, " | "))
	}
	b.WriteString("\nCensored: rollouts that did not finish within the budget (strict) or whose answer was forced (forced); budget-limited, not wrong. maj@k: majority vote over as many budget-B samples as fit the mean tokens of one sample at the largest budget.\n\n")
	for _, n := range efficiencyNotes(bm) {
		fmt.Fprintf(b, "- %s\n", n)
	}
	b.WriteString("\n")
}

// writeEfficiencyHTML writes the efficiency section: the strict, forced
// and early-exit curves overlaid, the first-correct histogram, the table.
func writeEfficiencyHTML(b *strings.Builder, bm metrics.Benchmark) {
	if len(bm.Budgets) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>Efficiency</h3>\n")
	if len(bm.Modes) > 0 {
		n := len(bm.Budgets)
		xs, ys, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i, r := range bm.Budgets {
			xs[i], ys[i], lo[i], hi[i] = float64(r.Budget), r.MeanAtK, r.MeanAtKCI.Lo, r.MeanAtKCI.Hi
		}
		series := []chart.Series{{Name: "strict", Color: chart.Blue, Points: chart.XY(xs, ys), Band: bands(lo, hi), Dots: true}}
		colors := map[string]string{"forced": chart.Red, "early_exit": chart.Green}
		names := map[string]string{"forced": "forced answer", "early_exit": "best-case early exit"}
		for _, c := range bm.Modes {
			mx, my := make([]float64, len(c.Points)), make([]float64, len(c.Points))
			lo, hi := make([]float64, len(c.Points)), make([]float64, len(c.Points))
			for i, p := range c.Points {
				mx[i], my[i], lo[i], hi[i] = float64(p.Budget), p.MeanAtK, p.MeanAtKCI.Lo, p.MeanAtKCI.Hi
			}
			series = append(series, chart.Series{Name: names[c.Mode], Color: colors[c.Mode], Points: chart.XY(mx, my), Band: bands(lo, hi), Dashed: c.Mode == "early_exit", Dots: true})
		}
		b.WriteString(`<div class="charts">`)
		b.WriteString(chart.Line{
			Title: bm.Benchmark + ": strict vs forced vs early exit", XLabel: budgetAxis, YLabel: "Mean@k (%)",
			XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent, YRange: [2]float64{0, 1}, Width: chartWidth,
			Series: series,
		}.SVG())
		if e := bm.EarlyExit; e != nil && e.WithCorrect > 0 {
			edges := make([]float64, len(e.FirstCorrect.Edges))
			for i, x := range e.FirstCorrect.Edges {
				edges[i] = float64(x)
			}
			b.WriteString(chart.Histogram{
				Title:  bm.Benchmark + ": where the first correct answer appears",
				XLabel: "position in the thinking (% of its tokens)", YLabel: "rollouts", Edges: edges, Width: chartWidth,
				Stacks: []chart.Stack{{Name: "first correct probe", Color: chart.Green, Counts: e.FirstCorrect.Counts}},
			}.SVG())
		}
		b.WriteString("</div>\n")
	}
	head, rows := efficiencyRows(bm)
	table(b, head, rows)
	b.WriteString(`<ul class="note">`)
	for _, n := range efficiencyNotes(bm) {
		fmt.Fprintf(b, "<li>%s</li>", html.EscapeString(n))
	}
	b.WriteString("</ul>\n")
}
