package chart

import (
	"math"
	"strconv"
)

// Stack is one category of a Histogram: a count per bin.
type Stack struct {
	Name   string
	Color  string // "" takes the palette colour of the stack's index
	Counts []int  // one per bin; missing bins count 0
}

// Histogram draws counts over shared bin edges, the stacks piled bottom-up
// in order. Bins are drawn equally wide whatever their edges, so log-spaced
// edges read as a log axis.
type Histogram struct {
	Title, XLabel, YLabel string
	// Edges bound the bins: bin i spans [Edges[i], Edges[i+1]). They must
	// be finite and increasing; otherwise the chart says Empty.
	Edges   []float64
	Stacks  []Stack
	XFormat func(float64) string // edge labels; nil prints whole numbers
	// Markers are placed by interpolating within the bin holding X.
	Markers       []Marker
	Width, Height int    // pixels; 0 means 600 × 320
	Empty         string // the note drawn when there are no bins; "" means "no data"
}

// SVG renders the histogram as one self-contained <svg> element. The
// legend gives each stack's total.
func (hg Histogram) SVG() string {
	w, h := size(hg.Width, hg.Height)
	var c canvas
	left := 56.0
	c.open(w, h, hg.Title, left)
	bins := len(hg.Edges) - 1
	for i := 0; i < bins; i++ {
		if !finite(hg.Edges[i]) || !finite(hg.Edges[i+1]) || hg.Edges[i+1] <= hg.Edges[i] {
			bins = 0
		}
	}
	if bins <= 0 || len(hg.Stacks) == 0 {
		return c.empty(hg.Empty)
	}
	count := func(s Stack, i int) int {
		if i < len(s.Counts) {
			return max(s.Counts[i], 0)
		}
		return 0
	}
	var items []legendItem
	for i, s := range hg.Stacks {
		total := 0
		for b := range bins {
			total += count(s, b)
		}
		items = append(items, legendItem{name: s.Name + " (" + strconv.Itoa(total) + ")", color: stackColor(s, i), box: true})
	}
	top, bottom, right := 30.0, 30.0, legendWidth(items)+10
	if hg.XLabel != "" {
		bottom = 44
	}
	pw, ph := float64(w)-left-right, float64(h)-top-bottom

	peak := 0
	for b := range bins {
		t := 0
		for _, s := range hg.Stacks {
			t += count(s, b)
		}
		peak = max(peak, t)
	}
	step := math.Max(1, math.Round(niceStep(float64(peak), 5)))
	ymax := math.Max(step*math.Ceil(float64(peak)/step), 1)
	y := axis{scale: Linear, lo: 0, hi: ymax, p0: top + ph, p1: top}
	c.yGrid(left, pw, ticks(0, ymax, step), y.px, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })

	xfmt := hg.XFormat
	if xfmt == nil {
		xfmt = func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	}
	bw := pw / float64(bins)
	for b := range bins {
		base := 0
		for i, s := range hg.Stacks {
			n := count(s, b)
			if n == 0 {
				continue
			}
			y0, y1 := y.px(float64(base)), y.px(float64(base+n))
			c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s–%s: %d</title></rect>`,
				left+float64(b)*bw+1, y1, max(bw-2, 0.5), y0-y1, stackColor(s, i), esc(s.Name), esc(xfmt(hg.Edges[b])), esc(xfmt(hg.Edges[b+1])), n)
			base += n
		}
	}
	for i := 0; i <= bins; i += max(bins/4, 1) {
		px := left + float64(i)*bw
		c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`, px, px, top+ph, top+ph+4, axisColor)
		c.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, px, top+ph+17, axisColor, esc(xfmt(hg.Edges[i])))
	}
	c.frame(left, top, pw, ph, hg.XLabel, hg.YLabel)
	// Markers: a piecewise-linear axis through the edges, expressed as a
	// linear axis over the fractional bin index.
	var ms []Marker
	for _, m := range hg.Markers {
		if f, ok := binPos(hg.Edges, m.X); ok {
			m.X = f
			ms = append(ms, m)
		}
	}
	c.markers(ms, axis{scale: Linear, lo: 0, hi: float64(bins), p0: left, p1: left + pw}, top, ph)
	c.legendRight(items, left+pw+10, top, right-10)
	c.WriteString(`</svg>`)
	return c.String()
}

// binPos returns v's position in bin units (2.5 is the middle of bin 2).
func binPos(edges []float64, v float64) (float64, bool) {
	if !finite(v) {
		return 0, false
	}
	for i := 0; i+1 < len(edges); i++ {
		if v >= edges[i] && v <= edges[i+1] {
			return float64(i) + (v-edges[i])/(edges[i+1]-edges[i]), true
		}
	}
	return 0, false
}

// stackColor is s's colour, or the palette's i-th.
func stackColor(s Stack, i int) string {
	if s.Color != "" {
		return s.Color
	}
	return Color(i)
}
