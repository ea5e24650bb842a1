package rl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	tl := &tail{path: p}
	defer tl.close()
	poll := func(want string, wantChanged bool) {
		t.Helper()
		data, changed, err := tl.poll()
		if err != nil || string(data) != want || changed != wantChanged {
			t.Fatalf("poll = %q, %v, %v; want %q, %v", data, changed, err, want, wantChanged)
		}
	}
	poll("", false) // not created yet
	os.WriteFile(p, []byte("a\nb"), 0o644)
	poll("a\n", true) // the partial "b" waits
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("c\nd")
	f.Close()
	poll("a\nbc\n", true)
	poll("a\nbc\n", false)
	poll("a\nbc\n", false) // a partial last line of a line log keeps waiting

	os.WriteFile(p, []byte("x\n"), 0o644) // truncated and rewritten
	poll("x\n", true)
	os.Rename(p, p+".1") // rotated
	poll("x\n", false)
	os.WriteFile(p, []byte("new\n"), 0o644)
	poll("new\n", true)

	// A JSON document without a final newline (json.dump) is whole once
	// it has not changed for two polls; rewritten, it is read again.
	tl.close()
	p = filepath.Join(t.TempDir(), "history.json")
	tl = &tail{path: p, whole: true}
	defer tl.close()
	os.WriteFile(p, []byte(`[{"step": 1}]`), 0o644)
	poll("", false)
	poll("", false)
	poll(`[{"step": 1}]`, true)
	poll(`[{"step": 1}]`, false)
	os.WriteFile(p, []byte(`[{"step": 1}, {"step": 2}]`), 0o644)
	poll("", true)
	poll("", false)
	poll(`[{"step": 1}, {"step": 2}]`, true)
}

// TestFollowDeadRun grows a verl console log of a run that learns nothing
// while Follow watches it: the zero-advantage and length-cap findings come
// while the log is still being written, each once, also after the log is
// truncated and written again, and Follow returns when the context ends.
func TestFollowDeadRun(t *testing.T) {
	p := filepath.Join(t.TempDir(), "verl.log")
	line := func(step int) string {
		return fmt.Sprintf("\x1b[36m(TaskRunner pid=7)\x1b[0m step:%d - critic/score/mean:np.float64(0.0) - critic/advantages/max:np.float64(0.0) - critic/advantages/min:np.float64(0.0) - response_length/mean:np.float64(1024.0) - response_length/clip_ratio:np.float64(1.0) - actor/entropy:np.float64(0.52)\n", step)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	found := make(chan Finding, 100)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, p, FollowOptions{Interval: 5 * time.Millisecond}, func(f Finding) { found <- f })
	}()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("(TaskRunner pid=7) Using dataset class: RLHFDataset\n")
	for s := 1; s <= 12; s++ {
		l := line(s)
		// Half a line first: the reader must wait for the rest.
		f.WriteString(l[:len(l)/2])
		f.Sync()
		time.Sleep(2 * time.Millisecond)
		f.WriteString(l[len(l)/2:])
	}
	got := map[FindingKind]int{}
	wait := func(k FindingKind) {
		t.Helper()
		deadline := time.After(60 * time.Second) // a generous bound for a loaded machine, not a timing claim
		for got[k] == 0 {
			select {
			case fd := <-found:
				got[fd.Kind]++
				if fd.Kind == ZeroAdvantage && fd.Step != 1 {
					t.Errorf("zero advantage from step %d, want 1: %s", fd.Step, fd.Summary)
				}
			case <-deadline:
				t.Fatalf("no %s after 12 dead steps; found %v", k, got)
			}
		}
	}
	wait(ZeroAdvantage)
	wait(LengthCapSaturated)
	// More of the same, then the log is truncated and written again.
	for s := 13; s <= 20; s++ {
		f.WriteString(line(s))
	}
	f.Close()
	time.Sleep(50 * time.Millisecond)
	os.WriteFile(p, []byte(line(1)+line(2)+line(3)+line(4)+line(5)+line(6)), 0o644)
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	close(found)
	for fd := range found {
		got[fd.Kind]++
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s reported %d times, want once", k, n)
		}
	}
}

func TestFollowBadLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "steps.jsonl")
	os.WriteFile(p, []byte("{\"step\":1}\n{oops}\n"), 0o644)
	err := Follow(context.Background(), p, FollowOptions{Interval: time.Millisecond}, func(Finding) {})
	if err == nil {
		t.Fatal("a corrupt complete line was accepted")
	}
}

func TestFollowDynamicsJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "steps.jsonl")
	var b strings.Builder
	for s := 1; s <= 10; s++ {
		fmt.Fprintf(&b, "{\"step\":%d,\"reward_std\":0,\"mean_reward\":0,\"grad_norm\":0}\n", s)
	}
	os.WriteFile(p, []byte(b.String()), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error)
	go func() { done <- FollowDynamics(ctx, out, DynamicsOptions{Log: p, JSON: true}, time.Millisecond) }()
	for deadline := time.Now().Add(60 * time.Second); out.lines() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a few more polls: nothing may repeat
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var kinds []FindingKind
	dec := json.NewDecoder(bytes.NewReader(out.bytes()))
	for dec.More() {
		var f Finding
		if err := dec.Decode(&f); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, f.Kind)
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []FindingKind{GradNormZero, ZeroAdvantage}) {
		t.Errorf("findings %v, want grad_norm_zero and zero_advantage once each", kinds)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Count(s.b.Bytes(), []byte("\n"))
}

func (s *syncBuffer) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.b.Bytes())
}
