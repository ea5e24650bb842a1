package chart_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/terse-dev/terse/chart"
)

// elements parses svg as XML and returns the count of each element name and
// the text of every <text> element (tooltips excluded). It fails the test
// on malformed XML or a root other than one <svg>.
func elements(t *testing.T, svg string) (map[string]int, []string) {
	t.Helper()
	count := map[string]int{}
	var texts []string
	var stack []string
	dec := xml.NewDecoder(strings.NewReader(svg))
	roots := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if e.Name.Local != "svg" || e.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root is %v, want svg in the SVG namespace", e.Name)
				}
			}
			stack = append(stack, e.Name.Local)
			count[e.Name.Local]++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "text" {
				texts = append(texts, string(e))
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements, want 1", roots)
	}
	for _, bad := range []string{"<script", "href=", "NaN", "Inf", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(svg, "http://www.w3.org/2000/svg", ""), bad) {
			t.Errorf("svg contains %q", bad)
		}
	}
	return count, texts
}

func has(texts []string, s string) bool {
	for _, t := range texts {
		if t == s {
			return true
		}
	}
	return false
}

func TestLineStructure(t *testing.T) {
	budgets := []float64{1024, 2048, 4096, 8192, 16384, 32768}
	mean := []float64{0.2, 0.35, 0.5, 0.6, 0.62, 0.63}
	var band []chart.Interval
	for _, m := range mean {
		band = append(band, chart.Interval{Lo: m - 0.05, Hi: m + 0.05})
	}
	l := chart.Line{
		Title: "a <b> & \"c\"", XLabel: "token budget", YLabel: "accuracy (%)",
		XScale: chart.Log2, XFormat: chart.Budget, YFormat: chart.Percent, YRange: [2]float64{0, 1},
		Series: []chart.Series{
			{Name: "Mean@8", Points: chart.XY(budgets, mean), Band: band, Dots: true},
			{Name: "Pass@8", Points: chart.XY(budgets, []float64{0.4, 0.6, math.NaN(), 0.8, 0.85, 0.9})},
			{Name: "truncation", Points: chart.XY(budgets, []float64{0.9, 0.6, 0.3, 0.1, 0, 0}), Dashed: true, Color: chart.Gray},
			{Name: "all NaN", Points: chart.XY(budgets, []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()})},
		},
		Markers: []chart.Marker{{X: 4096, Label: "train budget"}, {X: 1 << 20, Label: "off the axis"}},
		Regions: []chart.Region{{From: 1024, To: 2048, Label: "stage I"}},
	}
	n, texts := elements(t, l.SVG())
	// Mean@8 and truncation are one polyline each; Pass@8 breaks at NaN
	// into two; the all-NaN series draws nothing and has no legend entry.
	if n["polyline"] != 4 {
		t.Errorf("%d polylines, want 4", n["polyline"])
	}
	if n["polygon"] != 1 {
		t.Errorf("%d band polygons, want 1", n["polygon"])
	}
	if n["circle"] != 6 {
		t.Errorf("%d dots, want 6 (Mean@8's points)", n["circle"])
	}
	for _, want := range []string{"Mean@8", "Pass@8", "truncation", "token budget", "accuracy (%)", "train budget", "stage I",
		"1k", "2k", "4k", "8k", "16k", "32k", "0", "20", "40", "60", "80", "100", `a <b> & "c"`} {
		if !has(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	for _, unwanted := range []string{"all NaN", "off the axis"} {
		if has(texts, unwanted) {
			t.Errorf("text %q drawn", unwanted)
		}
	}
	if !strings.Contains(l.SVG(), "a &lt;b&gt; &amp; &#34;c&#34;") {
		t.Error("title not escaped")
	}
}

func TestLineTicks(t *testing.T) {
	for _, c := range []struct {
		name       string
		xs, ys     []float64
		scale      chart.Scale
		xt, yt     []string
		xRange     [2]float64
		wantLegend int
	}{
		{"linear", []float64{0, 10, 20, 30, 40, 50, 60}, []float64{3, 7, 12, 9, 1, 4, 5}, chart.Linear,
			[]string{"0", "20", "40", "60"}, []string{"0", "5", "10", "15"}, [2]float64{}, 1},
		{"negative", []float64{1, 2, 3}, []float64{-0.3, 0.1, 0.25}, chart.Linear,
			[]string{"1.0", "1.5", "2.0", "2.5", "3.0"}, []string{"-0.4", "-0.2", "0.0", "0.2", "0.4"}, [2]float64{}, 1},
		{"fixed x range", []float64{50, 100}, []float64{0.5, 0.7}, chart.Linear,
			[]string{"0", "50", "100", "150", "200"}, []string{"0.0", "0.2", "0.4", "0.6", "0.8"}, [2]float64{0, 200}, 1},
		{"log2 powers", []float64{1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597}, nil, chart.Log2,
			[]string{"1", "4", "16", "64", "256", "1024"}, nil, [2]float64{}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ys := c.ys
			if ys == nil {
				ys = make([]float64, len(c.xs))
				for i := range ys {
					ys[i] = float64(i)
				}
			}
			svg := chart.Line{Title: "t", XScale: c.scale, XRange: c.xRange, Series: []chart.Series{{Name: "s", Points: chart.XY(c.xs, ys)}}}.SVG()
			_, texts := elements(t, svg)
			for _, want := range append(c.xt, c.yt...) {
				if !has(texts, want) {
					t.Errorf("no tick %q in %q", want, texts)
				}
			}
		})
	}
}

