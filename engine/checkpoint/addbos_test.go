package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/terse-dev/terse/engine/gguf"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// bosBPE writes a byte-level BPE tokenizer with a BOS token and the given
// tokenizer_config.json, and loads it.
func bosBPE(t *testing.T, config string) tokenizer.Tokenizer {
	t.Helper()
	js := `{"added_tokens":[{"id":9,"content":"<|endoftext|>","special":true},{"id":12,"content":"<｜begin▁of▁sentence｜>","special":true}],
	"normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
	"decoder":{"type":"ByteLevel"},
	"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4,"abc":5,"aa":6,"aaa":7,"ca":8,"Ġ":10,"Ġa":11},
	"merges":["a b","b c","a a","ab c","c a","aa a","Ġ a"]}}`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, tokenizer.JSONFile), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tokenizer.ConfigFile), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestExportGGUFAddBOS: DeepSeek-R1-Distill's tokenizer_config.json sets
// "add_bos_token": true, and llama.cpp's converter copies it into
// tokenizer.ggml.add_bos_token (gguf-py/gguf/vocab.py, SpecialVocab reads
// add_{bos,eos,…}_token from tokenizer_config.json, commit 85f9d68b), so
// llama.cpp prepends BOS as HF does. terse's export always wrote false.
func TestExportGGUFAddBOS(t *testing.T) {
	m := tinyModel(t, false, 4)
	for _, c := range []struct {
		config string
		want   bool
	}{
		{`{"eos_token":"<|endoftext|>","bos_token":"<｜begin▁of▁sentence｜>","add_bos_token":true}`, true},
		{`{"eos_token":"<|endoftext|>","bos_token":"<｜begin▁of▁sentence｜>","add_bos_token":false}`, false},
		{`{"eos_token":"<|endoftext|>","bos_token":"<｜begin▁of▁sentence｜>"}`, false},
		{`{"eos_token":"<|endoftext|>","add_bos_token":true}`, false}, // no BOS token to add
	} {
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := ExportGGUF(path, m, bosBPE(t, c.config), GGUFOptions{}); err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		f, err := gguf.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Get("tokenizer.ggml.add_bos_token"); got != c.want {
			t.Errorf("%s: tokenizer.ggml.add_bos_token = %v, want %v", c.config, got, c.want)
		}
		if c.want {
			if id, _ := f.Get("tokenizer.ggml.bos_token_id"); id != uint32(12) {
				t.Errorf("%s: bos_token_id = %v, want 12", c.config, id)
			}
		}
	}
}
