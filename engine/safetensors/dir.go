package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Names of the single-file and sharded layouts inside a checkpoint directory.
const (
	SingleFile = "model.safetensors"
	IndexFile  = "model.safetensors.index.json"
)

// Index is the JSON of model.safetensors.index.json: which shard holds each tensor.
type Index struct {
	Metadata  map[string]any    `json:"metadata,omitempty"`
	WeightMap map[string]string `json:"weight_map"`
}

// Dir is a checkpoint directory's tensors, from model.safetensors or from the
// shards listed in model.safetensors.index.json. Close it when done.
type Dir struct {
	Path   string
	files  []*File
	byName map[string]*File
}

// OpenDir opens the tensors of a checkpoint directory. With an index file
// present, every shard it names is opened and each tensor must be in the
// shard the index says (and in no other); otherwise model.safetensors is used.
func OpenDir(dir string) (*Dir, error) {
	d := &Dir{Path: dir, byName: map[string]*File{}}
	idxPath := filepath.Join(dir, IndexFile)
	js, err := os.ReadFile(idxPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f, err := Open(filepath.Join(dir, SingleFile))
		if err != nil {
			return nil, err
		}
		d.files = []*File{f}
		for _, t := range f.tensors {
			d.byName[t.Name] = f
		}
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(js, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", idxPath, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("%w: %s: empty weight_map", ErrCorrupt, idxPath)
	}
	shards := map[string]*File{}
	var names []string
	for name, shard := range idx.WeightMap {
		if shard == "" || shard != filepath.Base(shard) || strings.HasPrefix(shard, ".") {
			return nil, fmt.Errorf("%w: %s: tensor %q: shard name %q must be a plain file name", ErrCorrupt, idxPath, name, shard)
		}
		if _, ok := shards[shard]; !ok {
			shards[shard] = nil
			names = append(names, shard)
		}
	}
	sort.Strings(names)
	for _, shard := range names {
		f, err := Open(filepath.Join(dir, shard))
		if err != nil {
			d.Close()
			return nil, err
		}
		shards[shard] = f
		d.files = append(d.files, f)
	}
	for _, f := range d.files {
		for _, t := range f.tensors {
			want, ok := idx.WeightMap[t.Name]
			if !ok {
				d.Close()
				return nil, fmt.Errorf("%w: %s holds tensor %q that %s does not list", ErrCorrupt, f.Path, t.Name, idxPath)
			}
			if shards[want] != f {
				continue // a stray copy; the index decides
			}
			d.byName[t.Name] = f
		}
	}
	for name, shard := range idx.WeightMap {
		if d.byName[name] == nil {
			d.Close()
			return nil, fmt.Errorf("%w: %s: tensor %q is not in shard %s", ErrCorrupt, idxPath, name, shard)
		}
	}
	return d, nil
}

// Close closes every shard.
func (d *Dir) Close() error {
	var errs []error
	for _, f := range d.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Names lists every tensor name, sorted.
func (d *Dir) Names() []string {
	out := make([]string, 0, len(d.byName))
	for n := range d.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Info describes the named tensor.
func (d *Dir) Info(name string) (Info, bool) {
	f, ok := d.byName[name]
	if !ok {
		return Info{}, false
	}
	return f.Info(name)
}

// Float32 loads the named tensor as float32 from whichever shard holds it.
func (d *Dir) Float32(name string) ([]float32, Info, error) {
	f, ok := d.byName[name]
	if !ok {
		return nil, Info{}, fmt.Errorf("%w: %q in %s", ErrNotFound, name, d.Path)
	}
	return f.Float32(name)
}
