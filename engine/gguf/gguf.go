package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/terse-dev/terse/engine/safetensors"
	"github.com/terse-dev/terse/internal/atomicfile"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// Version is the GGUF version this package writes.
const Version = 3

// DefaultAlignment is the data alignment when general.alignment is absent.
const DefaultAlignment = 32

// Caps that keep a corrupt header from allocating without bound.
const (
	maxStringLen = 1 << 26 // 64 MiB for one string
	maxArrayLen  = 1 << 28 // elements in one metadata array
	maxCount     = 1 << 24 // tensors or metadata entries
	maxDims      = 4       // GGML_MAX_DIMS
)

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types (gguf.h GGUF_TYPE_*).
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// GGMLType is a tensor element type (ggml.h GGML_TYPE_*). This package writes
// and reads F32, F16 and BF16.
type GGMLType uint32

// Tensor element types.
const (
	F32  GGMLType = 0
	F16  GGMLType = 1
	BF16 GGMLType = 30
)

// String names the type as ggml does.
func (t GGMLType) String() string {
	switch t {
	case F32:
		return "f32"
	case F16:
		return "f16"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

func (t GGMLType) size() int {
	switch t {
	case F32:
		return 4
	case F16, BF16:
		return 2
	}
	return 0
}

var (
	// ErrCorrupt wraps every structural problem found while reading.
	ErrCorrupt = errors.New("gguf: corrupt file")
	// ErrNotFound is returned for a tensor the file does not hold.
	ErrNotFound = errors.New("gguf: tensor not found")
)

// KV is one metadata entry. Value is one of uint8, int8, uint16, int16,
// uint32, int32, float32, bool, string, uint64, int64, float64, or a slice
// of one of those (a GGUF array).
type KV struct {
	Key   string
	Value any
}

// Tensor is one tensor to write. Shape is row-major, outermost first, as in
// PyTorch/HF ([out, in] for a linear weight); GGUF stores it reversed
// (ne[0] = in). Data is encoded as Type.
type Tensor struct {
	Name  string
	Shape []int
	Type  GGMLType
	Data  []float32
}

// Write encodes a GGUF v3 file: header, metadata, tensor infos, then the
// tensor data with every tensor starting at a multiple of the alignment
// (general.alignment if given as a uint32 KV, else 32).
func Write(w io.Writer, kvs []KV, tensors []Tensor) error {
	align := uint64(DefaultAlignment)
	seen := map[string]bool{}
	for _, kv := range kvs {
		if seen[kv.Key] {
			return fmt.Errorf("gguf: duplicate metadata key %q", kv.Key)
		}
		seen[kv.Key] = true
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return fmt.Errorf("gguf: general.alignment must be a power-of-two uint32, got %v", kv.Value)
			}
			align = uint64(a)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	e := &encoder{w: bw}
	e.raw([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		e.str(kv.Key)
		if err := e.value(kv.Key, kv.Value, true); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	offsets := make([]uint64, len(tensors))
	var off uint64
	for i, t := range tensors {
		if names[t.Name] {
			return fmt.Errorf("gguf: duplicate tensor name %q", t.Name)
		}
		names[t.Name] = true
		if t.Type.size() == 0 {
			return fmt.Errorf("gguf: tensor %q: cannot write type %v", t.Name, t.Type)
		}
		if len(t.Shape) == 0 || len(t.Shape) > maxDims {
			return fmt.Errorf("gguf: tensor %q: shape %v must have 1 to %d dims", t.Name, t.Shape, maxDims)
		}
		n := 1
		for _, d := range t.Shape {
			if d <= 0 {
				return fmt.Errorf("gguf: tensor %q: shape %v has a non-positive dim", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("gguf: tensor %q: shape %v needs %d elements, have %d", t.Name, t.Shape, n, len(t.Data))
		}
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for j := len(t.Shape) - 1; j >= 0; j-- {
			e.u64(uint64(t.Shape[j]))
		}
		e.u32(uint32(t.Type))
		offsets[i] = off
		e.u64(off)
		off = alignUp(off+uint64(n*t.Type.size()), align)
	}
	e.pad(align)
	var buf []byte
	for i, t := range tensors {
		buf = encodeData(buf[:0], t.Data, t.Type)
		e.raw(buf)
		if i+1 < len(tensors) {
			e.pad(align)
		}
	}
	if e.err != nil {
		return fmt.Errorf("gguf: %w", e.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// WriteFile writes a GGUF file atomically and durably (internal/atomicfile:
// temporary file, fsync, rename, fsync of the directory).
func WriteFile(path string, kvs []KV, tensors []Tensor) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return Write(w, kvs, tensors) }); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

func encodeData(dst []byte, src []float32, t GGMLType) []byte {
	switch t {
	case F32:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case F16:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint16(dst, safetensors.F32ToF16(v))
		}
	case BF16:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint16(dst, safetensors.F32ToBF16(v))
		}
	}
	return dst
}

// encoder writes little-endian GGUF primitives, remembering the first error
// and the byte count (for padding).
type encoder struct {
	w   io.Writer
	n   uint64
	err error
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	var k int
	k, e.err = e.w.Write(b)
	e.n += uint64(k)
}
func (e *encoder) u32(v uint32) { e.raw(binary.LittleEndian.AppendUint32(nil, v)) }
func (e *encoder) u64(v uint64) { e.raw(binary.LittleEndian.AppendUint64(nil, v)) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}
func (e *encoder) pad(align uint64) {
	if r := e.n % align; r != 0 {
		e.raw(make([]byte, align-r))
	}
}

// value writes the type tag (when tagged) and the payload of v.
func (e *encoder) value(key string, v any, tagged bool) error {
	tag := func(t ValueType) {
		if tagged {
			e.u32(uint32(t))
		}
	}
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		tag(TypeUint8)
		e.raw([]byte{x})
	case int8:
		tag(TypeInt8)
		e.raw([]byte{byte(x)})
	case uint16:
		tag(TypeUint16)
		e.raw(le.AppendUint16(nil, x))
	case int16:
		tag(TypeInt16)
		e.raw(le.AppendUint16(nil, uint16(x)))
	case uint32:
		tag(TypeUint32)
		e.u32(x)
	case int32:
		tag(TypeInt32)
		e.u32(uint32(x))
	case float32:
		tag(TypeFloat32)
		e.u32(math.Float32bits(x))
	case bool:
		tag(TypeBool)
		b := byte(0)
		if x {
			b = 1
		}
		e.raw([]byte{b})
	case string:
		tag(TypeString)
		e.str(x)
	case uint64:
		tag(TypeUint64)
		e.u64(x)
	case int64:
		tag(TypeInt64)
		e.u64(uint64(x))
	case float64:
		tag(TypeFloat64)
		e.u64(math.Float64bits(x))
	case []uint8:
		return writeArray(e, key, TypeUint8, x)
	case []int8:
		return writeArray(e, key, TypeInt8, x)
	case []uint16:
		return writeArray(e, key, TypeUint16, x)
	case []int16:
		return writeArray(e, key, TypeInt16, x)
	case []uint32:
		return writeArray(e, key, TypeUint32, x)
	case []int32:
		return writeArray(e, key, TypeInt32, x)
	case []float32:
		return writeArray(e, key, TypeFloat32, x)
	case []bool:
		return writeArray(e, key, TypeBool, x)
	case []string:
		return writeArray(e, key, TypeString, x)
	case []uint64:
		return writeArray(e, key, TypeUint64, x)
	case []int64:
		return writeArray(e, key, TypeInt64, x)
	case []float64:
		return writeArray(e, key, TypeFloat64, x)
	default:
		return fmt.Errorf("gguf: metadata %q: unsupported value type %T", key, v)
	}
	return nil
}

func writeArray[T any](e *encoder, key string, elem ValueType, xs []T) error {
	e.u32(uint32(TypeArray))
	e.u32(uint32(elem))
	e.u64(uint64(len(xs)))
	for _, x := range xs {
		if err := e.value(key, x, false); err != nil {
			return err
		}
	}
	return nil
}

// TensorInfo describes one stored tensor.
type TensorInfo struct {
	Name   string
	Dims   []uint64 // ggml order, innermost first
	Type   GGMLType
	Offset uint64 // relative to the data section
}

// Shape returns the dims outermost first (PyTorch/HF order).
func (t TensorInfo) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// NumElements is the product of the dims.
func (t TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file held in memory.
type File struct {
	Path      string
	Version   uint32
	KV        []KV
	Tensors   []TensorInfo
	Alignment uint64
	data      []byte // the data section
}

// Get returns the metadata value of key.
func (f *File) Get(key string) (any, bool) {
	for _, kv := range f.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Float32 returns the named tensor's data as float32 (ggml element order).
func (f *File) Float32(name string) ([]float32, TensorInfo, error) {
	i := slices.IndexFunc(f.Tensors, func(t TensorInfo) bool { return t.Name == name })
	if i < 0 {
		return nil, TensorInfo{}, fmt.Errorf("%w: %q in %s", ErrNotFound, name, f.Path)
	}
	t := f.Tensors[i]
	n := t.NumElements()
	raw := f.data[t.Offset : t.Offset+n*uint64(t.Type.size())]
	out := make([]float32, n)
	for j := range out {
		switch t.Type {
		case F32:
			out[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		case F16:
			out[j] = safetensors.F16ToF32(binary.LittleEndian.Uint16(raw[2*j:]))
		case BF16:
			out[j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*j:])) << 16)
		}
	}
	return out, t, nil
}

// ReadFile reads and validates a whole GGUF file (F32/F16/BF16 tensors only).
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// Parse decodes a GGUF file held in b, checking counts, string lengths,
// types, alignment and that every tensor lies inside the data section.
func Parse(b []byte) (*File, error) {
	d := &decoder{b: b}
	if string(d.take(4)) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	f := &File{Version: d.u32(), Alignment: DefaultAlignment}
	if d.err == nil && (f.Version < 2 || f.Version > 3) {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, f.Version)
	}
	nt, nkv := d.u64(), d.u64()
	if d.err == nil && (nt > maxCount || nkv > maxCount) {
		return nil, fmt.Errorf("%w: %d tensors, %d metadata entries exceed the caps", ErrCorrupt, nt, nkv)
	}
	for i := uint64(0); i < nkv && d.err == nil; i++ {
		key := d.str()
		v := d.value(ValueType(d.u32()), 0)
		if d.err != nil {
			return nil, fmt.Errorf("%w: metadata %q: %v", ErrCorrupt, key, d.err)
		}
		f.KV = append(f.KV, KV{Key: key, Value: v})
		if key == "general.alignment" {
			a, ok := v.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("%w: general.alignment %v is not a power-of-two uint32", ErrCorrupt, v)
			}
			f.Alignment = uint64(a)
		}
	}
	for i := uint64(0); i < nt && d.err == nil; i++ {
		t := TensorInfo{Name: d.str()}
		nd := d.u32()
		if d.err == nil && (nd == 0 || nd > maxDims) {
			return nil, fmt.Errorf("%w: tensor %q has %d dims", ErrCorrupt, t.Name, nd)
		}
		for j := uint32(0); j < nd && d.err == nil; j++ {
			t.Dims = append(t.Dims, d.u64())
		}
		t.Type = GGMLType(d.u32())
		t.Offset = d.u64()
		if d.err != nil {
			break
		}
		if t.Type.size() == 0 {
			return nil, fmt.Errorf("%w: tensor %q: unsupported type %v", ErrCorrupt, t.Name, t.Type)
		}
		f.Tensors = append(f.Tensors, t)
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, d.err)
	}
	start := alignUp(uint64(d.pos), f.Alignment)
	if start > uint64(len(b)) {
		return nil, fmt.Errorf("%w: data section starts past the end of the file", ErrCorrupt)
	}
	f.data = b[start:]
	for _, t := range f.Tensors {
		n := uint64(1)
		for _, dim := range t.Dims {
			if dim != 0 && n > uint64(len(b))/dim {
				return nil, fmt.Errorf("%w: tensor %q: dims %v too large", ErrCorrupt, t.Name, t.Dims)
			}
			n *= dim
		}
		size := n * uint64(t.Type.size())
		if t.Offset%f.Alignment != 0 || t.Offset > uint64(len(f.data)) || size > uint64(len(f.data))-t.Offset {
			return nil, fmt.Errorf("%w: tensor %q: %d bytes at offset %d outside the %d-byte data section (or misaligned)", ErrCorrupt, t.Name, size, t.Offset, len(f.data))
		}
	}
	return f, nil
}

// decoder reads little-endian GGUF primitives, remembering the first error.
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.pos) {
		d.err = fmt.Errorf("unexpected end of file at byte %d (need %d more)", d.pos, n)
		return nil
	}
	out := d.b[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return out
}

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) str() string {
	n := d.u64()
	if d.err == nil && n > maxStringLen {
		d.err = fmt.Errorf("string of %d bytes exceeds the cap", n)
		return ""
	}
	return string(d.take(n))
}

