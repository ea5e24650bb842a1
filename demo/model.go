package demo

import (
	"fmt"
	"slices"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/lab"
)

// LabBase names the shipped lab base model (lab.BaseModel).
const LabBase = lab.BaseModel

// LoadModel loads the base model: a model built into the binary by name
// (LabBase, see lab.ModelNames), or a checkpoint directory (engine/checkpoint
// layout, with its tokenizer).
func LoadModel(spec string) (*model.Model, tokenizer.Tokenizer, error) {
	if slices.Contains(lab.ModelNames(), spec) {
		m, tok, err := lab.LoadModel(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("demo: %w", err)
		}
		return m, tok, nil
	}
	return loadCheckpoint(spec)
}

// loadCheckpoint loads a checkpoint directory that must hold a tokenizer.
func loadCheckpoint(dir string) (*model.Model, tokenizer.Tokenizer, error) {
	m, tok, err := checkpoint.Load(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: model %s: %w", dir, err)
	}
	if tok == nil {
		return nil, nil, fmt.Errorf("demo: model %s: the checkpoint has no tokenizer", dir)
	}
	return m, tok, nil
}
