package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDemoUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "rewards,nosuch"},
		{"--out", ""},
		{"--quick", "--full"},
		{"--jobs", "-1"},
		{"--steps", "-3"},
		{"--lr", "-1e-4"},
		{"--lr-schedule", "linear"},
	} {
		cmd := newDemoCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := runCmd(t, cmd, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func TestDemoMissingModel(t *testing.T) {
	cmd := newDemoCmd()
	var stderr bytes.Buffer
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&stderr)
	err := runCmd(t, cmd, "--model", t.TempDir()+"/none", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "none") {
		t.Fatalf("err %v, want one naming the model directory", err)
	}
	if !strings.Contains(stderr.String(), "matrix multiply") && !strings.Contains(stderr.String(), "OpenBLAS not found") {
		t.Errorf("no BLAS notice:\n%s", stderr.String())
	}
}

func TestDemoCheckEmpty(t *testing.T) {
	cmd := newDemoCmd()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := runCmd(t, cmd, "--check", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "results.json") {
		t.Fatalf("err %v, want one naming results.json", err)
	}
}

// TestDemoHelpListsFindings checks that --help lists the findings with
// their --only keys in the paper's order (PAPER.md §5), from the demo
// package itself.
func TestDemoHelpListsFindings(t *testing.T) {
	long := newDemoCmd().Long
	at := -1
	for i, want := range []string{"1 dynamics", "2 rewards", "3 difficulty", "4 group-size", "5 masking", "6 rollout-limit", "7 transfer", "8 summary"} {
		j := strings.Index(long, "  "+want+" ")
		if j < 0 || j < at {
			t.Fatalf("help lacks %q in the paper's order (finding %d):\n%s", want, i+1, long)
		}
		at = j
	}
}
