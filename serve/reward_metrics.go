package serve

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rsLatencyBuckets are the latency histogram's upper bounds in seconds.
var rsLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// rsMetrics holds the reward service's Prometheus metrics, written by hand
// in the text exposition format 0.0.4. Safe for concurrent use.
type rsMetrics struct {
	mu        sync.Mutex // guards the fields below
	requests  map[[2]string]uint64
	latency   map[string]*rsHistogram
	inflight  int
	nRollouts uint64
	nMasked   uint64
	nTrunc    uint64
	nSolved   uint64
	rewardSum float64
	reasons   map[string]uint64
	groups    [2]uint64 // [partial, complete]
}

type rsHistogram struct {
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func rsNewMetrics() *rsMetrics {
	return &rsMetrics{requests: map[[2]string]uint64{}, latency: map[string]*rsHistogram{}, reasons: map[string]uint64{}}
}

func (m *rsMetrics) request(endpoint string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{endpoint, strconv.Itoa(code)}]++
	h := m.latency[endpoint]
	if h == nil {
		h = &rsHistogram{counts: make([]uint64, len(rsLatencyBuckets)+1)}
		m.latency[endpoint] = h
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(rsLatencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *rsMetrics) inFlight(delta int) {
	m.mu.Lock()
	m.inflight += delta
	m.mu.Unlock()
}

func (m *rsMetrics) group(complete bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if complete {
		m.groups[1]++
	} else {
		m.groups[0]++
	}
}

func (m *rsMetrics) rollouts(items []*rsItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		m.nRollouts++
		if it.out.Masked {
			m.nMasked++
		}
		if it.truncated {
			m.nTrunc++
		}
		if it.rollout().Solved() {
			m.nSolved++
		}
		m.rewardSum += it.out.Reward
		m.reasons[it.verdict.Reason]++
	}
}

// write writes every metric in the Prometheus text format.
func (m *rsMetrics) write(w io.Writer, pending int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# HELP terse_reward_requests_total Scoring requests by endpoint and HTTP status.\n")
	p("# TYPE terse_reward_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(a[0], b[0])
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		p("terse_reward_requests_total{endpoint=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	p("# HELP terse_reward_request_duration_seconds Scoring request latency, group wait included.\n")
	p("# TYPE terse_reward_request_duration_seconds histogram\n")
	eps := make([]string, 0, len(m.latency))
	for e := range m.latency {
		eps = append(eps, e)
	}
	slices.Sort(eps)
	for _, e := range eps {
		h := m.latency[e]
		var cum uint64
		for i, ub := range rsLatencyBuckets {
			cum += h.counts[i]
			p("terse_reward_request_duration_seconds_bucket{endpoint=%q,le=%q} %d\n", e, strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		p("terse_reward_request_duration_seconds_bucket{endpoint=%q,le=\"+Inf\"} %d\n", e, h.n)
		p("terse_reward_request_duration_seconds_sum{endpoint=%q} %g\n", e, h.sum)
		p("terse_reward_request_duration_seconds_count{endpoint=%q} %d\n", e, h.n)
	}
	p("# HELP terse_reward_in_flight Scoring requests in progress, waiting for their group included.\n")
	p("# TYPE terse_reward_in_flight gauge\nterse_reward_in_flight %d\n", m.inflight)
	p("# HELP terse_reward_pending_rollouts Rollouts waiting for the rest of their group.\n")
	p("# TYPE terse_reward_pending_rollouts gauge\nterse_reward_pending_rollouts %d\n", pending)
	p("# HELP terse_reward_rollouts_total Rollouts scored.\n")
	p("# TYPE terse_reward_rollouts_total counter\nterse_reward_rollouts_total %d\n", m.nRollouts)
	p("# HELP terse_reward_masked_total Rollouts the shape masked out of the update.\n")
	p("# TYPE terse_reward_masked_total counter\nterse_reward_masked_total %d\n", m.nMasked)
	p("# HELP terse_reward_truncated_total Rollouts that hit the rollout limit.\n")
	p("# TYPE terse_reward_truncated_total counter\nterse_reward_truncated_total %d\n", m.nTrunc)
	p("# HELP terse_reward_solved_total Rollouts counted as correct (correct and not truncated).\n")
	p("# TYPE terse_reward_solved_total counter\nterse_reward_solved_total %d\n", m.nSolved)
	p("# HELP terse_reward_reward_sum Sum of the rewards returned (masked rollouts count 0).\n")
	p("# TYPE terse_reward_reward_sum counter\nterse_reward_reward_sum %g\n", m.rewardSum)
	p("# HELP terse_reward_grades_total Grader outcomes by reason.\n")
	p("# TYPE terse_reward_grades_total counter\n")
	reasons := make([]string, 0, len(m.reasons))
	for r := range m.reasons {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		p("terse_reward_grades_total{reason=%q} %d\n", r, m.reasons[r])
	}
	p("# HELP terse_reward_groups_total Groups scored, complete or partial (group wait expired or shutdown).\n")
	p("# TYPE terse_reward_groups_total counter\n")
	p("terse_reward_groups_total{complete=\"false\"} %d\nterse_reward_groups_total{complete=\"true\"} %d\n", m.groups[0], m.groups[1])
}
