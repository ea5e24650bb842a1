package grade

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchCase is one grading call of the benchmark mix.
type benchCase struct {
	response string
	gold     []string
	want     bool // expected verdict; checked before timing
}

// benchMix builds a realistic mix from the MATH-500 gold answers in the
// shared data directory: per problem a correct boxed completion, a messy
// correct one (thinking, "final answer is", $…$), and a wrong one (another
// problem's answer). It skips the benchmark when the data is absent.
func benchMix(b *testing.B) []benchCase {
	b.Helper()
	path := filepath.Join("..", "..", "shared", "data", "math500", "deepscaler_math.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("benchmark data not available: %v", err)
	}
	var recs []struct {
		Answer string `json:"answer"`
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	var mix []benchCase
	for i, r := range recs {
		g := r.Answer
		other := recs[(i+7)%len(recs)].Answer
		mix = append(mix,
			benchCase{"Let me compute step by step. Adding things up, so the answer is $\\boxed{" + g + "}$.", []string{g}, true},
			benchCase{"<think>First try: maybe 1? Wait, recheck the algebra.\nAlternatively...</think>\nThe computation gives the result.\nThe final answer is $" + g + "$. I hope it is correct.", []string{"$" + g + "$"}, true},
			benchCase{"Hence \\boxed{" + other + "}", []string{g}, normalize(other) == normalize(g)},
		)
		if alt := plainRewrite(normalize(g)); alt != normalize(g) {
			mix = append(mix, benchCase{"Thus the value is \\boxed{" + alt + "}.", []string{g}, true})
		}
	}
	return mix
}

// checkMix verifies the expected verdicts before timing (bench_test habit:
// check the round trip, then time).
func checkMix(b *testing.B, mix []benchCase) {
	b.Helper()
	wrong := 0
	for _, c := range mix {
		if v := Grade(c.response, c.gold, DefaultOptions()); v.Correct != c.want {
			wrong++
			if wrong <= 5 {
				b.Logf("unexpected verdict %+v for %q vs %q", v, c.response, c.gold)
			}
		}
	}
	if wrong*100 > len(mix) {
		b.Fatalf("%d/%d benchmark cases graded unexpectedly", wrong, len(mix))
	}
}

// BenchmarkGrade grades the mix on one goroutine and reports grades/s.
func BenchmarkGrade(b *testing.B) {
	mix := benchMix(b)
	checkMix(b, mix)
	opts := DefaultOptions()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c := mix[n%len(mix)]
		Grade(c.response, c.gold, opts)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "grades/s")
}

// BenchmarkGradeParallel grades the mix from GOMAXPROCS goroutines (run with
// -cpu 2 for the 2-core target) and reports total grades/s.
func BenchmarkGradeParallel(b *testing.B) {
	mix := benchMix(b)
	opts := DefaultOptions()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c := mix[i%len(mix)]
			Grade(c.response, c.gold, opts)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grades/s")
}

// BenchmarkSlowest grades every case of the mix plus the adversarial inputs
// once per iteration and reports the slowest single grade (max-ns) and the
// mean. Each case's time is its fastest over the iterations, so that a
// descheduled goroutine on a busy machine does not pose as a slow grade; run
// it with -benchtime 5x or more. The target is no grade slower than 50 ms.
func BenchmarkSlowest(b *testing.B) {
	mix := benchMix(b)
	for _, s := range adversarialInputs() {
		mix = append(mix, benchCase{response: s[0], gold: []string{s[1]}})
	}
	opts := DefaultOptions()
	best := make([]time.Duration, len(mix))
	for b.Loop() {
		for i, c := range mix {
			t0 := time.Now()
			Grade(c.response, c.gold, opts)
			if d := time.Since(t0); best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	worst, total := 0, time.Duration(0)
	for i, d := range best {
		total += d
		if d > best[worst] {
			worst = i
		}
	}
	name := mix[worst].response
	if len(name) > 80 {
		name = name[:80] + "…"
	}
	b.Logf("slowest grade %v: %q", best[worst], name)
	b.ReportMetric(float64(best[worst].Nanoseconds()), "max-ns")
	b.ReportMetric(float64(total.Nanoseconds())/float64(len(best)), "mean-ns")
}

// adversarialInputs are (response, gold) pairs built to be slow.
func adversarialInputs() [][2]string {
	return [][2]string{
		{"\\boxed" + strings.Repeat("{", 1<<20) + strings.Repeat("}", 1<<20), "1"},
		{"\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}", "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-4}{16}"},
		{"\\boxed{9^9^9^9}", "9^9^9^9+1"},
		{"\\boxed{100000!}", "100000!+1"},
		{"\\boxed{1000!}", "1000!+1"},
		{"\\boxed{\\binom{1000000}{2000}}", "\\binom{1000000}{2000}+1"},
		{"\\boxed{2^{32000}}", "2^{32000}+1"},
		{"\\boxed{" + strings.Repeat("(x+1)", 800) + "}", strings.Repeat("(x+2)", 800)},
		{"\\boxed{\\{" + strings.Repeat("x+1,", 60) + "x\\}}", "\\{" + strings.Repeat("x+2,", 60) + "x\\}"},
		{"\\boxed{" + strings.Repeat("\\sin(", 100) + "x" + strings.Repeat(")", 100) + "}", "x"},
		{"\\boxed{" + strings.Repeat("1\\pm ", 300) + "1}", strings.Repeat("1\\pm ", 300) + "2"},
		{"\\boxed{\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]}", "\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]"},
		{strings.Repeat("word ", 200000) + "\\boxed{3}", "3"},
		{strings.Repeat("word ", 200000) + " the final answer is 3", "3"},
		{strings.Repeat("$", 1<<20), "3"},
		{strings.Repeat("\\", 1<<20), "3"},
		{strings.Repeat("\\boxed{1} and ", 100000), "1"},
	}
}
