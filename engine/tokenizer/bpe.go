package tokenizer

import (
	"container/heap"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// The per-tokenizer word cache maps a pre-tokenized piece to its ids. It
// is bounded in bytes, not entries, so that a client sending unique long
// words cannot grow it: pieces longer than maxCachedPiece bytes are never
// cached (natural words are far shorter, and merging a long piece costs
// more than its lookup saves), and the cache is cleared when its entries'
// bytes (key, ids and map overhead) would pass cacheBudget.
const (
	maxCachedPiece = 64
	cacheBudget    = 8 << 20
	// cacheEntryOverhead approximates a map entry's own cost: the string
	// and slice headers, hash-table slot and allocator rounding.
	cacheEntryOverhead = 64
)

// BPE is a byte-level BPE tokenizer (GPT-2, Qwen2/Qwen3) read from an HF
// tokenizer.json. The pipeline is HF's: split out added tokens, NFC-normalise
// the rest (when the file says so), cut it with the pre-tokenizer regex, map
// each byte to its printable stand-in (GPT-2's bytes_to_unicode), then merge
// adjacent symbols by merge rank, lowest first and leftmost on ties.
type BPE struct {
	raw, rawConfig []byte // the files as loaded, written back by Save

	vocab   map[string]int32
	tokens  []string // by id, added tokens included; "" for unused ids
	merges  [][2]string
	ranks   map[[2]string]int
	added   []addedToken
	isAdded []bool // by id
	matcher *addedMatcher
	nfc     bool
	split   splitter
	pre     string // llama.cpp's name for the pre-tokenizer: "qwen2" or "gpt2"
	chat    string // tokenizer_config.json chat_template
	special Special

	mu         sync.RWMutex
	cache      map[string][]int32 // pre-tokenized piece → ids
	cacheBytes int                // bytes the cache's entries hold
}

var _ Tokenizer = (*BPE)(nil)

// byteToRune and runeToByte are GPT-2's reversible byte ↔ printable-rune map:
// printable Latin-1 bytes stand for themselves, the rest map to U+0100 onward.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff) {
			b2r[b] = rune(b)
		} else {
			b2r[b] = rune(256 + n)
			n++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}()

// ToByteLevel maps each byte of s to its GPT-2 byte-level stand-in
// ("\n" → "Ċ", " " → "Ġ"), the form byte-level vocabularies store.
func ToByteLevel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// bpeFromJSON builds a BPE tokenizer, refusing any option it would not reproduce exactly.
func bpeFromJSON(raw, rawConfig []byte, tj *tokenizerJSON, cfg *tokenizerConfig) (*BPE, error) {
	m := &tj.Model
	switch {
	case m.Type != "BPE":
		return nil, fmt.Errorf("%w: model type %q", ErrUnsupported, m.Type)
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, fmt.Errorf("%w: BPE dropout", ErrUnsupported)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "",
		m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, fmt.Errorf("%w: subword prefix/suffix", ErrUnsupported)
	case m.ByteFallback:
		return nil, fmt.Errorf("%w: byte_fallback", ErrUnsupported)
	}
	b := &BPE{raw: raw, rawConfig: rawConfig, vocab: m.Vocab, cache: map[string][]int32{}, chat: cfg.ChatTemplate}
	for _, n := range tj.Normalizer.flatten() {
		if n.Type != "NFC" {
			return nil, fmt.Errorf("%w: normalizer %q", ErrUnsupported, n.Type)
		}
		b.nfc = true
	}
	var err error
	if b.split, b.pre, err = pickSplitter(tj.PreTokenizer); err != nil {
		return nil, err
	}
	if d := tj.Decoder; d == nil || d.Type != "ByteLevel" {
		return nil, fmt.Errorf("%w: decoder must be ByteLevel", ErrUnsupported)
	}
	if b.merges, err = m.merges(); err != nil {
		return nil, err
	}
	b.ranks = make(map[[2]string]int, len(b.merges))
	for i, p := range b.merges {
		if _, dup := b.ranks[p]; !dup {
			b.ranks[p] = i
		}
	}
	size := 0
	for _, id := range m.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("tokenizer: negative id %d in model.vocab", id)
		}
		size = max(size, int(id)+1)
	}
	for _, a := range tj.AddedTokens {
		if a.LStrip || a.RStrip || a.SingleWord {
			return nil, fmt.Errorf("%w: added token %q uses lstrip/rstrip/single_word", ErrUnsupported, a.Content)
		}
		if a.ID < 0 {
			return nil, fmt.Errorf("tokenizer: negative id %d for added token %q", a.ID, a.Content)
		}
		size = max(size, int(a.ID)+1)
	}
	b.tokens = make([]string, size)
	b.isAdded = make([]bool, size)
	for t, id := range m.Vocab {
		b.tokens[id] = t
	}
	b.added = tj.AddedTokens
	for _, a := range b.added {
		b.tokens[a.ID] = a.Content
		b.isAdded[a.ID] = true
		if _, ok := b.vocab[a.Content]; !ok {
			b.vocab[a.Content] = a.ID
		}
	}
	b.matcher = newAddedMatcher(b.added)
	b.special = Special{
		EOS:        lookupSpecial(b, string(cfg.EOSToken)),
		BOS:        lookupSpecial(b, string(cfg.BOSToken)),
		PAD:        lookupSpecial(b, string(cfg.PADToken)),
		ThinkStart: lookupSpecial(b, ThinkStart),
		ThinkEnd:   lookupSpecial(b, ThinkEnd),
	}
	if b.special.EOS < 0 {
		b.special.EOS = lookupSpecial(b, EndOfText)
	}
	b.special.AddBOS = cfg.AddBOSToken && b.special.BOS >= 0
	return b, nil
}

