package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/gguf"
)

// runExportCLI runs `terse export args…` in-process.
func runExportCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newExportCmd()
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestExportGGUFLabBase(t *testing.T) {
	dir := t.TempDir()
	for _, f16 := range []bool{false, true} {
		out := filepath.Join(dir, "sub", "f32.gguf")
		args := []string{"gguf", "--model", "lab-base", "--out", out}
		if f16 {
			out = filepath.Join(dir, "f16.gguf")
			args = []string{"gguf", "--model", "lab-base", "--out", out, "--f16"}
		}
		stdout, err := runExportCLI(t, args...)
		if err != nil {
			t.Fatalf("f16=%v: %v", f16, err)
		}
		if !strings.Contains(stdout, "wrote "+out) {
			t.Errorf("stdout %q does not name %s", stdout, out)
		}
		f, err := gguf.ReadFile(out)
		if err != nil {
			t.Fatalf("f16=%v: reading exported GGUF: %v", f16, err)
		}
		if len(f.Tensors) == 0 {
			t.Fatalf("f16=%v: GGUF has no tensors", f16)
		}
		var arch bool
		for _, kv := range f.KV {
			if kv.Key == "general.architecture" {
				arch = true
			}
		}
		if !arch {
			t.Errorf("f16=%v: GGUF lacks general.architecture", f16)
		}
	}
	a, _ := os.Stat(filepath.Join(dir, "sub", "f32.gguf"))
	b, _ := os.Stat(filepath.Join(dir, "f16.gguf"))
	if a == nil || b == nil || b.Size() >= a.Size() {
		t.Errorf("F16 file should be smaller than F32 file: %v vs %v", b, a)
	}
}

func TestExportHFRoundTrip(t *testing.T) {
	hf := filepath.Join(t.TempDir(), "hf")
	if _, err := runExportCLI(t, "hf", "--model", "lab-base", "--out", hf); err != nil {
		t.Fatal(err)
	}
	m, tok, err := checkpoint.Load(hf)
	if err != nil {
		t.Fatalf("loading exported HF dir: %v", err)
	}
	if tok == nil || m == nil {
		t.Fatal("exported HF dir lacks model or tokenizer")
	}
	// A directory works as --model for both subcommands.
	hf2 := filepath.Join(t.TempDir(), "hf2")
	if _, err := runExportCLI(t, "hf", "--model", hf, "--out", hf2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := checkpoint.Load(hf2); err != nil {
		t.Fatalf("loading re-saved HF dir: %v", err)
	}
	out := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := runExportCLI(t, "gguf", "--model", hf, "--out", out); err != nil {
		t.Fatal(err)
	}
}

func TestExportUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"gguf", "--out", "x.gguf"},
		{"gguf", "--model", "lab-base"},
		{"hf", "--model", "lab-base"},
	} {
		_, err := runExportCLI(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want usage error", args, err)
		}
	}
	_, err := runExportCLI(t, "gguf", "--model", filepath.Join(t.TempDir(), "missing"), "--out", filepath.Join(t.TempDir(), "x.gguf"))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing model dir: got %v, want error naming it", err)
	}
}
