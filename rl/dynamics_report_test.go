package rl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportDynamics(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "steps.jsonl")
	var buf bytes.Buffer
	if err := WriteSteps(&buf, stale.logs(1)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(log, buf.Bytes(), 0o644)
	page := filepath.Join(dir, "dyn.html")
	var out bytes.Buffer
	err := ReportDynamics(&out, DynamicsOptions{Log: log, JSON: true, HTML: page, Diagnose: DiagnoseOptions{TargetLen: 256, Staleness: 4}})
	if err != nil {
		t.Fatal(err)
	}
	var d Diagnosis
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out.String())
	}
	if !d.Has(LengthRebound) || !d.Has(EntropyExplosion) || d.RefinementStart < 0 {
		t.Errorf("diagnosis %+v", d)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte("length_rebound")) {
		t.Errorf("HTML page: %v", err)
	}
	out.Reset()
	if err := ReportDynamics(&out, DynamicsOptions{Log: log}); err != nil || !strings.Contains(out.String(), "length_rebound:") {
		t.Errorf("text output %q: %v", out.String(), err)
	}
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	if err := ReportDynamics(&out, DynamicsOptions{Log: empty}); err == nil {
		t.Error("empty log accepted")
	}
}
