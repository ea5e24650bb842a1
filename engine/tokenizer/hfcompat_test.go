package tokenizer

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestCharLevelTransformersJS loads a saved CharLevel tokenizer with
// transformers.js (the JavaScript port of HF tokenizers that
// scripts/fetch-qwen3-tokenizer.sh installs) and checks that it encodes and
// decodes exactly as terse does: the files are a real HF tokenizer.
func TestCharLevelTransformersJS(t *testing.T) {
	modules := filepath.Join("..", "..", ".cache", "npm-qwen3", "node_modules")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(modules, "@lenml", "tokenizers")); err != nil || statErr != nil {
		msg := "node or @lenml/tokenizers missing: run scripts/fetch-qwen3-tokenizer.sh"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := labChars(t)
	dir := t.TempDir()
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	// No characters outside the alphabet: with unk_token null, HF's Rust BPE
	// drops them (as terse does) while transformers.js emits id 0.
	texts := []string{"<think>1+2</think>3<|endoftext|>", "(12*3)=36\nabc z", "ab thinkx", "<|endoftext|><think></think>\n\n"}
	in, _ := json.Marshal(texts)
	script := `
const fs = require("fs"), path = require("path");
const { TokenizerLoader } = require("@lenml/tokenizers");
const dir = process.argv[1];
const tok = TokenizerLoader.fromPreTrained({
	tokenizerJSON: JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"))),
	tokenizerConfig: JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"))),
});
const texts = JSON.parse(process.argv[2]);
console.log(JSON.stringify(texts.map((s) => {
	const ids = tok.encode(s, { add_special_tokens: false });
	return { ids, text: tok.decode(ids) };
})));
`
	abs, _ := filepath.Abs(modules)
	cmd := exec.Command(node, "-e", script, dir, string(in))
	cmd.Env = append(os.Environ(), "NODE_PATH="+abs)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	var got []struct {
		IDs  []int32 `json:"ids"`
		Text string  `json:"text"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	for i, s := range texts {
		ids := c.Encode(s)
		if !slices.Equal(got[i].IDs, ids) || got[i].Text != c.Decode(ids) {
			t.Errorf("%q: transformers.js %v %q, terse %v %q", s, got[i].IDs, got[i].Text, ids, c.Decode(ids))
		}
	}
}

func TestToByteLevel(t *testing.T) {
	cases := map[string]string{" ": "Ġ", "\n": "Ċ", "a": "a", "é": "Ã©", "€": "âĤ¬", "\t": "ĉ"}
	for in, want := range cases {
		if got := ToByteLevel(in); got != want {
			t.Errorf("ToByteLevel(%q) = %q, want %q", in, got, want)
		}
	}
}
