package rl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/terse-dev/terse/rl/runlog"
)

// FollowOptions control Follow.
type FollowOptions struct {
	Read     ReadOptions
	Diagnose DiagnoseOptions
	Interval time.Duration // how often the log is polled [1s]
}

// Follow watches a training log as it grows (terse dynamics --follow) and
// calls report with each finding the first time Diagnose reports its kind,
// so a user can stop a dead run early. It returns nil when ctx is done, and
// an error when the log turns out unreadable (a complete line that does
// not parse). It tails the file (see tail): a partial last line waits for
// its newline, a truncated or replaced (rotated) file is read again from
// its start. Findings are reported once per kind for the life of the call,
// also across a truncation.
func Follow(ctx context.Context, path string, opt FollowOptions, report func(Finding)) error {
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	tl := &tail{path: path}
	defer tl.close()
	reported := map[FindingKind]bool{}
	format := opt.Read.Format
	for {
		data, changed, err := tl.poll()
		if err != nil {
			return err
		}
		if changed && len(bytes.TrimSpace(data)) > 0 {
			ro := opt.Read
			ro.Format, ro.Warnf = format, nil
			if ro.Format == "" {
				if f, err := runlog.Detect(data, path); err == nil {
					ro.Format = string(f)
					if wholeDocument(f) {
						tl.whole = true
					} else {
						format = ro.Format // a line format stays; a document is re-detected
					}
				}
			}
			if ro.Format != "" {
				steps, _, err := ReadRun(data, path, ro)
				switch {
				case err != nil && wholeDocument(runlog.Format(ro.Format)):
					// A JSON document being rewritten: try again next poll.
				case err != nil:
					return err
				case len(steps) > 0:
					for _, f := range Diagnose(steps, opt.Diagnose).Findings {
						if !reported[f.Kind] {
							reported[f.Kind] = true
							report(f)
						}
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opt.Interval):
		}
	}
}

// wholeDocument reports whether a format is one JSON document, rewritten
// whole by its writer rather than appended to.
func wholeDocument(f runlog.Format) bool {
	return f == runlog.TRLState || f == runlog.WandbJSON
}

// tail reads a growing file: poll returns every complete line so far, and
// a JSON document written without a final newline once it stops changing.
type tail struct {
	path    string
	whole   bool // a JSON document: any change rereads it from the start
	f       *os.File
	info    fs.FileInfo // of the open file, at the last poll
	off     int64       // bytes read from f
	done    []byte      // complete lines read so far
	partial []byte      // bytes after the last newline
	stale   int         // polls the partial tail has not changed
	flushed bool        // partial has been returned as complete
}

func (t *tail) close() {
	if t.f != nil {
		t.f.Close()
	}
}

func (t *tail) reset() {
	t.close() // whole stays: it is the format's, not the file's
	t.f, t.info, t.off, t.done, t.partial, t.stale, t.flushed = nil, nil, 0, nil, nil, 0, false
}

// poll reads what was appended since the last call. It reports changed
// when the returned data differs from the last call's.
func (t *tail) poll() (data []byte, changed bool, err error) {
	st, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return t.view(), false, nil // not there yet, or being rotated
	}
	if err != nil {
		return nil, false, fmt.Errorf("rl: %w", err)
	}
	if t.f != nil && !os.SameFile(st, t.info) {
		t.reset() // replaced: a rotated log
		changed = true
	}
	if t.f != nil && (st.Size() < t.off || t.whole && (st.Size() != t.info.Size() || !st.ModTime().Equal(t.info.ModTime()))) {
		t.reset() // truncated, or a document rewritten
		changed = true
	}
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return t.view(), changed, nil
			}
			return nil, false, fmt.Errorf("rl: %w", err)
		}
		t.f = f
	}
	t.info = st
	if st.Size() == t.off && !changed {
		// Nothing new. A JSON document without a final newline (json.dump
		// writes none) is complete once it stays put for two polls; in a
		// line log the partial last line keeps waiting.
		if len(t.partial) > 0 && !t.flushed && (t.whole || len(t.done) == 0) {
			t.stale++
			if t.stale >= 2 {
				t.flushed = true
				return t.view(), true, nil
			}
		}
		return t.view(), false, nil
	}
	buf := make([]byte, st.Size()-t.off)
	n, err := io.ReadFull(io.NewSectionReader(t.f, t.off, int64(len(buf))), buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, fmt.Errorf("rl: reading %s: %w", t.path, err)
	}
	t.off += int64(n)
	t.partial = append(t.partial, buf[:n]...)
	t.stale, t.flushed = 0, false
	if i := bytes.LastIndexByte(t.partial, '\n'); i >= 0 {
		t.done = append(t.done, t.partial[:i+1]...)
		t.partial = append([]byte(nil), t.partial[i+1:]...)
		changed = true
	}
	return t.view(), changed, nil
}

// view is the data a poll returns: the complete lines, plus the partial
// tail once it is taken as complete.
func (t *tail) view() []byte {
	if t.flushed && len(t.partial) > 0 {
		return append(append([]byte(nil), t.done...), t.partial...)
	}
	return t.done
}

// FormatFinding is the line terse dynamics --follow prints for a finding.
func FormatFinding(f Finding) string {
	return fmt.Sprintf("step %d  %s: %s", f.Step, f.Kind, strings.TrimSpace(f.Summary))
}
