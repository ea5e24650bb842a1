package demo

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/terse-dev/terse/chart"
	"github.com/terse-dev/terse/rl"
)

// section is one finding in the report.
type section struct {
	ID         int
	Anchor     string
	Title      string
	Claim      string
	Reproduced string
	Evidence   string
	Rule       string
	Clauses    []Clause
	Margins    []Margin
	LabDiff    string // what in the lab differs from the paper (not reproduced)
	Charts     []template.HTML
	Table      *table
	Recipe     *table // finding 8: the lab's numbers beside the paper's
	Numbers    [][2]string
}

// table is a plain HTML table.
type table struct {
	Head []string
	Rows [][]string
}

// RenderHTML writes the demo report: one self-contained page (inline CSS
// and SVG, no scripts, no external resources) with an overview of the
// verdicts, a section per finding (claim, verdict in plain words, the rule,
// charts and the deciding numbers) and the summary table.
func RenderHTML(w io.Writer, r *Results) error {
	var secs []section
	for _, f := range r.Findings {
		s := section{ID: f.ID, Anchor: "finding-" + f.Name, Title: f.Title, Claim: f.Verdict.Claim,
			Reproduced: f.Verdict.Reproduced, Evidence: f.Verdict.Evidence, Rule: f.Verdict.Rule,
			Clauses: f.Verdict.Clauses, Margins: f.Verdict.Margins, LabDiff: f.Verdict.LabDiff}
		if f.Name == "summary" {
			s.Recipe = recipeTable([]*Results{r}, f.Verdict)
		}
		keys := make([]string, 0, len(f.Verdict.Numbers))
		for k := range f.Verdict.Numbers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s.Numbers = append(s.Numbers, [2]string{k, strconv.FormatFloat(f.Verdict.Numbers[k], 'g', 4, 64)})
		}
		s.Charts, s.Table = findingCharts(r, f)
		secs = append(secs, s)
	}
	var runs table
	runs.Head = []string{"run", "what", "status", "steps", "s/step", "seconds", "length start → end", "entropy start → end"}
	for _, rr := range r.Runs {
		row := []string{rr.Name, rr.Label, rr.Status, "", "", fmt.Sprintf("%.0f", rr.Seconds), "", ""}
		if rr.Error != "" {
			row[2] += ": " + rr.Error
		}
		if s := rr.Summary; s != nil {
			row[3], row[4] = strconv.Itoa(s.Steps), fmt.Sprintf("%.2f", s.SecondsPerStep)
			row[6] = fmt.Sprintf("%.0f → %.0f", s.LengthStart, s.LengthEnd)
			row[7] = fmt.Sprintf("%.3f → %.3f", s.EntropyStart, s.EntropyEnd)
		}
		runs.Rows = append(runs.Rows, row)
	}
	data := struct {
		R          *Results
		Sections   []section
		Runs       table
		Minutes    string
		Invocation string
	}{r, secs, runs, fmt.Sprintf("%.1f", r.WorkSeconds/60), fmtDuration(time.Duration(r.Seconds * float64(time.Second)))}
	if err := reportTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("demo: rendering the report: %w", err)
	}
	return nil
}

