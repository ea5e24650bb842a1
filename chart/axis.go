package chart

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Scale maps data x values onto the plot.
type Scale int

const (
	// Linear spaces x evenly.
	Linear Scale = iota
	// Log2 spaces powers of two evenly (token budgets); x ≤ 0 is not drawn.
	Log2
)

// The palette: Color(i) cycles through these, and callers may name them.
const (
	Blue   = "#1f77b4"
	Red    = "#d62728"
	Green  = "#2ca02c"
	Purple = "#9467bd"
	Orange = "#ff7f0e"
	Brown  = "#8c564b"
	Pink   = "#e377c2"
	Cyan   = "#17becf"
	Gray   = "#7f7f7f"
	// StageGreen marks a stage boundary; FailureRed a detected failure.
	StageGreen = "#1e8449"
	FailureRed = "#b03a2e"
)

// Color returns the i-th colour of the palette, cycling.
func Color(i int) string {
	p := [...]string{Blue, Red, Green, Purple, Orange, Brown, Pink, Cyan}
	return p[((i%len(p))+len(p))%len(p)]
}

// Percent formats a fraction as a whole percentage: 0.456 → "46".
func Percent(v float64) string { return fmt.Sprintf("%.0f", 100*v) }

// Tokens formats a length: 1234 → "1234", 14900 → "14.9k", NaN → "–".
func Tokens(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// Budget formats a token budget: multiples of 1024 as "2k", "32k", others
// as whole numbers (10000 → "10000").
func Budget(v float64) string {
	if b := int64(v); float64(b) == v && b != 0 && b%1024 == 0 {
		return strconv.FormatInt(b/1024, 10) + "k"
	}
	return fmt.Sprintf("%.0f", v)
}

// niceStep rounds span/n up to 1, 2 or 5 times a power of ten: a tick
// spacing giving about n intervals over span.
func niceStep(span float64, n int) float64 {
	if !(span > 0) || math.IsInf(span, 0) || n < 1 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the multiples of step in [lo, hi].
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9 && len(out) < 1000; i++ {
		v := i * step
		if v == 0 {
			v = 0 // no "-0"
		}
		out = append(out, v)
	}
	return out
}

// number formats a tick value with as many decimals as its step needs.
func number(v, step float64) string {
	if v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e6) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	dec := 0
	if step > 0 {
		dec = max(0, min(6, int(-math.Floor(math.Log10(step)+1e-9))))
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// axis maps data values in [lo, hi] (after the scale's transform) onto
// pixels [p0, p1].
type axis struct {
	scale  Scale
	lo, hi float64 // transformed
	p0, p1 float64
}

// t applies the scale's transform; ok is false for values it cannot show.
func (a axis) t(v float64) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if a.scale == Log2 {
		if v <= 0 {
			return 0, false
		}
		return math.Log2(v), true
	}
	return v, true
}

// px maps a data value to a pixel; callers check ok via t first.
func (a axis) px(v float64) float64 {
	tv, _ := a.t(v)
	return a.p0 + (tv-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

// in reports whether v is drawable and inside the axis range.
func (a axis) in(v float64) bool {
	tv, ok := a.t(v)
	eps := 1e-9 * (a.hi - a.lo)
	return ok && tv >= a.lo-eps && tv <= a.hi+eps
}

// log2Ticks returns the distinct data values when there are few, else the
// powers of two in [lo, hi] (transformed), thinned to at most n.
func log2Ticks(xs []float64, lo, hi float64, n int) []float64 {
	var vs []float64
	for _, x := range xs {
		if x > 0 && !math.IsInf(x, 0) && !slices.Contains(vs, x) {
			vs = append(vs, x)
		}
	}
	slices.Sort(vs)
	if len(vs) > 0 && len(vs) <= n {
		return vs
	}
	vs = vs[:0]
	for e := math.Ceil(lo - 1e-9); e <= hi+1e-9; e++ {
		vs = append(vs, math.Exp2(e))
	}
	for len(vs) > n {
		var thin []float64
		for i := 0; i < len(vs); i += 2 {
			thin = append(thin, vs[i])
		}
		vs = thin
	}
	return vs
}
