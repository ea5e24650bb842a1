package demo

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// progress shows the demo's progress: a bar over all planned work, the
// pieces of work in progress (several when runs go side by side) and an
// ETA. Each piece has an estimated cost; the ETA scales the elapsed time by
// the remaining cost, so it calibrates itself as work finishes. It is safe
// for concurrent use.
type progress struct {
	mu     sync.Mutex
	w      io.Writer // nil: silent
	bar    bool      // redraw one line in place
	names  []string
	costs  []float64
	total  float64
	done   float64            // cost of finished pieces
	active []string           // pieces in progress, in the order they began
	frac   map[string]float64 // share done of each active piece
	detail map[string]string  // what each active piece is doing
	start  time.Time
	last   string
}

func newProgress(w io.Writer, bar bool) *progress {
	return &progress{w: w, bar: bar, frac: map[string]float64{}, detail: map[string]string{}}
}

// plan adds a piece of work before startAll.
func (p *progress) plan(name string, cost float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = append(p.names, name)
	p.costs = append(p.costs, cost)
	p.total += cost
}

func (p *progress) startAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start = time.Now()
	if p.w != nil {
		fmt.Fprintf(p.w, "terse demo: %d pieces of work to do\n", len(p.names))
	}
}

// cost is the planned cost of a piece (0 when it was not planned).
func (p *progress) cost(name string) float64 {
	if i := slices.Index(p.names, name); i >= 0 {
		return p.costs[i]
	}
	return 0
}

// begin marks the named piece as in progress.
func (p *progress) begin(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.active, name) {
		p.active = append(p.active, name)
	}
	p.frac[name], p.detail[name] = 0, ""
	if p.w != nil && !p.bar {
		fmt.Fprintf(p.w, "%s  %s ...\n", p.status(), name)
	}
	p.draw()
}

// update sets a piece's done share and a detail (e.g. the step).
func (p *progress) update(name string, frac float64, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.active, name) {
		return
	}
	p.frac[name], p.detail[name] = min(max(frac, 0), 1), detail
	p.draw()
}

// end finishes a piece.
func (p *progress) end(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.active, name)
	if i < 0 {
		return
	}
	p.active = slices.Delete(p.active, i, i+1)
	delete(p.frac, name)
	delete(p.detail, name)
	p.done += p.cost(name)
	if p.w != nil && !p.bar {
		fmt.Fprintf(p.w, "%s  %s done\n", p.status(), name)
	}
	p.draw()
}

// note prints a message on its own line.
func (p *progress) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	if p.bar {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", len(p.last)))
	}
	fmt.Fprintln(p.w, msg)
	p.last = ""
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	if p.bar && p.last != "" {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "terse demo: finished in %s\n", fmtDuration(time.Since(p.start)))
}

// doneCost is the finished cost including the active pieces' shares.
func (p *progress) doneCost() float64 {
	d := p.done
	for _, name := range p.active {
		d += p.frac[name] * p.cost(name)
	}
	return d
}

// status is "[####......]  42%  elapsed 3m10s  ETA 4m20s".
func (p *progress) status() string {
	share := 1.0
	if p.total > 0 {
		share = min(p.doneCost()/p.total, 1)
	}
	const width = 24
	n := int(share * width)
	elapsed := time.Since(p.start)
	eta := "ETA ?"
	if share > 0.01 {
		eta = "ETA " + fmtDuration(time.Duration(float64(elapsed)*(1-share)/share))
	}
	return fmt.Sprintf("[%s%s] %3.0f%%  elapsed %s  %s", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*share, fmtDuration(elapsed), eta)
}

// draw redraws the bar line: the status, then each active piece.
func (p *progress) draw() {
	if p.w == nil || !p.bar {
		return
	}
	parts := make([]string, len(p.active))
	for i, name := range p.active {
		parts[i] = strings.TrimSpace(name + "  " + p.detail[name])
	}
	line := p.status() + "  " + strings.Join(parts, " | ")
	pad := ""
	if len(line) < len(p.last) {
		pad = strings.Repeat(" ", len(p.last)-len(line))
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.last = line
}

// fmtDuration writes d as 1h02m, 3m10s or 42s.
func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
