package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tokenizerJSON is the subset of HF tokenizer.json this package reads.
type tokenizerJSON struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    *component      `json:"normalizer"`
	PreTokenizer  *component      `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       *component      `json:"decoder"`
	Model         modelJSON       `json:"model"`
}

// addedToken is one entry of tokenizer.json "added_tokens".
type addedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// component is a normalizer, pre-tokenizer or decoder entry (possibly a Sequence).
type component struct {
	Type          string       `json:"type"`
	Normalizers   []*component `json:"normalizers"`
	PreTokenizers []*component `json:"pretokenizers"`
	Decoders      []*component `json:"decoders"`
	Pattern       *struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior       string `json:"behavior"`
	Invert         bool   `json:"invert"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
}

// children returns the members of a Sequence component (nil otherwise).
func (c *component) children() []*component {
	switch {
	case c == nil:
		return nil
	case c.Normalizers != nil:
		return c.Normalizers
	case c.PreTokenizers != nil:
		return c.PreTokenizers
	}
	return c.Decoders
}

// flatten lists c, or the members of c when it is a Sequence.
func (c *component) flatten() []*component {
	if c == nil {
		return nil
	}
	if c.Type == "Sequence" {
		return c.children()
	}
	return []*component{c}
}

// modelJSON is tokenizer.json "model".
type modelJSON struct {
	Type                    string           `json:"type"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	ByteFallback            bool             `json:"byte_fallback"`
	Dropout                 *float64         `json:"dropout"`
}

// merges decodes "merges" in either the old ["a b", …] or the new [["a","b"], …] form.
func (m *modelJSON) merges() ([][2]string, error) {
	if len(m.Merges) == 0 || string(m.Merges) == "null" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(m.Merges, &pairs); err == nil {
		return pairs, nil
	}
	var flat []string
	if err := json.Unmarshal(m.Merges, &flat); err != nil {
		return nil, fmt.Errorf("tokenizer: model.merges: %w", err)
	}
	pairs = make([][2]string, len(flat))
	for i, s := range flat {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return nil, fmt.Errorf("tokenizer: model.merges[%d] = %q: want two tokens separated by a space", i, s)
		}
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

// hasType reports whether c (or any member of a Sequence c) has type t.
func hasType(c *component, t string) bool {
	for _, x := range c.flatten() {
		if x != nil && x.Type == t {
			return true
		}
	}
	return false
}

// isCharLevel reports whether the file is the no-merges, no-byte-level BPE
// that CharLevel writes.
func (tj *tokenizerJSON) isCharLevel() bool {
	if tj.Model.Type != "BPE" || hasType(tj.PreTokenizer, "ByteLevel") || hasType(tj.Decoder, "ByteLevel") {
		return false
	}
	pairs, err := tj.Model.merges()
	return err == nil && len(pairs) == 0
}

// tokenizerConfig is the subset of tokenizer_config.json this package reads.
type tokenizerConfig struct {
	EOSToken     tokenString `json:"eos_token"`
	BOSToken     tokenString `json:"bos_token"`
	PADToken     tokenString `json:"pad_token"`
	UNKToken     tokenString `json:"unk_token"`
	ChatTemplate string      `json:"chat_template"`
	// AddBOSToken is add_bos_token: true makes HF tokenizers prepend BOS
	// when encoding with special tokens (DeepSeek-R1-Distill sets it).
	AddBOSToken bool `json:"add_bos_token"`
}

// tokenString is a special token in tokenizer_config.json: a string, null,
// or an AddedToken object {"content": …}.
type tokenString string

// UnmarshalJSON accepts a string, null or {"content": "..."}.
func (t *tokenString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = tokenString(s)
		return nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("special token must be a string or {\"content\": ...}: %w", err)
	}
	*t = tokenString(obj.Content)
	return nil
}
