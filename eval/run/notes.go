package run

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval/metrics"
)

// NoteServerFaults adds a warning to res when the run's server gave
// implausible answers (res.Run.ServerFaults, filled in by Collect).
func NoteServerFaults(res *metrics.Results) {
	if len(res.Run.ServerFaults) == 0 {
		return
	}
	total := 0
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(res.Run.ServerFaults)) {
		n := res.Run.ServerFaults[k]
		total += n
		kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf(
		"the server gave %d implausible answers (%s); each was rejected and retried, never scored, but check the server: see server_faults in results.json and in the rollout lines",
		total, strings.Join(kinds, ", ")))
}

// NoteMissing sets Missing on each of res's benchmarks to the number of
// problems in want (the benchmark's full problem list) that have no rollout
// in seen (what Collect returned), and adds a warning per benchmark with
// missing problems. Benchmarks of want with no rollout at all get a warning
// too; benchmarks of res absent from want are left alone (their size is
// unknown), and so is one whose rollouts match none of want's problem IDs
// (a file converted from a harness that numbers problems its own way).
func NoteMissing(res *metrics.Results, seen []metrics.Problem, want []bench.Problem) {
	have := map[string]bool{}
	for _, p := range seen {
		have[ProblemKey(p.Benchmark, p.ID)] = true
	}
	missing, total := map[string]int{}, map[string]int{}
	var order []string
	for _, p := range want {
		if total[p.Benchmark] == 0 {
			order = append(order, p.Benchmark)
		}
		total[p.Benchmark]++
		if !have[ProblemKey(p.Benchmark, p.ID)] {
			missing[p.Benchmark]++
		}
	}
	reported := map[string]bool{}
	for i := range res.Benchmarks {
		b := &res.Benchmarks[i]
		if total[b.Benchmark] == 0 {
			continue
		}
		reported[b.Benchmark] = true
		if missing[b.Benchmark] == total[b.Benchmark] {
			continue // none of its rollouts is one of want's problems
		}
		b.Missing = missing[b.Benchmark]
		if b.Missing > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"%s: %d of its %d problems have no rollouts (an interrupted run or a partial file); the metrics cover the other %d only",
				b.Benchmark, b.Missing, total[b.Benchmark], total[b.Benchmark]-b.Missing))
		}
	}
	for _, name := range order {
		if !reported[name] && missing[name] > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: none of its %d problems has rollouts", name, total[name]))
		}
	}
}
