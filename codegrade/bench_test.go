package codegrade

import (
	"context"
	"sync"
	"testing"

	"github.com/terse-dev/terse/bench"
)

// BenchmarkGrade measures programs graded per second with Parallel
// sandboxes (GOMAXPROCS by default): HumanEval reference solutions (one
// process running the check function) and a stdin program with one and
// with ten cases (one interpreter for all cases, or one process per case).
func BenchmarkGrade(b *testing.B) {
	g, err := testGrader()
	if err != nil {
		b.Skipf("sandbox unavailable: %v", err)
	}
	ps, err := bench.Load("humaneval")
	if err != nil {
		b.Fatal(err)
	}
	stdin := func(n int) *bench.CodeTests {
		t := &bench.CodeTests{Language: "python", Style: bench.StyleStdin}
		for range n {
			t.Cases = append(t.Cases, bench.TestCase{Input: "1 2\n", Output: "3\n"})
		}
		return t
	}
	add := "a, b = map(int, input().split())\nprint(a + b)\n"
	perCase, err := New(context.Background(), Options{Python: g.Runtime().Path, ProcessPerCase: true})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name    string
		g       *Grader
		program func(i int) (string, *bench.CodeTests)
	}{
		{"humaneval", g, func(i int) (string, *bench.CodeTests) { p := ps[i%len(ps)]; return p.Solution, p.Tests }},
		{"stdin-1case", g, func(int) (string, *bench.CodeTests) { return add, stdin(1) }},
		{"stdin-10cases", g, func(int) (string, *bench.CodeTests) { return add, stdin(10) }},
		{"stdin-10cases-process-per-case", perCase, func(int) (string, *bench.CodeTests) { return add, stdin(10) }},
	}
	for _, c := range cases {
		g := c.g
		b.Run(c.name, func(b *testing.B) {
			if prog, t := c.program(0); !g.Run(context.Background(), prog, t).Correct {
				b.Fatal("the benchmark program does not pass")
			}
			n := 0
			for b.Loop() {
				// One batch of Parallel programs at a time, as eval grades.
				var wg sync.WaitGroup
				for k := range cap(g.sem) {
					prog, t := c.program(n + k)
					wg.Go(func() {
						if v := g.Run(context.Background(), prog, t); !v.Correct {
							b.Errorf("%s", v.Reason)
						}
					})
				}
				wg.Wait()
				n += cap(g.sem)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "programs/s")
		})
	}
}