func TestLegendTop(t *testing.T) {
	var ss []chart.Series
	for i := range 9 {
		ss = append(ss, chart.Series{Name: fmt.Sprintf("series number %d", i), Points: []chart.Point{{0, float64(i)}, {1, float64(i + 1)}}})
	}
	svg := chart.Line{Title: "wide", Legend: chart.LegendTop, Width: 700, Height: 260, Series: ss}.SVG()
	n, texts := elements(t, svg)
	if n["polyline"] != 9 {
		t.Errorf("%d polylines, want 9", n["polyline"])
	}
	// 9 line samples in the legend; their rows wrap, so several y values.
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile(`<line x1="[0-9.]+" x2="[0-9.]+" y1="([0-9.]+)" y2="[0-9.]+" stroke="#[0-9a-f]+" stroke-width="2.5"`).FindAllStringSubmatch(svg, -1) {
		rows[m[1]] = true
	}
	if len(rows) < 2 {
		t.Errorf("legend in %d rows, want it wrapped", len(rows))
	}
	for i := range 9 {
		if !has(texts, fmt.Sprintf("series number %d", i)) {
			t.Errorf("legend lacks series %d", i)
		}
	}
}

// TestDegenerate: nothing drawable never panics and says so; one point or
// one x value still draws.
func TestDegenerate(t *testing.T) {
	nan := math.NaN()
	empty := map[string]string{
		"no series":  chart.Line{Title: "x"}.SVG(),
		"no points":  chart.Line{Series: []chart.Series{{Name: "a"}}}.SVG(),
		"all NaN":    chart.Line{Series: []chart.Series{{Name: "a", Points: []chart.Point{{1, nan}, {nan, 1}, {2, math.Inf(1)}}}}}.SVG(),
		"log2 x ≤ 0": chart.Line{XScale: chart.Log2, Series: []chart.Series{{Name: "a", Points: []chart.Point{{0, 1}, {-4, 2}}}}}.SVG(),
		"hist none":  chart.Histogram{}.SVG(),
		"hist edges": chart.Histogram{Edges: []float64{0, nan, 2}, Stacks: []chart.Stack{{Name: "a", Counts: []int{1, 2}}}}.SVG(),
		"hist order": chart.Histogram{Edges: []float64{4, 2}, Stacks: []chart.Stack{{Name: "a", Counts: []int{1}}}}.SVG(),
		"hist stack": chart.Histogram{Edges: []float64{0, 1}}.SVG(),
	}
	for name, svg := range empty {
		_, texts := elements(t, svg)
		if !has(texts, "no data") {
			t.Errorf("%s: no \"no data\" note: %q", name, texts)
		}
	}
	if _, texts := elements(t, chart.Line{Empty: "not logged"}.SVG()); !has(texts, "not logged") {
		t.Error("Empty note not used")
	}
	drawn := map[string]string{
		"one point":       chart.Line{Series: []chart.Series{{Name: "a", Points: []chart.Point{{3, 0.5}}, Dots: true}}}.SVG(),
		"one log2 point":  chart.Line{XScale: chart.Log2, Series: []chart.Series{{Name: "a", Points: []chart.Point{{4096, 0}}}}}.SVG(),
		"flat zero":       chart.Line{Series: []chart.Series{{Name: "a", Points: []chart.Point{{1, 0}, {2, 0}}}}}.SVG(),
		"short band":      chart.Line{Series: []chart.Series{{Name: "a", Points: []chart.Point{{1, 1}, {2, 2}}, Band: []chart.Interval{{nan, 2}}}}}.SVG(),
		"hist zeros":      chart.Histogram{Edges: []float64{0, 1, 2}, Stacks: []chart.Stack{{Name: "a"}}}.SVG(),
		"hist short data": chart.Histogram{Edges: []float64{0, 1, 2, 3}, Stacks: []chart.Stack{{Name: "a", Counts: []int{5}}}, Markers: []chart.Marker{{X: nan}, {X: 1.5, Label: "m"}}}.SVG(),
	}
	for name, svg := range drawn {
		_, texts := elements(t, svg)
		if has(texts, "no data") {
			t.Errorf("%s: says no data", name)
		}
	}
}

