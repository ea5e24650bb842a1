package run

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress draws a one-line progress bar: done/total, rate, ETA,
// completion tokens/s and failures. On a terminal the line is rewritten with
// \r every half second; into a file or pipe a full line is written every
// ten seconds instead, so logs stay readable.
type progress struct {
	w      io.Writer
	tty    bool
	total  int
	cached int
	start  time.Time

	mu     sync.Mutex // guards the counters
	ok     int
	failed int
	tokens int64

	quit chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer, total, cached int) *progress {
	p := &progress{w: w, total: total, cached: cached, start: time.Now(), quit: make(chan struct{})}
	if w == nil {
		return p
	}
	every := 10 * time.Second
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, every = true, 500*time.Millisecond
		}
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.draw()
			}
		}
	})
	return p
}

func (p *progress) done(ok bool, tokens int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		p.ok++
		p.tokens += int64(tokens)
	} else {
		p.failed++
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	n, failed, tokens := p.ok+p.failed, p.failed, p.tokens
	p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	rate, tps := float64(n)/el, float64(tokens)/el
	eta := "?"
	if n > 0 {
		eta = (time.Duration(float64(p.total-n)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(n) / float64(p.total)
	}
	start, end := "", "\n"
	if p.tty {
		start, end = "\r\x1b[K", ""
	}
	fmt.Fprintf(p.w, "%seval %d/%d (%.1f%%) | %.1f req/s | ETA %s | %.0f tok/s | failed %d | cached %d%s",
		start, n, p.total, pct, rate, eta, tps, failed, p.cached, end)
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.draw()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
