package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/lab"
)

// isBuiltinModel reports whether spec names a model built into the binary
// (lab-base) rather than a directory: a directory of that name wins.
func isBuiltinModel(spec string) bool {
	return slices.Contains(lab.ModelNames(), spec) && !isDir(spec)
}

// loadModel loads the model a --model/--local/--checkpoint flag names: a
// built-in lab model, or a checkpoint directory (HF layout), which must carry
// its tokenizer.
func loadModel(spec string) (*model.Model, tokenizer.Tokenizer, error) {
	if isBuiltinModel(spec) {
		return lab.LoadModel(spec)
	}
	m, tok, err := checkpoint.Load(spec)
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, fmt.Errorf("checkpoint %s has no tokenizer.json", spec)
	}
	return m, tok, nil
}

// isDir reports whether path names an existing directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
