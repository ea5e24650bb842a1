package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// palette colours series; outcome colours the histogram stacks.
var (
	palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}
	outcome = map[string]string{"correct": "#2ca02c", "incorrect": "#d62728", "truncated": "#7f7f7f"}
)

// series is one line of a budget curve: y values in [0, 1] at each x, with
// an optional confidence band (lo, hi; nil for none).
type series struct {
	name   string
	color  string
	dash   bool
	y      []float64
	lo, hi []float64
}

const (
	chartW, chartH                     = 560, 320
	marginL, marginR, marginT, marginB = 52, 150, 34, 44
	plotW, plotH                       = chartW - marginL - marginR, chartH - marginT - marginB
	fontAttrs                          = `font-family="system-ui, sans-serif" font-size="12"`
)

// curveSVG draws fractions in [0, 1] as percentages (labelled yLabel)
// against budget on a log-2 x axis.
func curveSVG(title, yLabel string, budgets []int, ss []series) string {
	return lineSVG(title, yLabel, budgets, ss, 1, func(v float64) string { return fmt.Sprintf("%.0f", 100*v) })
}

// lengthSVG draws token counts against budget on a log-2 x axis.
func lengthSVG(title string, budgets []int, ss []series) string {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.y {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	step := float64(niceStep(int(math.Ceil(top))))
	ymax := max(step*math.Ceil(top/step), 1)
	return lineSVG(title, "mean length (tokens)", budgets, ss, ymax, func(v float64) string { return tokens(v) })
}

// lineSVG draws series with values in [0, ymax] against budget on a log-2
// x axis, with five grid lines labelled by tick.
func lineSVG(title, yLabel string, budgets []int, ss []series, ymax float64, tick func(float64) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" %s>`,
		chartW, chartH, chartW, chartH, html.EscapeString(title), fontAttrs)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14" font-weight="600">%s</text>`, marginL, html.EscapeString(title))
	if len(budgets) == 0 {
		b.WriteString(`<text x="60" y="100">no data</text></svg>`)
		return b.String()
	}
	lx0, lx1 := math.Log2(float64(budgets[0])), math.Log2(float64(budgets[len(budgets)-1]))
	x := func(B int) float64 {
		if lx1 == lx0 {
			return marginL + plotW/2
		}
		return marginL + (math.Log2(float64(B))-lx0)/(lx1-lx0)*plotW
	}
	y := func(v float64) float64 { return marginT + (1-v/ymax)*plotH }
	for i := 0; i <= 5; i++ {
		v := ymax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, marginL, marginL+plotW, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, marginL-6, y(v), tick(v))
	}
	for _, B := range budgets {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>`, x(B), x(B), marginT, marginT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(B), marginT+plotH+16, budgetLabel(B))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`, marginL, marginT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">token budget (log₂ scale)</text>`, marginL+plotW/2, chartH-6)
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle">%s</text>`, marginT+plotH/2, html.EscapeString(yLabel))
	for i, s := range ss {
		if s.lo != nil {
			var pts []string
			for j, B := range budgets {
				if !math.IsNaN(s.hi[j]) {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(B), y(s.hi[j])))
				}
			}
			for j := len(budgets) - 1; j >= 0; j-- {
				if !math.IsNaN(s.lo[j]) {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(budgets[j]), y(s.lo[j])))
				}
			}
			fmt.Fprintf(&b, `<polygon points="%s" fill="%s" fill-opacity="0.12" stroke="none"/>`, strings.Join(pts, " "), s.color)
		}
		var pts []string
		for j, B := range budgets {
			if !math.IsNaN(s.y[j]) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(B), y(s.y[j])))
			}
		}
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), s.color, dash)
		for j, B := range budgets {
			if !math.IsNaN(s.y[j]) {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s @%s: %s</title></circle>`,
					x(B), y(s.y[j]), s.color, html.EscapeString(s.name), budgetLabel(B), tick(s.y[j]))
			}
		}
		ly := marginT + 10 + 18*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, marginL+plotW+10, marginL+plotW+30, ly, ly, s.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`, marginL+plotW+35, ly, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// stack is one outcome's histogram counts.
type stack struct {
	name   string
	counts []int
}

// histSVG draws stacked length histograms (correct, incorrect, truncated)
// over shared bin edges.
func histSVG(title string, edges []int, stacks []stack) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" %s>`,
		chartW, chartH, chartW, chartH, html.EscapeString(title), fontAttrs)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14" font-weight="600">%s</text>`, marginL, html.EscapeString(title))
	bins := len(edges) - 1
	if bins <= 0 {
		b.WriteString(`<text x="60" y="100">no data</text></svg>`)
		return b.String()
	}
	top := 0
	for i := range bins {
		t := 0
		for _, s := range stacks {
			t += s.counts[i]
		}
		top = max(top, t)
	}
	step := niceStep(top)
	ymax := max(step*int(math.Ceil(float64(top)/float64(step))), 1)
	y := func(v int) float64 { return marginT + plotH - float64(v)/float64(ymax)*plotH }
	for v := 0; v <= ymax; v += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, marginL, marginL+plotW, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%d</text>`, marginL-6, y(v), v)
	}
	bw := float64(plotW) / float64(bins)
	for i := range bins {
		base := 0
		for _, s := range stacks {
			c := s.counts[i]
			if c == 0 {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %d–%d tokens: %d</title></rect>`,
				marginL+float64(i)*bw+1, y(base+c), bw-2, y(base)-y(base+c), outcome[s.name], s.name, edges[i], edges[i+1], c)
			base += c
		}
	}
	for i := 0; i <= bins; i += max(bins/4, 1) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, marginL+float64(i)*bw, marginT+plotH+16, edgeLabel(edges[i]))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`, marginL, marginT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">completion tokens</text>`, marginL+plotW/2, chartH-6)
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle">rollouts</text>`, marginT+plotH/2)
	for i, s := range stacks {
		ly := marginT + 10 + 18*i
		total := 0
		for _, c := range s.counts {
			total += c
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="10" fill="%s"/>`, marginL+plotW+10, ly-5, outcome[s.name])
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s (%d)</text>`, marginL+plotW+30, ly, s.name, total)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep returns a 1-2-5 step giving about five grid lines up to top.
func niceStep(top int) int {
	if top <= 5 {
		return 1
	}
	raw := float64(top) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return int(m * mag)
		}
	}
	return int(10 * mag)
}

// edgeLabel formats a histogram edge: multiples of 1024 as "8k", else as
// tokens does.
func edgeLabel(e int) string {
	if e > 0 && e%1024 == 0 {
		return budgetLabel(e)
	}
	return tokens(float64(e))
}
