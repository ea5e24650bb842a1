package report

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/terse-dev/terse/chart"
	"github.com/terse-dev/terse/eval/metrics"
)

const css = `body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:12px}.warn{color:#a40}code{background:#f3f3f3;padding:1px 4px}`

// table writes an HTML table; cells are escaped.
func table(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("<table><tr>")
	for _, h := range head {
		fmt.Fprintf(b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>\n")
}

func page(title, body string) string {
	return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title><style>" + css + "</style></head><body>\n" + body + "</body></html>\n"
}

// HTML renders one run's results as a self-contained page: tables, the
// budget curve (Mean@k and Pass@k with their intervals against a log-2
// budget axis) and length histograms by outcome at the largest budget.
func HTML(res metrics.Results) string {
	var b strings.Builder
	b.WriteString("<h1>terse eval results</h1>\n")
	fmt.Fprintf(&b, "<p>Run: %s.</p>\n", html.EscapeString(runLabel(res)))
	fmt.Fprintf(&b, "<p class=\"note\">Mode: <b>%s</b>. %s Intervals: %.0f%% bootstrap over problems (%d resamples, seed %d).</p>\n",
		html.EscapeString(res.Mode), html.EscapeString(res.ModeNote), 100*res.Confidence, res.Bootstrap, res.Seed)
	for _, bm := range res.Benchmarks {
		k := 0
		if len(bm.Budgets) > 0 {
			k = bm.Budgets[0].K
		}
		fmt.Fprintf(&b, "<h2>%s</h2>\n<p>%d problems, %d rollouts (%d–%d per problem), %d failed, Pass@k with k = %d.</p>\n",
			html.EscapeString(bm.Benchmark), bm.Problems, bm.Rollouts, bm.MinSamples, bm.MaxSamples, bm.Failed, k)
		if len(bm.Budgets) == 0 {
			b.WriteString("<p>No budget to report.</p>\n")
			continue
		}
		budgets, xs := make([]int, len(bm.Budgets)), make([]float64, len(bm.Budgets))
		mean, meanLo, meanHi := make([]float64, len(budgets)), make([]float64, len(budgets)), make([]float64, len(budgets))
		pass, passLo, passHi := make([]float64, len(budgets)), make([]float64, len(budgets)), make([]float64, len(budgets))
		trunc := make([]float64, len(budgets))
		var rows [][]string
		for i, r := range bm.Budgets {
			budgets[i], xs[i] = r.Budget, float64(r.Budget)
			mean[i], meanLo[i], meanHi[i] = r.MeanAtK, r.MeanAtKCI.Lo, r.MeanAtKCI.Hi
			pass[i], passLo[i], passHi[i] = r.PassAtK, r.PassAtKCI.Lo, r.PassAtKCI.Hi
			trunc[i] = r.TruncationRate
			rows = append(rows, []string{budgetLabel(r.Budget),
				pct(r.MeanAtK), pct(r.MeanAtKCI.Lo) + "–" + pct(r.MeanAtKCI.Hi),
				pct(r.PassAtK), pct(r.PassAtKCI.Lo) + "–" + pct(r.PassAtKCI.Hi), pct(r.TruncationRate),
				tokens(r.Length.All.Mean), lenCell(r.Length.Correct), lenCell(r.Length.Incorrect), lenCell(r.Length.Truncated)})
		}
		b.WriteString(`<div class="charts">`)
		b.WriteString(chart.Line{
			Title: bm.Benchmark + ": accuracy vs budget", XLabel: budgetAxis, YLabel: "accuracy, truncation (%)",
			XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent, YRange: [2]float64{0, 1}, Width: chartWidth,
			Series: []chart.Series{
				{Name: fmt.Sprintf("Mean@%d", k), Color: chart.Blue, Points: chart.XY(xs, mean), Band: bands(meanLo, meanHi), Dots: true},
				{Name: fmt.Sprintf("Pass@%d", k), Color: chart.Green, Points: chart.XY(xs, pass), Band: bands(passLo, passHi), Dots: true},
				{Name: "truncation rate", Color: chart.Gray, Dashed: true, Points: chart.XY(xs, trunc), Dots: true},
			},
		}.SVG())
		last := bm.Budgets[len(bm.Budgets)-1]
		if h := last.Length.All.Histogram; h != nil {
			edges := make([]float64, len(h.Edges))
			for i, e := range h.Edges {
				edges[i] = float64(e)
			}
			b.WriteString(chart.Histogram{
				Title:  fmt.Sprintf("%s: lengths at %s by outcome", bm.Benchmark, budgetLabel(last.Budget)),
				XLabel: "completion tokens", YLabel: "rollouts", Edges: edges, XFormat: edgeLabel, Width: chartWidth,
				Stacks: []chart.Stack{
					{Name: "correct", Color: chart.Green, Counts: countsOf(last.Length.Correct, len(h.Counts))},
					{Name: "incorrect", Color: chart.Red, Counts: countsOf(last.Length.Incorrect, len(h.Counts))},
					{Name: "truncated", Color: chart.Gray, Counts: countsOf(last.Length.Truncated, len(h.Counts))},
				},
			}.SVG())
		}
		b.WriteString("</div>\n")
		table(&b, []string{"budget", fmt.Sprintf("Mean@%d", k), "95% CI", fmt.Sprintf("Pass@%d", k), "95% CI", "truncated %", "length", "correct", "incorrect", "truncated"}, rows)
		var lrows [][]string
		for _, r := range bm.Budgets {
			for _, o := range []struct {
				name string
				s    metrics.LengthStats
			}{{"correct", r.Length.Correct}, {"incorrect", r.Length.Incorrect}, {"truncated", r.Length.Truncated}} {
				if o.s.Count == 0 {
					lrows = append(lrows, []string{budgetLabel(r.Budget), o.name, "0", "–", "–", "–", "–"})
					continue
				}
				lrows = append(lrows, []string{budgetLabel(r.Budget), o.name, fmt.Sprint(o.s.Count), tokens(o.s.Mean), tokens(o.s.Median), tokens(o.s.P10), tokens(o.s.P90)})
			}
		}
		b.WriteString("<h3>Length by outcome (completion tokens, capped at the budget)</h3>\n")
		table(&b, []string{"budget", "outcome", "count", "mean", "median", "p10", "p90"}, lrows)
		writeEfficiencyHTML(&b, bm)
		if len(bm.Levels) > 0 {
			head := []string{"level", "problems"}
			for _, B := range budgets {
				head = append(head, budgetLabel(B))
			}
			var rows [][]string
			for _, l := range bm.Levels {
				row := []string{fmt.Sprint(l.Level), fmt.Sprint(l.Problems)}
				for _, r := range l.Budgets {
					row = append(row, fmt.Sprintf("%s (%s)", pct(r.MeanAtK), tokens(r.Length.All.Mean)))
				}
				rows = append(rows, row)
			}
			fmt.Fprintf(&b, "<h3>By level: Mean@%d (mean length)</h3>\n", k)
			table(&b, head, rows)
		}
		for _, n := range bm.Notes {
			fmt.Fprintf(&b, "<p class=\"note\">Note: %s</p>\n", html.EscapeString(n))
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "<p class=\"warn\">Warning: %s</p>\n", html.EscapeString(w))
	}
	return page("terse eval results", b.String())
}

// budgetAxis labels the x axis of every budget curve; chartWidth lets two
// charts sit side by side on the page.
const (
	budgetAxis = "token budget (log₂ scale)"
	chartWidth = 560
)

// bands pairs interval ends into a chart band.
func bands(lo, hi []float64) []chart.Interval {
	out := make([]chart.Interval, len(lo))
	for i := range lo {
		out[i] = chart.Interval{Lo: lo[i], Hi: hi[i]}
	}
	return out
}

// edgeLabel formats a histogram edge: multiples of 1024 as "8k", else as
// tokens does.
func edgeLabel(e float64) string {
	if e > 0 && math.Mod(e, 1024) == 0 {
		return chart.Budget(e)
	}
	return tokens(e)
}

// countsOf returns s's histogram counts, or zeros when it has none.
func countsOf(s metrics.LengthStats, n int) []int {
	if s.Histogram == nil {
		return make([]int, n)
	}
	return s.Histogram.Counts
}

// CompareHTML renders CompareMarkdown's tables as a self-contained page,
// with one budget-curve chart per benchmark (Mean@k solid, Pass@k dashed,
// one colour per run).
func CompareHTML(runs []Run, opts CompareOptions) string {
	var b strings.Builder
	b.WriteString("<h1>terse report</h1>\n<ol>")
	for _, r := range runs {
		fmt.Fprintf(&b, "<li><b>%s</b>: %s.</li>", html.EscapeString(r.Name), html.EscapeString(runLabel(r.Results)))
	}
	fmt.Fprintf(&b, "</ol>\n<p class=\"note\">Relative length change is against the first run. Mode: strict (%s)</p>\n", html.EscapeString(metrics.ModeNote))
	names := benchNames(runs)
	head := []string{"run"}
	for _, n := range names {
		k := kOf(runs, n)
		head = append(head, fmt.Sprintf("%s @%s Mean@%s", n, budgetLabel(mainBudget(runs, n, opts)), k), "Pass@"+k, "length", "Δlength")
	}
	var rows [][]string
	for ri, r := range runs {
		row := []string{r.Name}
		for _, n := range names {
			B := mainBudget(runs, n, opts)
			x, ok := find(r.Results, n, B)
			if !ok {
				row = append(row, "–", "–", "–", "–")
				continue
			}
			d := "–"
			if base, bok := find(runs[0].Results, n, B); bok && ri > 0 {
				d = relChange(x.Length.All.Mean, base.Length.All.Mean)
			}
			row = append(row, pct(x.MeanAtK), pct(x.PassAtK), tokens(x.Length.All.Mean), d)
		}
		rows = append(rows, row)
	}
	b.WriteString("<h2>Main table</h2>\n")
	table(&b, head, rows)
	for _, n := range names {
		budgets := budgetsOf(runs, n)
		fmt.Fprintf(&b, "<h2>%s across budgets</h2>\n<div class=\"charts\">", html.EscapeString(n))
		xs := make([]float64, len(budgets))
		for j, B := range budgets {
			xs[j] = float64(B)
		}
		var ss, ls []chart.Series
		for i, r := range runs {
			m, p, l := make([]float64, len(budgets)), make([]float64, len(budgets)), make([]float64, len(budgets))
			for j, B := range budgets {
				m[j], p[j], l[j] = math.NaN(), math.NaN(), math.NaN()
				if x, ok := find(r.Results, n, B); ok {
					m[j], p[j] = x.MeanAtK, x.PassAtK
					if x.Length.All.Count > 0 {
						l[j] = x.Length.All.Mean
					}
				}
			}
			c := chart.Color(i)
			ss = append(ss, chart.Series{Name: r.Name + " Mean@k", Color: c, Points: chart.XY(xs, m), Dots: true},
				chart.Series{Name: r.Name + " Pass@k", Color: c, Dashed: true, Points: chart.XY(xs, p), Dots: true})
			ls = append(ls, chart.Series{Name: r.Name, Color: c, Points: chart.XY(xs, l), Dots: true})
		}
		b.WriteString(chart.Line{
			Title: n + ": accuracy vs budget", XLabel: budgetAxis, YLabel: "accuracy (%)",
			XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent, YRange: [2]float64{0, 1}, Width: chartWidth, Series: ss,
		}.SVG())
		b.WriteString(chart.Line{
			Title: n + ": mean length vs budget", XLabel: budgetAxis, YLabel: "mean length (tokens)",
			XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Tokens, Width: chartWidth, Series: ls,
		}.SVG())
		b.WriteString("</div>\n")
		head := []string{"run"}
		for _, B := range budgets {
			head = append(head, budgetLabel(B))
		}
		var rows [][]string
		for ri, r := range runs {
			row := []string{r.Name}
			for _, B := range budgets {
				x, ok := find(r.Results, n, B)
				if !ok {
					row = append(row, "–")
					continue
				}
				d := ""
				if base, bok := find(runs[0].Results, n, B); bok && ri > 0 {
					d = " (" + relChange(x.Length.All.Mean, base.Length.All.Mean) + ")"
				}
				row = append(row, fmt.Sprintf("%s / %s / %s%s", pct(x.MeanAtK), pct(x.TruncationRate), tokens(x.Length.All.Mean), d))
			}
			rows = append(rows, row)
		}
		b.WriteString("<p class=\"note\">Mean@k / truncation rate / mean length (Δ vs first run).</p>\n")
		table(&b, head, rows)
	}
	return page("terse report", b.String())
}
