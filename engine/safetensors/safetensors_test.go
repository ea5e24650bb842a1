package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBF16Bits(t *testing.T) {
	cases := []struct {
		name string
		f    float32
		bits uint16
	}{
		{"one", 1, 0x3f80},
		{"minus_two", -2, 0xc000},
		{"zero", 0, 0x0000},
		{"neg_zero", float32(math.Copysign(0, -1)), 0x8000},
		{"inf", float32(math.Inf(1)), 0x7f80},
		{"pi", float32(math.Pi), 0x4049},                               // 0x40490fdb rounds down
		{"tie_to_even_down", math.Float32frombits(0x3f808000), 0x3f80}, // exact tie, even stays
		{"tie_to_even_up", math.Float32frombits(0x3f818000), 0x3f82},   // exact tie, odd rounds up
		{"above_tie", math.Float32frombits(0x3f808001), 0x3f81},
		{"max_rounds_to_inf", math.MaxFloat32, 0x7f80},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := F32ToBF16(c.f); got != c.bits {
				t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.bits)
			}
		})
	}
	// Widening is exact: every bf16 pattern survives a round trip (NaNs stay NaN).
	for b := 0; b < 1<<16; b++ {
		f := BF16ToF32(uint16(b))
		if math.Float32bits(f) != uint32(b)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %#08x", b, math.Float32bits(f))
		}
		back := F32ToBF16(f)
		if f == f && back != uint16(b) {
			t.Fatalf("round trip %#04x → %g → %#04x", b, f, back)
		}
		if f != f && BF16ToF32(back) == BF16ToF32(back) {
			t.Fatalf("NaN %#04x lost its NaN-ness: %#04x", b, back)
		}
	}
}

func TestF16Bits(t *testing.T) {
	cases := []struct {
		name string
		f    float32
		bits uint16
	}{
		{"one", 1, 0x3c00},
		{"minus_two", -2, 0xc000},
		{"half", 0.5, 0x3800},
		{"max", 65504, 0x7bff},
		{"overflow", 65520, 0x7c00}, // halfway to 2^16 rounds to even = Inf
		{"inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest_normal", 6.103515625e-05, 0x0400},
		{"largest_subnormal", 6.097555160522461e-05, 0x03ff},
		{"smallest_subnormal", 5.960464477539063e-08, 0x0001},
		{"half_smallest_subnormal_ties_to_zero", 2.9802322387695312e-08, 0x0000},
		{"above_half_smallest_subnormal", 2.99e-08, 0x0001},
		{"one_third", 1.0 / 3, 0x3555},
		{"neg_zero", float32(math.Copysign(0, -1)), 0x8000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := F32ToF16(c.f); got != c.bits {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.bits)
			}
		})
	}
	// Every finite f16 pattern widens exactly and narrows back to itself.
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			if f == f {
				t.Fatalf("F16ToF32(%#04x) = %g, want NaN", h, f)
			}
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("round trip %#04x → %g → %#04x", h, f, back)
		}
	}
	if got := F16ToF32(0x0001); got != float32(math.Ldexp(1, -24)) {
		t.Errorf("F16ToF32(0x0001) = %g, want 2^-24", got)
	}
	if got := F16ToF32(0x0200); got != float32(math.Ldexp(1, -15)) {
		t.Errorf("F16ToF32(0x0200) = %g, want 2^-15", got)
	}
}

