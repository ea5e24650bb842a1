// Package progress draws the one-line progress bar of long runs (terse
// eval's sampling and its forced answers).
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Bar is a one-line progress bar: done/total, rate, ETA, tokens/s,
// failures and cached items. On a terminal the line is rewritten with \r
// every half second; into a file or pipe a full line is written every ten
// seconds instead, so logs stay readable. Its methods are safe for
// concurrent use.
type Bar struct {
	w      io.Writer
	name   string
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

// New starts a bar named name for total items to do, cached more already
// done by an earlier run. A nil w draws nothing.
func New(w io.Writer, name string, total, cached int) *Bar {
	b := &Bar{w: w, name: name, total: total, cached: cached, start: time.Now(), quit: make(chan struct{})}
	if w == nil {
		return b
	}
	every := 10 * time.Second
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty, every = true, 500*time.Millisecond
		}
	}
	b.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-b.quit:
				return
			case <-t.C:
				b.draw()
			}
		}
	})
	return b
}

// Done counts one item: ok, or failed; tokens count toward tokens/s for
// ok items.
func (b *Bar) Done(ok bool, tokens int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.ok++
		b.tokens += int64(tokens)
	} else {
		b.failed++
	}
}

func (b *Bar) draw() {
	b.mu.Lock()
	n, failed, tokens := b.ok+b.failed, b.failed, b.tokens
	b.mu.Unlock()
	el := max(time.Since(b.start).Seconds(), 1e-9)
	rate, tps := float64(n)/el, float64(tokens)/el
	eta := "?"
	if n > 0 {
		eta = (time.Duration(float64(b.total-n)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if b.total > 0 {
		pct = 100 * float64(n) / float64(b.total)
	}
	start, end := "", "\n"
	if b.tty {
		start, end = "\r\x1b[K", ""
	}
	fmt.Fprintf(b.w, "%s%s %d/%d (%.1f%%) | %.1f req/s | ETA %s | %.0f tok/s | failed %d | cached %d%s",
		start, b.name, n, b.total, pct, rate, eta, tps, failed, b.cached, end)
}

// Stop ends the bar with a last line.
func (b *Bar) Stop() {
	if b.w == nil {
		return
	}
	close(b.quit)
	b.wg.Wait()
	b.draw()
	if b.tty {
		fmt.Fprintln(b.w)
	}
}
