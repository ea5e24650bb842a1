package lab

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// shipped holds the lab models built into the binary, one directory each in
// the Hugging Face layout with its RecipeFile.
//
//go:embed models
var shipped embed.FS

// BaseModel is the name of the shipped base reasoner (--model lab-base).
const BaseModel = "lab-base"

// ModelNames returns the names of the models built into the binary.
func ModelNames() []string {
	ents, err := shipped.ReadDir("models")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// ModelFS returns the files of a built-in model (config.json,
// model.safetensors, tokenizer files, recipe.json), and false for an
// unknown name.
func ModelFS(name string) (fs.FS, bool) {
	if !slices.Contains(ModelNames(), name) {
		return nil, false
	}
	sub, err := fs.Sub(shipped, path.Join("models", name))
	if err != nil {
		return nil, false
	}
	return sub, true
}

// WriteModel copies a built-in model's files into dir (created if needed), so
// that any HF-layout loader, engine/checkpoint or transformers, can read it.
func WriteModel(name, dir string) error {
	fsys, ok := ModelFS(name)
	if !ok {
		return fmt.Errorf("lab: unknown built-in model %q (have %v)", name, ModelNames())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lab: write model %s: %w", name, err)
	}
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("lab: write model %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), data, 0o644); err != nil {
			return fmt.Errorf("lab: write model %s: %w", name, err)
		}
		return nil
	})
}

// LoadModel loads a built-in model and its tokenizer with engine/checkpoint
// (through a temporary directory, removed before it returns).
func LoadModel(name string) (*model.Model, tokenizer.Tokenizer, error) {
	dir, err := os.MkdirTemp("", "terse-"+name+"-")
	if err != nil {
		return nil, nil, fmt.Errorf("lab: load model %s: %w", name, err)
	}
	defer os.RemoveAll(dir)
	if err := WriteModel(name, dir); err != nil {
		return nil, nil, err
	}
	m, tok, err := checkpoint.Load(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("lab: load model %s: %w", name, err)
	}
	if tok == nil {
		return nil, nil, fmt.Errorf("lab: load model %s: no tokenizer", name)
	}
	return m, tok, nil
}

// IsModelName reports whether spec names a built-in model (ModelNames)
// rather than a directory: an existing directory of that name wins.
func IsModelName(spec string) bool {
	if !slices.Contains(ModelNames(), spec) {
		return false
	}
	st, err := os.Stat(spec)
	return err != nil || !st.IsDir()
}

// Load loads the model a --model style argument names: a built-in model
// (IsModelName), or a checkpoint directory in the Hugging Face layout
// (engine/checkpoint), which must carry its tokenizer.
func Load(spec string) (*model.Model, tokenizer.Tokenizer, error) {
	if IsModelName(spec) {
		return LoadModel(spec)
	}
	m, tok, err := checkpoint.Load(spec)
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, fmt.Errorf("lab: checkpoint %s has no tokenizer.json", spec)
	}
	return m, tok, nil
}