func TestRoundTrip(t *testing.T) {
	data := []float32{1, -2.5, 3.25, 0, 1e-3, -7, 65504, 0.099975586}
	tensors := []Tensor{
		{Name: "model.embed_tokens.weight", Shape: []int{2, 4}, DType: F32, Data: data},
		{Name: "a.bf16", Shape: []int{8}, DType: BF16, Data: data},
		{Name: "a.f16", Shape: []int{4, 2}, DType: F16, Data: data},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "empty", Shape: []int{0, 3}, Data: nil},
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	meta := map[string]string{"format": "pt"}
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata = %v", f.Metadata)
	}
	if got := len(f.Tensors()); got != len(tensors) {
		t.Fatalf("%d tensors, want %d", got, len(tensors))
	}
	for _, want := range tensors {
		got, info, err := f.Float32(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		dt := want.DType
		if dt == "" {
			dt = F32
		}
		if info.DType != dt || !equalInts(info.Shape, want.Shape) {
			t.Errorf("%s: info %+v", want.Name, info)
		}
		for i := range want.Data {
			exp := want.Data[i]
			switch dt {
			case BF16:
				exp = BF16ToF32(F32ToBF16(exp))
			case F16:
				exp = F16ToF32(F32ToF16(exp))
			}
			if got[i] != exp {
				t.Errorf("%s[%d] = %g, want %g", want.Name, i, got[i], exp)
			}
		}
	}
	// The header is 8-byte aligned, as the reference writer pads it.
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	if _, _, err := f.Float32("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: err = %v", err)
	}
}

// TestReadReferenceBytes reads a file laid out byte by byte as the Python
// reference writes it: {"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}.
func TestReadReferenceBytes(t *testing.T) {
	hdr := `{"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(hdr)))
	buf.WriteString(hdr)
	buf.Write([]byte{0x80, 0x3f, 0x00, 0xc0}) // bf16 1.0, -2.0
	path := filepath.Join(t.TempDir(), "ref.safetensors")
	os.WriteFile(path, buf.Bytes(), 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := f.Float32("w")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("w = %v, want [1 -2]", got)
	}
}

func TestCorrupt(t *testing.T) {
	build := func(hdr string, data int) []byte {
		var buf bytes.Buffer
		binary.Write(&buf, binary.LittleEndian, uint64(len(hdr)))
		buf.WriteString(hdr)
		buf.Write(make([]byte, data))
		return buf.Bytes()
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, MaxHeaderSize+1)
	past := make([]byte, 16)
	binary.LittleEndian.PutUint64(past, 100)
	cases := []struct {
		name, want string
		file       []byte
	}{
		{"short", "shorter than", []byte{1, 2}},
		{"header_cap", "exceeds", huge},
		{"header_past_end", "runs past", past},
		{"not_json", "not a JSON object", build("[1,2]", 0)},
		{"bad_dtype", `tensor "w": unsupported dtype "Q4"`, build(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, 1)},
		{"offset_out_of_range", `tensor "w": data_offsets [0, 64] outside`, build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,64]}}`, 8)},
		{"size_mismatch", `tensor "w": 8 bytes stored, shape [3]`, build(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8)},
		{"negative_dim", `negative dimension`, build(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 0)},
		{"gap", `tensor "b": data starts at 8, expected 4`, build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12)},
		{"overlap", `expected 8`, build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"trailing", `cover 4 bytes of a 8-byte`, build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8)},
		{"unknown_field", `unknown field`, build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4)},
		{"bad_metadata", `__metadata__`, build(`{"__metadata__":{"a":1}}`, 0)},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".safetensors")
			os.WriteFile(path, c.file, 0o644)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want ErrCorrupt naming the file and containing %q", err, c.want)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	cases := []struct {
		name string
		t    []Tensor
		want string
	}{
		{"shape_mismatch", []Tensor{{Name: "a", Shape: []int{3}, Data: []float32{1}}}, "needs 3 elements"},
		{"dup", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, "duplicate"},
		{"dtype", []Tensor{{Name: "a", Shape: []int{1}, DType: I64, Data: []float32{1}}}, "cannot write"},
		{"metadata_name", []Tensor{{Name: MetadataKey, Shape: []int{1}, Data: []float32{1}}}, "invalid tensor name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.safetensors")
			err := WriteFile(path, c.t, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed write left %s behind", path)
			}
			if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 0 {
				t.Errorf("failed write left temp files: %v", ents)
			}
		})
	}
}

