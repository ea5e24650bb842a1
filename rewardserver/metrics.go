package rewardserver

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terse-dev/terse/internal/httpx"
)

// rsMetrics holds the reward service's Prometheus metrics, written by hand
// in the text exposition format 0.0.4. Safe for concurrent use.
type rsMetrics struct {
	mu        sync.Mutex // guards the fields below
	requests  map[[2]string]uint64
	latency   map[string]*httpx.Histogram
	inflight  int
	nRollouts uint64
	nMasked   uint64
	nTrunc    uint64
	nSolved   uint64
	rewardSum float64
	reasons   map[string]uint64
	groups    [2]uint64 // [partial, complete]
}

func rsNewMetrics() *rsMetrics {
	return &rsMetrics{requests: map[[2]string]uint64{}, latency: map[string]*httpx.Histogram{}, reasons: map[string]uint64{}}
}

func (m *rsMetrics) request(endpoint string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{endpoint, strconv.Itoa(code)}]++
	h := m.latency[endpoint]
	if h == nil {
		h = httpx.NewHistogram(httpx.LatencyBuckets)
		m.latency[endpoint] = h
	}
	h.ObserveDuration(d)
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
		if !math.IsNaN(it.out.Reward) && !math.IsInf(it.out.Reward, 0) {
			m.rewardSum += it.out.Reward
		}
		m.reasons[it.verdict.Reason]++
	}
}

// write writes every metric in the Prometheus text format.
func (m *rsMetrics) write(w io.Writer, pending int, pendingBytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	head := func(name, help, typ string) { httpx.WriteMetricHeader(w, name, help, typ) }
	head("terse_reward_requests_total", "Scoring requests by endpoint and HTTP status.", "counter")
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
	head("terse_reward_request_duration_seconds", "Scoring request latency, group wait included.", "histogram")
	for _, e := range slices.Sorted(maps.Keys(m.latency)) {
		m.latency[e].Write(w, "terse_reward_request_duration_seconds", fmt.Sprintf("endpoint=%q", e))
	}
	head("terse_reward_in_flight", "Scoring requests in progress, waiting for their group included.", "gauge")
	p("terse_reward_in_flight %d\n", m.inflight)
	head("terse_reward_pending_rollouts", "Rollouts waiting for the rest of their group.", "gauge")
	p("terse_reward_pending_rollouts %d\n", pending)
	head("terse_reward_pending_bytes", "Memory held by requests waiting for the rest of their group, as charged to --max-pending-bytes.", "gauge")
	p("terse_reward_pending_bytes %d\n", pendingBytes)
	head("terse_reward_rollouts_total", "Rollouts scored.", "counter")
	p("terse_reward_rollouts_total %d\n", m.nRollouts)
	head("terse_reward_masked_total", "Rollouts the shape masked out of the update.", "counter")
	p("terse_reward_masked_total %d\n", m.nMasked)
	head("terse_reward_truncated_total", "Rollouts that hit the rollout limit.", "counter")
	p("terse_reward_truncated_total %d\n", m.nTrunc)
	head("terse_reward_solved_total", "Rollouts counted as correct (correct and not truncated).", "counter")
	p("terse_reward_solved_total %d\n", m.nSolved)
	head("terse_reward_reward_sum", "Sum of the rewards returned (masked rollouts count 0).", "counter")
	p("terse_reward_reward_sum %g\n", m.rewardSum)
	head("terse_reward_grades_total", "Grader outcomes by reason.", "counter")
	for _, r := range slices.Sorted(maps.Keys(m.reasons)) {
		p("terse_reward_grades_total{reason=%q} %d\n", r, m.reasons[r])
	}
	head("terse_reward_groups_total", "Groups scored, complete or partial (group wait expired or shutdown).", "counter")
	p("terse_reward_groups_total{complete=\"false\"} %d\nterse_reward_groups_total{complete=\"true\"} %d\n", m.groups[0], m.groups[1])
}
