package demo

import (
	"fmt"
	"math"
	"strings"
)

// The statistics every verdict rule shares. A rule compares two runs
// problem by problem on the same evaluation problems (the final ladders
// evaluate every run on the same problems, whatever its seed), so the unit
// of every test is the evaluation problem.
//
// One comparison pools S ≥ 1 training seeds. For problem i and seed s let
// d_si = a_si − b_si (A's score minus B's, e.g. the share of correct samples,
// or the log of the mean length). The pooled difference is the mean over
// problems of d̄_i = mean_s d_si, and its standard error is the larger of
//
//   - the problem-level one, sd_i(d̄_i)/√n (the paired standard error over
//     the n problems of the seed-averaged differences: the evaluation's
//     sampling noise, and the part of the training noise that varies from
//     problem to problem), and
//   - the seed-level one, sd_s(D̄_s)/√S for S ≥ 2, where D̄_s is seed s's
//     mean difference (the training noise that moves a whole run at once,
//     which the problem-level error cannot see).
//
// The seed-level error rests on S − 1 degrees of freedom (2 with three
// seeds), so it is itself noisy; the rules therefore also ask every seed's
// own mean difference to lie on the claimed side (sign agreement) before a
// pooled difference counts. Bands use the t quantile with n − 1 degrees of
// freedom (tQuantile).
//
// Outcomes, with δ a margin fixed in advance per finding:
//
//	beats       A > B: the 95% band of the difference lies above 0 and every seed's D̄_s > 0
//	loses       A < B: the 95% band lies below 0 and every seed's D̄_s < 0
//	equivalent  |A − B| < δ: the 90% band (TOST at 5% per side) lies inside (−δ, δ)
//	            and every seed's D̄_s does too
//	beyond δ    |A − B| > δ: the 95% band lies entirely above δ or below −δ
//
// A comparison is degenerate, and every outcome false, when a score is
// missing or not finite, the runs have different problems, fewer than two
// problems remain, a length is not positive, both runs score 0 (or both
// 1) on every problem of every seed (a floor or ceiling says nothing about
// which run is better), or every problem's difference is the same (a band
// of width 0: with a few samples per problem, identical scores say nothing
// about the sampling noise).
const (
	// level95 is the two-sided level of the "beats"/"loses" bands.
	level95 = 0.95
	// level90 is the two-sided level of the equivalence (TOST) bands:
	// two one-sided tests at 5% each.
	level90 = 0.90
)

// comparison is one paired comparison of run A against run B, pooled over
// seeds (see above).
type comparison struct {
	Diff       float64   // pooled mean difference A − B
	SE         float64   // the larger of the problem- and seed-level standard errors
	SEProblems float64   // problem-level standard error
	SESeeds    float64   // seed-level standard error (0 with one seed)
	Lo95, Hi95 float64   // 95% band of Diff
	Lo90, Hi90 float64   // 90% band of Diff
	SeedDiffs  []float64 // each seed's mean difference D̄_s
	Problems   int
	Degenerate string // why the comparison cannot decide; "" when it can
}

// compare pairs a and b, each (seeds)(problems).
func compare(a, b [][]float64) comparison {
	c := comparison{Diff: math.NaN(), SE: math.NaN()}
	switch {
	case len(a) == 0 || len(a) != len(b):
		c.Degenerate = fmt.Sprintf("%d seeds of A against %d of B", len(a), len(b))
		return c
	}
	n := len(a[0])
	floor, ceil := true, true
	for s := range a {
		if len(a[s]) != n || len(b[s]) != n {
			c.Degenerate = "the runs were not evaluated on the same problems"
			return c
		}
		for i := range n {
			x, y := a[s][i], b[s][i]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				c.Degenerate = "a per-problem score is not finite"
				return c
			}
			floor = floor && x == 0 && y == 0
			ceil = ceil && x == 1 && y == 1
		}
	}
	switch {
	case n < 2:
		c.Degenerate = fmt.Sprintf("%d problems: a paired band needs at least 2", n)
		return c
	case floor:
		c.Degenerate = "both runs score 0 on every problem"
		return c
	case ceil:
		c.Degenerate = "both runs score 1 on every problem"
		return c
	}
	S := len(a)
	c.Problems = n
	dbar := make([]float64, n)
	c.SeedDiffs = make([]float64, S)
	for s := range S {
		for i := range n {
			d := a[s][i] - b[s][i]
			dbar[i] += d / float64(S)
			c.SeedDiffs[s] += d / float64(n)
		}
	}
	c.Diff, c.SEProblems = meanSE(dbar)
	if S >= 2 {
		_, c.SESeeds = meanSE(c.SeedDiffs)
	}
	c.SE = max(c.SEProblems, c.SESeeds)
	if !(c.SE > 0) {
		c.Degenerate = "every problem's difference is the same: no spread to build a band from"
		return c
	}
	h95, h90 := tQuantile(0.5+level95/2, n-1)*c.SE, tQuantile(0.5+level90/2, n-1)*c.SE
	c.Lo95, c.Hi95 = c.Diff-h95, c.Diff+h95
	c.Lo90, c.Hi90 = c.Diff-h90, c.Diff+h90
	return c
}

