package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/safetensors"
)

// RecipeFile is the file beside a lab checkpoint that records how it was
// trained: the options, the command line and the loss curve's end.
const RecipeFile = "recipe.json"

// Recipe is the content of RecipeFile.
type Recipe struct {
	// Command is the command line that reproduces the checkpoint.
	Command string `json:"command"`
	// Options are the training options (Progress omitted).
	Options TrainOptions `json:"options"`
	// StepsDone is the number of optimizer steps taken (fewer than
	// Options.Steps when MaxDuration stopped training).
	StepsDone int `json:"steps_done"`
	// Tokens is the number of completion tokens trained on.
	Tokens int64 `json:"tokens"`
	// FinalLoss is the mean loss over the last 20 steps.
	FinalLoss float64 `json:"final_loss"`
	// Elapsed is the training wall time in seconds.
	Elapsed float64 `json:"elapsed_s"`
	// Params is the number of model parameters.
	Params int `json:"params"`
}

// NewRecipe summarises a training result for RecipeFile.
func NewRecipe(r *TrainResult, command string) Recipe {
	rec := Recipe{Command: command, Options: r.Options, StepsDone: len(r.Steps), Params: r.Model.Config.NumParams()}
	var tail float64
	for i, s := range r.Steps {
		rec.Tokens += int64(s.Tokens)
		if i >= len(r.Steps)-20 {
			tail += s.Loss
		}
	}
	if n := min(20, len(r.Steps)); n > 0 {
		rec.FinalLoss = tail / float64(n)
		rec.Elapsed = r.Steps[len(r.Steps)-1].Elapsed.Round(time.Millisecond).Seconds()
	}
	return rec
}

// SaveBase writes a trained base reasoner into dir in the Hugging Face layout
// (config.json, model.safetensors, tokenizer files; see engine/checkpoint)
// plus RecipeFile.
func SaveBase(dir string, r *TrainResult, command string) error {
	if err := checkpoint.Save(dir, r.Model, r.Tokenizer); err != nil {
		return fmt.Errorf("lab: save base: %w", err)
	}
	js, err := json.MarshalIndent(NewRecipe(r, command), "", "  ")
	if err != nil {
		return fmt.Errorf("lab: save base: %w", err)
	}
	path := filepath.Join(dir, RecipeFile)
	if err := safetensors.AtomicWrite(path, func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }); err != nil {
		return fmt.Errorf("lab: save base: %s: %w", path, err)
	}
	return nil
}
