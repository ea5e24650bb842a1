package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/eval/fakeserver"
)

// fixedServer answers "What is i+1?" correctly with probability i/(n-1),
// independently per (question, seed): a model of fixed per-problem
// difficulty. Correct answers are 10–39 tokens, wrong ones 30–59.
func fixedServer(n int) *fakeserver.Server {
	srv := fakeserver.New()
	srv.Answer = func(r *fakeserver.Request) (string, string, int) {
		var x int
		if m := question.FindStringSubmatch(r.Text()); m != nil {
			fmt.Sscan(m[1], &x)
		}
		u := func(salt string) float64 {
			h := fnv.New64a()
			fmt.Fprintf(h, "%s\x00%d\x00%s", r.Text(), r.Seed, salt)
			return float64(h.Sum64()>>11) / (1 << 53)
		}
		if u("correct") < float64(x)/float64(n-1) {
			return "ok", fmt.Sprintf("\\boxed{%d}", x+1), 10 + int(30*u("len"))
		}
		return "hmm", "\\boxed{-1}", 30 + int(30*u("len"))
	}
	return srv
}

func readSummary(t *testing.T, stdout string) data.Summary {
	t.Helper()
	var s data.Summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary JSON: %v\n%s", err, stdout)
	}
	return s
}

// TestProfileSelectCLI runs the whole flow: profile through two endpoints,
// select Easy (verl parquet) and Hard (terse JSONL), then profile both
// selections again with another seed: the Easy set must really be easier on
// fresh rollouts.
func TestProfileSelectCLI(t *testing.T) {
	const n = 24
	problems := toyProblems(t, n)
	s1, s2 := fixedServer(n), fixedServer(n)
	defer s1.Close()
	defer s2.Close()
	dir := t.TempDir()
	out, _, err := runCLI(t, "profile", "--input", problems, "--model", "m", "--endpoint", s1.URL, "--endpoint", s2.URL,
		"--template", "{question}", "--rollout-limit", "100", "--target-len", "30", "--out", dir, "--quiet", "--attempts", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"24 prompts, 192 rollouts", "pass rate histogram", "L_T = 30", "Easy", "Hard"} {
		if !strings.Contains(out, want) {
			t.Errorf("profile output lacks %q:\n%s", want, out)
		}
	}
	if s1.Requests() == 0 || s2.Requests() == 0 {
		t.Errorf("requests %d / %d: both endpoints should serve", s1.Requests(), s2.Requests())
	}
	out, _, err = runCLI(t, "profile", "--input", problems, "--model", "m", "--endpoint", s1.URL,
		"--template", "{question}", "--rollout-limit", "100", "--out", dir, "--quiet", "--json")
	if err != nil {
		t.Fatal(err)
	}
	full := readSummary(t, out)
	if full.Prompts != n || full.Easy == 0 || full.Hard == 0 || full.Easy+full.Hard != n {
		t.Fatalf("summary %+v", full)
	}

	easyPath := filepath.Join(t.TempDir(), "easy.parquet")
	out, _, err = runCLI(t, "select", "--profile", dir, "--easy", "--target-len", "30", "--out", easyPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, fmt.Sprintf("select: %d of %d prompts", full.Easy, n)) || !strings.Contains(out, "(verl)") {
		t.Errorf("select output:\n%s", out)
	}
	f, err := os.Open(easyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if int(pf.NumRows()) != full.Easy {
		t.Errorf("parquet has %d rows, want %d Easy prompts", pf.NumRows(), full.Easy)
	}

	hardPath := filepath.Join(t.TempDir(), "hard.jsonl")
	if _, _, err := runCLI(t, "select", "--profile", filepath.Join(dir, data.ProfileFile), "--hard", "--out", hardPath); err != nil {
		t.Fatal(err)
	}
	easyJSONL := filepath.Join(t.TempDir(), "easy.jsonl")
	if _, _, err := runCLI(t, "select", "--profile", dir, "--easy", "--format", "terse", "--out", easyJSONL); err != nil {
		t.Fatal(err)
	}
	again := func(path string) data.Summary {
		t.Helper()
		out, _, err := runCLI(t, "profile", "--input", path, "--problem-field", "question", "--answer-field", "gold", "--id-field", "id",
			"--model", "m", "--endpoint", s1.URL, "--template", "{question}", "--rollout-limit", "100", "--seed", "1000",
			"--out", t.TempDir(), "--quiet", "--json")
		if err != nil {
			t.Fatal(err)
		}
		return readSummary(t, out)
	}
	e, h := again(easyJSONL), again(hardPath)
	t.Logf("fresh rollouts (seed 1000): Easy %d prompts pass rate %.3f, Hard %d prompts %.3f", e.Prompts, e.MeanPassRate, h.Prompts, h.MeanPassRate)
	if e.Prompts != full.Easy || h.Prompts != full.Hard || e.MeanPassRate <= h.MeanPassRate+0.2 {
		t.Errorf("re-sampled Easy %+v vs Hard %+v: want the Easy set clearly easier", e, h)
	}
}

func TestProfileSelectUsage(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"profile", "--model", "m"},
		{"profile", "--input", "math500"},
		{"profile", "--input", "math500", "--model", "m", "--group-size", "0"},
		{"profile", "--input", "math500", "--model", "m", "--rollout-limit", "100", "--target-len", "200"},
		{"profile", "--input", "lab-train:arith", "--model", "m"},
		{"select"},
		{"select", "--profile", dir, "--easy", "--hard"},
		{"select", "--profile", dir, "--format", "csv", "--out", "x"},
		{"select", "--profile", dir, "--balance", "colour"},
	}
	for _, args := range cases {
		_, _, err := runCLI(t, args...)
		var ue usageError
		if err == nil || (!errors.As(err, &ue) && !strings.Contains(err.Error(), "lab-train:FAMILY:N")) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func TestLoadProfileInput(t *testing.T) {
	ps, isLab, err := loadProfileInput("lab-train:add:5:2", bench.FieldMap{})
	if err != nil || !isLab || len(ps) != 5 || ps[0].Benchmark != "lab-add" {
		t.Fatalf("lab-train: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	ps, isLab, err = loadProfileInput("lab-sort", bench.FieldMap{})
	if err != nil || !isLab || len(ps) == 0 {
		t.Fatalf("lab-sort: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	ps, isLab, err = loadProfileInput("math500", bench.FieldMap{})
	if err != nil || isLab || len(ps) != 500 {
		t.Fatalf("math500: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	for _, bad := range []string{"lab-train:chess:5", "lab-train:add:x", "lab-train:add:5:-1", "no-such-set"} {
		if _, _, err := loadProfileInput(bad, bench.FieldMap{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
