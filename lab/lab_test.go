package lab

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
)

// evalExpr is an independent recursive-descent evaluator for Arith
// expressions, to check solveArith's step-by-step answer.
type exprParser struct {
	s string
	i int
}

func (p *exprParser) expr() int {
	v := p.term()
	for p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		op := p.s[p.i]
		p.i++
		t := p.term()
		if op == '+' {
			v += t
		} else {
			v -= t
		}
	}
	return v
}

func (p *exprParser) term() int {
	v := p.factor()
	for p.i < len(p.s) && p.s[p.i] == '*' {
		p.i++
		v *= p.factor()
	}
	return v
}

func (p *exprParser) factor() int {
	if p.s[p.i] == '(' {
		p.i++
		v := p.expr()
		p.i++ // ')'
		return v
	}
	j := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	v, _ := strconv.Atoi(p.s[j:p.i])
	return v
}

// independentAnswer solves a question without the step machinery.
func independentAnswer(t *testing.T, family, q string) string {
	t.Helper()
	switch family {
	case Arith:
		p := &exprParser{s: strings.TrimPrefix(q, arithPrefix)}
		v := p.expr()
		if p.i != len(p.s) {
			t.Fatalf("test parser stopped at %d in %q", p.i, q)
		}
		return strconv.Itoa(v)
	case Add:
		a, b, _ := strings.Cut(strings.TrimPrefix(q, addPrefix), "+")
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return strconv.Itoa(x + y)
	case Sort:
		d := strings.Fields(strings.TrimPrefix(q, sortPrefix))
		slices.Sort(d)
		return strings.Join(d, "")
	}
	t.Fatalf("unknown family %q", family)
	return ""
}

func TestGoldMatchesIndependentSolver(t *testing.T) {
	for _, f := range Families() {
		t.Run(f, func(t *testing.T) {
			ps, err := TrainSplit(f, 500, 11)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if want := independentAnswer(t, f, p.Question); p.Gold[0] != want {
					t.Fatalf("%s: gold %q, independent solver %q", p.Question, p.Gold[0], want)
				}
			}
		})
	}
}

func TestGenerationDeterministic(t *testing.T) {
	for _, f := range Families() {
		a, err := TrainSplit(f, 50, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := TrainSplit(f, 50, 3)
		c, _ := TrainSplit(f, 50, 4)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: TrainSplit differs between two runs with seed 3", f)
		}
		if fmt.Sprint(a) == fmt.Sprint(c) {
			t.Errorf("%s: TrainSplit identical for seeds 3 and 4", f)
		}
		x, _ := TestSplit(f, 5, 9)
		y, _ := TestSplit(f, 5, 9)
		if fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("%s: TestSplit differs between two runs with seed 9", f)
		}
		// Verbose traces are a function of the rng stream.
		v1, _ := Verbose(a[0], rand.New(rand.NewPCG(1, 1)))
		v2, _ := Verbose(a[0], rand.New(rand.NewPCG(1, 1)))
		if v1 != v2 {
			t.Errorf("%s: Verbose differs for the same rng seed", f)
		}
	}
}