func TestShardedDir(t *testing.T) {
	dir := t.TempDir()
	a := []Tensor{{Name: "x", Shape: []int{2}, DType: BF16, Data: []float32{1, 2}}}
	b := []Tensor{{Name: "y", Shape: []int{1, 3}, DType: BF16, Data: []float32{3, 4, 5}}, {Name: "z", Shape: []int{1}, DType: F32, Data: []float32{6}}}
	must(t, WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), a, nil))
	must(t, WriteFile(filepath.Join(dir, "model-00002-of-00002.safetensors"), b, nil))
	writeIndex := func(m map[string]string) {
		js, _ := json.Marshal(Index{Metadata: map[string]any{"total_size": 14}, WeightMap: m})
		must(t, os.WriteFile(filepath.Join(dir, IndexFile), js, 0o644))
	}
	writeIndex(map[string]string{"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors", "z": "model-00002-of-00002.safetensors"})
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Names(), ","); got != "x,y,z" {
		t.Errorf("names = %s", got)
	}
	y, info, err := d.Float32("y")
	if err != nil || y[2] != 5 || info.Shape[1] != 3 {
		t.Errorf("y = %v %+v %v", y, info, err)
	}
	d.Close()

	bad := []struct {
		name string
		m    map[string]string
		want string
	}{
		{"missing_shard", map[string]string{"x": "model-00003-of-00002.safetensors"}, "no such file"},
		{"traversal", map[string]string{"x": "../evil.safetensors"}, "plain file name"},
		{"wrong_shard", map[string]string{"x": "model-00002-of-00002.safetensors", "y": "model-00002-of-00002.safetensors", "z": "model-00002-of-00002.safetensors"}, `tensor "x" is not in shard`},
		{"unlisted", map[string]string{"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}, `holds tensor "z"`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			writeIndex(c.m)
			d, err := OpenDir(dir)
			if err == nil {
				d.Close()
				t.Fatal("OpenDir succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestSingleDir(t *testing.T) {
	dir := t.TempDir()
	must(t, WriteFile(filepath.Join(dir, SingleFile), []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{9}}}, nil))
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, _, err := d.Float32("w")
	if err != nil || w[0] != 9 {
		t.Errorf("w = %v, %v", w, err)
	}
}

func FuzzOpen(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "a", Shape: []int{2}, DType: BF16, Data: []float32{1, 2}}}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.safetensors")
		os.WriteFile(path, data, 0o644)
		sf, err := Open(path)
		if err != nil {
			return
		}
		defer sf.Close()
		for _, info := range sf.Tensors() {
			if _, _, err := sf.Float32(info.Name); err != nil && info.DType.Size() != 0 {
				t.Fatalf("validated tensor %q failed to load: %v", info.Name, err)
			}
		}
	})
}

func BenchmarkReadBF16(b *testing.B) {
	n := 1 << 20
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i%1000) / 7
	}
	path := filepath.Join(b.TempDir(), "b.safetensors")
	if err := WriteFile(path, []Tensor{{Name: "w", Shape: []int{n}, DType: BF16, Data: data}}, nil); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(2 * n))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Float32("w"); err != nil {
			b.Fatal(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadWideTypes reads F64, I64 and I32 tensors, which load as float32.
func TestReadWideTypes(t *testing.T) {
	hdr := `{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"i":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},"j":{"dtype":"I32","shape":[1],"data_offsets":[32,36]}}`
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(hdr)))
	buf.WriteString(hdr)
	binary.Write(&buf, binary.LittleEndian, []float64{0.5, -3})
	binary.Write(&buf, binary.LittleEndian, []int64{-7, 1 << 20})
	binary.Write(&buf, binary.LittleEndian, []int32{-9})
	path := filepath.Join(t.TempDir(), "wide.safetensors")
	os.WriteFile(path, buf.Bytes(), 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, want := range map[string][]float32{"d": {0.5, -3}, "i": {-7, 1 << 20}, "j": {-9}} {
		got, _, err := f.Float32(name)
		if err != nil || len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
}
