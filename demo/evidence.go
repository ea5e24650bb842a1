package demo

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"

	"github.com/terse-dev/terse/chart"
	"github.com/terse-dev/terse/rl"
)

// The page over seeds shows, per finding, the one chart that carries its
// evidence across the seeds: the lab's analogue of the paper's figure.
// Curves are the mean over the seeds with the min–max over the seeds as a
// band, except finding 1's, which draws every seed. Every chart is of the
// in-domain benchmark unless its title says otherwise.

// evidenceChart is finding f's chart over the seeds' results.
func evidenceChart(f Finding, all []*Results) template.HTML {
	p := all[0].Profile
	bench := inDomain(p)
	sm, lg := ladderEnds(p)
	mean := func(b BudgetResult) float64 { return b.MeanAtK }
	line := chart.Line{Width: 640, Height: 340}
	switch f.Name {
	case "dynamics":
		line.Title = "Length ÷ L_T (solid), held-out Mean@k@" + itoa(lg) + " (dashed)"
		line.XLabel, line.YLabel = "training step", "length / L_T · Mean@k"
		for i, r := range all {
			rr := r.run(Baseline)
			if rr == nil {
				continue
			}
			col := chart.Color(i)
			s := fmt.Sprintf("seed %d", r.Profile.Seed)
			line.Series = append(line.Series,
				chart.Series{Name: s + " length", Color: col, Points: stepPoints(rr, func(st rl.StepLog) float64 { return st.MeanLength / float64(p.TargetLen) })},
				chart.Series{Name: s + " Mean@k", Color: col, Dashed: true, Dots: true, Points: evalPoints(rr, lg)})
			if d := stages(rr, p); d.RefinementStart >= 0 {
				line.Markers = append(line.Markers, chart.Marker{X: float64(d.RefinementStart), Label: s + " stage II", Color: col})
			}
		}
	case "rewards":
		line.Title = "Mean@k across the budget ladder, per reward shape"
		line.XLabel, line.YLabel, line.XScale = "token budget", "Mean@k", chart.Log2
		for _, n := range []string{Unified, runKimi, runLaser, runLaserD} {
			line.Series = append(line.Series, ladderSeries(all, shapeLabels[n], n, bench, mean))
		}
		line.Series = append(line.Series, ladderSeries(all, "base", baseRun, bench, mean))
		line.Series[len(line.Series)-1].Color, line.Series[len(line.Series)-1].Dashed = chart.Gray, true
		line.Markers = []chart.Marker{{X: float64(sm), Label: "smallest"}, {X: float64(lg), Label: "largest"}}
	case "difficulty":
		line.Title = "Held-out Mean@k at budget " + itoa(lg) + " over training"
		line.XLabel, line.YLabel = "training step", "Mean@k"
		for _, n := range []string{Baseline, runHard, runFull} {
			line.Series = append(line.Series, stepSeries(all, map[string]string{Baseline: "Easy-only", runHard: "Hard-only", runFull: "Full"}[n], n,
				func(rr *RunResult) []chart.Point { return evalPoints(rr, lg) }))
		}
	case "group-size":
		line.Title = fmt.Sprintf("Mean@k (solid) and Pass@k (dashed) at budget %d", lg)
		line.XLabel, line.YLabel, line.XScale = "rollouts per prompt N", "share", chart.Log2
		sizes := slices.Sorted(slices.Values(p.GroupSizes))
		line.XTicks = nil
		for _, m := range []struct {
			name string
			get  func(BudgetResult) float64
		}{{"Mean@k", mean}, {"Pass@k", func(b BudgetResult) float64 { return b.PassAtK }}} {
			s := chart.Series{Name: m.name, Dots: true, Dashed: m.name == "Pass@k"}
			for _, n := range sizes {
				y, band := overSeeds(all, func(r *Results) float64 {
					if rr := r.run(groupRun(p, n)); rr != nil {
						if b, ok := rr.at(bench, lg); ok {
							return m.get(b)
						}
					}
					return math.NaN()
				})
				s.Points, s.Band = append(s.Points, chart.Point{X: float64(n), Y: y}), append(s.Band, band)
			}
			line.Series = append(line.Series, s)
		}
	case "masking":
		line.Title = "Training rollout length per masking variant"
		line.XLabel, line.YLabel = "training step", "tokens"
		for _, n := range []string{Unified, runMaskI, runMaskLC, runMaskLCSI, runMaskLCLI} {
			label := map[string]string{Unified: "truncation", runMaskI: "−I", runMaskLC: "−L&C", runMaskLCSI: "−L&C−S&I", runMaskLCLI: "−L&C−L&I"}[n]
			line.Series = append(line.Series, stepSeries(all, label, n, func(rr *RunResult) []chart.Point {
				return stepPoints(rr, func(st rl.StepLog) float64 { return st.MeanLength })
			}))
		}
	case "rollout-limit":
		line.Title = "Training length: all (solid), negatives (dashed)"
		line.XLabel, line.YLabel = "training step", "tokens"
		for i, n := range []string{Baseline, Unified} {
			label := map[string]string{Baseline: "L_R = L_T", Unified: "L_R = " + itoa(p.LongLimit) + "·L_T"}[n]
			all1 := stepSeries(all, label, n, func(rr *RunResult) []chart.Point {
				return stepPoints(rr, func(st rl.StepLog) float64 { return st.MeanLength })
			})
			neg := stepSeries(all, label+" negatives", n, func(rr *RunResult) []chart.Point {
				return stepPoints(rr, func(st rl.StepLog) float64 { return st.MeanLengthNeg })
			})
			all1.Color, neg.Color, neg.Dashed = chart.Color(i), chart.Color(i), true
			line.Series = append(line.Series, all1, neg)
		}
	case "transfer":
		line.Title = "Length on unseen families: trained vs base (dashed)"
		line.XLabel, line.YLabel, line.XScale = "token budget", "tokens", chart.Log2
		for i, fam := range otherFamilies(p) {
			b := "lab-" + fam
			length := func(x BudgetResult) float64 { return x.MeanLength }
			tr, base := ladderSeries(all, b+" trained", Baseline, b, length), ladderSeries(all, b+" base", baseRun, b, length)
			tr.Color, base.Color, base.Dashed = chart.Color(i), chart.Color(i), true
			line.Series = append(line.Series, tr, base)
		}
	case "summary":
		line.Title = "Mean@k across the ladder: trained vs base (dashed)"
		line.XLabel, line.YLabel, line.XScale = "token budget", "Mean@k", chart.Log2
		tr, base := ladderSeries(all, "trained", Baseline, bench, mean), ladderSeries(all, "base", baseRun, bench, mean)
		base.Dashed, base.Color = true, chart.Gray
		line.Series = []chart.Series{tr, base}
	default:
		return ""
	}
	return template.HTML(line.SVG())
}