// pickSplitter recognises the pre-tokenizers this package reproduces: Qwen's
// Split regex followed by a regex-free ByteLevel, or GPT-2's ByteLevel with
// its built-in regex.
func pickSplitter(pre *component) (splitter, string, error) {
	parts := pre.flatten()
	isByteLevel := func(c *component, wantRegex bool) bool {
		useRegex := c.UseRegex == nil || *c.UseRegex
		return c.Type == "ByteLevel" && !c.AddPrefixSpace && useRegex == wantRegex
	}
	switch {
	case len(parts) == 1 && isByteLevel(parts[0], true):
		return splitGPT2, "gpt2", nil
	case len(parts) == 2 && isByteLevel(parts[1], false) && parts[0].Type == "Split":
		s := parts[0]
		if s.Pattern == nil || s.Pattern.Regex == nil || s.Behavior != "Isolated" || s.Invert {
			return nil, "", fmt.Errorf("%w: Split pre-tokenizer must be an Isolated, non-inverted regex", ErrUnsupported)
		}
		switch *s.Pattern.Regex {
		case qwenPattern:
			return splitQwen, "qwen2", nil
		case gpt2Pattern:
			return splitGPT2, "gpt2", nil
		}
		return nil, "", fmt.Errorf("%w: Split regex %q", ErrUnsupported, *s.Pattern.Regex)
	}
	return nil, "", fmt.Errorf("%w: pre_tokenizer must be ByteLevel or Split+ByteLevel", ErrUnsupported)
}

// Encode returns the ids of text (no BOS/EOS added).
func (b *BPE) Encode(text string) []int32 {
	var ids []int32
	b.matcher.split(text, func(s string) {
		if b.nfc {
			s = norm.NFC.String(s)
		}
		for _, piece := range b.split(s) {
			ids = append(ids, b.encodePiece(piece)...)
		}
	}, func(t addedToken) { ids = append(ids, t.ID) })
	return ids
}

// encodePiece byte-maps one pre-tokenized piece and merges it.
func (b *BPE) encodePiece(piece string) []int32 {
	b.mu.RLock()
	ids, ok := b.cache[piece]
	b.mu.RUnlock()
	if ok {
		return ids
	}
	syms := b.merge(piece)
	ids = make([]int32, 0, len(syms))
	for _, s := range syms {
		if id, ok := b.vocab[s]; ok {
			ids = append(ids, id)
		}
	}
	if len(piece) > maxCachedPiece {
		return ids
	}
	// The key is cloned: piece may share the memory of a much longer text.
	cost := len(piece) + 4*cap(ids) + cacheEntryOverhead
	b.mu.Lock()
	if _, dup := b.cache[piece]; !dup {
		if b.cacheBytes+cost > cacheBudget {
			clear(b.cache)
			b.cacheBytes = 0
		}
		b.cache[strings.Clone(piece)] = ids
		b.cacheBytes += cost
	}
	b.mu.Unlock()
	return ids
}

// symbol is one node of the doubly linked list merge works on.
type symbol struct {
	s          string
	prev, next int // -1 at the ends
	dead       bool
}

