package demo

import (
	"bytes"
	"strings"
	"testing"
)

// TestSeedsPage renders the page over seeds from synthetic runs of every
// finding: one evidence chart with data per finding, the clauses with each
// seed's outcome, rule and margins, the recipe table beside the paper's
// numbers, and a page that checkPage accepts.
func TestSeedsPage(t *testing.T) {
	w := newWorld(1, 2)
	fams := []string{"lab-arith", "lab-add", "lab-sort"}
	w.add(baseRun, spec{noise: 0.02, lenNoise: 0.05, benches: fams})
	for _, s := range Runs(w.p) {
		sp := spec{noise: 0.05, lenFactor: 0.8, lenNoise: 0.05, curve: &twoStage}
		if s.Name == Baseline {
			sp.benches = fams
		}
		w.add(s.Name, sp)
	}
	for _, r := range w.seeds {
		for _, f := range Findings(r.Profile) {
			r.Findings = append(r.Findings, FindingResult{ID: f.ID, Name: f.Name, Title: f.Title, Runs: f.Runs, Verdict: f.decide(r)})
		}
	}
	sr := &SeedResults{Schema: SeedsSchema, Seeds: []uint64{1, 2}, Dirs: []string{SeedDir(1), SeedDir(2)}, SeedRule: SeedRule, Findings: combineSeeds(w.seeds)}
	var b bytes.Buffer
	if err := RenderSeedsHTML(&b, sr, w.seeds); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if errs := checkPage(page); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, f := range Findings(w.p) {
		i := strings.Index(page, `id="finding-`+f.Name+`"`)
		if i < 0 {
			t.Fatalf("no section for %s", f.Name)
		}
		sec := page[i:]
		if j := strings.Index(sec[1:], "<section"); j >= 0 {
			sec = sec[:j+1]
		}
		if !strings.Contains(sec, "<svg") || strings.Contains(sec, "no data") {
			t.Errorf("%s: no evidence chart with data", f.Name)
		}
		for _, want := range []string{"(a) ", "Margins", f.Rule[:20]} {
			if !strings.Contains(sec, want) {
				t.Errorf("%s: section lacks %q", f.Name, want)
			}
		}
	}
	for _, want := range []string{"Qwen3-8B", "−14.5% to −47.3%", "pooled over 2 seeds", SeedRule[:60], `href="seed-2/report.html"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
