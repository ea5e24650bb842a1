package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runDynamicsCLI runs `terse dynamics args…` in-process.
func runDynamicsCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newDynamicsCmd()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestDynamicsCLI(t *testing.T) {
	// A verl-style CSV: length 600 → 200 (τ = 30) over 300 steps.
	var b strings.Builder
	b.WriteString("step,response_length/mean,actor/entropy,critic/score/mean\n")
	for s := range 300 {
		l := 200 + 400*math.Exp(-float64(s)/30) + float64(s%7)
		fmt.Fprintf(&b, "%d,%g,%g,%g\n", s, l, 0.5+0.01*float64(s%3), 0.6)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "metrics.csv")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "dyn.html")
	out, err := runDynamicsCLI(t, log, "--target-len", "256", "--html", page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "stage_adaptation:") || !strings.Contains(out, "stage II (reasoning refinement) starts at step") {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(page); err != nil {
		t.Errorf("no HTML page: %v", err)
	}
	out, err = runDynamicsCLI(t, log, "--json")
	if err != nil || !strings.Contains(out, `"kind": "stage_refinement"`) {
		t.Errorf("--json: %v\n%s", err, out)
	}
}

func TestDynamicsCLIUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a.jsonl", "b.jsonl"},
		{"a.jsonl", "--format", "parquet"},
		{"a.jsonl", "--column", "lenght=x"},
		{"a.jsonl", "--target-len", "-1"},
	} {
		_, err := runDynamicsCLI(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
	if _, err := runDynamicsCLI(t, filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Error("missing log accepted")
	}
}
