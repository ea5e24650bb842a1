package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/lab"
)

// runLabCLI runs `terse lab args…` in-process.
func runLabCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newLabCmd()
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func TestLabSampleJSON(t *testing.T) {
	out, _, err := runLabCLI(t, "sample", "--family", "sort", "--level", "2", "--n", "3", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var rec struct {
			Question   string   `json:"question"`
			Gold       []string `json:"gold"`
			Level      int      `json:"level"`
			Completion string   `json:"completion"`
			Tokens     int      `json:"tokens"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if rec.Level != 2 || !strings.HasPrefix(rec.Question, "sort ") || !strings.HasSuffix(rec.Completion, `\boxed{`+rec.Gold[0]+"}") || rec.Tokens != lab.TokenLen(rec.Completion) {
			t.Errorf("bad record %+v", rec)
		}
	}
}

func TestLabStats(t *testing.T) {
	out, _, err := runLabCLI(t, "stats", "--family", "add", "--n", "20", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Style string  `json:"style"`
		Level int     `json:"level"`
		Mean  float64 `json:"mean"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10 (concise and verbose × 5 levels)", len(rows))
	}
}

func TestLabUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sample", "--family", "chess"},
		{"sample", "--level", "9"},
		{"sample", "--split", "dev"},
		{"stats", "--n", "0"},
		{"train-base"},
		{"train-base", "--out", "x", "--size", "huge"},
	} {
		_, _, err := runLabCLI(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func TestLabTrainBaseMicro(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runLabCLI(t, "train-base", "--size", "micro", "--steps", "3", "--batch-tokens", "2048", "--out", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rec lab.Recipe
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if rec.StepsDone != 3 || rec.Options.Size != "micro" || !strings.Contains(rec.Command, "train-base") {
		t.Errorf("recipe %+v", rec)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", lab.RecipeFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("checkpoint lacks %s: %v", f, err)
		}
	}
}
