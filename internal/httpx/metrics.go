package httpx

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// MetricsContentType is the Content-Type of the Prometheus text exposition
// format 0.0.4 that /metrics answers in.
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteMetricHeader writes a metric family's "# HELP" and "# TYPE" lines.
// typ is counter, gauge or histogram.
func WriteMetricHeader(w io.Writer, name, help, typ string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// LatencyBuckets are request-latency histogram upper bounds in seconds.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// Histogram is one Prometheus histogram series. It is not safe for
// concurrent use: the caller's lock guards it.
type Histogram struct {
	bounds []float64 // upper bounds, ascending; shared, never written
	counts []uint64  // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

// NewHistogram returns an empty histogram with the given ascending upper
// bounds.
func NewHistogram(bounds []float64) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// ObserveDuration adds one observation of d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) {
	sec := d.Seconds()
	i, _ := slices.BinarySearch(h.bounds, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

// Write writes the series' _bucket (cumulative), _sum and _count lines.
// labels is the series' labels without braces (`endpoint="native"`); the
// le label is appended to it.
func (h *Histogram) Write(w io.Writer, name, labels string) {
	var cum uint64
	for i, ub := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s,le=%q} %d\n", name, labels, strconv.FormatFloat(ub, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, h.n)
	fmt.Fprintf(w, "%s_sum{%s} %g\n", name, labels, h.sum)
	fmt.Fprintf(w, "%s_count{%s} %d\n", name, labels, h.n)
}
