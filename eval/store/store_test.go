package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/store"
)

func rollout(problem string, sample, maxTokens, tokens int, finish string) *eval.Rollout {
	return &eval.Rollout{
		Key: "k1", Benchmark: "b", ProblemID: problem, Sample: sample, Status: eval.StatusOK,
		MaxTokens: maxTokens, CompletionTokens: tokens, FinishReason: finish, Prompt: "p " + problem,
	}
}

func open(t *testing.T, path string) (*store.Store, []string) {
	t.Helper()
	var warnings []string
	s, err := store.Open(path, store.Options{SyncEvery: -1, Warnf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	return s, warnings
}

func id(problem string, sample int) eval.SampleID {
	return eval.SampleID{Key: "k1", Benchmark: "b", ProblemID: problem, Sample: sample}
}

func TestAppendReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "rollouts.jsonl")
	s, _ := open(t, path)
	for i := range 3 {
		if err := s.Append(rollout("p1", i, 100, 10, "stop")); err != nil {
			t.Fatal(err)
		}
	}
	failed := rollout("p2", 0, 100, 0, "")
	failed.Status, failed.Error = eval.StatusFailed, "boom"
	if err := s.Append(failed); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, warn := open(t, path)
	defer s.Close()
	if len(warn) != 0 || s.Lines() != 4 {
		t.Errorf("reopen: %d lines, warnings %q; want 4, none", s.Lines(), warn)
	}
	for i := range 3 {
		if !s.Has(id("p1", i), "p p1", 100) {
			t.Errorf("sample %d missing after reopen", i)
		}
	}
	if s.Has(id("p2", 0), "p p2", 100) {
		t.Error("a failed rollout must not answer a lookup")
	}
}

// TestBudgetAwareCache: a rollout sampled at 32k answers 8k; one sampled at
// 8k never answers 32k; a changed prompt answers nothing.
func TestBudgetAwareCache(t *testing.T) {
	s, _ := open(t, filepath.Join(t.TempDir(), "r.jsonl"))
	defer s.Close()
	s.Append(rollout("long", 0, 32768, 20000, "length"))
	s.Append(rollout("short", 0, 8192, 100, "stop"))
	for _, tc := range []struct {
		problem string
		prompt  string
		budget  int
		want    bool
	}{
		{"long", "p long", 8192, true},
		{"long", "p long", 32768, true},
		{"long", "p long", 65536, false},
		{"short", "p short", 8192, true},
		{"short", "p short", 4096, true},
		{"short", "p short", 32768, false},
		{"long", "another prompt", 8192, false},
	} {
		if got := s.Has(id(tc.problem, 0), tc.prompt, tc.budget); got != tc.want {
			t.Errorf("Has(%s, %q, %d) = %v, want %v", tc.problem, tc.prompt, tc.budget, got, tc.want)
		}
	}
}

// TestTornLine: a half-written last line (an interrupted write) is cut off
// with a warning and the file stays appendable.
func TestTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s, _ := open(t, path)
	s.Append(rollout("p1", 0, 100, 10, "stop"))
	s.Append(rollout("p1", 1, 100, 10, "stop"))
	s.Close()
	whole, _ := os.ReadFile(path)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"k1","benchmark":"b","problem_id":"p1","sample":2,"status":"o`)
	f.Close()

	var scanned int
	var scanWarn []string
	err := store.Scan(path, func(f string, a ...any) { scanWarn = append(scanWarn, fmt.Sprintf(f, a...)) },
		func(int, *eval.Rollout) error { scanned++; return nil })
	if err != nil || scanned != 2 || len(scanWarn) != 1 {
		t.Errorf("Scan of a torn file: %d rollouts, warnings %q, err %v; want 2, one warning, nil", scanned, scanWarn, err)
	}

	s, warn := open(t, path)
	if len(warn) != 1 || !strings.Contains(warn[0], "incomplete") {
		t.Errorf("warnings = %q, want one about an incomplete line", warn)
	}
	if got, _ := os.ReadFile(path); string(got) != string(whole) {
		t.Errorf("after repair the file is %d bytes, want the %d bytes before the torn write", len(got), len(whole))
	}
	if s.Has(id("p1", 2), "p p1", 100) || !s.Has(id("p1", 1), "p p1", 100) {
		t.Error("after repair: sample 2 must be missing and sample 1 present")
	}
	s.Append(rollout("p1", 2, 100, 10, "stop"))
	s.Close()
	s, warn = open(t, path)
	defer s.Close()
	if len(warn) != 0 || s.Lines() != 3 {
		t.Errorf("after append: %d lines, warnings %q; want 3, none", s.Lines(), warn)
	}
}

// TestTornOnlyLine: a file holding nothing but a partial line is emptied.
func TestTornOnlyLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	os.WriteFile(path, []byte(`{"key":`), 0o644)
	s, warn := open(t, path)
	defer s.Close()
	if st, _ := os.Stat(path); st.Size() != 0 || len(warn) != 1 {
		t.Errorf("size %d, warnings %q; want 0 and one warning", st.Size(), warn)
	}
}

func TestBadLines(t *testing.T) {
	for _, tc := range []struct{ name, line, want string }{
		{"not json", `{"benchmark": nope}`, "r.jsonl:2"},
		{"no problem id", `{"benchmark":"b","status":"ok","max_tokens":5}`, "problem_id"},
		{"bad status", `{"benchmark":"b","problem_id":"x","status":"done","max_tokens":5}`, "status"},
		{"no budget", `{"benchmark":"b","problem_id":"x","status":"ok"}`, "max_tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			good := `{"key":"k1","benchmark":"b","problem_id":"x","sample":0,"status":"ok","max_tokens":5}`
			os.WriteFile(path, []byte(good+"\n"+tc.line+"\n"), 0o644)
			_, err := store.Open(path, store.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
