package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/terse-dev/terse/eval/metrics"
)

// Markdown renders one run's results as a Markdown summary.
func Markdown(res metrics.Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# terse eval results\n\n")
	fmt.Fprintf(&b, "Run: %s.\n\n", runLabel(res))
	fmt.Fprintf(&b, "Mode: **%s**. %s Intervals: %.0f%% bootstrap over problems (%d resamples, seed %d).\n\n",
		res.Mode, res.ModeNote, 100*res.Confidence, res.Bootstrap, res.Seed)
	for _, bm := range res.Benchmarks {
		writeBenchmarkMD(&b, bm)
		writeEfficiencyMD(&b, bm)
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintf(&b, "## Warnings\n\n")
		for _, w := range res.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeBenchmarkMD(b *strings.Builder, bm metrics.Benchmark) {
	k := 0
	if len(bm.Budgets) > 0 {
		k = bm.Budgets[0].K
	}
	fmt.Fprintf(b, "## %s\n\n%d problems, %d rollouts (%d–%d per problem), %d failed, Pass@k with k = %d.\n\n",
		bm.Benchmark, bm.Problems, bm.Rollouts, bm.MinSamples, bm.MaxSamples, bm.Failed, k)
	if len(bm.Budgets) == 0 {
		b.WriteString("No budget to report.\n\n")
	} else {
		fmt.Fprintf(b, "| budget | Mean@%d | 95%% CI | Pass@%d | 95%% CI | truncated %% | length | correct | incorrect | truncated |\n", k, k)
		b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range bm.Budgets {
			fmt.Fprintf(b, "| %s | %s | %s–%s | %s | %s–%s | %s | %s | %s | %s | %s |\n",
				budgetLabel(r.Budget), pct(r.MeanAtK), pct(r.MeanAtKCI.Lo), pct(r.MeanAtKCI.Hi),
				pct(r.PassAtK), pct(r.PassAtKCI.Lo), pct(r.PassAtKCI.Hi), pct(r.TruncationRate),
				tokens(r.Length.All.Mean), lenCell(r.Length.Correct), lenCell(r.Length.Incorrect), lenCell(r.Length.Truncated))
		}
		b.WriteString("\nMean@k, Pass@k and truncation are percentages. Lengths are mean completion tokens (capped at the budget); correct/incorrect are rollouts that finished within the budget, with their count in brackets.\n\n")
	}
	if len(bm.Levels) > 0 {
		fmt.Fprintf(b, "### %s by level (Mean@%d, mean length)\n\n| level | problems |", bm.Benchmark, k)
		for _, r := range bm.Budgets {
			fmt.Fprintf(b, " %s |", budgetLabel(r.Budget))
		}
		b.WriteString("\n|---:|---:|" + strings.Repeat("---:|", len(bm.Budgets)) + "\n")
		for _, l := range bm.Levels {
			fmt.Fprintf(b, "| %d | %d |", l.Level, l.Problems)
			for _, r := range l.Budgets {
				fmt.Fprintf(b, " %s (%s) |", pct(r.MeanAtK), tokens(r.Length.All.Mean))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	for _, n := range bm.Notes {
		fmt.Fprintf(b, "- Note: %s\n", n)
	}
	if len(bm.Notes) > 0 {
		b.WriteString("\n")
	}
}

func lenCell(s metrics.LengthStats) string {
	if s.Count == 0 {
		return "– (0)"
	}
	return fmt.Sprintf("%s (%d)", tokens(s.Mean), s.Count)
}

// Run is one named run for Compare.
type Run struct {
	Name    string
	Results metrics.Results
}

// CompareOptions configures the side-by-side tables.
type CompareOptions struct {
	// Budget of the main table; 0 means the largest budget every run has.
	Budget int
}

// find returns the budget entry of benchmark name at budget, if present.
func find(res metrics.Results, name string, budget int) (metrics.Budget, bool) {
	for _, bm := range res.Benchmarks {
		if bm.Benchmark != name {
			continue
		}
		for _, r := range bm.Budgets {
			if r.Budget == budget {
				return r, true
			}
		}
	}
	return metrics.Budget{}, false
}

// benchNames lists benchmark names in first-seen order over runs.
func benchNames(runs []Run) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, bm := range r.Results.Benchmarks {
			if !seen[bm.Benchmark] {
				seen[bm.Benchmark] = true
				names = append(names, bm.Benchmark)
			}
		}
	}
	return names
}

// budgetsOf lists the budgets of benchmark name in any run, sorted.
func budgetsOf(runs []Run, name string) []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range runs {
		for _, bm := range r.Results.Benchmarks {
			if bm.Benchmark != name {
				continue
			}
			for _, b := range bm.Budgets {
				if !seen[b.Budget] {
					seen[b.Budget] = true
					out = append(out, b.Budget)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// mainBudget picks the main table's budget for benchmark name: opts.Budget
// or the largest budget all runs share.
func mainBudget(runs []Run, name string, opts CompareOptions) int {
	if opts.Budget > 0 {
		return opts.Budget
	}
	best := 0
	for _, b := range budgetsOf(runs, name) {
		all := true
		for _, r := range runs {
			if _, ok := find(r.Results, name, b); !ok {
				all = false
			}
		}
		if all {
			best = b
		}
	}
	return best
}

// CompareMarkdown puts runs side by side in the paper's table format: per
// benchmark Mean@k, Pass@k, mean length and the relative length change
// against the first run, at the main budget; then Mean@k, truncation rate
// and length at every budget.
func CompareMarkdown(runs []Run, opts CompareOptions) string {
	var b strings.Builder
	b.WriteString("# terse report\n\nRuns (relative length change is against the first):\n\n")
	for i, r := range runs {
		fmt.Fprintf(&b, "%d. **%s**: %s.\n", i+1, r.Name, runLabel(r.Results))
	}
	fmt.Fprintf(&b, "\nMode: strict (%s)\n\n", metrics.ModeNote)
	names := benchNames(runs)
	b.WriteString("## Main table\n\n| run |")
	for _, n := range names {
		k := kOf(runs, n)
		fmt.Fprintf(&b, " %s @%s Mean@%s | Pass@%s | length | Δlength |", n, budgetLabel(mainBudget(runs, n, opts)), k, k)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|---:|---:|---:|", len(names)) + "\n")
	for ri, r := range runs {
		fmt.Fprintf(&b, "| %s |", r.Name)
		for _, n := range names {
			B := mainBudget(runs, n, opts)
			x, ok := find(r.Results, n, B)
			base, bok := find(runs[0].Results, n, B)
			if !ok {
				b.WriteString(" – | – | – | – |")
				continue
			}
			d := "–"
			if bok && ri > 0 {
				d = relChange(x.Length.All.Mean, base.Length.All.Mean)
			}
			fmt.Fprintf(&b, " %s | %s | %s | %s |", pct(x.MeanAtK), pct(x.PassAtK), tokens(x.Length.All.Mean), d)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, n := range names {
		budgets := budgetsOf(runs, n)
		fmt.Fprintf(&b, "## %s across budgets\n\nMean@k / truncation rate / mean length (Δ vs first run).\n\n| run |", n)
		for _, B := range budgets {
			fmt.Fprintf(&b, " %s |", budgetLabel(B))
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(budgets)) + "\n")
		for ri, r := range runs {
			fmt.Fprintf(&b, "| %s |", r.Name)
			for _, B := range budgets {
				x, ok := find(r.Results, n, B)
				if !ok {
					b.WriteString(" – |")
					continue
				}
				d := ""
				if base, bok := find(runs[0].Results, n, B); bok && ri > 0 {
					d = " (" + relChange(x.Length.All.Mean, base.Length.All.Mean) + ")"
				}
				fmt.Fprintf(&b, " %s / %s / %s%s |", pct(x.MeanAtK), pct(x.TruncationRate), tokens(x.Length.All.Mean), d)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// kOf returns the k of benchmark name if all runs agree on it, else "k".
func kOf(runs []Run, name string) string {
	k := 0
	for _, r := range runs {
		for _, bm := range r.Results.Benchmarks {
			if bm.Benchmark != name || len(bm.Budgets) == 0 {
				continue
			}
			switch {
			case k == 0:
				k = bm.Budgets[0].K
			case k != bm.Budgets[0].K:
				return "k"
			}
		}
	}
	if k == 0 {
		return "k"
	}
	return fmt.Sprint(k)
}