func TestSplitsDisjoint(t *testing.T) {
	for _, f := range Families() {
		t.Run(f, func(t *testing.T) {
			test, ok := Benchmark(benchPrefix + f)
			if !ok {
				t.Fatalf("benchmark lab-%s not registered", f)
			}
			inTest := map[string]bool{}
			for _, p := range test {
				inTest[p.Question] = true
			}
			train, err := TrainSplit(f, 5000, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range train {
				if inTest[p.Question] {
					t.Fatalf("train problem %s %q is also in the test split", p.ID, p.Question)
				}
			}
		})
	}
}

func TestBenchmarks(t *testing.T) {
	if got, want := BenchmarkNames(), []string{"lab-arith", "lab-add", "lab-sort"}; !slices.Equal(got, want) {
		t.Fatalf("BenchmarkNames() = %v, want %v", got, want)
	}
	if _, ok := Benchmark("lab-nope"); ok {
		t.Error(`Benchmark("lab-nope") reported ok`)
	}
	for _, name := range BenchmarkNames() {
		ps, ok := Benchmark(name)
		if !ok {
			t.Fatalf("Benchmark(%q) not found", name)
		}
		if len(ps) != TestPerLevel*(MaxLevel-MinLevel+1) {
			t.Errorf("%s: %d problems, want %d", name, len(ps), TestPerLevel*(MaxLevel-MinLevel+1))
		}
		ids := map[string]bool{}
		qs := map[string]bool{}
		perLevel := map[int]int{}
		for _, p := range ps {
			if p.Benchmark != name || FamilyOf(p) != strings.TrimPrefix(name, "lab-") || p.Meta["split"] != "test" {
				t.Fatalf("%s: problem %+v has wrong benchmark/family/split", name, p)
			}
			if ids[p.ID] || qs[p.Question] {
				t.Fatalf("%s: duplicate id or question in %+v", name, p)
			}
			ids[p.ID], qs[p.Question] = true, true
			perLevel[p.Level]++
			if len(p.Gold) != 1 || p.Solution == "" {
				t.Fatalf("%s: problem %s lacks gold or solution", name, p.ID)
			}
		}
		for l := MinLevel; l <= MaxLevel; l++ {
			if perLevel[l] != TestPerLevel {
				t.Errorf("%s: level %d has %d problems, want %d", name, l, perLevel[l], TestPerLevel)
			}
		}
	}
}

// conciseLines reports whether every line of the concise trace appears, in
// order, among the verbose trace's lines: what the teacher adds is droppable.
func isSubsequence(concise, verbose []string) bool {
	i := 0
	for _, l := range verbose {
		if i < len(concise) && l == concise[i] {
			i++
		}
	}
	return i == len(concise)
}

func TestTraces(t *testing.T) {
	for _, f := range Families() {
		t.Run(f, func(t *testing.T) {
			ps, err := TrainSplit(f, 300, 5)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 5))
			for _, p := range ps {
				c, err := Concise(p)
				if err != nil {
					t.Fatal(err)
				}
				v, err := Verbose(p, rng)
				if err != nil {
					t.Fatal(err)
				}
				tail := ThinkClose + "\n" + `\boxed{` + p.Gold[0] + "}"
				for _, tr := range []string{c, v} {
					if !strings.HasPrefix(tr, ThinkOpen+"\n") || !strings.HasSuffix(tr, tail) {
						t.Fatalf("%s: trace does not open with %s and end with %q:\n%s", p.Question, ThinkOpen, tail, tr)
					}
					if strings.Count(tr, `\boxed{`) != 1 || strings.Count(tr, ThinkClose) != 1 {
						t.Fatalf("%s: trace has more than one box or closing tag:\n%s", p.Question, tr)
					}
					if err := checkAlphabet(FormatPrompt(p.Question) + tr); err != nil {
						t.Fatalf("%s: %v", p.Question, err)
					}
					if n := TokenLen(FormatPrompt(p.Question) + tr + EndOfText); n > 1024 {
						t.Fatalf("%s: training sequence has %d tokens, over a 1024 context", p.Question, n)
					}
				}
				if !isSubsequence(strings.Split(c, "\n"), strings.Split(v, "\n")) {
					t.Fatalf("%s: concise trace is not a subsequence of the verbose one:\n%s\n---\n%s", p.Question, c, v)
				}
				if TokenLen(v) < TokenLen(c) {
					t.Fatalf("%s: verbose trace shorter than concise", p.Question)
				}
			}
		})
	}
}

func TestDifficultyKnobMonotone(t *testing.T) {
	for _, f := range Families() {
		t.Run(f, func(t *testing.T) {
			prevSteps, prevConcise, prevVerbose := 0, 0.0, 0.0
			for level := MinLevel; level <= MaxLevel; level++ {
				ps, err := TrainSplitLevels(f, []int{level}, 200, 2)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(2, uint64(level)))
				var sumC, sumV float64
				for i, p := range ps {
					sol, err := solveQuestion(f, p.Question)
					if err != nil {
						t.Fatal(err)
					}
					if i == 0 && len(sol.steps) <= prevSteps {
						t.Errorf("level %d: %d steps, not more than level %d's %d", level, len(sol.steps), level-1, prevSteps)
					}
					if i == 0 {
						prevSteps = len(sol.steps)
					} else if len(sol.steps) != prevSteps {
						t.Errorf("level %d: step count varies (%d and %d)", level, prevSteps, len(sol.steps))
					}
					c, _ := Concise(p)
					v, _ := Verbose(p, rng)
					sumC += float64(TokenLen(c))
					sumV += float64(TokenLen(v))
				}
				mc, mv := sumC/float64(len(ps)), sumV/float64(len(ps))
				if mc <= prevConcise || mv <= prevVerbose {
					t.Errorf("level %d: mean length concise %.1f verbose %.1f, not above level %d's %.1f / %.1f", level, mc, mv, level-1, prevConcise, prevVerbose)
				}
				prevConcise, prevVerbose = mc, mv
			}
		})
	}
}

