package demo

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// palette colours chart series in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

// series is one line of a chart; NaN ys break it.
type series struct {
	name   string
	xs, ys []float64
}

// vmark is a labelled vertical line (e.g. the stage boundary).
type vmark struct {
	x     float64
	label string
}

const (
	svgW, svgH                 = 600, 330
	padL, padR, padT, padB     = 56, 160, 30, 42
	plotWidth, plotHeight      = svgW - padL - padR, svgH - padT - padB
	svgFont                    = `font-family="system-ui, sans-serif" font-size="12"`
	markColour, gridColour     = "#1e8449", "#e5e5e5"
	axisColour, labelFontColor = "#444", "#222"
)

// chart draws series as an inline SVG line chart: x linear or log-2
// (budgets), y from 0 (or the data minimum when negative) to a rounded
// maximum, five grid lines, a legend on the right and vertical marks.
func chart(title, xLabel, yLabel string, ss []series, marks []vmark, logX bool) string {
	fx := func(x float64) float64 {
		if logX {
			return math.Log2(x)
		}
		return x
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	for _, s := range ss {
		for i, x := range s.xs {
			y := s.ys[i]
			if math.IsNaN(y) || math.IsInf(y, 0) || (logX && x <= 0) {
				continue
			}
			xmin, xmax = min(xmin, fx(x)), max(xmax, fx(x))
			ymin, ymax = min(ymin, y), max(ymax, y)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" %s>`,
		svgW, svgH, svgW, svgH, html.EscapeString(title), svgFont)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, svgW, svgH)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13" font-weight="600" fill="%s">%s</text>`, padL, labelFontColor, html.EscapeString(title))
	if math.IsInf(xmin, 1) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#888">no data</text></svg>`, padL+20, padT+plotHeight/2)
		return b.String()
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax <= ymin {
		ymax = ymin + 1
	}
	step := niceStep((ymax - ymin) / 4)
	ymax = step * math.Ceil(ymax/step)
	ymin = step * math.Floor(ymin/step)
	px := func(x float64) float64 { return padL + (fx(x)-xmin)/(xmax-xmin)*plotWidth }
	py := func(y float64) float64 { return padT + plotHeight - (y-ymin)/(ymax-ymin)*plotHeight }
	// Grid and y ticks.
	for y := ymin; y <= ymax+step/2; y += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, padL, padL+plotWidth, py(y), py(y), gridColour)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s</text>`, padL-6, py(y)+4, axisColour, tick(y, step))
	}
	// X ticks: the budgets on a log axis, about six round steps otherwise.
	var xt []float64
	if logX {
		for _, s := range ss {
			for _, x := range s.xs {
				if x > 0 && !slices.Contains(xt, x) {
					xt = append(xt, x)
				}
			}
		}
	} else {
		st := niceStep((xmax - xmin) / 6)
		for x := st * math.Ceil(xmin/st); x <= xmax+st/1e6; x += st {
			xt = append(xt, x)
		}
	}
	for _, x := range xt {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s"/>`, px(x), px(x), padT+plotHeight, padT+plotHeight+4, axisColour)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%s</text>`, px(x), padT+plotHeight+17, axisColour, tick(x, 1))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="%s"/>`, padL, padT, plotWidth, plotHeight, axisColour)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`, padL+plotWidth/2, svgH-6, axisColour, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle" fill="%s">%s</text>`, padT+plotHeight/2, axisColour, html.EscapeString(yLabel))
	for _, m := range marks {
		if fx(m.x) < xmin || fx(m.x) > xmax {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-dasharray="5 3" stroke-width="1.5"/>`, px(m.x), px(m.x), padT, padT+plotHeight, markColour)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">%s</text>`, px(m.x)+4, padT+12, markColour, html.EscapeString(m.label))
	}
	for i, s := range ss {
		col := palette[i%len(palette)]
		var pts []string
		flush := func() {
			if len(pts) == 1 {
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`, xy[0], xy[1], col)
			} else if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, col, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for k, x := range s.xs {
			y := s.ys[k]
			if math.IsNaN(y) || math.IsInf(y, 0) || (logX && x <= 0) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x), py(y)))
		}
		flush()
		ly := padT + 8 + 18*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>`, padL+plotWidth+10, padL+plotWidth+28, ly, ly, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`, padL+plotWidth+33, ly+4, labelFontColor, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// tick formats an axis value with as many decimals as its step needs.
func tick(v, step float64) string {
	switch {
	case step >= 1:
		return fmt.Sprintf("%.0f", v)
	case step >= 0.1:
		return fmt.Sprintf("%.1f", v)
	case step >= 0.01:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
