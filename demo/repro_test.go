package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// timingKeys are the results.json fields that hold wall times: the only
// ones allowed to differ between two runs of the same command.
var timingKeys = map[string]bool{"seconds": true, "work_seconds": true, "step_seconds": true, "seconds_per_step": true}

// withoutTimings decodes a results.json and drops every timing field.
func withoutTimings(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if timingKeys[k] {
					delete(x, k)
					continue
				}
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDemoReproducible: the same demo run twice on the same machine gives
// the same results.json, every step log, ladder and verdict (timings
// aside); and running the runs side by side (Jobs 2) gives the same results
// as one at a time, so --jobs never changes a verdict.
func TestDemoReproducible(t *testing.T) {
	m, tok := microBase(t)
	p := tinyProfile()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	for i, jobs := range []int{1, 1, 2} {
		writeEasyHardProfile(t, dirs[i], m, p)
		if _, err := Run(context.Background(), Options{Out: dirs[i], Model: "micro", Policy: m, Tokenizer: tok, Profile: p, Jobs: jobs}); err != nil {
			t.Fatal(err)
		}
	}
	first := withoutTimings(t, filepath.Join(dirs[0], ResultsFile))
	if !bytes.Contains(first, []byte(`"mean_at_k"`)) || !bytes.Contains(first, []byte(`"steps"`)) {
		t.Fatalf("results.json lacks ladders or step logs: %.300s", first)
	}
	for i, what := range []string{"", "a second run (Jobs 1)", "Jobs 2"} {
		if i == 0 {
			continue
		}
		if got := withoutTimings(t, filepath.Join(dirs[i], ResultsFile)); !bytes.Equal(got, first) {
			t.Errorf("%s gave another results.json than the first run:\n%s\n%s", what, first, got)
		}
	}
}
