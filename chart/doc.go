// Package chart draws the charts terse's reports show as self-contained
// inline SVG: no scripts, no fonts or styles fetched from anywhere, so a
// report stays one file that opens offline.
//
// Two chart kinds cover the reports:
//
//   - Line: several series against a linear or log-2 x axis (log 2 suits
//     token budgets), each optionally dashed, dotted and with a shaded band
//     (a confidence interval); vertical Markers (a stage boundary, a
//     detector's finding) and shaded Regions (a stage, a failure span).
//   - Histogram: counts over shared bin edges, stacked by category
//     (correct, incorrect, truncated) or a single stack.
//
// Both build the axes themselves: y from 0 (or the data minimum when
// negative) to a rounded maximum with 1-2-5 tick steps, x ticks at round
// numbers (linear) or at the data's x values or powers of two (log 2), a
// legend at the right or on top, and a "no data" note in place of the
// plot when nothing finite is left to draw. NaN and ±Inf values are
// skipped and break a line; no input panics.
//
// A chart is a plain struct; SVG renders it:
//
//	svg := chart.Line{
//		Title: "accuracy vs budget", XLabel: "token budget", YLabel: "Mean@k (%)",
//		XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent,
//		Series: []chart.Series{{Name: "Mean@8", Points: pts, Band: ci, Dots: true}},
//	}.SVG()
//
// The package imports nothing from terse; labels are escaped, so any
// string is safe to pass.
package chart
