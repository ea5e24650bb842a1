package rl

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/chart"
)

// RenderDynamicsHTML writes a self-contained HTML page of a run's dynamics,
// terse's own or a foreign log's: rollout length (mean, positive,
// negative), held-out accuracy, reward and training accuracy with every
// reward component, the learning signal (reward spread, groups with zero
// spread, share of completions cut at the length cap), entropy, KL,
// gradient norm, clip fraction and loss over steps, each an inline SVG
// chart with the detected stages shaded and the failures marked at the
// step where they start; then the findings, how the log was read, and the
// text diagnosis. No scripts, no network.
func RenderDynamicsHTML(w io.Writer, steps []StepLog, d Diagnosis) error {
	var marks []chart.Marker
	var regions []chart.Region
	for _, f := range d.Findings {
		switch f.Kind {
		case StageAdaptation:
			regions = append(regions, chart.Region{From: float64(f.Step), To: float64(f.EndStep), Label: "stage I", Color: chart.Gray})
		case StageRefinement:
			regions = append(regions, chart.Region{From: float64(f.Step), To: float64(f.EndStep), Label: "stage II", Color: chart.StageGreen})
		default:
			marks = append(marks, chart.Marker{X: float64(f.Step), Label: string(f.Kind), Color: chart.FailureRed})
		}
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
		c := chart.Line{Title: title, XLabel: "step", XRange: [2]float64{xmin, xmax}, Series: lines, Markers: marks, Regions: regions,
			Legend: chart.LegendTop, Width: 700, Height: 280, Empty: "not logged"}
		charts = append(charts, template.HTML(c.SVG()))
	}
	add("Rollout length (tokens)",
		get("mean", chart.Blue, func(s StepLog) float64 { return s.MeanLength }),
		get("positive", chart.Green, func(s StepLog) float64 { return s.MeanLengthPos }),
		get("negative", chart.Red, func(s StepLog) float64 { return s.MeanLengthNeg }))
	add("Held-out accuracy (Mean@k)", heldOutLines(steps)...)

	// Reward, training accuracy and each reward component.
	rewardLines := []chart.Series{
		get("mean reward", chart.Blue, func(s StepLog) float64 { return s.MeanReward }),
		get("training accuracy", chart.Purple, func(s StepLog) float64 { return s.Accuracy }),
		get("rollouts with reward > 0", chart.Green, func(s StepLog) float64 { return s.PosRewardDensity }),
		get("groups with one", chart.Orange, func(s StepLog) float64 { return s.PosGroupDensity }),
		get("masked", chart.Brown, func(s StepLog) float64 { return s.MaskedRate }),
	}
	for i, c := range rewardComponents(steps) {
		l := get("reward "+c, chart.Color(i+3), func(s StepLog) float64 {
			if v, ok := s.Rewards[c]; ok {
				return v
			}
			return math.NaN()
		})
		l.Dashed = true
		rewardLines = append(rewardLines, l)
	}
	add("Reward and accuracy", rewardLines...)
	add("Learning signal: reward spread and the length cap",
		get("reward std", chart.Blue, func(s StepLog) float64 { return s.RewardStd }),
		get("groups with zero reward std", chart.Red, func(s StepLog) float64 { return s.ZeroStdFrac }),
		get("completions cut at the cap (clip ratio)", chart.Orange, func(s StepLog) float64 { return s.TruncationRate }))
	add("Policy entropy (nats/token)", get("entropy", chart.Purple, func(s StepLog) float64 { return s.Entropy }))
	// The KL may be logged every loss.kl_stat_every steps only: join the
	// logged points rather than leave isolated ones between gaps.
	kl := get("kl", chart.Brown, func(s StepLog) float64 { return s.KL })
	kl.Points = slices.DeleteFunc(kl.Points, func(p chart.Point) bool { return math.IsNaN(p.Y) })
	add("KL to the initial policy", kl)
	add("Gradient norm", get("grad norm", chart.Blue, func(s StepLog) float64 { return s.GradNorm }),
		get("largest |advantage|", chart.Gray, func(s StepLog) float64 { return s.AdvAbsMax }))
	add("Clip fraction", get("clip fraction", chart.Cyan, func(s StepLog) float64 { return s.ClipFrac }))
	add("Loss", get("policy loss", chart.Blue, func(s StepLog) float64 { return s.PGLoss }),
		get("loss", chart.Red, func(s StepLog) float64 { return s.Loss }))

	var text strings.Builder
	if err := d.WriteText(&text); err != nil {
		return err
	}
	title := "terse training dynamics"
	if d.Log != nil {
		title += ": " + d.Log.Path
	}
	data := struct {
		Title     string
		Diagnosis Diagnosis
		Charts    []template.HTML
		Text      string
	}{title, d, charts, text.String()}
	if err := pageTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("rl: rendering dynamics page: %w", err)
	}
	return nil
}

