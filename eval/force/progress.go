package force

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes "forced answers: done/total, tokens, rate" every five
// seconds and once at the end.
type progress struct {
	w      io.Writer
	total  int
	start  time.Time
	mu     sync.Mutex
	done   int
	tokens int64
	quit   chan struct{}
	wg     sync.WaitGroup
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now(), quit: make(chan struct{})}
	if w == nil || total == 0 {
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.print()
			}
		}
	})
	return p
}

func (p *progress) add(tokens int) {
	p.mu.Lock()
	p.done++
	p.tokens += int64(tokens)
	p.mu.Unlock()
}

func (p *progress) print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "forced answers: %d/%d, %d answer tokens, %.1f/s\n", p.done, p.total, p.tokens, float64(p.done)/max(el, 1e-9))
}

func (p *progress) stop() {
	if p.w == nil || p.total == 0 {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.print()
}