// candidate is a mergeable adjacent pair, valid while both sides still
// hold the strings it was made from.
type candidate struct {
	rank, left, right int
	ls, rs            string
}

// candHeap orders candidates by rank, then by position (leftmost first).
type candHeap []candidate

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].left < h[j].left
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge byte-maps piece and applies the merges: always the lowest-ranked
// adjacent pair, leftmost on ties (HF's order), in O(n log n) with a heap.
func (b *BPE) merge(piece string) []string {
	if piece == "" {
		return nil
	}
	syms := make([]symbol, len(piece))
	for i := range syms {
		syms[i] = symbol{s: string(byteToRune[piece[i]]), prev: i - 1, next: i + 1}
	}
	syms[len(syms)-1].next = -1
	h := candHeap{}
	push := func(i int) {
		if i < 0 || syms[i].next < 0 {
			return
		}
		j := syms[i].next
		if r, ok := b.ranks[[2]string{syms[i].s, syms[j].s}]; ok {
			heap.Push(&h, candidate{rank: r, left: i, right: j, ls: syms[i].s, rs: syms[j].s})
		}
	}
	for i := range syms {
		push(i)
	}
	for h.Len() > 0 {
		c := heap.Pop(&h).(candidate)
		l, r := &syms[c.left], &syms[c.right]
		if l.dead || r.dead || l.next != c.right || l.s != c.ls || r.s != c.rs {
			continue // stale
		}
		l.s += r.s
		r.dead = true
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = c.left
		}
		push(l.prev)
		push(c.left)
	}
	out := make([]string, 0, len(syms))
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		out = append(out, syms[i].s)
	}
	return out
}

// Decode maps ids back to text: byte-level tokens to their bytes, added
// tokens to their content; invalid UTF-8 becomes U+FFFD.
func (b *BPE) Decode(ids []int32) string {
	var out strings.Builder
	var buf []byte
	flush := func() {
		out.WriteString(strings.ToValidUTF8(string(buf), "\uFFFD"))
		buf = buf[:0]
	}
	for _, id := range ids {
		if id < 0 || int(id) >= len(b.tokens) {
			continue
		}
		if b.isAdded[id] {
			flush()
			out.WriteString(b.tokens[id])
			continue
		}
		for _, r := range b.tokens[id] {
			if c, ok := runeToByte[r]; ok {
				buf = append(buf, c)
			}
		}
	}
	flush()
	return out.String()
}

// VocabSize returns one more than the largest id.
func (b *BPE) VocabSize() int { return len(b.tokens) }

// TokenID returns the id of a vocabulary string (byte-level form, e.g. "Ġthe").
func (b *BPE) TokenID(tok string) (int32, bool) {
	id, ok := b.vocab[tok]
	return id, ok
}

// Token returns the vocabulary string of id.
func (b *BPE) Token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(b.tokens) || b.tokens[id] == "" {
		return "", false
	}
	return b.tokens[id], true
}

// Special returns the special-token ids.
func (b *BPE) Special() Special { return b.special }

// IsAdded reports whether id is an added token (special or not), e.g. <think>.
func (b *BPE) IsAdded(id int32) bool { return id >= 0 && int(id) < len(b.isAdded) && b.isAdded[id] }

// IsSpecial reports whether id is an added token marked special (control token).
func (b *BPE) IsSpecial(id int32) bool {
	if !b.IsAdded(id) {
		return false
	}
	for _, a := range b.added {
		if a.ID == id {
			return a.Special
		}
	}
	return false
}

// Merges returns the merge list in rank order as "left right" strings (GGUF's form).
func (b *BPE) Merges() []string {
	out := make([]string, len(b.merges))
	for i, p := range b.merges {
		out[i] = p[0] + " " + p[1]
	}
	return out
}

// PreTokenizer names the pre-tokenizer as llama.cpp's tokenizer.ggml.pre
// does: "qwen2" for Qwen's regex, "gpt2" for GPT-2's.
func (b *BPE) PreTokenizer() string { return b.pre }

// ChatTemplate returns tokenizer_config.json's chat_template ("" if none).
func (b *BPE) ChatTemplate() string { return b.chat }

// Save writes the tokenizer.json and tokenizer_config.json it was loaded from.
func (b *BPE) Save(dir string) error {
	if err := writeFileAtomic(filepath.Join(dir, JSONFile), b.raw); err != nil {
		return err
	}
	if b.rawConfig == nil {
		return nil
	}
	return writeFileAtomic(filepath.Join(dir, ConfigFile), b.rawConfig)
}
