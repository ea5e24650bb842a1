package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/terse-dev/terse/internal/atomicfile"
)

// MaxHeaderSize caps the JSON header (the reference implementation uses the same 100 MB).
const MaxHeaderSize = 100 << 20

// MetadataKey is the header entry holding free-form string metadata.
const MetadataKey = "__metadata__"

var (
	// ErrNotFound is returned for a tensor name the file does not hold.
	ErrNotFound = errors.New("safetensors: tensor not found")
	// ErrCorrupt wraps every structural problem found in a file.
	ErrCorrupt = errors.New("safetensors: corrupt file")
)

// Info describes one stored tensor. Offsets are relative to the data section.
type Info struct {
	Name  string
	DType DType
	Shape []int
	Begin int64 // first byte in the data section
	End   int64 // one past the last byte
}

// NumElements returns the product of Shape (1 for a scalar).
func (i Info) NumElements() int {
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}

// File is an open safetensors file. Tensor bytes are read on demand.
// A File is safe for concurrent reads; Close it when done.
type File struct {
	Path     string
	Metadata map[string]string
	tensors  []Info // sorted by Begin
	byName   map[string]int
	f        *os.File
	dataOff  int64 // file offset of the data section
}

// headerEntry is one tensor in the JSON header.
type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Open opens path and validates its header: size cap, known dtypes,
// non-negative shapes, byte sizes matching shapes, and offsets that tile
// the data section exactly. Errors name the file and the tensor.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	sf, err := parseHeader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.f = f
	return sf, nil
}

func corrupt(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, fmt.Sprintf(format, args...))
}

func parseHeader(r io.ReaderAt, size int64, path string) (*File, error) {
	var lenBuf [8]byte
	if size < 8 {
		return nil, corrupt(path, "file is %d bytes, shorter than the 8-byte header length", size)
	}
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, corrupt(path, "reading header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, corrupt(path, "header length %d exceeds the %d-byte cap", n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return nil, corrupt(path, "header length %d runs past the end of the %d-byte file", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, corrupt(path, "reading header: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, corrupt(path, "header is not a JSON object: %v", err)
	}
	sf := &File{Path: path, byName: make(map[string]int, len(raw)), dataOff: 8 + int64(n)}
	dataSize := size - sf.dataOff
	for name, msg := range raw {
		if name == MetadataKey {
			if err := json.Unmarshal(msg, &sf.Metadata); err != nil {
				return nil, corrupt(path, "%s must map strings to strings: %v", MetadataKey, err)
			}
			continue
		}
		var e headerEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, corrupt(path, "tensor %q: %v", name, err)
		}
		if e.DType.Size() == 0 {
			return nil, corrupt(path, "tensor %q: unsupported dtype %q", name, e.DType)
		}
		info := Info{Name: name, DType: e.DType, Shape: e.Shape, Begin: e.DataOffsets[0], End: e.DataOffsets[1]}
		if info.Shape == nil {
			info.Shape = []int{}
		}
		elems := int64(1)
		for _, d := range info.Shape {
			if d < 0 {
				return nil, corrupt(path, "tensor %q: negative dimension in shape %v", name, info.Shape)
			}
			elems *= int64(d)
			if elems > dataSize {
				return nil, corrupt(path, "tensor %q: shape %v is larger than the file", name, info.Shape)
			}
		}
		if info.Begin < 0 || info.End < info.Begin || info.End > dataSize {
			return nil, corrupt(path, "tensor %q: data_offsets [%d, %d] outside the %d-byte data section", name, info.Begin, info.End, dataSize)
		}
		if want := elems * int64(info.DType.Size()); info.End-info.Begin != want {
			return nil, corrupt(path, "tensor %q: %d bytes stored, shape %v of %s needs %d", name, info.End-info.Begin, info.Shape, info.DType, want)
		}
		sf.tensors = append(sf.tensors, info)
	}
	sort.Slice(sf.tensors, func(i, j int) bool {
		a, b := sf.tensors[i], sf.tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var pos int64
	for i, t := range sf.tensors {
		if t.Begin != pos {
			return nil, corrupt(path, "tensor %q: data starts at %d, expected %d (gap or overlap)", t.Name, t.Begin, pos)
		}
		pos = t.End
		sf.byName[t.Name] = i
	}
	if pos != dataSize {
		return nil, corrupt(path, "tensors cover %d bytes of a %d-byte data section", pos, dataSize)
	}
	return sf, nil
}

// Close releases the file.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// Tensors lists the stored tensors in file order.
func (f *File) Tensors() []Info { return slices.Clone(f.tensors) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Info{}, false
	}
	return f.tensors[i], true
}

// Raw returns the stored bytes of the named tensor.
func (f *File) Raw(name string) ([]byte, Info, error) {
	info, ok := f.Info(name)
	if !ok {
		return nil, Info{}, fmt.Errorf("%w: %q in %s", ErrNotFound, name, f.Path)
	}
	buf := make([]byte, info.End-info.Begin)
	if _, err := f.f.ReadAt(buf, f.dataOff+info.Begin); err != nil {
		return nil, info, fmt.Errorf("safetensors: %s: reading tensor %q: %w", f.Path, name, err)
	}
	return buf, info, nil
}

// Float32 loads the named tensor converted to float32.
func (f *File) Float32(name string) ([]float32, Info, error) {
	raw, info, err := f.Raw(name)
	if err != nil {
		return nil, info, err
	}
	out := make([]float32, info.NumElements())
	if err := decode(out, raw, info.DType); err != nil {
		return nil, info, fmt.Errorf("%s: tensor %q: %w", f.Path, name, err)
	}
	return out, info, nil
}

// Tensor is one tensor to write: Data (row-major, len = product of Shape)
// is encoded as DType (F32, F16 or BF16; empty means F32).
type Tensor struct {
	Name  string
	Shape []int
	DType DType
	Data  []float32
}

// Write encodes tensors (in the given order) and metadata in safetensors
// format. The header is padded with spaces to a multiple of 8 bytes, as the
// reference writer does, so the data section stays aligned.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		hdr[MetadataKey] = metadata
	}
	var off int64
	for _, t := range tensors {
		dt := t.DType
		if dt == "" {
			dt = F32
		}
		if !dt.writable() {
			return fmt.Errorf("safetensors: tensor %q: cannot write dtype %q", t.Name, dt)
		}
		if t.Name == "" || t.Name == MetadataKey {
			return fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
		}
		if _, dup := hdr[t.Name]; dup {
			return fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q: shape %v needs %d elements, have %d", t.Name, t.Shape, n, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		size := int64(n * dt.Size())
		hdr[t.Name] = headerEntry{DType: dt, Shape: shape, DataOffsets: [2]int64{off, off + size}}
		off += size
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: encoding header: %w", err)
	}
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte(" "), pad)...)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(js); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var buf []byte
	for _, t := range tensors {
		dt := t.DType
		if dt == "" {
			dt = F32
		}
		buf, err = encode(buf[:0], t.Data, dt)
		if err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("safetensors: writing tensor %q: %w", t.Name, err)
		}
	}
	return nil
}

// WriteFile writes tensors to path atomically: a temporary file in the same
// directory is written, synced and renamed over path.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	return AtomicWrite(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
}

// AtomicWrite creates path by calling write on a temporary file in the same
// directory, fsyncing it, renaming it into place and fsyncing the directory
// (internal/atomicfile), so readers never see a partial file and a crash
// never leaves one. On error the temporary file is removed.
func AtomicWrite(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
