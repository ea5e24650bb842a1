package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	kvs := []KV{
		{"general.architecture", "qwen3"},
		{"u8", uint8(7)}, {"i8", int8(-7)}, {"u16", uint16(700)}, {"i16", int16(-700)},
		{"u32", uint32(70000)}, {"i32", int32(-70000)}, {"f32", float32(1.5)}, {"b", true},
		{"u64", uint64(1 << 40)}, {"i64", int64(-1 << 40)}, {"f64", 2.25},
		{"strs", []string{"a", "Ġthe", ""}}, {"i32s", []int32{1, 3, 4}}, {"f32s", []float32{0.5}},
		{"bools", []bool{true, false}},
	}
	w := []float32{1, 2, 3, 4, 5, 6}
	tensors := []Tensor{
		{Name: "token_embd.weight", Shape: []int{3, 2}, Type: F32, Data: w},
		{Name: "blk.0.attn_norm.weight", Shape: []int{3}, Type: F16, Data: []float32{0.5, -1, 65504}},
		{Name: "odd", Shape: []int{5}, Type: BF16, Data: []float32{1, 2, 3, 4, -0.5}},
		{Name: "after_odd", Shape: []int{1}, Type: F32, Data: []float32{9}},
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteFile(path, kvs, tensors); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != 32 {
		t.Errorf("version %d alignment %d", f.Version, f.Alignment)
	}
	if !reflect.DeepEqual(f.KV, kvs) {
		t.Errorf("KV round trip:\n got %#v\nwant %#v", f.KV, kvs)
	}
	for _, want := range tensors {
		got, info, err := f.Float32(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want.Data) {
			t.Errorf("%s = %v, want %v", want.Name, got, want.Data)
		}
		if !reflect.DeepEqual(info.Shape(), want.Shape) || info.Type != want.Type || info.Offset%32 != 0 {
			t.Errorf("%s info = %+v", want.Name, info)
		}
	}
	// ggml stores dims innermost first: [3,2] row-major is ne = {2, 3}.
	if _, info, _ := f.Float32("token_embd.weight"); !reflect.DeepEqual(info.Dims, []uint64{2, 3}) {
		t.Errorf("dims = %v, want [2 3]", info.Dims)
	}
}

// TestHeaderBytes pins the exact encoding of a tiny file, byte by byte, as
// gguf.h describes it.
func TestHeaderBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []KV{{"k", uint32(5)}}, []Tensor{{Name: "t", Shape: []int{1}, Type: F32, Data: []float32{1}}}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var want []byte
	want = append(want, "GGUF"...)
	want = le.AppendUint32(want, 3)
	want = le.AppendUint64(want, 1) // tensors
	want = le.AppendUint64(want, 1) // kvs
	want = le.AppendUint64(want, 1)
	want = append(want, 'k')
	want = le.AppendUint32(want, uint32(TypeUint32))
	want = le.AppendUint32(want, 5)
	want = le.AppendUint64(want, 1)
	want = append(want, 't')
	want = le.AppendUint32(want, 1) // n_dims
	want = le.AppendUint64(want, 1) // ne[0]
	want = le.AppendUint32(want, uint32(F32))
	want = le.AppendUint64(want, 0) // offset
	for len(want)%32 != 0 {
		want = append(want, 0)
	}
	want = le.AppendUint32(want, 0x3f800000)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("bytes:\n got %x\nwant %x", buf.Bytes(), want)
	}
}

func TestParseCorrupt(t *testing.T) {
	var good bytes.Buffer
	Write(&good, []KV{{"k", "v"}}, []Tensor{{Name: "t", Shape: []int{4}, Type: F32, Data: make([]float32, 4)}})
	g := good.Bytes()
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(g)) }
	cases := []struct {
		name, want string
		b          []byte
	}{
		{"magic", "bad magic", mut(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"version", "unsupported version", mut(func(b []byte) []byte { b[4] = 9; return b })},
		{"truncated", "unexpected end", g[:30]},
		{"huge_count", "exceed the caps", mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<40); return b })},
		{"huge_string", "exceeds the cap", mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[24:], 1<<40); return b })},
		{"data_truncated", "outside the", g[:len(g)-4]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.b)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrCorrupt with %q", err, c.want)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	cases := []struct {
		name string
		kvs  []KV
		ts   []Tensor
		want string
	}{
		{"dup_key", []KV{{"a", "x"}, {"a", "y"}}, nil, "duplicate metadata"},
		{"bad_value", []KV{{"a", struct{}{}}}, nil, "unsupported value type"},
		{"bad_align", []KV{{"general.alignment", uint32(3)}}, nil, "alignment"},
		{"shape", nil, []Tensor{{Name: "t", Shape: []int{2}, Type: F32, Data: []float32{1}}}, "needs 2"},
		{"dup_tensor", nil, []Tensor{{Name: "t", Shape: []int{1}, Type: F32, Data: []float32{1}}, {Name: "t", Shape: []int{1}, Type: F32, Data: []float32{1}}}, "duplicate tensor"},
		{"type", nil, []Tensor{{Name: "t", Shape: []int{1}, Type: 2, Data: []float32{1}}}, "cannot write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.gguf")
			err := WriteFile(path, c.kvs, c.ts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 0 {
				t.Errorf("failed write left files: %v", ents)
			}
		})
	}
}

