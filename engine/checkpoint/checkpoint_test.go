package checkpoint

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/blas"
	"github.com/terse-dev/terse/engine/gguf"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/safetensors"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// labTokenizer is a character-level tokenizer like the lab's.
func labTokenizer(t testing.TB) *tokenizer.CharLevel {
	t.Helper()
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{tokenizer.EndOfText, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet: "0123456789+-*=() \nabcdefghijklmnopqrstuvwxyzé€",
		EOS:      tokenizer.EndOfText,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinyModel returns a random TinyConfig model whose vocab fits tok.
func tinyModel(t testing.TB, tied bool, seed uint64) *model.Model {
	t.Helper()
	return randomModel(t, seed, func(c *model.Config) { c.TieWordEmbeddings = tied })
}

// randomModel returns a random TinyConfig model edited by edit (may be nil).
func randomModel(t testing.TB, seed uint64, edit func(*model.Config)) *model.Model {
	t.Helper()
	cfg := model.TinyConfig()
	cfg.BOSTokenID = 0
	cfg.EOSTokenID = model.TokenIDs{0}
	if edit != nil {
		edit(&cfg)
	}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.SetBLAS(blas.NewGo())
	m.InitRandom(seed, 0.05)
	// Distinct non-unit norm weights so that a swapped or dropped norm shows up.
	for _, ts := range m.Tensors() {
		if len(ts.Shape) == 1 {
			h := fnv.New32a()
			h.Write([]byte(ts.Name))
			phase := float64(h.Sum32() % 1000)
			for i := range ts.Data {
				ts.Data[i] = 1 + 0.3*float32(math.Sin(float64(i)+phase))
			}
		}
	}
	return m
}

func logits(t testing.TB, m *model.Model, tokens []int32) []float32 {
	t.Helper()
	out, err := m.Logits(model.NewWorkspace(), &model.Batch{B: 1, T: len(tokens), Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestSaveLoad(t *testing.T) {
	for _, tied := range []bool{false, true} {
		t.Run(map[bool]string{false: "untied", true: "tied"}[tied], func(t *testing.T) {
			m := tinyModel(t, tied, 1)
			tok := labTokenizer(t)
			dir := filepath.Join(t.TempDir(), "ckpt")
			if err := Save(dir, m, tok); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{ConfigFile, GenerationConfigFile, safetensors.SingleFile, tokenizer.JSONFile, tokenizer.ConfigFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			var cfg map[string]any
			raw, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
			json.Unmarshal(raw, &cfg)
			if cfg["model_type"] != "qwen3" || cfg["torch_dtype"] != "float32" || cfg["architectures"].([]any)[0] != "Qwen3ForCausalLM" {
				t.Errorf("config.json = %v", cfg)
			}
			m2, tok2, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			m2.SetBLAS(blas.NewGo())
			a, b := m.Tensors(), m2.Tensors()
			if len(a) != len(b) {
				t.Fatalf("%d tensors, want %d", len(b), len(a))
			}
			for i := range a {
				if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) || !slices.Equal(a[i].Data, b[i].Data) {
					t.Errorf("tensor %s differs after reload", a[i].Name)
				}
			}
			if !slices.Equal(m.Slab(), m2.Slab()) {
				t.Error("slabs differ")
			}
			prompt := tok.Encode("<think>12+30=42</think>42")
			if d := maxAbsDiff(logits(t, m, prompt), logits(t, m2, prompt)); d != 0 {
				t.Errorf("logits differ after reload: max abs diff %g", d)
			}
			if got := tok2.Encode("<think>1+1"); !slices.Equal(got, tok.Encode("<think>1+1")) {
				t.Errorf("reloaded tokenizer encodes %v", got)
			}
			// Saving again over the same directory works and leaves no temp files.
			if err := Save(dir, m2, tok2); err != nil {
				t.Fatal(err)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("leftover temp file %s", e.Name())
				}
			}
		})
	}
}

// writeShardedBF16 writes m's tensors as a two-shard bf16 HF checkpoint, the
// layout real Qwen3 checkpoints use, optionally with a redundant lm_head.
func writeShardedBF16(t *testing.T, dir string, m *model.Model, extra map[string][]int) {
	t.Helper()
	cfg := m.Config
	cfg.TorchDtype = "bfloat16"
	raw, _ := json.Marshal(cfg)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, ConfigFile), raw, 0o644)
	var shards [2][]safetensors.Tensor
	idx := safetensors.Index{WeightMap: map[string]string{}}
	names := [2]string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
	ts := m.Tensors()
	for i, tt := range ts {
		s := 0
		if i >= len(ts)/2 {
			s = 1
		}
		shards[s] = append(shards[s], safetensors.Tensor{Name: tt.Name, Shape: tt.Shape, DType: safetensors.BF16, Data: tt.Data})
		idx.WeightMap[tt.Name] = names[s]
	}
	for name, shape := range extra {
		n := 1
		for _, d := range shape {
			n *= d
		}
		shards[1] = append(shards[1], safetensors.Tensor{Name: name, Shape: shape, DType: safetensors.BF16, Data: make([]float32, n)})
		idx.WeightMap[name] = names[1]
	}
	for s := range shards {
		if err := safetensors.WriteFile(filepath.Join(dir, names[s]), shards[s], map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ = json.Marshal(idx)
	os.WriteFile(filepath.Join(dir, safetensors.IndexFile), raw, 0o644)
}

// qwen3Config is Qwen3-0.6B's config.json as published, field for field,
// with the sizes shrunk to TinyConfig's.
const qwen3Config = `{
  "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 32, "hidden_act": "silu",
  "hidden_size": 128, "initializer_range": 0.02, "intermediate_size": 384,
  "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
  "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
  "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
  "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
}`

func TestLoadShardedBF16(t *testing.T) {
	m := randomModel(t, 2, func(c *model.Config) {
		if err := json.Unmarshal([]byte(qwen3Config), c); err != nil {
			t.Fatal(err)
		}
		c.VocabSize, c.BOSTokenID, c.EOSTokenID = 64, 0, model.TokenIDs{1}
	})
	dir := t.TempDir()
	C, V := m.Config.HiddenSize, m.Config.VocabSize
	writeShardedBF16(t, dir, m, map[string][]int{"lm_head.weight": {V, C}})
	// The real file, verbatim apart from the sizes.
	cfg := strings.Replace(qwen3Config, `"vocab_size": 151936`, `"vocab_size": 64`, 1)
	cfg = strings.Replace(cfg, `"bos_token_id": 151643, "eos_token_id": 151645`, `"bos_token_id": 0, "eos_token_id": 1`, 1)
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644)
	m2, tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok != nil {
		t.Errorf("tokenizer = %T, want nil without tokenizer.json", tok)
	}
	if m2.Config.RopeTheta != 1e6 || !m2.Config.TieWordEmbeddings || m2.Config.TorchDtype != "bfloat16" {
		t.Errorf("config = %+v", m2.Config)
	}
	a, b := m.Tensors(), m2.Tensors()
	for i := range a {
		for j, v := range a[i].Data {
			if want := safetensors.BF16ToF32(safetensors.F32ToBF16(v)); b[i].Data[j] != want {
				t.Fatalf("%s[%d] = %g, want bf16(%g) = %g", a[i].Name, j, b[i].Data[j], v, want)
			}
		}
	}
}

func TestLoadMismatch(t *testing.T) {
	m := tinyModel(t, false, 3)
	C := m.Config.HiddenSize
	cases := []struct {
		name  string
		extra map[string][]int
		edit  func(dir string)
		want  string
	}{
		{"unexpected_tensor", map[string][]int{"model.layers.9.mlp.up_proj.weight": {2, 2}}, nil, "unexpected tensor"},
		{"wrong_shape", nil, func(dir string) {
			cfg := m.Config
			cfg.HiddenSize = C * 2
			raw, _ := json.Marshal(cfg)
			os.WriteFile(filepath.Join(dir, ConfigFile), raw, 0o644)
		}, "has shape"},
		{"missing_tensor", nil, func(dir string) {
			cfg := m.Config
			cfg.NumHiddenLayers = 3
			raw, _ := json.Marshal(cfg)
			os.WriteFile(filepath.Join(dir, ConfigFile), raw, 0o644)
		}, "is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeShardedBF16(t, dir, m, c.extra)
			if c.edit != nil {
				c.edit(dir)
			}
			_, _, err := Load(dir)
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrMismatch with %q", err, c.want)
			}
		})
	}
	if _, _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), ConfigFile) {
		t.Errorf("empty dir: err = %v", err)
	}
}

