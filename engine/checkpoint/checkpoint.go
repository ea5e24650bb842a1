package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/safetensors"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/internal/atomicfile"
)

// File names in a checkpoint directory.
const (
	ConfigFile           = "config.json"
	GenerationConfigFile = "generation_config.json"
)

// ErrMismatch reports weights that do not fit the configuration.
var ErrMismatch = errors.New("checkpoint: weights do not match config")

// GenerationConfig is generation_config.json: the default decoding settings
// HF transformers reads.
type GenerationConfig struct {
	BOSTokenID  *int           `json:"bos_token_id,omitempty"`
	EOSTokenID  model.TokenIDs `json:"eos_token_id,omitempty"`
	PadTokenID  *int           `json:"pad_token_id,omitempty"`
	DoSample    bool           `json:"do_sample"`
	Temperature float64        `json:"temperature,omitempty"`
	TopP        float64        `json:"top_p,omitempty"`
	TopK        int            `json:"top_k,omitempty"`
}

// Save writes m (float32 weights) and tok into dir in the HF layout, creating
// dir if needed. Every file is written atomically and durably (temporary
// file, fsync, rename, fsync of the directory: internal/atomicfile), and a
// directory it creates is fsynced into its parent. tok may be nil, in which
// case no tokenizer files are written.
func Save(dir string, m *model.Model, tok tokenizer.Tokenizer) error {
	if err := atomicfile.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	cfg := m.Config
	cfg.Architectures = []string{cfg.Architecture()}
	cfg.TorchDtype, cfg.Dtype = "float32", "" // the weights are written as F32
	if tok != nil {
		if tok.VocabSize() > cfg.VocabSize {
			return fmt.Errorf("checkpoint: tokenizer has %d tokens, model vocab_size is %d", tok.VocabSize(), cfg.VocabSize)
		}
	}
	if err := writeJSON(filepath.Join(dir, ConfigFile), cfg); err != nil {
		return err
	}
	gen := GenerationConfig{EOSTokenID: cfg.EOSTokenID, DoSample: true, Temperature: 1, TopP: 1}
	if cfg.BOSTokenID >= 0 {
		bos := cfg.BOSTokenID
		gen.BOSTokenID = &bos
	}
	if tok != nil && tok.Special().PAD >= 0 {
		pad := int(tok.Special().PAD)
		gen.PadTokenID = &pad
	}
	if err := writeJSON(filepath.Join(dir, GenerationConfigFile), gen); err != nil {
		return err
	}
	var tensors []safetensors.Tensor
	for _, t := range m.Tensors() {
		tensors = append(tensors, safetensors.Tensor{Name: t.Name, Shape: t.Shape, DType: safetensors.F32, Data: t.Data})
	}
	if err := safetensors.WriteFile(filepath.Join(dir, safetensors.SingleFile), tensors, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// A stale index from an earlier sharded checkpoint would shadow the new file.
	if err := os.Remove(filepath.Join(dir, safetensors.IndexFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if tok != nil {
		if err := tok.Save(dir); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

// Load reads a checkpoint directory written by Save or by HF transformers
// (real Qwen3 and Qwen2 checkpoints such as DeepSeek-R1-Distill-Qwen:
// bf16/f16/f32 weights, single-file or sharded; config.json of
// transformers v4 or v5).
// Every model tensor must be present with the configured shape; a stored
// lm_head.weight is ignored when embeddings are tied. The tokenizer is nil
// when dir has no tokenizer.json.
func Load(dir string) (*model.Model, tokenizer.Tokenizer, error) {
	cfg, err := model.LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, err := model.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	st, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer st.Close()
	want := map[string]bool{}
	for _, t := range m.Tensors() {
		want[t.Name] = true
		info, ok := st.Info(t.Name)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %s: tensor %q is missing", ErrMismatch, dir, t.Name)
		}
		if !slices.Equal(info.Shape, t.Shape) {
			return nil, nil, fmt.Errorf("%w: %s: tensor %q has shape %v, config needs %v", ErrMismatch, dir, t.Name, info.Shape, t.Shape)
		}
		data, _, err := st.Float32(t.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint: %w", err)
		}
		copy(t.Data, data)
	}
	for _, name := range st.Names() {
		if want[name] || (name == "lm_head.weight" && cfg.TieWordEmbeddings) || strings.HasSuffix(name, "rotary_emb.inv_freq") {
			continue
		}
		return nil, nil, fmt.Errorf("%w: %s: unexpected tensor %q", ErrMismatch, dir, name)
	}
	var tok tokenizer.Tokenizer
	if _, err := os.Stat(filepath.Join(dir, tokenizer.JSONFile)); err == nil {
		if tok, err = tokenizer.Load(dir); err != nil {
			return nil, nil, fmt.Errorf("checkpoint: %w", err)
		}
		if tok.VocabSize() > cfg.VocabSize {
			return nil, nil, fmt.Errorf("%w: %s: tokenizer has %d tokens, vocab_size is %d", ErrMismatch, dir, tok.VocabSize(), cfg.VocabSize)
		}
	}
	return m, tok, nil
}

// writeJSON writes v as indented JSON atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: encoding %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	return safetensors.AtomicWrite(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