// findingCharts returns the charts and table of one finding.
func findingCharts(r *Results, f FindingResult) ([]template.HTML, *table) {
	p := r.Profile
	bench := inDomain(p)
	var charts []template.HTML
	add := func(title, xLabel, yLabel string, ss []chart.Series, marks []chart.Marker, scale chart.Scale) {
		l := chart.Line{Title: title, XLabel: xLabel, YLabel: yLabel, XScale: scale, Series: ss, Markers: marks}
		charts = append(charts, template.HTML(l.SVG()))
	}
	runsOf := func(names ...string) []*RunResult {
		var out []*RunResult
		for _, n := range names {
			if rr := r.run(n); rr != nil && rr.Status == StatusOK {
				out = append(out, rr)
			}
		}
		return out
	}
	overSteps := func(title, ylabel string, rs []*RunResult, get func(rl.StepLog) float64, marks []chart.Marker) {
		var ss []chart.Series
		for _, rr := range rs {
			s := chart.Series{Name: rr.Name}
			for _, st := range rr.Steps {
				if st.Step >= 1 {
					s.Points = append(s.Points, chart.Point{X: float64(st.Step), Y: get(st)})
				}
			}
			ss = append(ss, s)
		}
		add(title, "training step", ylabel, ss, marks, chart.Linear)
	}
	ladderChart := func(title string, rs []*RunResult, withBase bool, bench string, get func(BudgetResult) float64, ylabel string) {
		var ss []chart.Series
		all := rs
		if withBase && r.Base != nil {
			all = append([]*RunResult{r.Base}, rs...)
		}
		for _, rr := range all {
			s := chart.Series{Name: rr.Name}
			for _, b := range p.Budgets {
				x, ok := rr.at(bench, b)
				y := math.NaN()
				if ok {
					y = get(x)
				}
				s.Points = append(s.Points, chart.Point{X: float64(b), Y: y})
			}
			ss = append(ss, s)
		}
		add(title, "token budget", ylabel, ss, nil, chart.Log2)
	}
	mean := func(b BudgetResult) float64 { return b.MeanAtK }
	length := func(s rl.StepLog) float64 { return s.MeanLength }
	entropy := func(s rl.StepLog) float64 { return s.Entropy }
	accuracy := func(s rl.StepLog) float64 { return s.Accuracy }
	var tbl *table

	switch f.Name {
	case "dynamics":
		rs := runsOf(Baseline)
		if len(rs) == 0 {
			break
		}
		var marks []chart.Marker
		if d := rs[0].Dynamics; d != nil && d.RefinementStart >= 0 {
			marks = append(marks, chart.Marker{X: float64(d.RefinementStart), Label: "stage II"})
		}
		rr := rs[0]
		var ss []chart.Series
		for _, name := range []string{"mean", "correct", "incorrect"} {
			s := chart.Series{Name: name}
			for _, st := range rr.Steps {
				if st.Step < 1 {
					continue
				}
				v := map[string]float64{"mean": st.MeanLength, "correct": st.MeanLengthPos, "incorrect": st.MeanLengthNeg}[name]
				s.Points = append(s.Points, chart.Point{X: float64(st.Step), Y: v})
			}
			ss = append(ss, s)
		}
		add("Training rollout length (tokens)", "training step", "tokens", ss, marks, chart.Linear)
		ss = nil
		for _, b := range p.Budgets {
			s := chart.Series{Name: "budget " + strconv.Itoa(b)}
			for _, st := range rr.Steps {
				for _, e := range st.Eval {
					if e.Budget == b {
						s.Points = append(s.Points, chart.Point{X: float64(st.Step), Y: e.MeanAtK})
					}
				}
			}
			ss = append(ss, s)
		}
		add("Held-out accuracy by budget ("+bench+", Mean@k)", "training step", "Mean@k", ss, marks, chart.Linear)
		overSteps("Policy entropy (nats/token)", "entropy", rs, entropy, marks)
	case "rewards":
		rs := runsOf(Unified, runKimi, runLaser, runLaserD)
		ladderChart("Mean@k across the budget ladder ("+bench+")", rs, true, bench, mean, "Mean@k")
		overSteps("Training rollout length", "tokens", rs, length, nil)
		tbl = ladderTable(r, append([]*RunResult{r.Base}, rs...), bench, mean)
	case "difficulty":
		rs := runsOf(Baseline, runHard, runFull)
		overSteps("Training rollout length", "tokens", rs, length, nil)
		overSteps("Policy entropy", "nats/token", rs, entropy, nil)
		overSteps("Training accuracy", "share correct", rs, accuracy, nil)
		ladderChart("Mean@k across the budget ladder ("+bench+")", rs, true, bench, mean, "Mean@k")
		if d := r.Difficulty; d != nil {
			tbl = &table{Head: []string{"training prompts", "rollouts each", "Easy (pass rate > " + strconv.FormatFloat(d.Threshold, 'g', -1, 64) + ")", "Hard", "mean pass rate"},
				Rows: [][]string{{strconv.Itoa(d.Prompts), strconv.Itoa(d.K), strconv.Itoa(d.Easy), strconv.Itoa(d.Hard), fmt.Sprintf("%.3f", d.MeanPassRate)}}}
		}
	case "rollout-limit":
		rs := runsOf(Baseline, Unified)
		overSteps("Training rollout length", "tokens", rs, length, nil)
		overSteps("Training length of negative rollouts", "tokens", rs, func(s rl.StepLog) float64 { return s.MeanLengthNeg }, nil)
		ladderChart("Mean@k across the budget ladder ("+bench+")", rs, true, bench, mean, "Mean@k")
	case "group-size":
		var names []string
		sizes := slices.Clone(p.GroupSizes)
		slices.Sort(sizes)
		for _, n := range sizes {
			names = append(names, groupRun(p, n))
		}
		rs := runsOf(names...)
		overSteps("Training rollout length", "tokens", rs, length, nil)
		ladderChart("Mean@k across the budget ladder ("+bench+")", rs, true, bench, mean, "Mean@k")
		ladderChart("Pass@k across the budget ladder ("+bench+")", rs, true, bench, func(b BudgetResult) float64 { return b.PassAtK }, "Pass@k")
	case "masking":
		rs := runsOf(Unified, runMaskI, runMaskLC, runMaskLCSI, runMaskLCLI)
		overSteps("Training rollout length", "tokens", rs, length, nil)
		overSteps("Policy entropy", "nats/token", rs, entropy, nil)
		ladderChart("Mean@k across the budget ladder ("+bench+")", rs, true, bench, mean, "Mean@k")
	case "transfer":
		rs := runsOf(Baseline)
		for _, fam := range otherFamilies(p) {
			ladderChart("Mean@k on lab-"+fam+" (not trained on)", rs, true, "lab-"+fam, mean, "Mean@k")
			ladderChart("Mean length on lab-"+fam, rs, true, "lab-"+fam, func(b BudgetResult) float64 { return b.MeanLength }, "tokens")
		}
	case "summary":
		tbl = summaryTable(r)
	}
	return charts, tbl
}

