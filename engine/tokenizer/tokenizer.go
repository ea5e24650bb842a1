package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/terse-dev/terse/internal/atomicfile"
)

// File names inside a model directory.
const (
	JSONFile   = "tokenizer.json"
	ConfigFile = "tokenizer_config.json"
)

// Well-known special tokens.
const (
	EndOfText  = "<|endoftext|>"
	ThinkStart = "<think>"
	ThinkEnd   = "</think>"
)

var (
	// ErrUnsupported reports a tokenizer.json this package cannot reproduce exactly.
	ErrUnsupported = errors.New("tokenizer: unsupported tokenizer.json")
)

// Tokenizer maps text to token ids and back. Implementations are safe for
// concurrent use.
type Tokenizer interface {
	// Encode returns the ids of text. Special tokens written literally in
	// text (e.g. "<think>") become their single ids, as HF tokenizers do.
	// No BOS/EOS is added.
	Encode(text string) []int32
	// Decode returns the text of ids, special tokens included. Ids out of
	// range are skipped.
	Decode(ids []int32) string
	// VocabSize is one more than the largest id (added tokens included).
	VocabSize() int
	// TokenID returns the id of a token string as stored in the vocabulary.
	TokenID(tok string) (int32, bool)
	// Token returns the vocabulary string of id (byte-level form for BPE).
	Token(id int32) (string, bool)
	// Special returns the special-token ids (-1 where absent).
	Special() Special
	// Save writes tokenizer.json and tokenizer_config.json into dir atomically.
	Save(dir string) error
}

// Special holds the ids of the special tokens the engine and lab rely on.
// An id of -1 means the tokenizer has no such token.
type Special struct {
	EOS        int32 // ends generation (tokenizer_config eos_token)
	BOS        int32 // prepended by some models; -1 for Qwen3
	PAD        int32 // padding (tokenizer_config pad_token)
	ThinkStart int32 // <think>
	ThinkEnd   int32 // </think>
	// AddBOS is tokenizer_config.json's add_bos_token (with a BOS token):
	// a prompt encoded with special tokens starts with BOS, as HF
	// tokenizers and vLLM's /v1/completions (add_special_tokens, default
	// true) do it. Encode never adds it; callers that mimic
	// add_special_tokens prepend it (see WithBOS).
	AddBOS bool
}

// WithBOS returns ids with sp.BOS prepended when sp.AddBOS is set, as an
// HF tokenizer encodes with add_special_tokens=True; ids otherwise.
func (sp Special) WithBOS(ids []int32) []int32 {
	if !sp.AddBOS || sp.BOS < 0 {
		return ids
	}
	return append([]int32{sp.BOS}, ids...)
}

// Load reads a tokenizer from path, either a tokenizer.json file or a
// directory holding one; tokenizer_config.json is read from the same
// directory when present. It detects the model type: a BPE model with no
// merges and no byte-level stage is a CharLevel tokenizer, a byte-level BPE
// model is a BPE tokenizer. Anything else is ErrUnsupported.
func Load(path string) (Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		path = filepath.Join(path, JSONFile)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var cfgRaw []byte
	cfgPath := filepath.Join(filepath.Dir(path), ConfigFile)
	if b, err := os.ReadFile(cfgPath); err == nil {
		cfgRaw = b
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(raw, &tj); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	var cfg tokenizerConfig
	if cfgRaw != nil {
		if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
		}
	}
	var tok Tokenizer
	if tj.isCharLevel() {
		tok, err = charLevelFromJSON(&tj, &cfg)
	} else {
		tok, err = bpeFromJSON(raw, cfgRaw, &tj, &cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tok, nil
}

// lookupSpecial resolves a token string to a Special id (-1 when empty or absent).
func lookupSpecial(t Tokenizer, tok string) int32 {
	if tok == "" {
		return -1
	}
	if id, ok := t.TokenID(tok); ok {
		return id
	}
	return -1
}

// writeFileAtomic writes data to path atomically and durably.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	return nil
}
