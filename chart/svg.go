package chart

import (
	"fmt"
	"html"
	"strings"
)

// Text styles shared by every chart.
const (
	fontAttrs = `font-family="system-ui, sans-serif" font-size="12"`
	textColor = "#222"
	axisColor = "#555"
	gridColor = "#e5e5e5"
	frameColo = "#999"
	emptyNote = "no data"
	// charW is a generous mean glyph width of the 12px font; legendPad the
	// room a legend entry's swatch and gaps take.
	charW, legendPad = 6.8, 30.0
)

// size applies the default size, 600 × 320, to unset dimensions.
func size(w, h int) (int, int) {
	if w <= 0 {
		w = 600
	}
	if h <= 0 {
		h = 320
	}
	return w, h
}

// canvas accumulates one SVG document.
type canvas struct {
	strings.Builder
	w, h float64
}

// esc escapes s for SVG text and attribute values.
func esc(s string) string { return html.EscapeString(s) }

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(c, format, args...) }

// open writes the svg element, a white background and the title.
func (c *canvas) open(w, h int, title string, left float64) {
	c.w, c.h = float64(w), float64(h)
	c.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" %s>`,
		w, h, w, h, esc(title), fontAttrs)
	c.printf(`<rect width="%d" height="%d" fill="#fff"/>`, w, h)
	c.printf(`<text x="%.0f" y="18" font-size="14" font-weight="600" fill="%s">%s</text>`, left, textColor, esc(title))
}

// empty writes the note that stands in for the plot, and closes the svg.
func (c *canvas) empty(note string) string {
	if note == "" {
		note = emptyNote
	}
	c.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#888">%s</text></svg>`, c.w/2, c.h/2, esc(note))
	return c.String()
}

// frame draws the plot's border and the axis labels.
func (c *canvas) frame(left, top, pw, ph float64, xLabel, yLabel string) {
	c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="%s"/>`, left, top, pw, ph, frameColo)
	if xLabel != "" {
		c.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, left+pw/2, c.h-8, axisColor, esc(xLabel))
	}
	if yLabel != "" {
		c.printf(`<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle" fill="%s">%s</text>`, top+ph/2, axisColor, esc(yLabel))
	}
}

// yGrid draws horizontal grid lines with their labels at the left.
func (c *canvas) yGrid(left, pw float64, vs []float64, py func(float64) float64, label func(float64) string) {
	for _, v := range vs {
		y := py(v)
		c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`, left, left+pw, y, y, gridColor)
		c.printf(`<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="%s">%s</text>`, left-6, y, axisColor, esc(label(v)))
	}
}

// legendItem is one legend entry: a line sample (or a box) and a name.
type legendItem struct {
	name, color string
	dashed, box bool
	band        bool
}

// legendWidth is the right margin a legend of these names needs: 150 px
// (so charts on a page line up) unless a name needs more, at most 240.
func legendWidth(items []legendItem) float64 {
	longest := 0
	for _, it := range items {
		longest = max(longest, len([]rune(it.name)))
	}
	return min(max(legendPad+charW*float64(longest), 150), 240)
}

// fit shortens s to at most n runes, ending in "…".
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

// legendRight draws entries in a column right of the plot at x.
func (c *canvas) legendRight(items []legendItem, x, top, width float64) {
	room := int((width-legendPad)/charW + 0.5)
	for i, it := range items {
		y := top + 10 + 18*float64(i)
		c.sample(it, x, y)
		c.printf(`<text x="%.1f" y="%.1f" dominant-baseline="middle" fill="%s"><title>%s</title>%s</text>`,
			x+26, y, textColor, esc(it.name), esc(fit(it.name, room)))
	}
}

// legendTopRows lays items out in rows from left to right within width;
// it returns each item's position and the number of rows.
func legendTopRows(items []legendItem, left, right float64) (xy [][2]float64, rows int) {
	x, row := left, 0
	for _, it := range items {
		w := legendPad + 8 + charW*float64(len([]rune(it.name)))
		if x > left && x+w > right {
			x, row = left, row+1
		}
		xy = append(xy, [2]float64{x, float64(row)})
		x += w
	}
	if len(items) > 0 {
		rows = row + 1
	}
	return xy, rows
}

// legendTop draws entries in rows under the title.
func (c *canvas) legendTop(items []legendItem, xy [][2]float64) {
	for i, it := range items {
		x, y := xy[i][0], 32+16*xy[i][1]
		c.sample(it, x, y)
		c.printf(`<text x="%.1f" y="%.1f" dominant-baseline="middle" fill="%s">%s</text>`, x+26, y, textColor, esc(it.name))
	}
}

// sample draws an entry's swatch: a box for histogram stacks, else a line
// (dashed like its series) over a faint band when the series has one.
func (c *canvas) sample(it legendItem, x, y float64) {
	if it.box {
		c.printf(`<rect x="%.1f" y="%.1f" width="18" height="10" fill="%s"/>`, x+1, y-5, it.color)
		return
	}
	if it.band {
		c.printf(`<rect x="%.1f" y="%.1f" width="20" height="10" fill="%s" fill-opacity="0.15"/>`, x, y-5, it.color)
	}
	c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`, x, x+20, y, y, it.color, dash(it.dashed))
}

func dash(on bool) string {
	if on {
		return ` stroke-dasharray="5 4"`
	}
	return ""
}

// Marker is a labelled vertical line at X: a stage boundary, a detector's
// finding, the training budget.
type Marker struct {
	X     float64
	Label string
	Color string // "" draws StageGreen
}

// markers draws vertical dashed lines with labels near the top; labels of
// nearby markers stack downwards, and labels near the right edge turn left.
func (c *canvas) markers(ms []Marker, x axis, top, ph float64) {
	var placed []float64
	for _, m := range ms {
		if !x.in(m.X) {
			continue
		}
		px := x.px(m.X)
		row := 0
		for _, p := range placed {
			if px-p < 120 && px-p > -120 {
				row++
			}
		}
		placed = append(placed, px)
		col := m.Color
		if col == "" {
			col = StageGreen
		}
		c.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"><title>%s</title></line>`,
			px, px, top, top+ph, col, esc(m.Label))
		if m.Label == "" {
			continue
		}
		lx, anchor := px+4, "start"
		if px > x.p1-110 {
			lx, anchor = px-4, "end"
		}
		c.printf(`<text x="%.1f" y="%.1f" font-size="11" text-anchor="%s" fill="%s">%s</text>`, lx, top+12+12*float64(row), anchor, col, esc(m.Label))
	}
}
