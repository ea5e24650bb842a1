//go:build !unix

package dirlock

import "os"

// tryLock cannot lock where flock is missing: the directory is not
// protected there (terse's supported platforms are unix).
func tryLock(f *os.File) (held bool, err error) { return false, nil }

func unlock(f *os.File) {}
