// Package dirlock takes an advisory lock on a run directory, so that two
// processes never write one run at once (two `terse eval` on the same
// --out would each sample everything).
//
// The lock is flock(2) on a file named LockFile inside the directory,
// taken without waiting. The kernel releases it when the process exits,
// however it exits (kill -9 included), so a stale lock cannot outlive its
// holder; the file itself stays, holding the last holder's description
// (pid, host, start time, command line) for the error a second process
// reports. Advisory means only processes that take the lock are stopped:
// terse does, an editor or `cat` does not need to. On network file
// systems flock may be local to one machine.
//
// Package dirlock imports the standard library only.
package dirlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the lock file's name inside a locked directory.
const LockFile = ".terse.lock"

// Holder describes the process holding a lock; it is the lock file's
// content, as JSON.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d on host %s since %s (%s)", h.PID, h.Host, h.Started.Format(time.RFC3339), h.Command)
}

// ErrLocked is matched (errors.Is) by the error of Acquire when another
// process holds the lock.
var ErrLocked = errors.New("directory is locked by another process")

// LockedError is Acquire's error when the lock is held.
type LockedError struct {
	Dir    string
	Holder Holder // zero when the holder had not yet written its description
}

func (e *LockedError) Error() string {
	who := "another process (it has not written its description yet)"
	if e.Holder.PID != 0 {
		who = e.Holder.String()
	}
	return fmt.Sprintf("%s is in use by %s; wait for it to finish, stop it, or choose another output directory", e.Dir, who)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock; Release it when done.
type Lock struct {
	f *os.File
}

// Acquire creates dir if needed and locks it, or returns a *LockedError
// naming the holder when another process (or another Lock in this one)
// holds it. command describes the caller for that error (e.g. the command
// line); "" means os.Args joined by spaces.
func Acquire(dir, command string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dirlock: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dirlock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dirlock: lock %s: %w", path, err)
	}
	if held {
		var h Holder
		if b, err := io.ReadAll(io.LimitReader(f, 1<<16)); err == nil {
			json.Unmarshal(b, &h) // a half-written description reads as unknown
		}
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: h}
	}
	if command == "" {
		command = strings.Join(os.Args, " ")
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second), Command: command})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0) // the description is a courtesy: a failure here does not matter
	}
	return &Lock{f: f}, nil
}

// Release unlocks the directory. The lock file stays (removing it would
// let a third process lock a new file while a second still waits on the
// old one).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	unlock(l.f)
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("dirlock: %w", err)
	}
	return nil
}
