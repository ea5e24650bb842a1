package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// DefaultCharChatTemplate concatenates message contents; the lab's prompts
// carry their own formatting. HF transformers renders it with Jinja.
const DefaultCharChatTemplate = "{% for message in messages %}{{ message['content'] }}{% endfor %}"

// charSplitRegex splits text into single characters (Oniguruma, Rust regex
// and JavaScript all read it the same way, newlines included).
const charSplitRegex = `[\s\S]`

// CharConfig describes a character-level vocabulary: ids 0..len(Specials)-1
// are the special tokens in order, then one id per rune of Alphabet.
type CharConfig struct {
	Specials     []string // multi-character tokens matched first, e.g. "<|endoftext|>", "<think>"
	Alphabet     string   // every other character the tokenizer knows, each once
	EOS          string   // end-of-sequence token; must be one of Specials
	PAD          string   // padding token; empty means EOS
	Unk          string   // optional: token for unknown characters (one of Specials); empty drops them
	ChatTemplate string   // Jinja chat template for tokenizer_config.json; empty means DefaultCharChatTemplate
}

// CharLevel is a tokenizer with one token per character plus multi-character
// special tokens. It is saved as an HF BPE model with no merges, a Split
// pre-tokenizer that isolates every character and a Fuse decoder, so HF
// tokenizers and transformers load it unchanged.
type CharLevel struct {
	cfg       CharConfig
	tokens    []string // by id
	isSpecial []bool   // by id
	ids       map[string]int32
	added     []addedToken
	matcher   *addedMatcher
	unk       int32
	special   Special
}

var _ Tokenizer = (*CharLevel)(nil)

// NewCharLevel builds a character-level tokenizer from cfg.
func NewCharLevel(cfg CharConfig) (*CharLevel, error) {
	var tokens []string
	for _, s := range cfg.Specials {
		if s == "" {
			return nil, fmt.Errorf("tokenizer: empty special token")
		}
		tokens = append(tokens, s)
	}
	for _, r := range cfg.Alphabet {
		if r == utf8.RuneError {
			return nil, fmt.Errorf("tokenizer: alphabet is not valid UTF-8")
		}
		tokens = append(tokens, string(r))
	}
	isSpecial := make([]bool, len(tokens))
	for i := range cfg.Specials {
		isSpecial[i] = true
	}
	return newCharLevel(cfg, tokens, isSpecial)
}

func newCharLevel(cfg CharConfig, tokens []string, isSpecial []bool) (*CharLevel, error) {
	c := &CharLevel{cfg: cfg, tokens: tokens, isSpecial: isSpecial, ids: make(map[string]int32, len(tokens)), unk: -1}
	for i, t := range tokens {
		if _, dup := c.ids[t]; dup {
			return nil, fmt.Errorf("tokenizer: token %q appears twice", t)
		}
		c.ids[t] = int32(i)
		if isSpecial[i] {
			c.added = append(c.added, addedToken{ID: int32(i), Content: t, Special: true})
		} else if utf8.RuneCountInString(t) != 1 {
			return nil, fmt.Errorf("tokenizer: non-special token %q is not a single character", t)
		}
	}
	c.matcher = newAddedMatcher(c.added)
	if cfg.EOS == "" {
		return nil, fmt.Errorf("tokenizer: CharConfig.EOS is empty")
	}
	if c.cfg.PAD == "" {
		c.cfg.PAD = cfg.EOS
	}
	if c.cfg.ChatTemplate == "" {
		c.cfg.ChatTemplate = DefaultCharChatTemplate
	}
	for _, s := range []string{c.cfg.EOS, c.cfg.PAD, c.cfg.Unk} {
		if s == "" {
			continue
		}
		if id, ok := c.ids[s]; !ok || !isSpecial[id] {
			return nil, fmt.Errorf("tokenizer: %q must be one of the special tokens", s)
		}
	}
	if cfg.Unk != "" {
		c.unk = c.ids[cfg.Unk]
	}
	c.special = Special{
		EOS:        lookupSpecial(c, c.cfg.EOS),
		BOS:        -1,
		PAD:        lookupSpecial(c, c.cfg.PAD),
		ThinkStart: lookupSpecial(c, ThinkStart),
		ThinkEnd:   lookupSpecial(c, ThinkEnd),
	}
	return c, nil
}

// Encode returns one id per character, special tokens matched first.
// Characters outside the alphabet become Unk, or are dropped without one
// (HF's BPE model does the same when unk_token is null).
func (c *CharLevel) Encode(text string) []int32 {
	ids := make([]int32, 0, len(text))
	c.matcher.split(text, func(s string) {
		for _, r := range s {
			if id, ok := c.ids[string(r)]; ok && !c.isSpecial[id] {
				ids = append(ids, id)
			} else if c.unk >= 0 {
				ids = append(ids, c.unk)
			}
		}
	}, func(t addedToken) { ids = append(ids, t.ID) })
	return ids
}

// Decode concatenates the tokens of ids.
func (c *CharLevel) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && int(id) < len(c.tokens) {
			b.WriteString(c.tokens[id])
		}
	}
	return b.String()
}

// VocabSize returns the number of tokens.
func (c *CharLevel) VocabSize() int { return len(c.tokens) }

// TokenID returns the id of tok.
func (c *CharLevel) TokenID(tok string) (int32, bool) {
	id, ok := c.ids[tok]
	return id, ok
}

// Token returns the string of id.
func (c *CharLevel) Token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(c.tokens) {
		return "", false
	}
	return c.tokens[id], true
}

