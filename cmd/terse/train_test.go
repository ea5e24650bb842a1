package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// runCmd runs a command constructor's command in-process.
func runCmd(t *testing.T, cmd interface {
	SetArgs([]string)
	Execute() error
}, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	return cmd.Execute()
}

// microCheckpoint trains a one-layer lab model for a few steps and saves it.
func microCheckpoint(t *testing.T) string {
	t.Helper()
	o := lab.DefaultTrainOptions()
	o.Size, o.Steps, o.BatchTokens, o.LR, o.Warmup = "micro", 10, 2048, 1e-2, 2
	r, err := lab.TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "micro")
	if err := lab.SaveBase(dir, r, "test"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTrainTwoSteps(t *testing.T) {
	ck := microCheckpoint(t)
	out := filepath.Join(t.TempDir(), "run")
	cmd := newTrainCmd()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err := runCmd(t, cmd, "--model", ck, "--out", out,
		"--set", "run.steps=2", "--set", "data.train=lab-train:arith:4", "--set", "data.difficulty=all",
		"--set", "rollout.prompts_per_step=2", "--set", "rollout.group_size=2",
		"--set", "rollout.rollout_limit=16", "--set", "reward.target_len=16",
		"--set", "eval.every=1", "--set", "eval.budgets=8,16", "--set", "eval.k=1", "--set", "eval.benchmarks=lab-add",
		"--eval-per-level", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	// One progress line per record: step 0 (initial ladder), 1 and 2.
	var lines []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "step 2  len") || !strings.Contains(lines[2], "eval 8:") {
		t.Fatalf("progress:\n%s", stdout.String())
	}
	steps, err := rl.ReadStepsFile(filepath.Join(out, rl.StepsFile), rl.ReadOptions{})
	if err != nil || len(steps) != 3 {
		t.Fatalf("steps.jsonl: %d records, %v", len(steps), err)
	}
	cfg, err := rl.Load(filepath.Join(out, rl.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Init != ck || cfg.Run.Steps != 2 || cfg.Data.Train != "lab-train:arith:4" {
		t.Errorf("saved config: init %q, steps %d, train %q", cfg.Model.Init, cfg.Run.Steps, cfg.Data.Train)
	}
	if !strings.Contains(stderr.String(), "matrix multiply") && !strings.Contains(stderr.String(), "OpenBLAS not found") {
		t.Errorf("no BLAS notice on stderr:\n%s", stderr.String())
	}
	// Resuming a finished run does nothing more and succeeds.
	cmd = newTrainCmd()
	stdout.Reset()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := runCmd(t, cmd, "--config", filepath.Join(out, rl.ConfigFile), "--resume", "--eval-per-level", "1"); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("resuming a finished run printed steps:\n%s", stdout.String())
	}
}

func TestTrainPrintConfig(t *testing.T) {
	cmd := newTrainCmd()
	var stdout bytes.Buffer
	cmd.SetOut(&stdout)
	if err := runCmd(t, cmd, "--print-config", "--set", "reward.shape=kimi"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.toml")
	if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := rl.Load(path)
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, stdout.String())
	}
	if cfg.Reward.Shape != "kimi" || cfg.Rollout.GroupSize != rl.Default().Rollout.GroupSize || !strings.Contains(stdout.String(), "# N, rollouts per prompt") {
		t.Errorf("printed config: shape %q, group size %d", cfg.Reward.Shape, cfg.Rollout.GroupSize)
	}
}

func TestTrainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--set", "rollout.group_size=zero"},
		{"--set", "no.such_key=1"},
		{"--set", "novalue"},
		{"--config", "/nonexistent/run.toml"},
		{"extra-arg"},
	} {
		cmd := newTrainCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := runCmd(t, cmd, args...)
		var ue usageError
		if err == nil || (!errors.As(err, &ue) && args[0] != "extra-arg") {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}