func TestHistogram(t *testing.T) {
	h := chart.Histogram{
		Title: "lengths", XLabel: "completion tokens", YLabel: "rollouts",
		Edges: []float64{0, 1024, 2048, 3072, 4096}, XFormat: chart.Budget,
		Stacks: []chart.Stack{
			{Name: "correct", Color: chart.Green, Counts: []int{5, 3, 0, 1}},
			{Name: "incorrect", Color: chart.Red, Counts: []int{1, 0, 2, 0}},
			{Name: "<truncated>", Color: chart.Gray, Counts: []int{0, 0, 0, 4}},
		},
		Markers: []chart.Marker{{X: 2048, Label: "budget"}},
	}
	svg := h.SVG()
	n, texts := elements(t, svg)
	// One bar per non-zero count, plus background, frame and 3 legend boxes.
	bars := regexp.MustCompile(`<rect [^>]*><title>`).FindAllString(svg, -1)
	if len(bars) != 6 {
		t.Errorf("%d bars, want 6", len(bars))
	}
	if n["rect"] != 6+1+1+3 {
		t.Errorf("%d rects, want 11", n["rect"])
	}
	// Peak stack is 6 (5+1): ticks 0..6 step 1.
	for _, want := range []string{"correct (9)", "incorrect (3)", "<truncated> (4)", "0", "6", "1k", "4k", "budget", "rollouts", "completion tokens"} {
		if !has(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	if has(texts, "7") {
		t.Error("y axis runs past the peak's tick")
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{chart.Budget(2048), "2k"}, {chart.Budget(32768), "32k"}, {chart.Budget(10000), "10000"}, {chart.Budget(64), "64"},
		{chart.Tokens(1234), "1234"}, {chart.Tokens(14900), "14.9k"}, {chart.Tokens(math.NaN()), "–"},
		{chart.Percent(0.456), "46"}, {chart.Color(0), chart.Blue}, {chart.Color(9), chart.Red}, {chart.Color(-1), chart.Cyan},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
