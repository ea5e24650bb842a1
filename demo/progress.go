package demo

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress shows the demo's progress: a bar over all planned work, the
// current piece of work and an ETA. Each piece has an estimated cost; the
// ETA scales the elapsed time by the remaining cost, so it calibrates
// itself as work finishes.
type progress struct {
	w     io.Writer // nil: silent
	bar   bool      // redraw one line in place
	names []string
	costs []float64
	total float64
	done  float64 // cost of finished pieces
	cur   int     // index of the current piece, -1 when none
	frac  float64 // share of the current piece done
	start time.Time
	last  string
}

func newProgress(w io.Writer, bar bool) *progress {
	return &progress{w: w, bar: bar, cur: -1}
}

// plan adds a piece of work before startAll.
func (p *progress) plan(name string, cost float64) {
	p.names = append(p.names, name)
	p.costs = append(p.costs, cost)
	p.total += cost
}

func (p *progress) startAll() {
	p.start = time.Now()
	if p.w != nil {
		fmt.Fprintf(p.w, "terse demo: %d pieces of work to do\n", len(p.names))
	}
}

// begin marks the named piece as current.
func (p *progress) begin(name string) {
	p.cur, p.frac = -1, 0
	for i, n := range p.names {
		if n == name {
			p.cur = i
		}
	}
	if p.w != nil && !p.bar {
		fmt.Fprintf(p.w, "%s  %s ...\n", p.status(), name)
	}
	p.draw(name)
}

// update sets the current piece's done share and a detail (e.g. the step).
func (p *progress) update(frac float64, detail string) {
	if p.cur < 0 {
		return
	}
	p.frac = min(max(frac, 0), 1)
	p.draw(p.names[p.cur] + "  " + detail)
}

// end finishes the current piece.
func (p *progress) end() {
	if p.cur < 0 {
		return
	}
	name := p.names[p.cur]
	p.done += p.costs[p.cur]
	p.cur, p.frac = -1, 0
	if p.w != nil && !p.bar {
		fmt.Fprintf(p.w, "%s  %s done\n", p.status(), name)
	}
}

// note prints a message on its own line.
func (p *progress) note(msg string) {
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
	if p.w == nil {
		return
	}
	if p.bar && p.last != "" {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "terse demo: finished in %s\n", fmtDuration(time.Since(p.start)))
}

// doneCost is the finished cost including the current piece's share.
func (p *progress) doneCost() float64 {
	d := p.done
	if p.cur >= 0 {
		d += p.frac * p.costs[p.cur]
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

func (p *progress) draw(detail string) {
	if p.w == nil || !p.bar {
		return
	}
	line := p.status() + "  " + detail
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
