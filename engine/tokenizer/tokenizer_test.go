package tokenizer

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// qwen3Path finds Qwen3's tokenizer.json: $TERSE_QWEN3_TOKENIZER (file or
// directory), else .cache/qwen3-tokenizer at the repository root, which
// scripts/fetch-qwen3-tokenizer.sh fills. Missing files fail the test under
// CI=true and skip it otherwise.
func qwen3Path(t testing.TB) string {
	t.Helper()
	p := os.Getenv("TERSE_QWEN3_TOKENIZER")
	if p == "" {
		p = filepath.Join("..", "..", ".cache", "qwen3-tokenizer")
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		p = filepath.Join(p, JSONFile)
	}
	if _, err := os.Stat(p); err != nil {
		msg := "Qwen3 tokenizer.json not found at " + p + ": run scripts/fetch-qwen3-tokenizer.sh (or set TERSE_QWEN3_TOKENIZER)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

var update = flag.Bool("update", false, "rewrite testdata/qwen3_golden.json with the JavaScript reference (needs node and scripts/fetch-qwen3-tokenizer.sh)")

// updateGolden regenerates the golden ids with testdata/qwen3_golden.js.
func updateGolden(t *testing.T) {
	t.Helper()
	modules, _ := filepath.Abs(filepath.Join("..", "..", ".cache", "npm-qwen3", "node_modules"))
	cmd := exec.Command("node", filepath.Join("testdata", "qwen3_golden.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node testdata/qwen3_golden.js: %v\n%s", err, out)
	}
}

type goldenCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

// TestQwen3Golden compares Encode with reference ids that the JavaScript HF
// tokenizer port produced from the same tokenizer.json (testdata/qwen3_golden.js).
func TestQwen3Golden(t *testing.T) {
	tok, err := Load(qwen3Path(t))
	if err != nil {
		t.Fatal(err)
	}
	b, ok := tok.(*BPE)
	if !ok {
		t.Fatalf("Load returned %T, want *BPE", tok)
	}
	if got := tok.VocabSize(); got != 151669 {
		t.Errorf("VocabSize = %d, want 151669 (151643 + 26 added)", got)
	}
	sp := tok.Special()
	if sp.EOS != 151645 || sp.PAD != 151643 || sp.BOS != -1 || sp.ThinkStart != 151667 || sp.ThinkEnd != 151668 {
		t.Errorf("Special = %+v", sp)
	}
	if !b.IsSpecial(151643) || b.IsSpecial(151667) || !b.IsAdded(151667) {
		t.Errorf("special/added flags wrong")
	}
	if *update {
		updateGolden(t)
	}
	js, err := os.ReadFile(filepath.Join("testdata", "qwen3_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(js, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Text, func(t *testing.T) {
			got := tok.Encode(c.Text)
			if !slices.Equal(got, c.IDs) {
				t.Errorf("Encode(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
			}
			// Decoding gives back the NFC-normalised text.
			if dec := tok.Decode(got); dec != norm.NFC.String(c.Text) {
				t.Errorf("Decode(Encode(%q)) = %q", c.Text, dec)
			}
		})
	}
}

func TestQwen3SaveLoad(t *testing.T) {
	tok, err := Load(qwen3Path(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tok.Save(dir); err != nil {
		t.Fatal(err)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := "<think>ok</think> 12 apples"
	if !slices.Equal(tok.Encode(text), again.Encode(text)) {
		t.Error("reloaded tokenizer encodes differently")
	}
}

func TestSplitQwen(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"   leading", []string{"  ", " leading"}},
		{"a  \n\n  b", []string{"a", "  \n\n", " ", " b"}},
		{"x   ", []string{"x", "   "}},
		{"12ab", []string{"1", "2", "ab"}},
		{"I'm it's 'SA", []string{"I", "'m", " it", "'s", " '", "SA"}},
		{" $\\boxed{4}$.", []string{" $\\", "boxed", "{", "4", "}$."}},
		{"(x)\n\ny", []string{"(x", ")\n\n", "y"}},
		{"\tif", []string{"\tif"}},
	}
	for _, c := range cases {
		if got := splitQwen(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitQwen(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSplitGPT2(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"   leading", []string{"  ", " leading"}},
		{"I'm 123 !!", []string{"I", "'m", " 123", " !!"}},
		{"a  \n b", []string{"a", "  \n", " b"}},
	}
	for _, c := range cases {
		if got := splitGPT2(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitGPT2(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func labChars(t testing.TB) *CharLevel {
	t.Helper()
	c, err := NewCharLevel(CharConfig{
		Specials: []string{EndOfText, ThinkStart, ThinkEnd},
		Alphabet: "0123456789+-*=() \nabcdefghijklmnopqrstuvwxyz",
		EOS:      EndOfText,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCharLevel(t *testing.T) {
	c := labChars(t)
	if c.VocabSize() != 3+44 {
		t.Errorf("VocabSize = %d", c.VocabSize())
	}
	sp := c.Special()
	if sp.EOS != 0 || sp.PAD != 0 || sp.ThinkStart != 1 || sp.ThinkEnd != 2 || sp.BOS != -1 {
		t.Errorf("Special = %+v", sp)
	}
	got := c.Encode("<think>1+2</think>3<|endoftext|>")
	want := []int32{1, 4, 13, 5, 2, 6, 0}
	if !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if dec := c.Decode(got); dec != "<think>1+2</think>3<|endoftext|>" {
		t.Errorf("Decode = %q", dec)
	}
	// Unknown characters are dropped without an Unk token, and a partial
	// special token is just characters.
	if got := c.Encode("a€b"); !slices.Equal(got, []int32{c.ids["a"], c.ids["b"]}) {
		t.Errorf("Encode(a€b) = %v", got)
	}
	if got := c.Encode("<thin"); !slices.Equal(got, c.Encode("thin")) { // '<' is not in the alphabet
		t.Errorf("Encode(<thin) = %v, want the ids of \"thin\"", got)
	}
}

func TestCharLevelUnk(t *testing.T) {
	c, err := NewCharLevel(CharConfig{Specials: []string{EndOfText, "<unk>"}, Alphabet: "ab", EOS: EndOfText, Unk: "<unk>"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Encode("a?b"); !slices.Equal(got, []int32{2, 1, 3}) {
		t.Errorf("Encode(a?b) = %v", got)
	}
}

func TestCharLevelErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  CharConfig
		want string
	}{
		{"dup", CharConfig{Specials: []string{"<e>"}, Alphabet: "aa", EOS: "<e>"}, "twice"},
		{"no_eos", CharConfig{Specials: []string{"<e>"}, Alphabet: "a"}, "EOS is empty"},
		{"eos_not_special", CharConfig{Specials: []string{"<e>"}, Alphabet: "a", EOS: "a"}, "special"},
		{"empty_special", CharConfig{Specials: []string{""}, Alphabet: "a", EOS: "a"}, "empty special"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewCharLevel(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestCharLevelSaveLoad(t *testing.T) {
	c := labChars(t)
	dir := t.TempDir()
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c2, ok := tok.(*CharLevel)
	if !ok {
		t.Fatalf("Load returned %T, want *CharLevel", tok)
	}
	if !slices.Equal(c2.tokens, c.tokens) || c2.Special() != c.Special() {
		t.Errorf("reloaded vocab/specials differ: %q %+v", c2.tokens, c2.Special())
	}
	text := "<think>(12*3)=36\nabc</think>36<|endoftext|>"
	if !slices.Equal(c2.Encode(text), c.Encode(text)) {
		t.Error("reloaded tokenizer encodes differently")
	}
	// The files are what HF expects: a BPE model with no merges, the
	// specials as added tokens, and a config naming the eos token.
	var tj map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	if err := json.Unmarshal(raw, &tj); err != nil {
		t.Fatal(err)
	}
	model := tj["model"].(map[string]any)
	if model["type"] != "BPE" || len(model["merges"].([]any)) != 0 || len(tj["added_tokens"].([]any)) != 3 {
		t.Errorf("tokenizer.json model = %v", model["type"])
	}
	var cfg map[string]any
	raw, _ = os.ReadFile(filepath.Join(dir, ConfigFile))
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["eos_token"] != EndOfText || cfg["chat_template"] == "" {
		t.Errorf("tokenizer_config.json = %v", cfg)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	cases := []struct {
		name, json, want string
		unsupported      bool
	}{
		{"bad_json", `{`, "unexpected end", false},
		{"wordpiece", `{"model":{"type":"WordPiece","vocab":{}}}`, "WordPiece", true},
		{"unigram_like", `{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","a"]]},"pre_tokenizer":{"type":"Whitespace"},"decoder":{"type":"ByteLevel"}}`, "pre_tokenizer", true},
		{"odd_regex", `{"model":{"type":"BPE","vocab":{"a":0},"merges":["a a"]},"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"x"},"behavior":"Isolated"},{"type":"ByteLevel","use_regex":false}]},"decoder":{"type":"ByteLevel"}}`, "Split regex", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(c.name+".json", c.json)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want %q naming %s", err, c.want, p)
			}
			if errors.Is(err, ErrUnsupported) != c.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v", !c.unsupported)
			}
		})
	}
}

func FuzzCharLevelRoundTrip(f *testing.F) {
	c := labChars(f)
	f.Add("<think>1+2=3</think>3")
	f.Add("abc\n(1)")
	f.Fuzz(func(t *testing.T, s string) {
		ids := c.Encode(s)
		if again := c.Encode(c.Decode(ids)); !slices.Equal(again, ids) {
			t.Fatalf("Encode(Decode(Encode(%q))) changed: %v → %v", s, ids, again)
		}
	})
}

func FuzzSplitQwen(f *testing.F) {
	f.Add("Hello, world!  \n\n x's 12")
	f.Fuzz(func(t *testing.T, s string) {
		pieces := splitQwen(s)
		if strings.Join(pieces, "") != strings.ToValidUTF8(s, "\uFFFD") && strings.Join(pieces, "") != string([]rune(s)) {
			t.Fatalf("pieces %q do not tile %q", pieces, s)
		}
		for _, p := range pieces {
			if p == "" {
				t.Fatalf("empty piece in %q", pieces)
			}
		}
	})
}

func BenchmarkQwen3Encode(b *testing.B) {
	tok, err := Load(qwen3Path(b))
	if err != nil {
		b.Fatal(err)
	}
	bpe := tok.(*BPE)
	js, err := os.ReadFile(filepath.Join("testdata", "qwen3_golden.json"))
	if err != nil {
		b.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(js, &cases); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for _, c := range cases {
		sb.WriteString(c.Text)
	}
	text := sb.String()
	n := len(tok.Encode(text))
	for _, mode := range []string{"cached", "cold"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if mode == "cold" {
					bpe.mu.Lock()
					clear(bpe.cache)
					bpe.mu.Unlock()
				}
				tok.Encode(text)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
