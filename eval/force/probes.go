package force

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/terse-dev/terse/eval"
)

// ProbesFile is the probe store's name inside a run directory.
const ProbesFile = "probes.jsonl"

// Probe is one forced answer: the rollout's thinking cut at At tokens, the
// closing message appended, the answer requested. One JSON line of
// probes.jsonl.
type Probe struct {
	Key       string `json:"key"`
	Benchmark string `json:"benchmark"`
	ProblemID string `json:"problem_id"`
	Sample    int    `json:"sample"`
	// At is the number of thinking tokens kept; Thinking the rollout's
	// whole thinking length T (both counted with the server's tokenizer).
	At       int `json:"at"`
	Thinking int `json:"thinking"`
	// Marker is the reflection marker the probe was placed before ("" for
	// a probe every P tokens or at a budget).
	Marker string `json:"marker,omitempty"`
	// Closing is the closing message; AnswerMaxTokens the answer budget.
	Closing         string `json:"closing"`
	AnswerMaxTokens int    `json:"answer_max_tokens"`
	// CutBy is CutByTokenIDs when the thinking was cut by the rollout's
	// stored token ids (no /tokenize; At and Thinking then count every
	// generated token before </think>), "" when cut with the server's
	// tokenizer. The two count differently, so a probe of one is never
	// reused for the other.
	CutBy string `json:"cut_by,omitempty"`
	// ClosingIDs are the closing message's ids when cut by token ids.
	ClosingIDs []int `json:"closing_ids,omitempty"`
	// Status is eval.StatusOK or eval.StatusFailed (with Error).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Answer is the forced continuation; AnswerTokens its
	// usage.completion_tokens; PromptTokens the usage.prompt_tokens of the
	// request (the prefix re-read).
	Answer       string    `json:"answer"`
	AnswerTokens int       `json:"answer_tokens"`
	PromptTokens int       `json:"prompt_tokens,omitempty"`
	FinishReason string    `json:"finish_reason,omitempty"`
	Correct      bool      `json:"correct"`
	Reason       string    `json:"reason,omitempty"`
	Extracted    string    `json:"extracted,omitempty"`
	FinishedAt   time.Time `json:"finished_at"`
}

// probeKey identifies a probe for resume.
type probeKey struct {
	id      eval.SampleID
	at      int
	closing string
	answer  int
	cutBy   string
	ids     string // ClosingIDs, printed
}

func (p *Probe) key() probeKey {
	return probeKey{eval.SampleID{Key: p.Key, Benchmark: p.Benchmark, ProblemID: p.ProblemID, Sample: p.Sample}, p.At, p.Closing, p.AnswerMaxTokens, p.CutBy, fmt.Sprint(p.ClosingIDs)}
}

// Store is an append-only probe file, read once on open. It is safe for
// concurrent use. Like the rollout store, each line is one write(2) on a
// file opened O_APPEND, and a torn last line is cut off with a warning.
type Store struct {
	path string
	mu   sync.Mutex
	f    *os.File
	ok   map[probeKey]*Probe
}

// OpenStore opens (creating) the probe file at path.
func OpenStore(path string, warnf func(string, ...any)) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("force: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("force: open probes: %w", err)
	}
	s := &Store{path: path, f: f, ok: map[probeKey]*Probe{}}
	if err := s.load(warnf); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) load(warnf func(string, ...any)) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("force: %s: %w", s.path, err)
	}
	br := bufio.NewReaderSize(s.f, 1<<20)
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(b)) > 0 { // torn last line
				if warnf != nil {
					warnf("%s:%d: incomplete last line (%d bytes) cut off; that probe is redone", s.path, line, len(b))
				}
				return s.f.Truncate(off)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("force: read %s: %w", s.path, err)
		}
		off += int64(len(b))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var p Probe
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("force: %s:%d: %w", s.path, line, err)
		}
		if p.Status == eval.StatusOK {
			s.ok[p.key()] = &p
		}
	}
}

// Get returns the stored ok probe with p's identity, if any.
func (s *Store) Get(p *Probe) (*Probe, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.ok[p.key()]
	return q, ok
}

// Append writes p as one line.
func (s *Store) Append(p *Probe) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("force: encode probe: %w", err)
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("force: append to %s: %w", s.path, err)
	}
	if p.Status == eval.StatusOK {
		q := *p
		s.ok[p.key()] = &q
	}
	return nil
}

// Close syncs and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.f.Sync(); err != nil {
		s.f.Close()
		return fmt.Errorf("force: sync %s: %w", s.path, err)
	}
	return s.f.Close()
}
