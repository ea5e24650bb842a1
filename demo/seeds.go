package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SeedsSchema names the results.json of a demo over several seeds.
const SeedsSchema = "terse.demo.seeds/v1"

// SeedResults is results.json of a demo over several training seeds
// (schema terse.demo.seeds/v1). Each seed is a whole demo (Results, its own
// results.json and report.html) in the subdirectory SeedDir(seed). Each
// finding's verdict over the seeds is its rule applied to all seeds at once
// (SeedRule: paired comparisons pooled over seeds × problems with sign
// agreement across seeds; events and step-log thresholds when every seed
// agrees); PerSeed is the same rule applied to each seed alone.
//
//	schema     "terse.demo.seeds/v1"
//	seeds      the training seeds, in run order
//	dirs       each seed's directory, relative to this file
//	seconds    wall time of the invocation that wrote the file
//	seed_rule  the rule across seeds, in words (SeedRule)
//	findings   per finding: the verdict over the seeds and each seed's
type SeedResults struct {
	Schema   string        `json:"schema"`
	Seeds    []uint64      `json:"seeds"`
	Dirs     []string      `json:"dirs"`
	Seconds  float64       `json:"seconds"`
	SeedRule string        `json:"seed_rule"`
	Findings []SeedFinding `json:"findings"`
}

// SeedFinding is one finding over the seeds.
type SeedFinding struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Claim string `json:"claim"`
	// Reproduced is Verdict.Reproduced: the finding's rule over all seeds.
	Reproduced string `json:"reproduced"`
	// Verdict is the rule applied to every seed at once (pooled).
	Verdict Verdict `json:"verdict"`
	// PerSeed and Evidence are each seed's own verdict and evidence, in
	// the order of SeedResults.Seeds.
	PerSeed  []string `json:"per_seed"`
	Evidence []string `json:"evidence"`
}

// SeedDir is the subdirectory of a multi-seed demo holding one seed's demo.
func SeedDir(seed uint64) string { return fmt.Sprintf("seed-%d", seed) }

// RunSeeds runs the demo once per seed (Options.Profile with Seed set), each
// into Options.Out/SeedDir(seed) with its own cache, results.json and
// report.html, then writes the verdicts over the seeds to Options.Out as
// results.json (SeedResults) and report.html. Rerunning resumes as Run does.
func RunSeeds(ctx context.Context, o Options, seeds []uint64) (*SeedResults, error) {
	t0 := time.Now()
	if len(seeds) < 2 {
		return nil, fmt.Errorf("demo: RunSeeds needs at least two seeds, got %v", seeds)
	}
	for i, s := range seeds {
		if slices.Contains(seeds[:i], s) {
			return nil, fmt.Errorf("demo: seed %d given twice", s)
		}
	}
	var all []*Results
	sr := &SeedResults{Schema: SeedsSchema, Seeds: seeds, SeedRule: SeedRule}
	if o.Profile.DataSeed != 0 && o.SharedProfile == "" {
		// The seeds share the data: one difficulty profile for all.
		o.SharedProfile = filepath.Join(o.Out, profileDir, "difficulty.json")
		if err := os.MkdirAll(filepath.Dir(o.SharedProfile), 0o755); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	for i, seed := range seeds {
		so := o
		so.Profile.Seed = seed
		so.Out = filepath.Join(o.Out, SeedDir(seed))
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "terse demo: seed %d (%d of %d) into %s\n", seed, i+1, len(seeds), so.Out)
		}
		r, err := Run(ctx, so)
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", seed, err)
		}
		all = append(all, r)
		sr.Dirs = append(sr.Dirs, SeedDir(seed))
	}
	sr.Findings = combineSeeds(all)
	sr.Seconds = time.Since(t0).Seconds()
	if err := writeJSON(filepath.Join(o.Out, ResultsFile), sr); err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := RenderSeedsHTML(&page, sr, all); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(o.Out, ReportFile), page.Bytes()); err != nil {
		return nil, err
	}
	return sr, nil
}

// combineSeeds decides every finding over the seeds (Finding.decideSeeds,
// SeedRule) and puts each seed's own verdict beside it. A finding missing
// from a seed's results counts as inconclusive there.
func combineSeeds(all []*Results) []SeedFinding {
	var out []SeedFinding
	for _, f := range Findings(all[0].Profile) {
		sf := SeedFinding{ID: f.ID, Name: f.Name, Title: f.Title, Claim: f.Claim}
		for _, r := range all {
			v := Verdict{Reproduced: Inconclusive, Evidence: "not computed for this seed"}
			if i := slices.IndexFunc(r.Findings, func(g FindingResult) bool { return g.Name == f.Name }); i >= 0 {
				v = r.Findings[i].Verdict
			}
			sf.PerSeed = append(sf.PerSeed, v.Reproduced)
			sf.Evidence = append(sf.Evidence, v.Evidence)
		}
		sf.Verdict = f.decideSeeds(all)
		sf.Reproduced = sf.Verdict.Reproduced
		out = append(out, sf)
	}
	return out
}

