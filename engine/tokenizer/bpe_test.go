package tokenizer

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// toyBPE is a byte-level BPE over a, b, c with overlapping merges, written
// as a GPT-2-style tokenizer.json.
func toyBPE(t testing.TB) *BPE {
	t.Helper()
	js := `{"added_tokens":[{"id":9,"content":"<|endoftext|>","special":true}],
	"normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
	"decoder":{"type":"ByteLevel"},
	"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4,"abc":5,"aa":6,"aaa":7,"ca":8,"Ġ":10,"Ġa":11},
	"merges":["a b","b c","a a","ab c","c a","aa a","Ġ a"]}}`
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, JSONFile), []byte(js), 0o644)
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"eos_token":"<|endoftext|>"}`), 0o644)
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok.(*BPE)
}

// naiveMerge is the textbook loop: merge the lowest-ranked pair, leftmost
// first, one at a time.
func naiveMerge(b *BPE, piece string) []string {
	var syms []string
	for i := 0; i < len(piece); i++ {
		syms = append(syms, string(byteToRune[piece[i]]))
	}
	for len(syms) > 1 {
		best, bestRank := -1, len(b.merges)
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := b.ranks[[2]string{syms[i], syms[i+1]}]; ok && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		syms[best] += syms[best+1]
		syms = slices.Delete(syms, best+1, best+2)
	}
	return syms
}

func TestMergeMatchesNaive(t *testing.T) {
	b := toyBPE(t)
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		var sb strings.Builder
		for range 1 + r.IntN(12) {
			sb.WriteByte("abc"[r.IntN(3)])
		}
		s := sb.String()
		if got, want := b.merge(s), naiveMerge(b, s); !slices.Equal(got, want) {
			t.Fatalf("merge(%q) = %q, naive %q", s, got, want)
		}
	}
	if got := b.Encode("aaab c<|endoftext|>"); !slices.Equal(got, []int32{6, 3, 10, 2, 9}) {
		t.Errorf("Encode = %v", got)
	}
	if got := b.Encode(" a"); !slices.Equal(got, []int32{11}) {
		t.Errorf("Encode(\" a\") = %v", got)
	}
	if b.PreTokenizer() != "gpt2" || b.Special().EOS != 9 {
		t.Errorf("pre %q, special %+v", b.PreTokenizer(), b.Special())
	}
}

func BenchmarkMergeLongPiece(b *testing.B) {
	tok := toyBPE(b)
	s := strings.Repeat("abcab", 2000)
	b.ReportAllocs()
	for b.Loop() {
		tok.merge(s)
	}
	b.ReportMetric(float64(len(s)*b.N)/b.Elapsed().Seconds(), "bytes/s")
}

// TestAddBOSToken: tokenizer_config.json's add_bos_token (set by
// DeepSeek-R1-Distill) is read into Special.AddBOS, WithBOS prepends BOS
// only then, and Encode itself never adds it.
func TestAddBOSToken(t *testing.T) {
	js := `{"added_tokens":[{"id":9,"content":"<|endoftext|>","special":true},{"id":12,"content":"<s>","special":true}],
	"normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
	"decoder":{"type":"ByteLevel"},
	"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4,"abc":5,"aa":6,"aaa":7,"ca":8,"Ġ":10,"Ġa":11},
	"merges":["a b","b c","a a","ab c","c a","aa a","Ġ a"]}}`
	for _, c := range []struct {
		config string
		add    bool
	}{
		{`{"eos_token":"<|endoftext|>","bos_token":"<s>","add_bos_token":true}`, true},
		{`{"eos_token":"<|endoftext|>","bos_token":{"content":"<s>"},"add_bos_token":true}`, true},
		{`{"eos_token":"<|endoftext|>","bos_token":"<s>","add_bos_token":false}`, false},
		{`{"eos_token":"<|endoftext|>","bos_token":"<s>"}`, false},
		{`{"eos_token":"<|endoftext|>","add_bos_token":true}`, false},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, JSONFile), []byte(js), 0o644)
		os.WriteFile(filepath.Join(dir, ConfigFile), []byte(c.config), 0o644)
		tok, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		sp := tok.Special()
		ids := tok.Encode("abc")
		want := ids
		if c.add {
			want = append([]int32{12}, ids...)
		}
		if sp.AddBOS != c.add || !slices.Equal(sp.WithBOS(ids), want) || slices.Contains(ids, 12) {
			t.Errorf("%s: AddBOS %v, WithBOS %v from Encode %v; want AddBOS %v and %v", c.config, sp.AddBOS, sp.WithBOS(ids), ids, c.add, want)
		}
	}
}
