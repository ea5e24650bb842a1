package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Point is one (x, y) value of a series.
type Point struct{ X, Y float64 }

// Interval is a band's extent at one point: a confidence interval, a
// min–max over seeds.
type Interval struct{ Lo, Hi float64 }

// XY pairs xs with ys (up to the shorter of the two).
func XY(xs, ys []float64) []Point {
	pts := make([]Point, min(len(xs), len(ys)))
	for i := range pts {
		pts[i] = Point{xs[i], ys[i]}
	}
	return pts
}

// Series is one line of a Line chart. Points whose Y is NaN or ±Inf (or
// whose X the scale cannot show) are skipped and break the line there.
type Series struct {
	Name   string
	Points []Point
	// Band, when set, has one Interval per point and is drawn as a shaded
	// area behind the line; non-finite ends are skipped.
	Band   []Interval
	Color  string // "" takes the palette colour of the series' index
	Dashed bool
	// Dots marks every point with a dot whose tooltip gives its value.
	Dots bool
}

// Region is a shaded span of x: a training stage, a stretch where a
// detector fired.
type Region struct {
	From, To float64
	Label    string
	Color    string // "" shades Gray
}

// LegendPlace says where a chart puts its legend.
type LegendPlace int

const (
	// LegendRight lists the series in a column right of the plot.
	LegendRight LegendPlace = iota
	// LegendTop lists them in rows under the title (wide, short charts).
	LegendTop
	// LegendNone draws no legend.
	LegendNone
)

// Line is a line chart of several series against a shared x axis.
type Line struct {
	Title, XLabel, YLabel string
	XScale                Scale
	// XRange and YRange fix an axis's extent when [1] > [0]. Otherwise x
	// spans the data, and y runs from 0 (or the data minimum when
	// negative) to the data maximum rounded up to a tick.
	XRange, YRange [2]float64
	// XTicks fixes the x tick positions; nil picks round numbers (Linear)
	// or the data's x values, else powers of two (Log2).
	XTicks []float64
	// XFormat and YFormat format tick labels and tooltips; nil prints
	// numbers with as many decimals as the tick step needs.
	XFormat, YFormat func(float64) string
	Series           []Series
	Markers          []Marker
	Regions          []Region
	Legend           LegendPlace
	Width, Height    int    // pixels; 0 means 600 × 320
	Empty            string // the note drawn when nothing is drawable; "" means "no data"
}

// SVG renders the chart as one self-contained <svg> element.
func (l Line) SVG() string {
	w, h := size(l.Width, l.Height)
	x := axis{scale: l.XScale, lo: math.Inf(1), hi: math.Inf(-1)}
	ylo, yhi := 0.0, math.Inf(-1)
	var items []legendItem
	var allX []float64
	for i, s := range l.Series {
		drawn := false
		for j, p := range s.Points {
			tx, ok := x.t(p.X)
			if !ok {
				continue
			}
			ys := []float64{p.Y}
			if j < len(s.Band) {
				ys = append(ys, s.Band[j].Lo, s.Band[j].Hi)
			}
			for k, y := range ys {
				if math.IsNaN(y) || math.IsInf(y, 0) {
					continue
				}
				ylo, yhi = min(ylo, y), max(yhi, y)
				x.lo, x.hi = min(x.lo, tx), max(x.hi, tx)
				allX = append(allX, p.X)
				drawn = drawn || k == 0
			}
		}
		if drawn {
			items = append(items, legendItem{name: s.Name, color: seriesColor(s, i), dashed: s.Dashed, band: len(s.Band) > 0})
		}
	}

	var c canvas
	left := 56.0
	c.open(w, h, l.Title, left)
	if len(items) == 0 {
		return c.empty(l.Empty)
	}

	// Layout: the legend takes the right margin or rows under the title.
	top, right, bottom := 30.0, 16.0, 30.0
	if l.XLabel != "" {
		bottom = 44
	}
	var legendXY [][2]float64
	switch l.Legend {
	case LegendRight:
		right = legendWidth(items) + 10
	case LegendTop:
		var rows int
		legendXY, rows = legendTopRows(items, left, float64(w)-right)
		top += 16*float64(rows) + 4
	}
	pw, ph := float64(w)-left-right, float64(h)-top-bottom
	x.p0, x.p1 = left, left+pw

	// X range: fixed or the data's, widened when it is a single value.
	if l.XRange[1] > l.XRange[0] {
		lo, lok := x.t(l.XRange[0])
		hi, hok := x.t(l.XRange[1])
		if lok && hok {
			x.lo, x.hi = lo, hi
		}
	}
	if x.hi <= x.lo {
		x.lo, x.hi = x.lo-1, x.hi+1
	}
	// Y range: fixed or 0 (or the minimum) to a rounded maximum.
	if l.YRange[1] > l.YRange[0] {
		ylo, yhi = l.YRange[0], l.YRange[1]
	} else {
		if yhi <= ylo {
			yhi = ylo + 1
		}
		st := niceStep(yhi-ylo, 5)
		ylo, yhi = st*math.Floor(ylo/st+1e-9), st*math.Ceil(yhi/st-1e-9)
	}
	ystep := niceStep(yhi-ylo, 5)
	y := axis{scale: Linear, lo: ylo, hi: yhi, p0: top + ph, p1: top}

	for _, r := range l.Regions {
		c.region(r, x, top, ph)
	}
	yfmt := l.YFormat
	if yfmt == nil {
		yfmt = func(v float64) string { return number(v, ystep) }
	}
	c.yGrid(left, pw, ticks(ylo, yhi, ystep), y.px, yfmt)
	xt, xfmt := l.xTicks(x, allX, pw)
	for _, v := range xt {
		px := x.px(v)
		c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`, px, px, top, top+ph, gridColor)
		c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`, px, px, top+ph, top+ph+4, axisColor)
		c.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, px, top+ph+17, axisColor, esc(xfmt(v)))
	}
	c.frame(left, top, pw, ph, l.XLabel, l.YLabel)
	c.markers(l.Markers, x, top, ph)

	for i, s := range l.Series {
		c.band(s, seriesColor(s, i), x, y)
	}
	tip := l.XFormat
	if tip == nil {
		tip = func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	}
	for i, s := range l.Series {
		c.line(s, seriesColor(s, i), x, y, tip, yfmt)
	}

	switch l.Legend {
	case LegendRight:
		c.legendRight(items, left+pw+10, top, right-10)
	case LegendTop:
		c.legendTop(items, legendXY)
	}
	c.WriteString(`</svg>`)
	return c.String()
}

