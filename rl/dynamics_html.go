package rl

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/chart"
)

// RenderDynamicsHTML writes a self-contained HTML page of a run's dynamics:
// rollout length (mean, positive, negative), accuracy by budget, reward and
// positive-reward density, entropy, KL and clip fraction over steps, each an
// inline SVG chart with the Stage II start and the other findings marked,
// followed by the diagnosis. No scripts, no network.
func RenderDynamicsHTML(w io.Writer, steps []StepLog, d Diagnosis) error {
	var marks []chart.Marker
	for _, f := range d.Findings {
		if f.Kind == StageAdaptation {
			continue
		}
		m := chart.Marker{X: float64(f.Step), Label: string(f.Kind), Color: chart.FailureRed}
		if f.Kind == StageRefinement {
			m.Label, m.Color = "stage II", chart.StageGreen
		}
		marks = append(marks, m)
	}
	xmin, xmax := 0.0, 1.0
	if len(steps) > 0 {
		xmin, xmax = float64(steps[0].Step), float64(steps[len(steps)-1].Step)
	}
	get := func(name, color string, f func(StepLog) float64) chart.Series {
		l := chart.Series{Name: name, Color: color}
		for _, s := range steps {
			l.Points = append(l.Points, chart.Point{X: float64(s.Step), Y: f(s)})
		}
		return l
	}
	var charts []template.HTML
	add := func(title string, lines ...chart.Series) {
		c := chart.Line{Title: title, XLabel: "step", XRange: [2]float64{xmin, xmax}, Series: lines, Markers: marks,
			Legend: chart.LegendTop, Width: 700, Height: 280, Empty: "not logged"}
		charts = append(charts, template.HTML(c.SVG()))
	}
	add("Rollout length (tokens)",
		get("mean", chart.Blue, func(s StepLog) float64 { return s.MeanLength }),
		get("positive", chart.Green, func(s StepLog) float64 { return s.MeanLengthPos }),
		get("negative", chart.Red, func(s StepLog) float64 { return s.MeanLengthNeg }))

	// Accuracy by budget: Mean@k averaged over benchmarks, one line per budget.
	var budgets []int
	for _, s := range steps {
		for _, e := range s.Eval {
			if !slices.Contains(budgets, e.Budget) {
				budgets = append(budgets, e.Budget)
			}
		}
	}
	slices.Sort(budgets)
	var acc []chart.Series
	for i, b := range budgets {
		name := "budget " + strconv.Itoa(b)
		if b == 0 {
			name = "eval"
		}
		l := chart.Series{Name: name, Color: chart.Color(i)}
		for _, s := range steps {
			sum, n := 0.0, 0
			for _, e := range s.Eval {
				if e.Budget == b {
					sum += e.MeanAtK
					n++
				}
			}
			if n > 0 {
				l.Points = append(l.Points, chart.Point{X: float64(s.Step), Y: sum / float64(n)})
			}
		}
		acc = append(acc, l)
	}
	add("Held-out accuracy by budget (Mean@k)", acc...)
	add("Reward and positive-reward density",
		get("mean reward", chart.Blue, func(s StepLog) float64 { return s.MeanReward }),
		get("training accuracy", chart.Purple, func(s StepLog) float64 { return s.Accuracy }),
		get("rollouts with reward > 0", chart.Green, func(s StepLog) float64 { return s.PosRewardDensity }),
		get("groups with one", chart.Orange, func(s StepLog) float64 { return s.PosGroupDensity }),
		get("truncation rate", chart.Red, func(s StepLog) float64 { return s.TruncationRate }),
		get("masked", chart.Brown, func(s StepLog) float64 { return s.MaskedRate }))
	add("Policy entropy (nats/token)", get("entropy", chart.Purple, func(s StepLog) float64 { return s.Entropy }))
	add("KL to the initial policy", get("kl", chart.Brown, func(s StepLog) float64 { return s.KL }))
	add("Clip fraction", get("clip fraction", chart.Cyan, func(s StepLog) float64 { return s.ClipFrac }))

	var text strings.Builder
	if err := d.WriteText(&text); err != nil {
		return err
	}
	data := struct {
		Title     string
		Diagnosis Diagnosis
		Charts    []template.HTML
		Text      string
	}{"terse training dynamics", d, charts, text.String()}
	if err := pageTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("rl: rendering dynamics page: %w", err)
	}
	return nil
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1500px;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(700px,1fr));gap:1em}
svg{background:#fff;border:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
.k{font-family:monospace}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Diagnosis.Steps}} step records (steps {{.Diagnosis.FirstStep}}–{{.Diagnosis.LastStep}}); accuracy from {{.Diagnosis.AccuracySource}}.
{{if ge .Diagnosis.RefinementStart 0}}Stage II (reasoning refinement) starts at step <b>{{.Diagnosis.RefinementStart}}</b>.{{else}}No Stage II detected.{{end}}</p>
<h2>Findings</h2>
{{if .Diagnosis.Findings}}<table><tr><th>finding</th><th>step</th><th>summary</th></tr>
{{range .Diagnosis.Findings}}<tr><td class="k">{{.Kind}}</td><td>{{.Step}}{{if .EndStep}}–{{.EndStep}}{{end}}</td><td>{{.Summary}}</td></tr>
{{end}}</table>{{else}}<p>No findings.</p>{{end}}
{{range .Diagnosis.Notes}}<p>Note: {{.}}</p>{{end}}
<h2>Curves</h2>
<div class="grid">{{range .Charts}}{{.}}{{end}}</div>
<h2>Diagnosis (text)</h2><pre>{{.Text}}</pre>
</body></html>
`))
