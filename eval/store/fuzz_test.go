package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/store"
)

// FuzzOpen: any file content either opens (after repairing a torn last
// line) or fails with an error; it never panics, and a file that opened
// reopens unchanged (no second repair) with the same lines, skipping the
// same bad lines.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(`{"key":"k","benchmark":"b","problem_id":"p","sample":0,"status":"ok","max_tokens":5}` + "\n"))
	f.Add([]byte(`{"key":"k","benchmark":"b","problem_id":"p","sample":0,"status":"ok","max_tok`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(path, store.Options{})
		if err != nil {
			return
		}
		n, skipped := s.Lines(), s.Skipped()
		s.Close()
		before, _ := os.ReadFile(path)
		s, err = store.Open(path, store.Options{})
		if err != nil || s.Lines() != n || s.Skipped() != skipped {
			t.Fatalf("reopen: err %v, lines %d then %d, skipped %d then %d", err, n, s.Lines(), skipped, s.Skipped())
		}
		s.Close()
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Fatal("reopen modified the file")
		}
		count := 0
		if err := store.Scan(path, nil, func(int, *eval.Rollout) error { count++; return nil }); err != nil || count != n {
			t.Fatalf("Scan: %d rollouts, err %v; want %d", count, err, n)
		}
	})
}