// RenderSeedsHTML writes the page of a multi-seed demo: the verdicts over
// the seeds at the top, then per finding the chart that carries its
// evidence across the seeds (evidenceChart), its clauses with the verdict
// over the seeds and each seed's, the rule, the margins and (finding 8)
// the lab's numbers beside the paper's. Links lead to each seed's full
// report. Self-contained like RenderHTML.
func RenderSeedsHTML(w io.Writer, sr *SeedResults, all []*Results) error {
	if len(all) != len(sr.Seeds) || len(all) == 0 {
		return errors.New("demo: rendering the seeds page: one Results per seed needed")
	}
	type clauseRow struct {
		Clause
		PerSeed []string
	}
	type row struct {
		SeedFinding
		Anchor  string
		Cells   [][2]string // verdict, evidence per seed
		Chart   template.HTML
		Clauses []clauseRow
		Margins []Margin
		Table   *table
	}
	fs := Findings(all[0].Profile)
	var rows []row
	for _, f := range sr.Findings {
		r := row{SeedFinding: f, Anchor: "finding-" + f.Name, Margins: f.Verdict.Margins}
		for i := range f.PerSeed {
			r.Cells = append(r.Cells, [2]string{f.PerSeed[i], f.Evidence[i]})
		}
		if i := slices.IndexFunc(fs, func(g Finding) bool { return g.Name == f.Name }); i >= 0 {
			r.Chart = evidenceChart(fs[i], all)
		}
		for _, c := range f.Verdict.Clauses {
			cr := clauseRow{Clause: c}
			for _, res := range all {
				o := "–"
				if i := slices.IndexFunc(res.Findings, func(g FindingResult) bool { return g.Name == f.Name }); i >= 0 {
					if j := slices.IndexFunc(res.Findings[i].Verdict.Clauses, func(d Clause) bool { return d.ID == c.ID }); j >= 0 {
						o = res.Findings[i].Verdict.Clauses[j].Reproduced
					}
				}
				cr.PerSeed = append(cr.PerSeed, o)
			}
			r.Clauses = append(r.Clauses, cr)
		}
		switch f.Name {
		case "summary":
			r.Table = recipeTable(all, f.Verdict)
		case "difficulty":
			r.Table = densityTable(all)
		}
		rows = append(rows, r)
	}
	decided, yes := 0, 0
	for _, f := range sr.Findings {
		if f.Reproduced != Inconclusive {
			decided++
		}
		if f.Reproduced == Yes {
			yes++
		}
	}
	data := struct {
		S            *SeedResults
		R            *Results
		Rows         []row
		Minutes      string
		Decided, Yes int
	}{sr, all[0], rows, fmt.Sprintf("%.1f", sumWork(all)/60), decided, yes}
	if err := seedsTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("demo: rendering the seeds page: %w", err)
	}
	return nil
}

func sumWork(all []*Results) float64 {
	s := 0.0
	for _, r := range all {
		s += r.WorkSeconds
	}
	return s
}

// CheckSeeds validates a multi-seed demo directory: results.json has the
// seeds schema and every finding over every seed, each seed's directory
// passes Check, and report.html is well-formed, self-contained and links to
// every seed's report.
func CheckSeeds(dir string) error {
	var sr SeedResults
	if err := readJSON(filepath.Join(dir, ResultsFile), &sr); err != nil {
		return fmt.Errorf("demo: check: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("demo: check: "+format, args...)) }
	if sr.Schema != SeedsSchema {
		bad("%s: schema %q, want %q", ResultsFile, sr.Schema, SeedsSchema)
	}
	if sr.SeedRule == "" {
		bad("%s: no seed_rule", ResultsFile)
	}
	if len(sr.Seeds) < 2 || len(sr.Dirs) != len(sr.Seeds) {
		bad("%s: %d seeds and %d directories", ResultsFile, len(sr.Seeds), len(sr.Dirs))
	}
	var names []string
	for _, f := range sr.Findings {
		names = append(names, f.Name)
		if !slices.Contains([]string{Yes, No, Inconclusive}, f.Reproduced) || len(f.PerSeed) != len(sr.Seeds) || len(f.Evidence) != len(sr.Seeds) {
			bad("%s: finding %s: incomplete (reproduced %q, %d per-seed verdicts)", ResultsFile, f.Name, f.Reproduced, len(f.PerSeed))
		}
		if v := f.Verdict; v.Reproduced != f.Reproduced || v.Rule == "" || v.Evidence == "" || v.Seeds != len(sr.Seeds) {
			bad("%s: finding %s: the verdict over the seeds is incomplete (reproduced %q, %d seeds pooled)", ResultsFile, f.Name, v.Reproduced, v.Seeds)
		}
		if f.Reproduced != Yes && f.Verdict.LabDiff == "" {
			bad("%s: finding %s: %s without what in the lab differs from the paper (lab_differs)", ResultsFile, f.Name, f.Reproduced)
		}
	}
	if !slices.Equal(names, FindingNames()) {
		bad("%s: findings %v, want %v", ResultsFile, names, FindingNames())
	}
	for _, d := range sr.Dirs {
		if filepath.IsAbs(d) || strings.Contains(d, "..") {
			bad("%s: seed directory %q is not inside %s", ResultsFile, d, dir)
			continue
		}
		if err := Check(filepath.Join(dir, d)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d, err))
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("demo: check: %w", err))...)
	}
	errs = append(errs, checkPage(string(page))...)
	for _, name := range FindingNames() {
		if !strings.Contains(string(page), `id="finding-`+name+`"`) {
			bad("%s: no row for finding %s", ReportFile, name)
		}
	}
	for _, d := range sr.Dirs {
		if !strings.Contains(string(page), `href="`+d+`/`+ReportFile+`"`) {
			bad("%s: no link to %s/%s", ReportFile, d, ReportFile)
		}
	}
	return errors.Join(errs...)
}

