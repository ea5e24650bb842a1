package chart_test

import (
	"fmt"
	"strings"

	"github.com/terse-dev/terse/chart"
)

// A budget curve: Mean@k with its confidence band against a log-2 budget
// axis, the training budget marked.
func ExampleLine() {
	budgets := []float64{1024, 2048, 4096, 8192}
	svg := chart.Line{
		Title: "math500: accuracy vs budget", XLabel: "token budget", YLabel: "Mean@8 (%)",
		XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent, YRange: [2]float64{0, 1},
		Series: []chart.Series{{
			Name:   "Mean@8",
			Points: chart.XY(budgets, []float64{0.31, 0.52, 0.64, 0.66}),
			Band:   []chart.Interval{{Lo: 0.27, Hi: 0.35}, {Lo: 0.48, Hi: 0.56}, {Lo: 0.60, Hi: 0.68}, {Lo: 0.62, Hi: 0.70}},
			Dots:   true,
		}},
		Markers: []chart.Marker{{X: 4096, Label: "L_T"}},
	}.SVG()
	fmt.Println(strings.HasPrefix(svg, "<svg "), strings.Count(svg, "<polyline"), strings.Count(svg, "<polygon"), strings.Count(svg, "<circle"))
	fmt.Println(strings.Contains(svg, ">4k</text>"), strings.Contains(svg, ">100</text>"))
	// Output:
	// true 1 1 4
	// true true
}

// Outcomes stacked per length bin; the legend gives each total.
func ExampleHistogram() {
	svg := chart.Histogram{
		Title: "lengths by outcome", XLabel: "completion tokens", YLabel: "rollouts",
		Edges: []float64{0, 256, 512, 768, 1024},
		Stacks: []chart.Stack{
			{Name: "correct", Color: chart.Green, Counts: []int{4, 9, 3, 0}},
			{Name: "truncated", Color: chart.Gray, Counts: []int{0, 0, 0, 6}},
		},
	}.SVG()
	fmt.Println(strings.Contains(svg, ">correct (16)</text>"), strings.Contains(svg, ">truncated (6)</text>"))
	// Output:
	// true true
}
