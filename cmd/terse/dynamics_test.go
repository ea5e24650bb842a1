package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terse-dev/terse/rl"
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
		{"a.jsonl", "--follow", "--html", "x.html"},
		{"a.jsonl", "--follow", "--interval", "0s"},
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

// TestDynamicsCLIForeignLogs: every sample log of rl/runlog reads, with its
// format detected, and --accuracy-column picks the reward component.
func TestDynamicsCLIForeignLogs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "rl", "runlog", "testdata", "*"))
	if err != nil || len(files) < 10 {
		t.Fatalf("samples: %v %v", files, err)
	}
	for _, p := range files {
		out, err := runDynamicsCLI(t, p, "--json")
		var d rl.Diagnosis
		if err != nil || json.Unmarshal([]byte(out), &d) != nil || d.Log == nil || d.Log.Format == "" || len(d.Log.Mapped) == 0 {
			t.Errorf("%s: %v\n%s", p, err, out)
		}
	}
	state := filepath.Join("..", "..", "rl", "runlog", "testdata", "trl_trainer_state.json")
	out, err := runDynamicsCLI(t, state, "--accuracy-column", "format_reward")
	if err != nil || !strings.Contains(out, "accuracy ← rewards/format_reward/mean") {
		t.Errorf("--accuracy-column: %v\n%s", err, out)
	}
	if _, err := runDynamicsCLI(t, state, "--accuracy-column", "nope"); err == nil || !strings.Contains(err.Error(), "accuracy_reward, format_reward") {
		t.Errorf("unknown --accuracy-column: %v", err)
	}
}

// TestDynamicsCLIFollow: --follow prints the finding of a dead run while
// the log grows, and stops when its context ends (as on Ctrl-C).
func TestDynamicsCLIFollow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "trainer.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	cmd := newDynamicsCmd()
	cmd.SetArgs([]string{p, "--follow", "--interval", "5ms"})
	cmd.SetOut(out)
	cmd.SetErr(io.Discard)
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	// The Trainer's console: a dict per logging step, every group tied.
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(f, "{'loss': 0.0, 'grad_norm': 0.0, 'reward': 0.0, 'reward_std': 0.0, 'frac_reward_zero_std': 1.0, 'completions/mean_length': 512.0, 'epoch': %.2f}\n", float64(i)/100)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "zero_advantage") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "step 1  zero_advantage: ") || strings.Count(s, "zero_advantage:") != 1 {
		t.Errorf("follow output:\n%s", s)
	}
}

// lockedBuffer is a bytes.Buffer for one writing and one reading goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDynamicsCLIWarnsTornTail: a steps.jsonl whose last line was torn by
// an interrupted write is read without it, and the user is told which
// file:line was skipped (on stderr, so --json output stays clean).
func TestDynamicsCLIWarnsTornTail(t *testing.T) {
	var b strings.Builder
	for s := range 40 {
		fmt.Fprintf(&b, `{"step":%d,"mean_length":%g,"accuracy":0.5,"mean_reward":0.5}`+"\n", s, 600-10*float64(s))
	}
	b.WriteString(`{"step":40,"mean_len`) // torn: no newline, not a whole record
	log := filepath.Join(t.TempDir(), "steps.jsonl")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := newDynamicsCmd()
	var out, errOut bytes.Buffer
	cmd.SetArgs([]string{log, "--json"})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := log + ":41: incomplete last line"
	if !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr = %q, want a warning containing %q", errOut.String(), want)
	}
	if strings.Contains(out.String(), "incomplete last line") {
		t.Errorf("warning leaked into the JSON output:\n%s", out.String())
	}
}