// IsSeedsDir reports whether dir holds a multi-seed demo (its results.json
// has the seeds schema).
func IsSeedsDir(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return false
	}
	var head struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(b, &head) == nil && head.Schema == SeedsSchema
}

var seedsTmpl = template.Must(template.New("seeds").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>terse demo: the paper's findings in the lab, over seeds</title>
<style>
` + pageCSS + `.ev{font-size:.9em;color:#444}.rule{color:#555;font-size:.9em}
.verdict{font-size:1.08em;background:#f6f6f6;padding:.6em .8em;border-left:4px solid #888}
.grid{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.grid>table{flex:1 1 560px;margin:0}.grid>table td:first-child{min-width:20em}svg{border:1px solid #ddd}
section{margin-top:2.2em;border-top:1px solid #ddd}details{margin:.5em 0}
.labdiff{background:#fff8e6;padding:.5em .8em;border-left:4px solid #d9a400}
</style></head><body>
<h1>terse demo: the paper's findings in the lab, over {{len .S.Seeds}} training seeds</h1>
<p>Base model <b>{{.R.Model}}</b>, profile <b>{{.R.Profile.Name}}</b>: the whole demo ran once per training seed
({{range $i, $s := .S.Seeds}}{{if $i}}, {{end}}<a href="{{index $.S.Dirs $i}}/report.html">seed {{$s}}</a>{{end}}; each link is that seed's full report
with every chart, rule and number). {{.Decided}} of {{len .S.Findings}} findings are decided over the seeds, {{.Yes}} reproduced.
The runs and base ladders took {{.Minutes}} minutes of work in all (each one's own wall time, summed; runs train side by side, so the demo itself takes less). Paper: "The Art of Efficient Reasoning: Data, Reward, and Optimization" (arXiv 2602.20945); findings numbered as in its §5.</p>
<p class="rule"><b>Rule across seeds.</b> {{.S.SeedRule}}</p>
<h2>Verdicts</h2>
<table><tr><th>#</th><th>finding</th><th>over the seeds</th>{{range .S.Seeds}}<th>seed {{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.ID}}</td><td><a href="#{{.Anchor}}">{{.Title}}</a></td><td class="{{.Reproduced}}">{{.Reproduced}}</td>
{{range .Cells}}<td class="{{index . 0}}">{{index . 0}}</td>{{end}}</tr>
{{end}}</table>
{{range .Rows}}
<section id="{{.Anchor}}">
<h2>{{.ID}}. {{.Title}}</h2>
<p><b>Claim.</b> {{.Claim}}</p>
<p class="verdict">Over the seeds: <span class="{{.Reproduced}}">{{.Reproduced}}</span>.
Per seed: {{range $i, $c := .Cells}}{{if $i}}, {{end}}seed {{index $.S.Seeds $i}} <span class="{{index $c 0}}">{{index $c 0}}</span>{{end}}.</p>
<div class="grid"><div>{{.Chart}}</div>
<table><tr><th>clause</th><th>over the seeds</th>{{range $.S.Seeds}}<th>seed {{.}}</th>{{end}}</tr>
{{range .Clauses}}<tr><td>({{.ID}}) {{.Text}}<br><span class="ev">{{.Evidence}}</span></td><td class="{{.Reproduced}}">{{.Reproduced}}</td>{{range .PerSeed}}<td class="{{.}}">{{.}}</td>{{end}}</tr>
{{else}}<tr><td colspan="9" class="ev">{{.Verdict.Evidence}}</td></tr>
{{end}}</table></div>
{{with .Table}}<table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<p class="rule"><b>Rule.</b> {{.Verdict.Rule}}</p>
<p class="rule"><b>Margins</b> (fixed before the runs): {{range $i, $m := .Margins}}{{if $i}}; {{end}}{{$m.Name}} = {{$m.Value}}: {{$m.Meaning}}{{end}}.</p>
{{with .Verdict.LabDiff}}<p class="labdiff"><b>What in the lab differs from the paper's setting.</b> {{.}}</p>{{end}}
<details><summary>Each seed's evidence</summary><table>
{{range $i, $c := .Cells}}<tr><td>seed {{index $.S.Seeds $i}}</td><td class="{{index $c 0}}">{{index $c 0}}</td><td class="ev">{{index $c 1}}</td></tr>{{end}}
</table></details>
</section>
{{end}}
<p>Every number is in results.json (schema {{.S.Schema}}) beside this file and, per seed, in that seed's results.json.</p>
</body></html>
`))
