package atomicfile

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	if err := WriteFile(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "two" {
		t.Fatalf("content %q, %v; want two", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	onlyFile(t, dir, "a.json")
}

// onlyFile fails if dir holds anything but name (a leftover temporary file).
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Name() != name {
			t.Errorf("leftover %s in %s", e.Name(), dir)
		}
	}
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half a new fi")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want the fill error naming %s", err, path)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old" {
		t.Errorf("content %q after a failed write, want old", b)
	}
	onlyFile(t, dir, "state")
}

// TestDurabilityOrder records the steps: the data must be fsynced before
// the rename (else a crash can leave a renamed but empty file) and the
// directory after it (else the rename can be lost).
func TestDurabilityOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.bin")
	var steps []string
	o := ops{
		syncFile: func(f *os.File) error {
			b, _ := os.ReadFile(f.Name())
			steps = append(steps, "fsync file ("+string(b)+")")
			return f.Sync()
		},
		rename: func(from, to string) error {
			steps = append(steps, "rename to "+filepath.Base(to))
			return os.Rename(from, to)
		},
		syncDir: func(d string) error {
			steps = append(steps, "fsync dir "+filepath.Base(d))
			return SyncDir(d)
		},
	}
	if err := o.write(path, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "weights"); return err }); err != nil {
		t.Fatal(err)
	}
	want := []string{"fsync file (weights)", "rename to ckpt.bin", "fsync dir " + filepath.Base(dir)}
	if strings.Join(steps, "; ") != strings.Join(want, "; ") {
		t.Errorf("steps %q, want %q", steps, want)
	}
	// A failed fsync stops before the rename.
	steps = nil
	o.syncFile = func(*os.File) error { steps = append(steps, "fsync file"); return errors.New("EIO") }
	if err := o.write(path, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err == nil {
		t.Fatal("no error from a failed fsync")
	}
	if len(steps) != 1 {
		t.Errorf("steps after a failed fsync: %q", steps)
	}
	if b, _ := os.ReadFile(path); string(b) != "weights" {
		t.Errorf("content %q after a failed fsync, want the old weights", b)
	}
	onlyFile(t, dir, "ckpt.bin")
}

func TestMkdirAll(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	if err := MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("%s not created: %v", dir, err)
	}
	if err := MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("second MkdirAll: %v", err)
	}
	if err := SyncDir(filepath.Join(root, "missing")); err == nil {
		t.Error("SyncDir of a missing directory: no error")
	}
}

// TestOnlyCopy fails when a package outside this one renames files itself:
// every "write a temporary file and rename it" in terse must go through
// atomicfile, so that none forgets an fsync.
func TestOnlyCopy(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("not run from the module tree")
	}
	self := filepath.Join(root, "internal", "atomicfile")
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == self) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return nil // another package mid-edit; not this test's business
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" && (sel.Sel.Name == "Rename" || sel.Sel.Name == "CreateTemp") {
				rel, _ := filepath.Rel(root, path)
				found = append(found, rel+": os."+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("atomic writes outside internal/atomicfile (use atomicfile.WriteFile or Write):\n%s", strings.Join(found, "\n"))
	}
}
