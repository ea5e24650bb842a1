package progress

import (
	"bytes"
	"strings"
	"testing"
)

// TestBar: into a buffer (not a terminal) Stop writes one full line with
// the counts.
func TestBar(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "forced answers", 4, 2)
	b.Done(true, 100)
	b.Done(false, 7)
	b.Done(true, 20)
	b.Stop()
	out := buf.String()
	for _, want := range []string{"forced answers 3/4 (75.0%)", "failed 1", "cached 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\n") || strings.Contains(out, "\r") {
		t.Errorf("bar into a buffer %q: want whole lines, no \\r", out)
	}
	New(nil, "x", 1, 0).Stop() // a nil writer draws nothing and does not block
}