// seriesColor is s's colour, or the palette's i-th.
func seriesColor(s Series, i int) string {
	if s.Color != "" {
		return s.Color
	}
	return Color(i)
}

// xTicks returns the x tick positions and their formatter.
func (l Line) xTicks(x axis, xs []float64, pw float64) ([]float64, func(float64) string) {
	n := max(2, int(pw/70))
	var vs []float64
	step := 1.0
	switch {
	case l.XTicks != nil:
		for _, v := range l.XTicks {
			if x.in(v) {
				vs = append(vs, v)
			}
		}
	case l.XScale == Log2:
		vs = log2Ticks(xs, x.lo, x.hi, max(2, int(pw/45)))
	default:
		step = niceStep(x.hi-x.lo, n)
		vs = ticks(x.lo, x.hi, step)
	}
	if l.XFormat != nil {
		return vs, l.XFormat
	}
	return vs, func(v float64) string { return number(v, step) }
}

// region shades r's span, clipped to the plot, with its label at the
// bottom left.
func (c *canvas) region(r Region, x axis, top, ph float64) {
	a, aok := x.t(r.From)
	b, bok := x.t(r.To)
	if !aok || !bok {
		return
	}
	a, b = max(min(a, b), x.lo), min(max(a, b), x.hi)
	if b <= a {
		return
	}
	col := r.Color
	if col == "" {
		col = Gray
	}
	pa := x.p0 + (a-x.lo)/(x.hi-x.lo)*(x.p1-x.p0)
	pb := x.p0 + (b-x.lo)/(x.hi-x.lo)*(x.p1-x.p0)
	c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.1"><title>%s</title></rect>`, pa, top, pb-pa, ph, col, esc(r.Label))
	if r.Label != "" {
		c.printf(`<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s</text>`, pa+4, top+ph-6, col, esc(r.Label))
	}
}

// band draws s's interval as shaded polygons, one per run of points whose
// band is finite.
func (c *canvas) band(s Series, col string, x, y axis) {
	var hi, lo []string
	flush := func() {
		if len(hi) > 1 {
			for i := len(lo) - 1; i >= 0; i-- {
				hi = append(hi, lo[i])
			}
			c.printf(`<polygon points="%s" fill="%s" fill-opacity="0.12" stroke="none"/>`, strings.Join(hi, " "), col)
		}
		hi, lo = hi[:0], lo[:0]
	}
	for j, p := range s.Points {
		if j >= len(s.Band) {
			break
		}
		b := s.Band[j]
		if !x.in(p.X) || !finite(b.Lo) || !finite(b.Hi) {
			flush()
			continue
		}
		hi = append(hi, fmt.Sprintf("%.1f,%.1f", x.px(p.X), y.px(b.Hi)))
		lo = append(lo, fmt.Sprintf("%.1f,%.1f", x.px(p.X), y.px(b.Lo)))
	}
	flush()
}

// line draws s as polylines broken at undrawable points (a lone point is a
// dot), then its dots.
func (c *canvas) line(s Series, col string, x, y axis, xfmt, yfmt func(float64) string) {
	var seg []Point
	flush := func() {
		switch {
		case len(seg) == 1:
			c.printf(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s</title></circle>`, x.px(seg[0].X), y.px(seg[0].Y), col, esc(s.Name))
		case len(seg) > 1:
			pts := make([]string, len(seg))
			for i, p := range seg {
				pts[i] = fmt.Sprintf("%.1f,%.1f", x.px(p.X), y.px(p.Y))
			}
			c.printf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"%s><title>%s</title></polyline>`,
				strings.Join(pts, " "), col, dash(s.Dashed), esc(s.Name))
		}
		seg = seg[:0]
	}
	for _, p := range s.Points {
		if !x.in(p.X) || !finite(p.Y) {
			flush()
			continue
		}
		seg = append(seg, p)
	}
	flush()
	if !s.Dots {
		return
	}
	for _, p := range s.Points {
		if x.in(p.X) && finite(p.Y) {
			c.printf(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s @%s: %s</title></circle>`,
				x.px(p.X), y.px(p.Y), col, esc(s.Name), esc(xfmt(p.X)), esc(yfmt(p.Y)))
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
