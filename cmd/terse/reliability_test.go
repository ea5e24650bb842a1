package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
)

// TestMetricsPartialFile (issue 16 item 13): terse metrics on a rollout
// file holding 3 of AIME 2024's 30 problems says that 27 have no
// rollouts, in results.json and on stderr-free Markdown alike.
func TestMetricsPartialFile(t *testing.T) {
	ps, err := bench.Load("aime24")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rollouts.jsonl")
	var b strings.Builder
	for _, p := range ps[:3] {
		line, _ := json.Marshal(map[string]any{"key": "k", "benchmark": "aime24", "problem_id": p.ID, "sample": 0,
			"status": "ok", "max_tokens": 100, "completion_tokens": 10, "finish_reason": "stop", "correct": true})
		b.Write(line)
		b.WriteByte('\n')
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	out, _, err := runCLI(t, "metrics", "--rollouts", path, "--budgets", "100", "--json")
	if err != nil {
		t.Fatal(err)
	}
	res := decodeResults(t, out)
	if len(res.Benchmarks) != 1 || res.Benchmarks[0].Missing != 27 {
		t.Fatalf("benchmarks %+v, want aime24 with missing 27", res.Benchmarks)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "27 of its 30 problems have no rollouts") {
		t.Errorf("warnings %q", res.Warnings)
	}
	md, _, err := runCLI(t, "metrics", "--rollouts", path, "--budgets", "100")
	if err != nil || !strings.Contains(md, "27 of its 30 problems have no rollouts") {
		t.Errorf("Markdown summary does not say 27 problems are missing (err %v):\n%s", err, md)
	}
}
