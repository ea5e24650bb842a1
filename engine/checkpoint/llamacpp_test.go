package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/terse-dev/terse/engine/gguf/llamacpp"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/safetensors"
	"github.com/terse-dev/terse/engine/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// llamaTolerance is the largest max-abs logit difference accepted between
// terse's float32 forward and llama.cpp's on the same F32 GGUF.
const llamaTolerance = 1e-3

// f16Tolerance is the same for an F16 GGUF, where llama.cpp rounds the
// activations to f16 before each matrix multiply.
const f16Tolerance = 1e-2

// llamaLibDir finds llama.cpp's libraries: $TERSE_LLAMACPP_LIB, else where
// scripts/fetch-llamacpp.sh puts them. Missing libraries fail the test
// under CI=true and skip it otherwise.
func llamaLibDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TERSE_LLAMACPP_LIB")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "llamacpp", "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "libllama*.so")); len(m) == 0 {
		msg := fmt.Sprintf("llama.cpp libraries not found in %s: run scripts/fetch-llamacpp.sh (or set TERSE_LLAMACPP_LIB)", dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// openLlama loads llama.cpp from llamaLibDir. A build without cgo cannot
// call it: the test fails under CI=true and skips otherwise.
func openLlama(t *testing.T) *llamacpp.Lib {
	t.Helper()
	lib, err := llamacpp.Open(llamaLibDir(t), os.Getenv("TERSE_LLAMACPP_VERBOSE") != "")
	if errors.Is(err, llamacpp.ErrNoCgo) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestLlamaCppLogits exports random models to GGUF, runs them in llama.cpp
// (an independent Qwen3 and Qwen2 implementation: src/models/qwen3.cpp,
// src/models/qwen2.cpp) and compares the logits at every position of
// several prompts with terse's forward pass. The qwen2 cases have
// R1-Distill's layout (q/k/v biases, no q/k norms, head_dim = C/H, untied).
func TestLlamaCppLogits(t *testing.T) {
	lib := openLlama(t)
	tok := labTokenizer(t)
	prompts := []string{
		"<think>12+30=42</think>42<|endoftext|>",
		"(7*8)-6=50",
		"abc\nxyz",
		"1",
		"<think>\nlet x = 3 then x*x = 9 and 9+9 = 18 so the answer is 18\n</think>\n18 €é",
	}
	for _, c := range []struct {
		name string
		cfg  func(*model.Config)
		f16  bool    // export 2-D weights as F16
		tol  float64 // max abs logit difference accepted
	}{
		{"untied", nil, false, llamaTolerance},
		{"tied", func(c *model.Config) { c.TieWordEmbeddings = true }, false, llamaTolerance},
		{"gqa4_theta1e6", func(c *model.Config) {
			c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.RopeTheta, c.RMSNormEps = 8, 2, 16, 1e6, 1e-5
		}, false, llamaTolerance},
		// llama.cpp rounds activations to f16 inside F16 matmuls, so only
		// agreement to a few 1e-3 is expected even with f16-exact weights.
		{"f16", nil, true, f16Tolerance},
		{"qwen2_untied", asQwen2(nil), false, llamaTolerance},
		{"qwen2_tied", asQwen2(func(c *model.Config) { c.TieWordEmbeddings = true }), false, llamaTolerance},
		{"qwen2_gqa4_theta1e6", asQwen2(func(c *model.Config) {
			c.NumAttentionHeads, c.NumKeyValueHeads, c.RopeTheta, c.RMSNormEps = 8, 2, 1e6, 1e-5
		}), false, llamaTolerance},
		{"qwen2_f16", asQwen2(nil), true, f16Tolerance},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := randomModel(t, 7, c.cfg)
			if c.f16 {
				for _, ts := range m.Tensors() {
					if len(ts.Shape) == 2 {
						for i, v := range ts.Data {
							ts.Data[i] = safetensors.F16ToF32(safetensors.F32ToF16(v))
						}
					}
				}
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := ExportGGUF(path, m, tok, GGUFOptions{F16: c.f16}); err != nil {
				t.Fatal(err)
			}
			lm, err := lib.LoadModel(path)
			if err != nil {
				t.Fatal(err)
			}
			defer lm.Close()
			V := m.Config.VocabSize
			if lm.NVocab != V {
				t.Fatalf("llama.cpp vocab %d, model %d", lm.NVocab, V)
			}
			for _, p := range prompts {
				ids := tok.Encode(p)
				if lids, err := lm.Tokenize(p, true); err != nil || !slices.Equal(lids, ids) {
					t.Errorf("llama.cpp tokenizes %q as %v (%v), terse as %v", p, lids, err, ids)
				}
				ref, err := lm.Logits(ids, 1)
				if err != nil {
					t.Fatal(err)
				}
				got := logits(t, m, ids)
				worst, scale := 0.0, 0.0
				for pos := range ids {
					for v := 0; v < V; v++ {
						worst = max(worst, math.Abs(float64(got[pos*V+v]-ref[pos][v])))
						scale = max(scale, math.Abs(float64(ref[pos][v])))
					}
				}
				t.Logf("%-50q T=%2d max |logit| %.2f, max abs diff %.2e (tolerance %g)", p, len(ids), scale, worst, c.tol)
				if !(worst < c.tol) {
					t.Errorf("prompt %q: max abs logit diff %g ≥ %g", p, worst, c.tol)
				}
				if m.Config.Arch().QKVBias {
					// The biases matter: without them terse's logits move far
					// more than the tolerance, so llama.cpp must have used them.
					nb := m.Clone()
					for _, lp := range nb.Params.Layers {
						clear(lp.Bq)
						clear(lp.Bk)
						clear(lp.Bv)
					}
					if d := maxAbsDiff(logits(t, nb, ids), got); !(d > 100*c.tol) {
						t.Errorf("prompt %q: zeroing the q/k/v biases moves the logits by only %g", p, d)
					}
				}
			}
		})
	}
}

// asQwen2 turns randomModel's Qwen3 config into a Qwen2 one (D = C/H, as
// Qwen2 config.json files have no head_dim), then applies edit.
func asQwen2(edit func(*model.Config)) func(*model.Config) {
	return func(c *model.Config) {
		c.ModelType, c.Architectures, c.HeadDim = model.ModelQwen2, []string{"Qwen2ForCausalLM"}, 0
		if edit != nil {
			edit(c)
		}
	}
}

// qwen3TokenizerDir finds Qwen3's tokenizer files like engine/tokenizer's
// tests do; missing files fail under CI=true and skip otherwise.
func qwen3TokenizerDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TERSE_QWEN3_TOKENIZER")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "qwen3-tokenizer")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	if _, err := os.Stat(filepath.Join(dir, tokenizer.JSONFile)); err != nil {
		msg := "Qwen3 tokenizer.json not found in " + dir + ": run scripts/fetch-qwen3-tokenizer.sh (or set TERSE_QWEN3_TOKENIZER)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// TestLlamaCppQwen3Vocab exports a tiny model carrying Qwen3's real
// tokenizer (151,669 tokens, 151,387 merges, the "qwen2" pre-tokenizer):
// llama.cpp must load it, tokenize text exactly as terse does, and agree
// on the logits.
func TestLlamaCppQwen3Vocab(t *testing.T) {
	lib := openLlama(t)
	tok, err := tokenizer.Load(qwen3TokenizerDir(t))
	if err != nil {
		t.Fatal(err)
	}
	m := randomModel(t, 9, func(c *model.Config) {
		c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers = 151936, 32, 64, 1
		c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.TieWordEmbeddings = 4, 2, 8, true
		c.BOSTokenID, c.EOSTokenID, c.RopeTheta = 151643, model.TokenIDs{151645, 151643}, 1e6
	})
	path := filepath.Join(t.TempDir(), "qwen3-vocab.gguf")
	if err := ExportGGUF(path, m, tok, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	lm, err := lib.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	// The tokenizer's golden strings (ids from the JavaScript HF port). llama.cpp
	// skips the NFC normalizer, so text that NFC changes is left out.
	js, err := os.ReadFile(filepath.Join("..", "tokenizer", "testdata", "qwen3_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text string  `json:"text"`
		IDs  []int32 `json:"ids"`
	}
	if err := json.Unmarshal(js, &cases); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, c := range cases {
		if norm.NFC.String(c.Text) != c.Text {
			continue
		}
		compared++
		if ids := tok.Encode(c.Text); !slices.Equal(ids, c.IDs) {
			t.Errorf("terse encodes %q as %v, reference %v", c.Text, ids, c.IDs)
		}
		lids, err := lm.Tokenize(c.Text, true)
		if err != nil || !slices.Equal(lids, c.IDs) {
			t.Errorf("llama.cpp tokenizes %q as\n %v (%v)\nreference\n %v", c.Text, lids, err, c.IDs)
		}
	}
	t.Logf("llama.cpp tokenized %d of %d golden strings identically", compared, len(cases))
	ids := tok.Encode("<think>\n2+2=4\n</think>\n\n4")
	ref, err := lm.Logits(ids, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := logits(t, m, ids)
	V := m.Config.VocabSize
	worst := 0.0
	for pos := range ids {
		for v := 0; v < V; v++ {
			worst = max(worst, math.Abs(float64(got[pos*V+v]-ref[pos][v])))
		}
	}
	t.Logf("T=%d V=%d max abs logit diff %.2e", len(ids), V, worst)
	if !(worst < llamaTolerance) {
		t.Errorf("max abs logit diff %g ≥ %g", worst, llamaTolerance)
	}
}

// shippedLabBase is the trained lab base model as it lies in the
// repository (read as files: engine must not import lab).
const shippedLabBase = "../../lab/models/lab-base"

// TestLlamaCppCheckpoint compares a trained checkpoint with llama.cpp: the
// shipped lab base model, or the directory TERSE_LLAMACPP_CHECKPOINT names.
func TestLlamaCppCheckpoint(t *testing.T) {
	dir := os.Getenv("TERSE_LLAMACPP_CHECKPOINT")
	if dir == "" {
		dir = shippedLabBase
	}
	lib := openLlama(t)
	m, tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		t.Fatalf("%s has no tokenizer.json", dir)
	}
	path := filepath.Join(t.TempDir(), "trained.gguf")
	if err := ExportGGUF(path, m, tok, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	lm, err := lib.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	V := m.Config.VocabSize
	for _, p := range []string{"<think>", "12+30=", "(7*8)-6=", "<think>\n3*4=12\n</think>\n"} {
		ids := tok.Encode(p)
		if len(ids) == 0 {
			continue
		}
		ref, err := lm.Logits(ids, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := logits(t, m, ids)
		worst := 0.0
		for pos := range ids {
			for v := 0; v < V; v++ {
				worst = max(worst, math.Abs(float64(got[pos*V+v]-ref[pos][v])))
			}
		}
		t.Logf("%q: max abs logit diff %.2e", p, worst)
		if !(worst < llamaTolerance) {
			t.Errorf("%q: max abs logit diff %g ≥ %g", p, worst, llamaTolerance)
		}
	}
}