// ladderTable lists Mean@k (or another metric) per run and budget.
func ladderTable(r *Results, rs []*RunResult, bench string, get func(BudgetResult) float64) *table {
	t := &table{Head: []string{"run"}}
	for _, b := range r.Profile.Budgets {
		t.Head = append(t.Head, "B = "+strconv.Itoa(b))
	}
	for _, rr := range rs {
		if rr == nil {
			continue
		}
		row := []string{rr.Name}
		for _, b := range r.Profile.Budgets {
			if x, ok := rr.at(bench, b); ok {
				row = append(row, fmt.Sprintf("%.3f", get(x)))
			} else {
				row = append(row, "–")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// summaryTable is the paper's format: base vs trained per benchmark at the
// largest budget.
func summaryTable(r *Results) *table {
	p := r.Profile
	lg := p.Budgets[len(p.Budgets)-1]
	k := strconv.Itoa(p.K)
	t := &table{Head: []string{"benchmark", "Mean@" + k + " base", "Mean@" + k + " trained", "Pass@" + k + " base", "Pass@" + k + " trained",
		"length base", "length trained", "length change"}}
	tr := r.run(Baseline)
	if r.Base == nil || tr == nil {
		return t
	}
	for _, bench := range []string{"lab-arith", "lab-add", "lab-sort"} {
		b, ok1 := r.Base.at(bench, lg)
		x, ok2 := tr.at(bench, lg)
		if !ok1 || !ok2 {
			continue
		}
		name := bench
		if bench == inDomain(p) {
			name += " (trained on)"
		}
		t.Rows = append(t.Rows, []string{name, fmt.Sprintf("%.3f", b.MeanAtK), fmt.Sprintf("%.3f", x.MeanAtK),
			fmt.Sprintf("%.3f", b.PassAtK), fmt.Sprintf("%.3f", x.PassAtK),
			fmt.Sprintf("%.0f", b.MeanLength), fmt.Sprintf("%.0f", x.MeanLength), fmt.Sprintf("%+.1f%%", 100*(x.MeanLength/b.MeanLength-1))})
	}
	return t
}

// pageCSS is the look both demo pages share (report.html of a seed and the
// page over seeds): the body, the tables and the verdict colours.
const pageCSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;color:#222;line-height:1.45;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
.yes{color:#1e8449;font-weight:700}.no{color:#b03a2e;font-weight:700}.inconclusive{color:#9a6b00;font-weight:700}
`

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>terse demo: the paper's findings in the lab</title>
<style>
` + pageCSS + `.grid{display:flex;flex-wrap:wrap;gap:1em}
svg{border:1px solid #ddd}
.verdict{font-size:1.08em;background:#f6f6f6;padding:.6em .8em;border-left:4px solid #888}
.rule{color:#555;font-size:.9em}.k{font-family:monospace}
section{margin-top:2.2em;border-top:1px solid #ddd}
details{margin:.5em 0}
</style></head><body>
<h1>terse demo: the paper's findings in the lab</h1>
<p>Base model <b>{{.R.Model}}</b> (weights {{.R.ModelHash}}), matrix multiply <b>{{.R.BLAS}}</b>, profile <b>{{.R.Profile.Name}}</b>:
{{.R.Profile.Steps}} GRPO steps × {{.R.Profile.PromptsPerStep}} prompts × N = {{.R.Profile.GroupSize}} rollouts, L_T = {{.R.Profile.TargetLen}} tokens,
trained on the <b>{{.R.Profile.TrainFamily}}</b> family (rollouts at temperature {{.R.Profile.Temperature}}, learning rate {{.R.Profile.LR}}, seed {{.R.Profile.Seed}});
budgets {{.R.Profile.Budgets}}; Mean@k and Pass@k with k = {{.R.Profile.K}} (evaluation at temperature 0.6, top-p 0.95, top-k 20, strict mode).
Easy/Hard split: {{with .R.Difficulty}}{{.Easy}} Easy and {{.Hard}} Hard of {{.Prompts}} training prompts (pass rate over {{.K}} base rollouts above {{.Threshold}}){{end}}.
The experiments took {{.Minutes}} minutes of wall time (this invocation {{.Invocation}}, the rest cached). Paper: "The Art of Efficient Reasoning: Data, Reward, and Optimization" (arXiv 2602.20945).
Each verdict is computed from the numbers by the rule printed under it; a finding that does not reproduce is reported as such.</p>
{{range .R.Notes}}<p><b>Note:</b> {{.}}</p>{{end}}
<h2>Verdicts</h2>
<table><tr><th>#</th><th>finding</th><th>reproduced</th><th>clauses</th></tr>
{{range .Sections}}<tr><td>{{.ID}}</td><td><a href="#{{.Anchor}}">{{.Title}}</a></td><td class="{{.Reproduced}}">{{.Reproduced}}</td>
<td>{{range .Clauses}}({{.ID}}) <span class="{{.Reproduced}}">{{.Reproduced}}</span> {{end}}{{if not .Clauses}}{{.Evidence}}{{end}}</td></tr>
{{end}}</table>
<p class="rule">Each finding's claim is split into clauses (a), (b), … and every clause is tested: the finding is yes when every clause is yes,
no when any is no, inconclusive otherwise. Paired comparisons over the evaluation problems count a difference beyond its 95% band and an
equality when the 90% band lies inside a margin fixed before the runs (printed with each rule). These are this seed's verdicts; the page
over the seeds, when there is one, decides over all seeds at once.</p>
{{range .Sections}}
<section id="{{.Anchor}}">
<h2>{{.ID}}. {{.Title}}</h2>
<p><b>Paper's claim.</b> {{.Claim}}</p>
<p class="verdict">Does the lab reproduce it? <span class="{{.Reproduced}}">{{.Reproduced}}</span>.{{if not .Clauses}} {{.Evidence}}{{end}}</p>
{{with .Clauses}}<table><tr><th>clause</th><th>verdict</th><th>evidence</th></tr>
{{range .}}<tr><td>({{.ID}}) {{.Text}}</td><td class="{{.Reproduced}}">{{.Reproduced}}</td><td>{{.Evidence}}</td></tr>
{{end}}</table>{{end}}
<p class="rule"><b>Rule.</b> {{.Rule}}</p>
{{with .Margins}}<p class="rule"><b>Margins</b> (fixed before the runs): {{range $i, $m := .}}{{if $i}}; {{end}}{{$m.Name}} = {{$m.Value}}: {{$m.Meaning}}{{end}}.</p>{{end}}
{{with .LabDiff}}<p class="rule"><b>What in the lab differs from the paper's setting.</b> {{.}}</p>{{end}}
<div class="grid">{{range .Charts}}{{.}}{{end}}</div>
{{with .Table}}<table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{with .Recipe}}<p><b>Beside the paper's own numbers</b> (PAPER.md §5.8):</p><table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<details><summary>Numbers behind the verdict</summary><table>
{{range .Numbers}}<tr><td class="k">{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}
</table></details>
</section>
{{end}}
<section id="runs">
<h2>Runs</h2>
<table><tr>{{range .Runs.Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Runs.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p>Every number here is in results.json (schema {{.R.Schema}}) beside this file; each run's directory under runs/ holds its config.toml, steps.jsonl and checkpoints.</p>
</section>
</body></html>
`))
