package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Check validates a finished demo output directory the way CI does after
// `terse demo --quick`: results.json has the schema, the base ladder, every
// finding with a complete verdict and every run a complete ladder, and
// report.html is well-formed (balanced tags), holds a section per finding
// and loads nothing from outside (no scripts, no URLs besides the SVG
// namespace). It returns every problem found, joined.
func Check(dir string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("demo: check: "+format, args...)) }
	b, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return fmt.Errorf("demo: check: %w", err)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("demo: check: %s: %w", ResultsFile, err)
	}
	if r.Schema != Schema {
		bad("%s: schema %q, want %q", ResultsFile, r.Schema, Schema)
	}
	if err := r.Profile.Validate(); err != nil {
		bad("%s: profile: %v", ResultsFile, err)
	}
	if r.Base == nil || len(r.Base.Final) == 0 {
		bad("%s: no base ladder", ResultsFile)
	}
	var names []string
	for _, f := range r.Findings {
		names = append(names, f.Name)
		v := f.Verdict
		if !slices.Contains([]string{Yes, No, Inconclusive}, v.Reproduced) || v.Claim == "" || v.Rule == "" || v.Evidence == "" || v.Numbers == nil || len(v.Margins) == 0 {
			bad("%s: finding %s: incomplete verdict (reproduced %q)", ResultsFile, f.Name, v.Reproduced)
		}
		if v.Reproduced != Inconclusive && len(v.Clauses) == 0 {
			bad("%s: finding %s: verdict %s without the clauses that decided it", ResultsFile, f.Name, v.Reproduced)
		}
		if v.Reproduced != Yes && v.LabDiff == "" {
			bad("%s: finding %s: %s without what in the lab differs from the paper (lab_differs)", ResultsFile, f.Name, v.Reproduced)
		}
	}
	if !slices.Equal(names, FindingNames()) {
		bad("%s: findings %v, want %v", ResultsFile, names, FindingNames())
	}
	ladders := r.Runs
	if r.Base != nil {
		ladders = append(ladders, *r.Base)
	}
	for _, rr := range ladders {
		if rr.Status != StatusOK {
			bad("%s: run %s: status %s: %s", ResultsFile, rr.Name, rr.Status, rr.Error)
			continue
		}
		if rr.Name != "base" && (len(rr.Steps) == 0 || rr.Summary == nil || rr.Dynamics == nil) {
			bad("%s: run %s: no step logs, summary or dynamics", ResultsFile, rr.Name)
		}
		for _, bm := range rr.Final {
			if len(bm.Budgets) != len(r.Profile.Budgets) || bm.Problems == 0 || bm.K != r.Profile.K {
				bad("%s: run %s: %s ladder has %d budgets, %d problems, k %d", ResultsFile, rr.Name, bm.Benchmark, len(bm.Budgets), bm.Problems, bm.K)
			}
		}
	}
	if len(r.Runs) != len(Runs(r.Profile)) {
		bad("%s: %d runs, want %d", ResultsFile, len(r.Runs), len(Runs(r.Profile)))
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("demo: check: %w", err))...)
	}
	if err := checkHTML(string(page)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>`)

// checkHTML checks that a report page is well-formed, complete and
// self-contained.
func checkHTML(page string) error {
	errs := checkPage(page)
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("demo: check: "+ReportFile+": "+format, args...))
	}
	for _, name := range FindingNames() {
		if !strings.Contains(page, `id="finding-`+name+`"`) {
			bad("no section for finding %s", name)
		}
	}
	if !strings.Contains(page, "<svg") {
		bad("no charts")
	}
	return errors.Join(errs...)
}

// checkPage checks that a page is well-formed (balanced tags) and loads
// nothing from outside (no scripts, no URLs besides the SVG namespace).
func checkPage(page string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("demo: check: "+ReportFile+": "+format, args...))
	}
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		closing, name, self := m[1] == "/", strings.ToLower(m[2]), m[3] == "/"
		switch {
		case self || void[name]:
		case !closing:
			stack = append(stack, name)
		case len(stack) == 0 || stack[len(stack)-1] != name:
			bad("</%s> closes %v", name, stack)
			return errs
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		bad("unclosed %v", stack)
	}
	for _, s := range []string{"<script", "src=", "@import", "url("} {
		if strings.Contains(page, s) {
			bad("contains %q", s)
		}
	}
	if n, ns := strings.Count(page, "http"), strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`); n != ns {
		bad("%d URLs besides the SVG namespace", n-ns)
	}
	return errs
}
