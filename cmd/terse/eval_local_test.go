package main

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/lab"
)

// TestEvalLocalEqualsServe is the end-to-end test of terse eval against terse
// serve: the shipped lab-base evaluated in-process (--local) and through the
// OpenAI-compatible server, with the same seeds, gives identical rollouts.
func TestEvalLocalEqualsServe(t *testing.T) {
	m, tok, err := lab.LoadModel(lab.BaseModel)
	if err != nil {
		t.Fatal(err)
	}
	url := serveModel(t, m, tok)
	common := []string{"eval", "--bench", "lab-add,lab-sort", "--limit", "6", "-k", "3", "--max-tokens", "256",
		"--budgets", "64,128,256", "--seed", "11", "--quiet", "--json"}
	localDir, serveDir := filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "serve")
	if _, stderr, err := runCLI(t, append(common, "--local", lab.BaseModel, "--out", localDir)...); err != nil {
		t.Fatalf("eval --local: %v\n%s", err, stderr)
	}
	if _, stderr, err := runCLI(t, append(common, "--endpoint", url, "--model", lab.BaseModel, "--template", "{question}", "--out", serveDir)...); err != nil {
		t.Fatalf("eval through serve: %v\n%s", err, stderr)
	}
	read := func(dir string) map[string]eval.Rollout {
		out := map[string]eval.Rollout{}
		err := store.Scan(filepath.Join(dir, "rollouts.jsonl"), nil, func(_ int, r *eval.Rollout) error {
			out[r.ProblemID+"#"+strconv.Itoa(r.Sample)] = *r
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	local, served := read(localDir), read(serveDir)
	if len(local) != 2*6*3 || len(served) != len(local) {
		t.Fatalf("rollouts: %d local, %d served, want %d each", len(local), len(served), 2*6*3)
	}
	finished := 0
	for id, a := range local {
		b, ok := served[id]
		if !ok {
			t.Fatalf("%s: missing from the served run", id)
		}
		if a.Status != "ok" || b.Status != "ok" {
			t.Fatalf("%s: status %q / %q (%s %s)", id, a.Status, b.Status, a.Error, b.Error)
		}
		if a.CompletionTokens != b.CompletionTokens || a.FinishReason != b.FinishReason || a.Correct != b.Correct ||
			a.Reasoning != b.Reasoning || a.Response != b.Response || a.PromptTokens != b.PromptTokens {
			t.Errorf("%s differs:\nlocal  %d %s %v %q\nserved %d %s %v %q", id, a.CompletionTokens, a.FinishReason, a.Correct, a.Response,
				b.CompletionTokens, b.FinishReason, b.Correct, b.Response)
		}
		if a.FinishReason == "stop" {
			finished++
		}
	}
	if finished == 0 {
		t.Errorf("no rollout finished within 256 tokens: the comparison never saw a complete answer")
	}
}