// overSeeds is the mean of get over the seeds (finite values) and its
// min–max.
func overSeeds(all []*Results, get func(*Results) float64) (float64, chart.Interval) {
	var xs []float64
	for _, r := range all {
		if v := get(r); !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN(), chart.Interval{Lo: math.NaN(), Hi: math.NaN()}
	}
	m, _ := meanSE(xs)
	return m, chart.Interval{Lo: slices.Min(xs), Hi: slices.Max(xs)}
}

// ladderSeries is run name's metric across the ladder on bench, mean over
// the seeds with their min–max band (name baseRun: the base model).
func ladderSeries(all []*Results, label, name, bench string, get func(BudgetResult) float64) chart.Series {
	s := chart.Series{Name: label, Dots: true}
	for _, budget := range all[0].Profile.Budgets {
		y, band := overSeeds(all, func(r *Results) float64 {
			rr := r.runOrBase(name)
			if rr == nil {
				return math.NaN()
			}
			b, ok := rr.at(bench, budget)
			if !ok {
				return math.NaN()
			}
			return get(b)
		})
		s.Points, s.Band = append(s.Points, chart.Point{X: float64(budget), Y: y}), append(s.Band, band)
	}
	return s
}

// stepSeries is run name's per-step curve (points from get), mean over the
// seeds at each step with their min–max band.
func stepSeries(all []*Results, label, name string, get func(*RunResult) []chart.Point) chart.Series {
	by := map[float64][]float64{}
	for _, r := range all {
		rr := r.run(name)
		if rr == nil {
			continue
		}
		for _, pt := range get(rr) {
			if !math.IsNaN(pt.Y) && !math.IsInf(pt.Y, 0) {
				by[pt.X] = append(by[pt.X], pt.Y)
			}
		}
	}
	xs := make([]float64, 0, len(by))
	for x := range by {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	s := chart.Series{Name: label}
	for _, x := range xs {
		m, _ := meanSE(by[x])
		s.Points = append(s.Points, chart.Point{X: x, Y: m})
		s.Band = append(s.Band, chart.Interval{Lo: slices.Min(by[x]), Hi: slices.Max(by[x])})
	}
	return s
}

// stepPoints is a run's training curve (steps ≥ 1).
func stepPoints(rr *RunResult, get func(rl.StepLog) float64) []chart.Point {
	var pts []chart.Point
	for _, st := range rr.Steps {
		if st.Step >= 1 {
			pts = append(pts, chart.Point{X: float64(st.Step), Y: get(st)})
		}
	}
	return pts
}

// evalPoints is a run's in-training held-out Mean@k at budget.
func evalPoints(rr *RunResult, budget int) []chart.Point {
	var pts []chart.Point
	for _, st := range rr.Steps {
		for _, e := range st.Eval {
			if e.Budget == budget {
				pts = append(pts, chart.Point{X: float64(st.Step), Y: e.MeanAtK})
			}
		}
	}
	return pts
}

// recipeTable sets the lab's base-vs-trained numbers (per seed and pooled)
// beside the paper's own (PAPER.md §5.8) for finding 8.
func recipeTable(all []*Results, pooled Verdict) *table {
	p := all[0].Profile
	bench := inDomain(p)
	_, lg := ladderEnds(p)
	k := strconv.Itoa(p.K)
	t := &table{Head: []string{"source", "setting", "Mean@k before → after (paper: %, k = 8; lab: share, k = " + k + ")", "change", "length before → after (tokens)", "relative length change"}}
	for _, pr := range PaperRecipes {
		t.Rows = append(t.Rows, []string{"paper", pr.Model + ", AIME'25",
			fmt.Sprintf("%.2f → %.2f", pr.MeanBefore, pr.MeanAfter), fmt.Sprintf("%+.2f", pr.MeanAfter-pr.MeanBefore),
			fmt.Sprintf("%.1fk → %.1fk", pr.LengthBefore/1000, pr.LengthAft/1000), fmt.Sprintf("%+.1f%%", 100*(pr.LengthAft/pr.LengthBefore-1))})
	}
	t.Rows = append(t.Rows, []string{"paper", "all Qwen3 models", "equal or better", "", "", "−14.5% to −47.3%"})
	for _, r := range all {
		tr := r.run(Baseline)
		if r.Base == nil || tr == nil {
			continue
		}
		b, ok1 := r.Base.at(bench, lg)
		x, ok2 := tr.at(bench, lg)
		if !ok1 || !ok2 {
			continue
		}
		t.Rows = append(t.Rows, []string{"lab", fmt.Sprintf("seed %d, %s at budget %d", r.Profile.Seed, bench, lg),
			fmt.Sprintf("%.3f → %.3f", b.MeanAtK, x.MeanAtK), fmt.Sprintf("%+.3f", x.MeanAtK-b.MeanAtK),
			fmt.Sprintf("%.0f → %.0f", b.MeanLength, x.MeanLength), fmt.Sprintf("%+.1f%%", 100*(x.MeanLength/b.MeanLength-1))})
	}
	if n := pooled.Numbers; n != nil {
		if d, ok := n["mean_at_k_diff"]; ok {
			what := fmt.Sprintf("pooled over %d seeds (paired per problem; length as the geometric-mean ratio)", pooled.Seeds)
			if pooled.Seeds < 2 {
				what = "paired per problem (length as the geometric-mean ratio)"
			}
			row := []string{"lab", what,
				"", fmt.Sprintf("%+.3f (95%% band %+.3f … %+.3f)", d, n["mean_at_k_lo95"], n["mean_at_k_hi95"]), "", ""}
			if l, ok := n["length_diff"]; ok {
				row[5] = fmt.Sprintf("%+.1f%% (95%% band %+.1f%% … %+.1f%%)", 100*(math.Exp(l)-1), 100*(math.Exp(n["length_lo95"])-1), 100*(math.Exp(n["length_hi95"])-1))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// densityTable sets the lab's positive-reward density of Easy and Hard
// prompts, per seed, beside the paper's definition (finding 3): from the
// difficulty profile (the base's K rollouts per prompt under truncation at
// L_R = L_T) and from the first training steps of the Easy-only baseline
// and the Hard-only run.
func densityTable(all []*Results) *table {
	const n = 8
	t := &table{Head: []string{"source", "Easy prompts", "Hard prompts", fmt.Sprintf("first %d training steps, Easy-only: positive rollouts / groups with one", n), fmt.Sprintf("first %d training steps, Hard-only", n)}}
	t.Rows = append(t.Rows, []string{"paper (PAPER.md §3, §5.3)", "pass rate > 0.5 over 8 base rollouts", "pass rate ≤ 0.5; no density figure given", "", ""})
	dens := func(rr *RunResult) string {
		pr, pg, ok := positiveDensity(rr, n)
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.2f / %.0f%%", pr, 100*pg)
	}
	for _, r := range all {
		d := r.Difficulty
		if d == nil {
			continue
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("lab, seed %d (profile: %d rollouts per prompt)", r.Profile.Seed, d.K),
			fmt.Sprintf("%d of %d prompts, pass rate %.2f", d.Easy, d.Prompts, d.EasyPassRate),
			fmt.Sprintf("%d prompts, pass rate %.2f, %.0f%% with no positive", d.Hard, d.HardPassRate, 100*d.HardNoPositive),
			dens(r.run(Baseline)), dens(r.run(runHard))})
	}
	return t
}