// Special returns the special-token ids.
func (c *CharLevel) Special() Special { return c.special }

// IsSpecial reports whether id is one of the special tokens.
func (c *CharLevel) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(c.isSpecial) && c.isSpecial[id]
}

// ChatTemplate returns the Jinja chat template written to tokenizer_config.json.
func (c *CharLevel) ChatTemplate() string { return c.cfg.ChatTemplate }

// Config returns the configuration the tokenizer was built from.
func (c *CharLevel) Config() CharConfig { return c.cfg }

// MarshalTokenizerJSON returns the HF tokenizer.json of c.
func (c *CharLevel) MarshalTokenizerJSON() ([]byte, error) {
	var vocab bytes.Buffer // written by hand to keep id order
	vocab.WriteByte('{')
	for i, t := range c.tokens {
		if i > 0 {
			vocab.WriteByte(',')
		}
		k, _ := json.Marshal(t)
		fmt.Fprintf(&vocab, "%s:%d", k, i)
	}
	vocab.WriteByte('}')
	var unk any
	if c.cfg.Unk != "" {
		unk = c.cfg.Unk
	}
	doc := map[string]any{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": c.addedJSON(),
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{
			"type":     "Split",
			"pattern":  map[string]string{"Regex": charSplitRegex},
			"behavior": "Isolated",
			"invert":   false,
		},
		"post_processor": nil,
		"decoder":        map[string]any{"type": "Fuse"},
		"model": map[string]any{
			"type":                      "BPE",
			"dropout":                   nil,
			"unk_token":                 unk,
			"continuing_subword_prefix": nil,
			"end_of_word_suffix":        nil,
			"fuse_unk":                  false,
			"byte_fallback":             false,
			"ignore_merges":             false,
			"vocab":                     json.RawMessage(vocab.Bytes()),
			"merges":                    []string{},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func (c *CharLevel) addedJSON() []addedToken {
	out := make([]addedToken, len(c.added))
	copy(out, c.added)
	return out
}

// MarshalConfigJSON returns the HF tokenizer_config.json of c.
func (c *CharLevel) MarshalConfigJSON() ([]byte, error) {
	decoder := map[string]any{}
	for _, a := range c.added {
		decoder[fmt.Sprint(a.ID)] = map[string]any{
			"content": a.Content, "lstrip": false, "normalized": false,
			"rstrip": false, "single_word": false, "special": true,
		}
	}
	var unk any
	if c.cfg.Unk != "" {
		unk = c.cfg.Unk
	}
	doc := map[string]any{
		"tokenizer_class":              "PreTrainedTokenizerFast",
		"added_tokens_decoder":         decoder,
		"bos_token":                    nil,
		"eos_token":                    c.cfg.EOS,
		"pad_token":                    c.cfg.PAD,
		"unk_token":                    unk,
		"chat_template":                c.cfg.ChatTemplate,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             1 << 20,
	}
	return json.MarshalIndent(doc, "", "  ")
}

// Save writes tokenizer.json and tokenizer_config.json into dir.
func (c *CharLevel) Save(dir string) error {
	tj, err := c.MarshalTokenizerJSON()
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	cj, err := c.MarshalConfigJSON()
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, JSONFile), tj); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, ConfigFile), cj)
}

// charLevelFromJSON rebuilds a CharLevel from a tokenizer.json that
// isCharLevel accepted.
func charLevelFromJSON(tj *tokenizerJSON, cfg *tokenizerConfig) (*CharLevel, error) {
	pre := tj.PreTokenizer
	if pre != nil && !(pre.Type == "Split" && pre.Pattern != nil && pre.Pattern.Regex != nil && *pre.Pattern.Regex == charSplitRegex && !pre.Invert) {
		return nil, fmt.Errorf("%w: merge-free BPE with pre_tokenizer %q", ErrUnsupported, pre.Type)
	}
	if tj.Normalizer != nil {
		return nil, fmt.Errorf("%w: character-level tokenizer with normalizer %q", ErrUnsupported, tj.Normalizer.Type)
	}
	n := len(tj.Model.Vocab)
	tokens := make([]string, n)
	isSpecial := make([]bool, n)
	for t, id := range tj.Model.Vocab {
		if id < 0 || int(id) >= n || tokens[id] != "" {
			return nil, fmt.Errorf("tokenizer: model.vocab ids must be 0..%d without repeats (token %q has %d)", n-1, t, id)
		}
		tokens[id] = t
	}
	for _, a := range tj.AddedTokens {
		if a.ID < 0 || int(a.ID) >= n || tokens[a.ID] != a.Content {
			return nil, fmt.Errorf("tokenizer: added token %q (id %d) does not match model.vocab", a.Content, a.ID)
		}
		isSpecial[a.ID] = true
	}
	cc := CharConfig{EOS: string(cfg.EOSToken), PAD: string(cfg.PADToken), ChatTemplate: cfg.ChatTemplate}
	if tj.Model.UnkToken != nil {
		cc.Unk = *tj.Model.UnkToken
	}
	var alphabet strings.Builder
	for i, t := range tokens {
		if isSpecial[i] {
			cc.Specials = append(cc.Specials, t)
		} else {
			alphabet.WriteString(t)
		}
	}
	cc.Alphabet = alphabet.String()
	if cc.EOS == "" {
		return nil, fmt.Errorf("tokenizer: %s has no eos_token", ConfigFile)
	}
	return newCharLevel(cc, tokens, isSpecial)
}
