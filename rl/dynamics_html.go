package rl

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// RenderDynamicsHTML writes a self-contained HTML page of a run's dynamics:
// rollout length (mean, positive, negative), accuracy by budget, reward and
// positive-reward density, entropy, KL and clip fraction over steps, each a
// hand-written inline SVG chart with the Stage II start and the other
// findings marked, followed by the diagnosis. No scripts, no network.
func RenderDynamicsHTML(w io.Writer, steps []StepLog, d Diagnosis) error {
	var marks []mark
	for _, f := range d.Findings {
		if f.Kind == StageAdaptation {
			continue
		}
		m := mark{step: float64(f.Step), label: string(f.Kind), color: "#b03a2e"}
		if f.Kind == StageRefinement {
			m.label, m.color = "stage II", "#1e8449"
		}
		marks = append(marks, m)
	}
	xmin, xmax := 0.0, 1.0
	if len(steps) > 0 {
		xmin, xmax = float64(steps[0].Step), float64(steps[len(steps)-1].Step)
	}
	get := func(name, color string, f func(StepLog) float64) line {
		l := line{name: name, color: color}
		for _, s := range steps {
			l.xs = append(l.xs, float64(s.Step))
			l.ys = append(l.ys, f(s))
		}
		return l
	}
	palette := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	var charts []template.HTML
	add := func(title string, lines ...line) {
		charts = append(charts, template.HTML(chart(title, lines, marks, xmin, xmax)))
	}
	add("Rollout length (tokens)",
		get("mean", palette[0], func(s StepLog) float64 { return s.MeanLength }),
		get("positive", palette[2], func(s StepLog) float64 { return s.MeanLengthPos }),
		get("negative", palette[3], func(s StepLog) float64 { return s.MeanLengthNeg }))

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
	var acc []line
	for i, b := range budgets {
		name := "budget " + strconv.Itoa(b)
		if b == 0 {
			name = "eval"
		}
		l := line{name: name, color: palette[i%len(palette)]}
		for _, s := range steps {
			sum, n := 0.0, 0
			for _, e := range s.Eval {
				if e.Budget == b {
					sum += e.MeanAtK
					n++
				}
			}
			if n > 0 {
				l.xs = append(l.xs, float64(s.Step))
				l.ys = append(l.ys, sum/float64(n))
			}
		}
		acc = append(acc, l)
	}
	add("Held-out accuracy by budget (Mean@k)", acc...)
	add("Reward and positive-reward density",
		get("mean reward", palette[0], func(s StepLog) float64 { return s.MeanReward }),
		get("training accuracy", palette[4], func(s StepLog) float64 { return s.Accuracy }),
		get("rollouts with reward > 0", palette[2], func(s StepLog) float64 { return s.PosRewardDensity }),
		get("groups with one", palette[1], func(s StepLog) float64 { return s.PosGroupDensity }),
		get("truncation rate", palette[3], func(s StepLog) float64 { return s.TruncationRate }),
		get("masked", palette[5], func(s StepLog) float64 { return s.MaskedRate }))
	add("Policy entropy (nats/token)", get("entropy", palette[4], func(s StepLog) float64 { return s.Entropy }))
	add("KL to the initial policy", get("kl", palette[5], func(s StepLog) float64 { return s.KL }))
	add("Clip fraction", get("clip fraction", palette[7], func(s StepLog) float64 { return s.ClipFrac }))

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

// line is one series of a chart; NaN ys break it.
type line struct {
	name, color string
	xs, ys      []float64
}

// mark is a vertical marker at a step.
type mark struct {
	step         float64
	label, color string
}

// niceStep returns a 1, 2 or 5 × 10^k tick spacing giving about n ticks.
func niceStep(span float64, n int) float64 {
	if !(span > 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// fmtTick formats a tick value with as many decimals as its spacing needs.
func fmtTick(v, step float64) string {
	if v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e5) {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	dec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// chart renders one SVG line chart (width 700, height 260).
func chart(title string, lines []line, marks []mark, xmin, xmax float64) string {
	const W, H, left, right, top, bottom = 700.0, 260.0, 60.0, 15.0, 42.0, 30.0
	pw, ph := W-left-right, H-top-bottom
	ymin, ymax := math.Inf(1), math.Inf(-1)
	var shown []line
	for _, l := range lines {
		ok := false
		for _, y := range l.ys {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				ymin, ymax, ok = math.Min(ymin, y), math.Max(ymax, y), true
			}
		}
		if ok {
			shown = append(shown, l)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`, W, H, W, H, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="14" font-weight="bold">%s</text>`, left, html.EscapeString(title))
	if len(shown) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="13" fill="#888">not logged</text></svg>`, left+pw/2-30, top+ph/2)
		return b.String()
	}
	if ymin >= 0 {
		ymin = 0
	}
	if ymax <= ymin {
		ymax = ymin + 1
	}
	ystep := niceStep(ymax-ymin, 5)
	ymax = math.Ceil(ymax/ystep) * ystep
	if xmax <= xmin {
		xmax = xmin + 1
	}
	X := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*pw }
	Y := func(y float64) float64 { return top + ph - (y-ymin)/(ymax-ymin)*ph }
	// Grid and axes.
	for i := 0; ymin+float64(i)*ystep <= ymax+ystep/2; i++ {
		y := ymin + float64(i)*ystep
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, left, Y(y), left+pw, Y(y))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-5, Y(y)+4, fmtTick(y, ystep))
	}
	xstep := niceStep(xmax-xmin, 8)
	x0 := math.Ceil(xmin/xstep) * xstep
	for i := 0; x0+float64(i)*xstep <= xmax; i++ {
		x := x0 + float64(i)*xstep
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`, X(x), top+ph+15, fmtTick(x, xstep))
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#999"/>`, left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">step</text>`, left+pw, H-2)
	// Markers.
	var placed []float64 // x of the labels drawn so far; near ones stack down
	for _, m := range marks {
		if m.step < xmin || m.step > xmax {
			continue
		}
		x := X(m.step)
		row := 0
		for _, px := range placed {
			if math.Abs(px-x) < 130 {
				row++
			}
		}
		placed = append(placed, x)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="%s" stroke-dasharray="5,4"><title>%s at step %g</title></line>`,
			x, top, x, top+ph, m.color, html.EscapeString(m.label), m.step)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="10" fill="%s">%s</text>`, x+3, top+11+12*float64(row), m.color, html.EscapeString(m.label))
	}
	// Lines, broken at NaN.
	lx := left
	for _, l := range shown {
		var seg []string
		flush := func() {
			if len(seg) == 1 {
				xy := strings.Split(seg[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`, xy[0], xy[1], l.color)
			} else if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"><title>%s</title></polyline>`,
					l.color, strings.Join(seg, " "), html.EscapeString(l.name))
			}
			seg = seg[:0]
		}
		for i, y := range l.ys {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", X(l.xs[i]), Y(y)))
		}
		flush()
		fmt.Fprintf(&b, `<rect x="%.1f" y="24" width="10" height="10" fill="%s"/><text x="%.1f" y="33" font-size="11">%s</text>`,
			lx, l.color, lx+13, html.EscapeString(l.name))
		lx += 20 + 6.5*float64(len([]rune(l.name)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
