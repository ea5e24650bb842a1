// Package store keeps rollouts in an append-only JSONL file, one
// eval.Rollout per line, and answers "is this sample already done?" for a
// resumed run.
//
// Resume. Open reads the whole file once and indexes every ok rollout by
// its eval.SampleID. A run asks Lookup before sampling and appends only
// what is missing, so a run killed at any moment (kill -9 included) and
// rerun with the same command samples exactly the missing rollouts.
//
// Torn lines. Each rollout is written with a single write(2) of one whole
// line on a file opened O_APPEND, so a killed process leaves either the
// whole line or, at worst (a crash of the machine, a full disk), a partial
// last line. Open detects a last line without its newline, truncates the
// file to the last newline and reports a warning.
//
// Bad lines. A complete line that is not valid JSON or not a plausible
// rollout (a required field missing, completion_tokens negative or above
// max_tokens, …) is skipped with a warning naming file:line and the field,
// and left in the file: one bad line, e.g. a lying server's answer stored
// by an older terse, never makes the whole store unreadable. A skipped ok
// rollout is not indexed, so its sample is redone.
//
// Durability (fsync policy). Data handed to write(2) survives the death of
// the process, so a kill loses nothing. Against power loss the file is
// fsynced at most every Options.SyncEvery (default 1 s) by the appender
// that crosses the interval, and on Close: a power cut loses at most the
// last second of rollouts, which a resumed run samples again. A newly
// created file's directory is fsynced too, so that its name survives.
//
// Budget-aware cache. A rollout sampled with max_tokens M answers a
// request for budget B ≤ M (eval.Rollout.CanAnswer); one sampled at B < M
// never answers M. The cache key (eval.Sampling.Key) covers the model, API,
// system prompt, prompt template, prefill, temperature, top-p, top-k and
// seed; the rendered prompt itself is compared too, so a changed problem
// text is sampled again.
//
// Package store imports eval, internal/atomicfile and the standard library
// only.
package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/internal/atomicfile"
)

// maxLine caps one JSONL line (a 32k-token completion is ~150 KB of text).
const maxLine = 64 << 20

// ErrLineTooLong is wrapped by Append's error when a rollout encodes to a
// line over the store's line limit; AppendOrFail records such a rollout
// as a failed sample instead.
var ErrLineTooLong = errors.New("rollout over the store's line limit")

// ReasonTooLarge is the Reason of a failed rollout written by AppendOrFail
// in place of one whose text did not fit a line.
const ReasonTooLarge = "answer_too_large"

// Options configures Open.
type Options struct {
	// SyncEvery is the longest time between fsyncs while appending; 0 means
	// one second, a negative value fsyncs after every line.
	SyncEvery time.Duration
	// Warnf receives warnings (a repaired torn line); nil discards them.
	Warnf func(format string, args ...any)
	// MaxLine caps the bytes of one written line (newline included); 0 or
	// more than the 64 MiB readers accept means 64 MiB.
	MaxLine int
}

// entry is what the index keeps of one ok rollout.
type entry struct {
	maxTokens  int
	promptHash uint64
}

// Store is an open rollout file. Its methods are safe for concurrent use.
type Store struct {
	path      string
	syncEvery time.Duration
	maxLine   int

	mu       sync.Mutex // guards everything below
	f        *os.File
	index    map[eval.SampleID][]entry
	lines    int
	skipped  int
	lastSync time.Time
	closed   bool
}

// Open opens (creating it and its directory if needed) the rollout file at
// path, repairs a torn last line and indexes its rollouts.
func Open(path string, opts Options) (*Store, error) {
	if err := atomicfile.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A new file: its directory entry must survive a crash too.
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	s := &Store{path: path, f: f, index: make(map[eval.SampleID][]entry), lastSync: time.Now(), maxLine: maxLine}
	if opts.MaxLine > 0 && opts.MaxLine < maxLine {
		s.maxLine = opts.MaxLine
	}
	switch {
	case opts.SyncEvery == 0:
		s.syncEvery = time.Second
	default:
		s.syncEvery = opts.SyncEvery
	}
	if err := s.repair(opts.Warnf); err != nil {
		f.Close()
		return nil, err
	}
	err = scan(f, path, opts.Warnf, &s.skipped, func(line int, r *eval.Rollout) error {
		s.lines++
		s.add(r)
		return nil
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	// Reopen for appending: O_APPEND makes each write land at the end even
	// if another process appended meanwhile.
	f.Close()
	if s.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// repair truncates the file after its last newline if the last line is
// incomplete.
func (s *Store) repair(warnf func(string, ...any)) error {
	st, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	size := st.Size()
	if size == 0 {
		return nil
	}
	// Walk back from the end in chunks to the last newline.
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		n, err := s.f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return fmt.Errorf("store: read %s: %w", s.path, err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			cut := start + int64(i) + 1
			if cut == size {
				return nil
			}
			return s.truncate(cut, size, warnf)
		}
		end = start
	}
	return s.truncate(0, size, warnf)
}

func (s *Store) truncate(cut, size int64, warnf func(string, ...any)) error {
	if warnf != nil {
		warnf("store: %s: last line is incomplete (%d bytes after the last newline, likely an interrupted write); truncating it, the sample will be redone", s.path, size-cut)
	}
	if err := s.f.Truncate(cut); err != nil {
		return fmt.Errorf("store: repair %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("store: repair %s: %w", s.path, err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("store: repair %s: %w", s.path, err)
	}
	return nil
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, s)
	return h.Sum64()
}

// add indexes r if it is ok. Caller holds mu or owns s exclusively.
func (s *Store) add(r *eval.Rollout) {
	if r.Status != eval.StatusOK {
		return
	}
	id := r.ID()
	s.index[id] = append(s.index[id], entry{maxTokens: r.MaxTokens, promptHash: hashString(r.Prompt)})
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Lines returns how many rollouts the file held when opened plus those
// appended since; skipped bad lines are not counted.
func (s *Store) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// Skipped returns how many bad complete lines Open skipped.
func (s *Store) Skipped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}

// Has reports whether the store holds an ok rollout for id, with the same
// rendered prompt, that can answer a request for budget tokens
// (eval.Rollout.CanAnswer).
func (s *Store) Has(id eval.SampleID, prompt string, budget int) bool {
	h := hashString(prompt)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.index[id] {
		if e.maxTokens >= budget && e.promptHash == h {
			return true
		}
	}
	return false
}

// Append writes r as one line with a single write and indexes it.
func (s *Store) Append(r *eval.Rollout) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode rollout %v: %w", r.ID(), err)
	}
	if len(b)+1 > s.maxLine {
		return fmt.Errorf("store: rollout %v is %d bytes, over the %d-byte line limit: %w", r.ID(), len(b), s.maxLine, ErrLineTooLong)
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("store: append to closed %s", s.path)
	}
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("store: append to %s: %w", s.path, err)
	}
	s.lines++
	s.add(r)
	if s.syncEvery < 0 || time.Since(s.lastSync) >= s.syncEvery {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("store: fsync %s: %w", s.path, err)
		}
		s.lastSync = time.Now()
	}
	return nil
}