// heldOutLines is Mean@k averaged over benchmarks, one line per budget;
// a log with one budget (verl, TRL, OpenRLHF: budget 0) gets one line per
// benchmark instead.
func heldOutLines(steps []StepLog) []chart.Series {
	var budgets []int
	var benches []string
	for _, s := range steps {
		for _, e := range s.Eval {
			if !slices.Contains(budgets, e.Budget) {
				budgets = append(budgets, e.Budget)
			}
			if !slices.Contains(benches, e.Benchmark) {
				benches = append(benches, e.Benchmark)
			}
		}
	}
	slices.Sort(budgets)
	slices.Sort(benches)
	type key struct {
		name string
		keep func(EvalPoint) bool
	}
	var keys []key
	if len(budgets) == 1 && budgets[0] == 0 {
		for _, b := range benches {
			keys = append(keys, key{b, func(e EvalPoint) bool { return e.Benchmark == b }})
		}
	} else {
		for _, b := range budgets {
			keys = append(keys, key{"budget " + strconv.Itoa(b), func(e EvalPoint) bool { return e.Budget == b }})
		}
	}
	var out []chart.Series
	for i, k := range keys {
		l := chart.Series{Name: k.name, Color: chart.Color(i), Dots: true}
		for _, s := range steps {
			sum, n := 0.0, 0
			for _, e := range s.Eval {
				if k.keep(e) {
					sum += e.MeanAtK
					n++
				}
			}
			if n > 0 {
				l.Points = append(l.Points, chart.Point{X: float64(s.Step), Y: sum / float64(n)})
			}
		}
		out = append(out, l)
	}
	return out
}

// rewardComponents lists the reward components logged in steps, sorted.
func rewardComponents(steps []StepLog) []string {
	var out []string
	for _, s := range steps {
		for c := range s.Rewards {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
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
.fail td:first-child{color:#b03a2e;font-weight:bold}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Diagnosis.Steps}} step records (steps {{.Diagnosis.FirstStep}}–{{.Diagnosis.LastStep}}); accuracy from {{.Diagnosis.AccuracySource}}.
{{if ge .Diagnosis.RefinementStart 0}}Stage II (reasoning refinement) starts at step <b>{{.Diagnosis.RefinementStart}}</b>.{{else}}No Stage II detected.{{end}}</p>
<h2>Findings</h2>
{{if .Diagnosis.Findings}}<table><tr><th>finding</th><th>step</th><th>summary</th></tr>
{{range .Diagnosis.Findings}}<tr{{if .Failure}} class="fail"{{end}}><td class="k">{{.Kind}}</td><td>{{.Step}}{{if .EndStep}}–{{.EndStep}}{{end}}</td><td>{{.Summary}}</td></tr>
{{end}}</table>{{else}}<p>No findings.</p>{{end}}
{{range .Diagnosis.Notes}}<p>Note: {{.}}</p>{{end}}
<h2>Curves</h2>
<p>Shaded: the detected stages. Red dashed lines: where a failure starts.</p>
<div class="grid">{{range .Charts}}{{.}}{{end}}</div>
{{with .Diagnosis.Log}}<h2>How the log was read</h2>
<p><span class="k">{{.Path}}</span>: format <b>{{.Format}}</b>, {{.Records}} records, steps from {{if .StepKey}}<span class="k">{{.StepKey}}</span>{{else}}their position{{end}}.</p>
<table><tr><th>field</th><th>column</th></tr>
{{range $f, $c := .Mapped}}<tr><td class="k">{{$f}}</td><td class="k">{{$c}}</td></tr>
{{end}}</table>
{{if .RewardComponents}}<p>Reward components: {{range $i, $c := .RewardComponents}}{{if $i}}, {{end}}<span class="k">{{$c}}</span>{{end}}{{if .AccuracyFrom}}; accuracy from <span class="k">{{.AccuracyFrom}}</span>{{end}}.</p>{{end}}
{{if .EvalFrom}}<p>Held-out accuracy from <span class="k">{{.EvalFrom}}</span>.</p>{{end}}
{{if .Unmapped}}<p>Unmapped columns ({{len .Unmapped}}; <span class="k">--column FIELD=SOURCE</span> maps one): <span class="k">{{range $i, $c := .Unmapped}}{{if $i}}, {{end}}{{$c}}{{end}}</span></p>{{end}}
{{range .Notes}}<p>Note: {{.}}</p>{{end}}{{end}}
<h2>Diagnosis (text)</h2><pre>{{.Text}}</pre>
</body></html>
`))