func (d *decoder) value(t ValueType, depth int) any {
	switch t {
	case TypeUint8:
		return d.u8()
	case TypeInt8:
		return int8(d.u8())
	case TypeUint16:
		return d.u16()
	case TypeInt16:
		return int16(d.u16())
	case TypeUint32:
		return d.u32()
	case TypeInt32:
		return int32(d.u32())
	case TypeFloat32:
		return math.Float32frombits(d.u32())
	case TypeBool:
		b := d.u8()
		if d.err == nil && b > 1 {
			d.err = fmt.Errorf("bool byte %d", b)
		}
		return b == 1
	case TypeString:
		return d.str()
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	case TypeFloat64:
		return math.Float64frombits(d.u64())
	case TypeArray:
		if depth > 0 {
			d.err = fmt.Errorf("nested arrays are not supported")
			return nil
		}
		elem := ValueType(d.u32())
		n := d.u64()
		if d.err == nil && n > maxArrayLen {
			d.err = fmt.Errorf("array of %d elements exceeds the cap", n)
		}
		if d.err != nil {
			return nil
		}
		return d.array(elem, n)
	}
	if d.err == nil {
		d.err = fmt.Errorf("unknown value type %d", t)
	}
	return nil
}

func (d *decoder) array(elem ValueType, n uint64) any {
	switch elem {
	case TypeUint8:
		return readArray[uint8](d, elem, n)
	case TypeInt8:
		return readArray[int8](d, elem, n)
	case TypeUint16:
		return readArray[uint16](d, elem, n)
	case TypeInt16:
		return readArray[int16](d, elem, n)
	case TypeUint32:
		return readArray[uint32](d, elem, n)
	case TypeInt32:
		return readArray[int32](d, elem, n)
	case TypeFloat32:
		return readArray[float32](d, elem, n)
	case TypeBool:
		return readArray[bool](d, elem, n)
	case TypeString:
		return readArray[string](d, elem, n)
	case TypeUint64:
		return readArray[uint64](d, elem, n)
	case TypeInt64:
		return readArray[int64](d, elem, n)
	case TypeFloat64:
		return readArray[float64](d, elem, n)
	}
	d.err = fmt.Errorf("unsupported array element type %d", elem)
	return nil
}

func readArray[T any](d *decoder, elem ValueType, n uint64) []T {
	// Every element takes at least one byte: a cheap bound before allocating.
	if n > uint64(len(d.b)-d.pos) {
		d.err = fmt.Errorf("array of %d elements is longer than the file", n)
		return nil
	}
	out := make([]T, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		v, _ := d.value(elem, 1).(T)
		out = append(out, v)
	}
	return out
}
