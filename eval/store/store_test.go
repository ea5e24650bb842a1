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

// TestBadLines: one bad line never poisons a store (issue 16 item 9: a
// server's negative completion_tokens made every later run and terse
// metrics refuse the file). Open, and Scan, skip it with a warning naming
// file:line and the field; the good lines around it stay, the file is not
// modified, and the sample is redone.
func TestBadLines(t *testing.T) {
	for _, tc := range []struct{ name, line, want string }{
		{"not json", `{"benchmark": nope}`, "invalid character"},
		{"no problem id", `{"benchmark":"b","status":"ok","max_tokens":5}`, "problem_id"},
		{"bad status", `{"benchmark":"b","problem_id":"x","status":"done","max_tokens":5}`, "status"},
		{"no budget", `{"benchmark":"b","problem_id":"x","status":"ok"}`, "max_tokens"},
		{"negative tokens", `{"key":"k1","benchmark":"b","problem_id":"y","sample":0,"status":"ok","max_tokens":5,"completion_tokens":-3}`, "completion_tokens is -3"},
		{"tokens over budget", `{"key":"k1","benchmark":"b","problem_id":"y","sample":0,"status":"ok","max_tokens":5,"completion_tokens":1000000000}`, "completion_tokens is 1000000000 > max_tokens 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			good := `{"key":"k1","benchmark":"b","problem_id":"x","sample":0,"status":"ok","max_tokens":5}`
			data := good + "\n" + tc.line + "\n" + strings.Replace(good, `"x"`, `"z"`, 1) + "\n"
			os.WriteFile(path, []byte(data), 0o644)
			s, warn := open(t, path)
			if s.Lines() != 2 || s.Skipped() != 1 || len(warn) != 1 || !strings.Contains(warn[0], path+":2") || !strings.Contains(warn[0], tc.want) {
				t.Errorf("Open: %d lines, %d skipped, warnings %q; want 2, 1 and one warning naming %s:2 and %q", s.Lines(), s.Skipped(), warn, path, tc.want)
			}
			if !s.Has(id("x", 0), "", 5) || !s.Has(id("z", 0), "", 5) || s.Has(id("y", 0), "", 5) {
				t.Error("want x and z indexed, y (the bad line) missing")
			}
			s.Close()
			if got, _ := os.ReadFile(path); string(got) != data {
				t.Error("Open modified a file with a bad complete line")
			}
			var scanned int
			var scanWarn []string
			err := store.Scan(path, func(f string, a ...any) { scanWarn = append(scanWarn, fmt.Sprintf(f, a...)) },
				func(int, *eval.Rollout) error { scanned++; return nil })
			if err != nil || scanned != 2 || len(scanWarn) != 1 || !strings.Contains(scanWarn[0], path+":2") {
				t.Errorf("Scan: %d rollouts, warnings %q, err %v; want 2, one naming %s:2", scanned, scanWarn, err, path)
			}
		})
	}
}
