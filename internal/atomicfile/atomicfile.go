// Package atomicfile writes a file so that, after a crash at any moment,
// the path holds either the old content or the whole new content, never a
// mix or a prefix:
//
//  1. the data goes to a temporary file in the same directory,
//  2. the temporary file is fsynced (its data reaches the disk),
//  3. it is renamed over the path (atomic on POSIX file systems),
//  4. the directory is fsynced (the rename itself reaches the disk).
//
// Without step 2 a power loss after the rename can leave an empty or
// partial file under the new name (ext4 with delalloc, XFS); without step 4
// it can leave the old name, or no name, after a reboot.
//
// Package atomicfile imports the standard library only.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile writes data to path atomically and durably (see the package
// doc) with permissions perm (applied as given: the umask does not apply,
// since the temporary file is chmod-ed before the rename).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write creates path atomically and durably from what fill writes into a
// buffered writer on the temporary file, with permissions perm (as
// WriteFile). If fill or any step fails, the temporary file is removed and
// path is left as it was.
func Write(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	return osOps().write(path, perm, fill)
}

// ops are the durability steps of write, replaced by recorders in tests.
type ops struct {
	syncFile func(f *os.File) error
	rename   func(from, to string) error
	syncDir  func(dir string) error
}

func osOps() ops {
	return ops{syncFile: (*os.File).Sync, rename: os.Rename, syncDir: SyncDir}
}

func (o ops) write(path string, perm os.FileMode, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = fill(bw); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	if err = o.syncFile(tmp); err != nil {
		return fmt.Errorf("atomicfile: fsync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: closing %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; give it the permissions asked for.
	if err = os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = o.rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	// The new content is in place; a failed directory fsync is reported
	// but the file is not removed.
	return o.syncDir(dir)
}

// SyncDir fsyncs a directory, making the creation, removal or renaming of
// its entries durable. File systems that cannot fsync a directory (some
// network and FUSE mounts answer EINVAL) are not an error: there is
// nothing more a program can do there.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !syncUnsupported(err) {
		return fmt.Errorf("atomicfile: fsync directory %s: %w", dir, err)
	}
	return nil
}

// MkdirAll creates dir and any missing parents, as os.MkdirAll, and fsyncs
// the parent of each directory it created, so that the new directories
// survive a crash.
func MkdirAll(dir string, perm os.FileMode) error {
	dir = filepath.Clean(dir)
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	for _, d := range created {
		if err := SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// syncUnsupported reports an fsync error that means "this file system does
// not fsync directories" rather than a failed write.
func syncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