// AppendOrFail appends r, or, when r is over the line limit (a runaway
// answer), a failed copy of r without its text, so that one oversized
// answer costs one failed sample (sampled again by the next run) instead
// of the run. It returns what was written.
func (s *Store) AppendOrFail(r *eval.Rollout) (*eval.Rollout, error) {
	err := s.Append(r)
	if !errors.Is(err, ErrLineTooLong) {
		return r, err
	}
	f := *r
	f.Status, f.Error, f.Reason = eval.StatusFailed, err.Error(), ReasonTooLarge
	f.Reasoning, f.Response, f.Extracted, f.Matched, f.Correct = "", "", "", "", false
	f.TestResults, f.CodeTests = nil, nil
	if err := s.Append(&f); err != nil {
		return r, err
	}
	return &f, nil
}

// Close fsyncs and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	serr := s.f.Sync()
	cerr := s.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// Scan streams the rollouts of the file at path to fn, in file order, with
// their 1-based line numbers. It never modifies the file: a torn last line
// is skipped (the next Open repairs it) and so is a bad complete line (see
// the package doc), each reported through warnf. fn may keep r.
func Scan(path string, warnf func(string, ...any), fn func(line int, r *eval.Rollout) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	var skipped int
	return scan(f, path, warnf, &skipped, fn)
}

// scan reads rollouts from rd, counting bad lines in *skipped.
func scan(rd io.Reader, path string, warnf func(string, ...any), skipped *int, fn func(int, *eval.Rollout) error) error {
	warn := func(format string, args ...any) {
		if warnf != nil {
			warnf(format, args...)
		}
	}
	br := bufio.NewReaderSize(rd, 1<<20)
	line := 0
	for {
		b, err := readLine(br)
		if len(b) > 0 {
			line++
			if b[len(b)-1] != '\n' {
				warn("store: %s:%d: incomplete last line (%d bytes) ignored", path, line, len(b))
				return nil
			}
			if len(bytes.TrimSpace(b)) > 0 {
				r := new(eval.Rollout)
				bad := json.Unmarshal(b, r)
				if bad == nil {
					bad = validate(r)
				}
				if bad != nil {
					*skipped++
					warn("store: %s:%d: bad line skipped (a sample it held is sampled again): %v", path, line, bad)
				} else if ferr := fn(line, r); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: %s:%d: %w", path, line+1, err)
		}
	}
}

// readLine reads one line including its '\n' (missing at EOF), refusing
// lines over maxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		frag, err := br.ReadSlice('\n')
		out = append(out, frag...)
		if len(out) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

// validate checks the fields every reader relies on.
func validate(r *eval.Rollout) error {
	switch {
	case r.Benchmark == "":
		return fmt.Errorf("field benchmark is empty")
	case r.ProblemID == "":
		return fmt.Errorf("field problem_id is empty")
	case r.Sample < 0:
		return fmt.Errorf("field sample is %d < 0", r.Sample)
	case r.Status != eval.StatusOK && r.Status != eval.StatusFailed:
		return fmt.Errorf("field status is %q, want %q or %q", r.Status, eval.StatusOK, eval.StatusFailed)
	case r.Status == eval.StatusOK && r.MaxTokens <= 0:
		return fmt.Errorf("field max_tokens is %d; an ok rollout needs its budget", r.MaxTokens)
	case r.CompletionTokens < 0:
		return fmt.Errorf("field completion_tokens is %d < 0", r.CompletionTokens)
	case r.Status == eval.StatusOK && r.CompletionTokens > r.MaxTokens:
		return fmt.Errorf("field completion_tokens is %d > max_tokens %d", r.CompletionTokens, r.MaxTokens)
	}
	return nil
}