func TestLengthsFitBudgetLadder(t *testing.T) {
	budgets := Budgets()
	for _, f := range Families() {
		verbose, err := TraceStats(f, 200, 8, false)
		if err != nil {
			t.Fatal(err)
		}
		concise, err := TraceStats(f, 200, 8, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range verbose {
			v, c := verbose[i], concise[i]
			// Wide variance per level: p90 at least twice p10.
			if v.P90 < 2*v.P10 {
				t.Errorf("%s L%d: verbose p10 %d p90 %d, want a wide spread", f, v.Level, v.P10, v.P90)
			}
			// Concise traces fit the middle of the ladder, verbose ones the top.
			if c.Max > budgets[2] || v.Max > MaxCompletion || v.Mean < 1.5*c.Mean {
				t.Errorf("%s L%d: concise max %d, verbose max %d mean %.0f vs concise mean %.0f", f, v.Level, c.Max, v.Max, v.Mean, c.Mean)
			}
		}
		// The hardest level is mostly truncated at the smallest budget.
		if hard := verbose[len(verbose)-1]; hard.P10 <= budgets[0] {
			t.Errorf("%s: hardest level p10 %d within the smallest budget %d", f, hard.P10, budgets[0])
		}
	}
}

func TestErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	if _, err := Generate("geometry", 1, rng); !errors.Is(err, ErrUnknownFamily) {
		t.Errorf("unknown family: err %v, want ErrUnknownFamily", err)
	}
	for _, l := range []int{0, MaxLevel + 1} {
		if _, err := Generate(Arith, l, rng); !errors.Is(err, ErrLevel) {
			t.Errorf("level %d: err %v, want ErrLevel", l, err)
		}
	}
	if _, err := TrainSplit("nope", 3, 1); !errors.Is(err, ErrUnknownFamily) {
		t.Errorf("TrainSplit unknown family: err %v", err)
	}
	if _, err := TestSplit(Add, 0, 1); err == nil {
		t.Error("TestSplit perLevel 0: no error")
	}
	bad := []struct{ family, q string }{
		{Arith, "3+4"},
		{Arith, "compute 3+"},
		{Arith, "compute 3/4"},
		{Arith, "compute 9-5-7"},
		{Arith, "compute (3+4"},
		{Add, "add 12+345"},
		{Add, "add 12-34"},
		{Sort, "sort 1 0 3"},
		{Sort, "sort 12 3"},
	}
	for _, b := range bad {
		if _, err := Solve(b.family, b.q); !errors.Is(err, ErrQuestion) {
			t.Errorf("Solve(%s, %q): err %v, want ErrQuestion", b.family, b.q, err)
		}
		p := bench.Problem{Question: b.q, Meta: map[string]any{"family": b.family}}
		if _, err := Concise(p); err == nil {
			t.Errorf("Concise(%q): no error", b.q)
		}
	}
}

func TestTrainSplitAll(t *testing.T) {
	ps, err := TrainSplit(AllFamilies, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range ps {
		count[FamilyOf(p)]++
	}
	for _, f := range Families() {
		if count[f] != 10 {
			t.Errorf("family %s: %d of 30 problems, want 10", f, count[f])
		}
	}
}

func ExampleConcise() {
	p := bench.Problem{Question: "compute 3+4*(7-5)", Meta: map[string]any{"family": Arith}}
	t, _ := Concise(p)
	fmt.Println(FormatPrompt(p.Question) + t)
	// Output:
	// compute 3+4*(7-5)<think>
	// 3+4*(7-5)
	// 7-5=2
	// 3+4*2
	// 4*2=8
	// 3+8
	// 3+8=11
	// 11
	// </think>
	// \boxed{11}
}
