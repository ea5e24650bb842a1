package report_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
)

// synthetic builds results for a model whose lengths scale with `scale`:
// 40 problems at levels 1–5, 8 samples each, sampled at 32k.
func synthetic(scale float64, seed uint64) metrics.Results {
	rng := rand.New(rand.NewPCG(seed, 1))
	var ps []metrics.Problem
	for i := range 40 {
		p := metrics.Problem{Benchmark: "math500", ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Level: i%5 + 1}
		for range 8 {
			n := int32(scale * float64(500+rng.IntN(3000*(p.Level))))
			stop := n < 32768
			n = min(n, 32768)
			p.Samples = append(p.Samples, metrics.Sample{Tokens: n, MaxTokens: 32768, Stop: stop, Correct: stop && rng.Float64() < 1-0.12*float64(p.Level)})
		}
		ps = append(ps, p)
	}
	res := metrics.Compute(ps, metrics.Options{Bootstrap: 200, Seed: 3})
	res.Run = metrics.Run{Key: "abc", Sampling: eval.Sampling{Model: "toy", API: eval.APIChat, Temperature: 0.6, TopP: 0.95, TopK: 20}, MaxTokens: 32768, Samples: 8}
	return res
}

func TestWriteAndLoad(t *testing.T) {
	res := synthetic(1, 1)
	dir := t.TempDir()
	if err := report.Write(dir, res); err != nil {
		t.Fatal(err)
	}
	back, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, res) {
		t.Error("results.json does not round-trip")
	}
	for _, f := range []string{report.MarkdownFile, report.HTMLFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, report.ResultsFile+".tmp")); err == nil {
		t.Error("temporary file left behind")
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"schema":"other"}`), 0o644)
	if _, err := report.Load(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("Load accepted a foreign schema")
	}
}

// TestResultsJSONFields pins the field names other programs read.
func TestResultsJSONFields(t *testing.T) {
	var b strings.Builder
	if err := report.WriteJSON(&b, synthetic(1, 1)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"budgets"`, `"budget"`, `"mean_at_k"`, `"mean_at_k_ci"`, `"pass_at_k"`, `"pass_at_k_ci"`,
		`"truncation_rate"`, `"truncation_rate_ci"`, `"length"`, `"correct"`, `"incorrect"`, `"truncated"`, `"mean"`, `"median"`,
		`"p10"`, `"p90"`, `"count"`, `"histogram"`, `"levels"`, `"mode": "strict"`, `"schema": "terse.results/v1"`} {
		if !strings.Contains(b.String(), f) {
			t.Errorf("results.json lacks %s", f)
		}
	}
}

func TestMarkdown(t *testing.T) {
	res := synthetic(1, 1)
	md := report.Markdown(res)
	b32 := res.Benchmarks[0].Budgets[len(res.Benchmarks[0].Budgets)-1]
	for _, want := range []string{"## math500", "| 32k |", "Mode: **strict**", "equals sampling with max_tokens = B", "by level", "model toy"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if b32.Budget != 32768 || !strings.Contains(md, "| 32k | ") {
		t.Errorf("no 32k row")
	}
}

// TestHTMLSelfContained: no scripts, no external resources.
func TestHTMLSelfContained(t *testing.T) {
	for name, page := range map[string]string{
		"run":     report.HTML(synthetic(1, 1)),
		"compare": report.CompareHTML([]report.Run{{"base", synthetic(1, 1)}, {"short", synthetic(0.5, 2)}}, report.CompareOptions{}),
	} {
		if strings.Contains(page, "<script") || regexp.MustCompile(`(src|href)=`).MatchString(page) {
			t.Errorf("%s: page loads something", name)
		}
		urls := regexp.MustCompile(`https?://[^"'\s]+`).FindAllString(page, -1)
		for _, u := range urls {
			if u != "http://www.w3.org/2000/svg" {
				t.Errorf("%s: external URL %s", name, u)
			}
		}
		if strings.Count(page, "<svg") < 1 || strings.Contains(page, "NaN") {
			t.Errorf("%s: %d charts, NaN present: %v", name, strings.Count(page, "<svg"), strings.Contains(page, "NaN"))
		}
	}
}

func TestCompare(t *testing.T) {
	base, short := synthetic(1, 1), synthetic(0.5, 1)
	md := report.CompareMarkdown([]report.Run{{"base", base}, {"short", short}}, report.CompareOptions{})
	// Same seed: identical correctness, lengths halved (up to rounding), so
	// the relative change is about −50%.
	if !regexp.MustCompile(`\| short \| [0-9.]+ \| [0-9.]+ \| [0-9.k]+ \| −(49|50)\.[0-9]%`).MatchString(md) {
		t.Errorf("main table lacks the −50%% length change:\n%s", md)
	}
	if !strings.Contains(md, "math500 @32k Mean@8") || !strings.Contains(md, "## math500 across budgets") {
		t.Errorf("Compare layout:\n%s", md)
	}
}

// TestWritePreview writes sample pages into $TERSE_REPORT_PREVIEW (when set)
// for looking at them in a browser.
func TestWritePreview(t *testing.T) {
	dir := os.Getenv("TERSE_REPORT_PREVIEW")
	if dir == "" {
		t.Skip("set TERSE_REPORT_PREVIEW=DIR to write sample pages")
	}
	if err := report.Write(dir, synthetic(1, 1)); err != nil {
		t.Fatal(err)
	}
	page := report.CompareHTML([]report.Run{{"base", synthetic(1, 1)}, {"trained", synthetic(0.55, 2)}}, report.CompareOptions{})
	if err := os.WriteFile(filepath.Join(dir, "compare.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
}