// meanSE returns the mean of xs and its standard error sd/√n (n − 1 in the
// sd); se is 0 for one value.
func meanSE(xs []float64) (mean, se float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x / n
	}
	if len(xs) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}

func (c comparison) ok() bool { return c.Degenerate == "" }

// beats: A > B beyond the 95% band, every seed agreeing.
func (c comparison) beats() bool {
	return c.ok() && c.Lo95 > 0 && all(c.SeedDiffs, func(d float64) bool { return d > 0 })
}

// loses: A < B beyond the 95% band, every seed agreeing.
func (c comparison) loses() bool {
	return c.ok() && c.Hi95 < 0 && all(c.SeedDiffs, func(d float64) bool { return d < 0 })
}

// equivalent: the 90% band inside (−delta, delta), every seed's mean
// difference too (TOST at 5% per side).
func (c comparison) equivalent(delta float64) bool {
	return c.ok() && c.Lo90 > -delta && c.Hi90 < delta && all(c.SeedDiffs, func(d float64) bool { return math.Abs(d) < delta })
}

// beyond: |A − B| > delta with the whole 95% band past the margin.
func (c comparison) beyond(delta float64) bool {
	return c.ok() && (c.Lo95 > delta || c.Hi95 < -delta)
}

// String is the comparison as the report prints it.
func (c comparison) String() string {
	if !c.ok() {
		return "cannot compare: " + c.Degenerate
	}
	s := fmt.Sprintf("%+.3f (95%% band %+.3f … %+.3f, 90%% %+.3f … %+.3f; %d problems", c.Diff, c.Lo95, c.Hi95, c.Lo90, c.Hi90, c.Problems)
	if len(c.SeedDiffs) > 1 {
		parts := make([]string, len(c.SeedDiffs))
		for i, d := range c.SeedDiffs {
			parts[i] = fmt.Sprintf("%+.3f", d)
		}
		s += "; per seed " + strings.Join(parts, ", ")
	}
	return s + ")"
}

// relString prints a comparison of log lengths as relative changes.
func (c comparison) relString() string {
	if !c.ok() {
		return "cannot compare: " + c.Degenerate
	}
	r := func(x float64) string { return fmt.Sprintf("%+.1f%%", 100*(math.Exp(x)-1)) }
	s := fmt.Sprintf("%s (95%% band %s … %s, 90%% %s … %s; %d problems", r(c.Diff), r(c.Lo95), r(c.Hi95), r(c.Lo90), r(c.Hi90), c.Problems)
	if len(c.SeedDiffs) > 1 {
		parts := make([]string, len(c.SeedDiffs))
		for i, d := range c.SeedDiffs {
			parts[i] = r(d)
		}
		s += "; per seed " + strings.Join(parts, ", ")
	}
	return s + ")"
}

func all(xs []float64, f func(float64) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return true
}

// tQuantile is the p-quantile of Student's t with df degrees of freedom:
// exact for df 1 and 2, otherwise the Cornish–Fisher expansion of Hill
// (1970, CACM 13(10), algorithm 396) in the normal quantile z, accurate to
// better than 0.01 for df ≥ 3 at the levels used here (t_{0.975,3} = 3.182:
// 3.18). df < 1 returns NaN.
func tQuantile(p float64, df int) float64 {
	if df < 1 || !(p > 0 && p < 1) {
		return math.NaN()
	}
	switch df {
	case 1:
		return math.Tan(math.Pi * (p - 0.5))
	case 2:
		return (2*p - 1) / math.Sqrt(2*p*(1-p))
	}
	z := math.Sqrt2 * math.Erfinv(2*p-1)
	z2 := z * z
	v := float64(df)
	g1 := (z2 + 1) * z / 4
	g2 := ((5*z2+16)*z2 + 3) * z / 96
	g3 := (((3*z2+19)*z2+17)*z2 - 15) * z / 384
	g4 := ((((79*z2+776)*z2+1482)*z2-1920)*z2 - 945) * z / 92160
	return z + g1/v + g2/(v*v) + g3/(v*v*v) + g4/(v*v*v*v)
}