func TestExportGGUF(t *testing.T) {
	m := tinyModel(t, false, 4)
	tok := labTokenizer(t)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := ExportGGUF(path, m, tok, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	get := func(k string) any { v, _ := f.Get(k); return v }
	c := m.Config
	checks := map[string]any{
		"general.architecture":                   "qwen3",
		"qwen3.block_count":                      uint32(c.NumHiddenLayers),
		"qwen3.embedding_length":                 uint32(c.HiddenSize),
		"qwen3.attention.head_count_kv":          uint32(c.NumKeyValueHeads),
		"qwen3.attention.key_length":             uint32(c.HeadDim),
		"qwen3.rope.freq_base":                   float32(c.RopeTheta),
		"qwen3.attention.layer_norm_rms_epsilon": float32(c.RMSNormEps),
		"tokenizer.ggml.model":                   "gpt2",
		"tokenizer.ggml.eos_token_id":            uint32(0),
	}
	for k, want := range checks {
		if got := get(k); got != want {
			t.Errorf("%s = %v (%T), want %v", k, got, got, want)
		}
	}
	toks := get("tokenizer.ggml.tokens").([]string)
	types := get("tokenizer.ggml.token_type").([]int32)
	if len(toks) != c.VocabSize || toks[0] != tokenizer.EndOfText || types[0] != gguf.TokenControl {
		t.Errorf("tokens[0] = %q type %d, %d tokens", toks[0], types[0], len(toks))
	}
	nl, _ := tok.TokenID("\n")
	sp, _ := tok.TokenID(" ")
	if toks[nl] != "Ċ" || toks[sp] != "Ġ" || toks[c.VocabSize-1] != "[PAD63]" || types[c.VocabSize-1] != gguf.TokenUnused {
		t.Errorf("byte-level tokens: %q %q %q", toks[nl], toks[sp], toks[c.VocabSize-1])
	}
	merges := get("tokenizer.ggml.merges").([]string)
	if !slices.Equal(merges, []string{"Ã ©", "â Ĥ", "âĤ ¬"}) {
		t.Errorf("merges = %q", merges)
	}
	for _, ts := range m.Tensors() {
		name, _ := gguf.Qwen3TensorName(ts.Name)
		data, info, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(info.Shape(), ts.Shape) || !slices.Equal(data, ts.Data) || info.Type != gguf.F32 {
			t.Errorf("%s → %s differs (shape %v)", ts.Name, name, info.Shape())
		}
	}
}

func TestExportGGUFF16(t *testing.T) {
	m := tinyModel(t, true, 5)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := ExportGGUF(path, m, labTokenizer(t), GGUFOptions{F16: true}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, info, err := f.Float32("blk.0.attn_q.weight"); err != nil || info.Type != gguf.F16 {
		t.Errorf("attn_q type = %v, %v", info.Type, err)
	}
	if _, info, _ := f.Float32("blk.0.attn_norm.weight"); info.Type != gguf.F32 {
		t.Errorf("norm type = %v, want f32", info.Type)
	}
	if _, _, err := f.Float32("output.weight"); !errors.Is(err, gguf.ErrNotFound) {
		t.Errorf("tied model wrote output.weight (err %v)", err)
	}
}

func BenchmarkSaveLoad(b *testing.B) {
	m := tinyModel(b, false, 6)
	tok := labTokenizer(b)
	dir := b.TempDir()
	b.SetBytes(int64(4 * len(m.Slab())))
	for b.Loop() {
		if err := Save(dir, m, tok); err != nil {
			b.Fatal(err)
		}
		if _, _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}
