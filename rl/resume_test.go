package rl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainResumeTornSteps: a power loss or a full disk can leave half a
// line at the end of steps.jsonl. Resume repairs it (as the eval store
// does: the torn line is dropped with a warning naming the file) instead of
// refusing the run directory.
func TestTrainResumeTornSteps(t *testing.T) {
	m, tok, ps, correct := toyWorld(t)
	dir := t.TempDir()
	c := toyConfig(dir)
	c.Run.Steps, c.Run.CheckpointEvery, c.Eval.Every = 5, 3, 0
	in := TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: ps, Correct: correct}
	ctx, cancel := context.WithCancel(context.Background())
	in.Progress = cancelAfter{"step 4 ", cancel}
	if _, err := Train(ctx, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	path := filepath.Join(dir, StepsFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := `{"step":5,"mean_length":3.2,"mean_le`
	f.WriteString(torn)
	f.Close()

	// terse dynamics / report read the file as it is: the torn line is
	// skipped with a warning, the complete steps are all there.
	var warned bytes.Buffer
	steps, err := ReadStepsFile(path, ReadOptions{Warnf: func(format string, args ...any) { fmt.Fprintf(&warned, format, args...) }})
	if err != nil {
		t.Fatalf("reading a steps.jsonl with a torn tail: %v", err)
	}
	if len(steps) != 4 || !strings.Contains(warned.String(), path+":5") {
		t.Errorf("read %d steps, warning %q; want 4 steps and a warning naming %s:5", len(steps), warned.String(), path)
	}

	in.Policy, _, _, _ = toyWorld(t)
	var progress bytes.Buffer
	in.Progress, in.Resume = &progress, true
	if _, err := Train(context.Background(), in); err != nil {
		t.Fatalf("resume with a torn last line: %v", err)
	}
	if !strings.Contains(progress.String(), "incomplete") || !strings.Contains(progress.String(), path) {
		t.Errorf("resume did not warn about the torn line; progress:\n%s", progress.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(torn)) || !bytes.HasSuffix(data, []byte("\n")) {
		t.Errorf("torn line still in %s:\n%s", path, data)
	}
	steps, err = ReadStepsFile(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, s := range steps {
		got = append(got, s.Step)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Errorf("steps after resume: %v, want [1 2 3 4 5]", got)
	}
}

// TestTruncateStepsCorruptMiddle: a complete line that is not a step
// record is not a torn tail; resume refuses it, naming file and line.
func TestTruncateStepsCorruptMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), StepsFile)
	os.WriteFile(path, []byte("{\"step\":1}\nnot json\n{\"step\":2}\n"), 0o644)
	_, err := truncateSteps(path, 2, nil)
	if err == nil || !strings.Contains(err.Error(), path+":2") {
		t.Fatalf("err = %v, want one naming %s:2", err, path)
	}
}
