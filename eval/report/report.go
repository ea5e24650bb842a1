// Package report writes metrics.Results as results.json, a Markdown summary
// and a self-contained HTML page (inline SVG charts, no scripts, no network
// access), and puts several runs side by side in the paper's table format.
//
// Package report imports eval/metrics, chart, internal/atomicfile and the
// standard library only.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/terse-dev/terse/chart"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/internal/atomicfile"
)

// File names Write uses inside a run directory.
const (
	ResultsFile  = "results.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
)

// WriteJSON writes res as indented JSON.
func WriteJSON(w io.Writer, res metrics.Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sanitise(res)); err != nil {
		return fmt.Errorf("report: encode results: %w", err)
	}
	return nil
}

// sanitise replaces NaN (no data) by 0 so the JSON stays valid; a count of
// zero beside it tells the reader there was no data.
func sanitise(res metrics.Results) metrics.Results {
	fix := func(x *float64) {
		if math.IsNaN(*x) || math.IsInf(*x, 0) {
			*x = 0
		}
	}
	fixB := func(bs []metrics.Budget) {
		for i := range bs {
			b := &bs[i]
			for _, x := range []*float64{&b.MeanAtK, &b.PassAtK, &b.TruncationRate, &b.MeanAtKCI.Lo, &b.MeanAtKCI.Hi, &b.PassAtKCI.Lo, &b.PassAtKCI.Hi, &b.TruncationRateCI.Lo, &b.TruncationRateCI.Hi} {
				fix(x)
			}
		}
	}
	for i := range res.Benchmarks {
		fixB(res.Benchmarks[i].Budgets)
		for j := range res.Benchmarks[i].Levels {
			fixB(res.Benchmarks[i].Levels[j].Budgets)
		}
	}
	return res
}

// Write writes results.json, report.md and report.html into dir.
func Write(dir string, res metrics.Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var js strings.Builder
	if err := WriteJSON(&js, res); err != nil {
		return err
	}
	files := []struct{ name, body string }{
		{ResultsFile, js.String()},
		{MarkdownFile, Markdown(res)},
		{HTMLFile, HTML(res)},
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(dir, f.name), f.body); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes a file atomically and durably (internal/atomicfile),
// so a reader never sees half a report.
func writeAtomic(path, body string) error {
	if err := atomicfile.WriteFile(path, []byte(body), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Load reads a results.json file, or the results.json inside a directory.
func Load(path string) (metrics.Results, error) {
	var res metrics.Results
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, ResultsFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return res, fmt.Errorf("report: %w", err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("report: %s: %w", path, err)
	}
	if res.Schema != metrics.Schema {
		return res, fmt.Errorf("report: %s: schema %q, want %q", path, res.Schema, metrics.Schema)
	}
	return res, nil
}

// pct formats a fraction as a percentage with two decimals, as the paper's
// tables do.
func pct(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", 100*x)
}

// tokens formats a length: 1234 → "1234", 14900 → "14.9k".
func tokens(x float64) string { return chart.Tokens(x) }

// budgetLabel formats a budget: 2048 → "2k", 32768 → "32k", 10000 → "10000".
func budgetLabel(b int) string { return chart.Budget(float64(b)) }

// relChange formats the relative change of x against base: "−14.5%".
func relChange(x, base float64) string {
	if base == 0 || math.IsNaN(x) || math.IsNaN(base) {
		return "–"
	}
	d := 100 * (x - base) / base
	s := fmt.Sprintf("%+.1f%%", d)
	return strings.Replace(s, "-", "−", 1)
}

// runLabel describes a run in one line.
func runLabel(res metrics.Results) string {
	r := res.Run
	parts := []string{}
	if r.Model != "" {
		parts = append(parts, "model "+r.Model)
	}
	if r.API != "" {
		parts = append(parts, "api "+r.API)
	}
	parts = append(parts, fmt.Sprintf("temperature %g, top-p %g, top-k %d, seed %d", r.Temperature, r.TopP, r.TopK, r.Seed))
	if r.MaxTokens > 0 {
		parts = append(parts, fmt.Sprintf("max tokens %d", r.MaxTokens))
	}
	if r.Samples > 0 {
		parts = append(parts, fmt.Sprintf("%d samples per problem", r.Samples))
	}
	if r.Prefill != "" {
		parts = append(parts, fmt.Sprintf("prefill %q", r.Prefill))
	}
	if r.Key != "" {
		parts = append(parts, "key "+r.Key)
	}
	if r.Regraded {
		parts = append(parts, "regraded")
	}
	return strings.Join(parts, "; ")
}