func TestQwen3TensorName(t *testing.T) {
	cases := map[string]string{
		"model.embed_tokens.weight":                      "token_embd.weight",
		"model.norm.weight":                              "output_norm.weight",
		"lm_head.weight":                                 "output.weight",
		"model.layers.0.input_layernorm.weight":          "blk.0.attn_norm.weight",
		"model.layers.11.self_attn.q_proj.weight":        "blk.11.attn_q.weight",
		"model.layers.2.self_attn.k_norm.weight":         "blk.2.attn_k_norm.weight",
		"model.layers.2.post_attention_layernorm.weight": "blk.2.ffn_norm.weight",
		"model.layers.27.mlp.down_proj.weight":           "blk.27.ffn_down.weight",
		"model.layers.3.self_attn.o_proj.weight":         "blk.3.attn_output.weight",
		"model.layers.3.mlp.gate_proj.weight":            "blk.3.ffn_gate.weight",
		"model.layers.3.mlp.up_proj.weight":              "blk.3.ffn_up.weight",
		"model.layers.3.self_attn.v_proj.weight":         "blk.3.attn_v.weight",
		"model.layers.3.self_attn.q_norm.weight":         "blk.3.attn_q_norm.weight",
		"model.layers.3.self_attn.k_proj.weight":         "blk.3.attn_k.weight",
	}
	for hf, want := range cases {
		if got, err := Qwen3TensorName(hf); err != nil || got != want {
			t.Errorf("Qwen3TensorName(%q) = %q, %v; want %q", hf, got, err, want)
		}
	}
	for _, bad := range []string{"model.layers.x.mlp.up_proj.weight", "model.layers.1.self_attn.q_proj.bias", "foo"} {
		if _, err := Qwen3TensorName(bad); err == nil {
			t.Errorf("Qwen3TensorName(%q) succeeded", bad)
		}
	}
}

// TestQwen2TensorName: llama.cpp's qwen2 graph (src/models/qwen2.cpp,
// ggml-org/llama.cpp 0215468f0adde3dd3214e10ac66a4eb923ae7e73) adds
// model.layers[il].bq/bk/bv after wq/wk/wv, tensors named
// tn(LLM_TENSOR_ATTN_Q, "bias", i) = "blk.%d.attn_q.bias"; it has no q/k norms.
func TestQwen2TensorName(t *testing.T) {
	for hf, want := range map[string]string{
		"model.layers.0.self_attn.q_proj.bias":   "blk.0.attn_q.bias",
		"model.layers.4.self_attn.k_proj.bias":   "blk.4.attn_k.bias",
		"model.layers.27.self_attn.v_proj.bias":  "blk.27.attn_v.bias",
		"model.layers.1.self_attn.q_proj.weight": "blk.1.attn_q.weight",
		"model.embed_tokens.weight":              "token_embd.weight",
		"lm_head.weight":                         "output.weight",
	} {
		if got, err := TensorName(ArchQwen2, hf); err != nil || got != want {
			t.Errorf("TensorName(qwen2, %q) = %q, %v; want %q", hf, got, err, want)
		}
	}
	for _, bad := range []string{"model.layers.1.self_attn.q_norm.weight", "model.layers.1.self_attn.o_proj.bias"} {
		if _, err := TensorName(ArchQwen2, bad); err == nil {
			t.Errorf("TensorName(qwen2, %q) succeeded", bad)
		}
	}
	if _, err := TensorName("llama", "model.layers.0.self_attn.q_proj.weight"); err == nil {
		t.Error("TensorName accepted architecture llama")
	}
	kvs := Params{Arch: ArchQwen2, HeadCount: 12}.KVs()
	if kvs[0].Value != "qwen2" || kvs[1].Value != "terse-qwen2" {
		t.Errorf("KVs start %v", kvs[:2])
	}
	for _, kv := range kvs[3:] {
		if !strings.HasPrefix(kv.Key, "qwen2.") {
			t.Errorf("key %q outside qwen2.*", kv.Key)
		}
	}
}

func TestVocabKVs(t *testing.T) {
	v := Vocab{Model: "gpt2", Pre: "default", Tokens: []string{"<|endoftext|>", "a"}, Types: []int32{TokenControl, TokenNormal}, EOS: 0, PAD: 0, BOS: -1}
	kvs, err := v.KVs()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]any{}
	for _, kv := range kvs {
		keys[kv.Key] = kv.Value
	}
	if keys["tokenizer.ggml.eos_token_id"] != uint32(0) || keys["tokenizer.ggml.bos_token_id"] != nil {
		t.Errorf("kvs = %v", keys)
	}
	v.EOS = 5
	if _, err := v.KVs(); err == nil {
		t.Error("out-of-range EOS accepted")
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []KV{{"k", []string{"a", "b"}}, {"n", uint32(3)}}, []Tensor{{Name: "t", Shape: []int{2, 2}, Type: F16, Data: []float32{1, 2, 3, 4}}})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		for _, ti := range file.Tensors {
			if _, _, err := file.Float32(ti.Name); err != nil {
				t.Fatalf("validated tensor %q failed: %v", ti.Name, err)
			}
		}
	})
}

func TestCustomAlignment(t *testing.T) {
	var buf bytes.Buffer
	ts := []Tensor{{Name: "a", Shape: []int{3}, Type: F32, Data: []float32{1, 2, 3}}, {Name: "b", Shape: []int{1}, Type: F32, Data: []float32{4}}}
	if err := Write(&buf, []KV{{"general.alignment", uint32(64)}}, ts); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment != 64 || f.Tensors[1].Offset != 64 {
		t.Errorf("alignment %d, offset of b %d; want 64, 64", f.Alignment, f.Tensors[1].Offset)
	}
	if b, _, _ := f.Float32("b"); len(b) != 1 || b[0] != 4 {
		t.Errorf("b = %v", b)
	}
}
