package lab_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/lab"
)

// TestTeacherGradesCorrect is the lab's self-consistency check: every teacher
// trace, concise or verbose, grades correct against its gold with the same
// grader that grades real benchmarks; a slip in the final answer, and a trace
// cut at the smallest budget before its answer, grade incorrect.
func TestTeacherGradesCorrect(t *testing.T) {
	opts := grade.DefaultOptions()
	budget := lab.Budgets()[0]
	for _, f := range lab.Families() {
		t.Run(f, func(t *testing.T) {
			ps, err := lab.TrainSplit(f, 200, 21)
			if err != nil {
				t.Fatal(err)
			}
			test, _ := lab.Benchmark("lab-" + f)
			ps = append(ps, test...)
			rng := rand.New(rand.NewPCG(21, 21))
			for _, p := range ps {
				c, err := lab.Concise(p)
				if err != nil {
					t.Fatal(err)
				}
				v, err := lab.Verbose(p, rng)
				if err != nil {
					t.Fatal(err)
				}
				for _, tr := range []string{c, v} {
					if g := grade.Grade(tr, p.Gold, opts); !g.Correct {
						t.Fatalf("%s: teacher trace grades %s (extracted %q, gold %q):\n%s", p.Question, g.Reason, g.Extracted, p.Gold, tr)
					}
				}
				// An off-by-one final answer must not pass, however long the number.
				n, _ := strconv.Atoi(p.Gold[0])
				wrong := strings.Replace(v, `\boxed{`+p.Gold[0]+`}`, `\boxed{`+strconv.Itoa(n+1)+`}`, 1)
				if g := grade.Grade(wrong, p.Gold, opts); g.Correct {
					t.Fatalf("%s: answer %d graded equal to gold %s (%s)", p.Question, n+1, p.Gold[0], g.Reason)
				}
				// Strict budget mode: a trace cut before its answer is wrong.
				if lab.TokenLen(v) > budget {
					cut := truncateTokens(v, budget)
					if g := grade.Grade(cut, p.Gold, opts); g.Correct {
						t.Fatalf("%s: trace cut at %d tokens grades correct:\n%s", p.Question, budget, cut)
					}
				}
			}
		})
	}
}

// truncateTokens keeps the first n lab tokens of s.
func truncateTokens(s string, n int) string {
	var b strings.Builder
	for k := 0; k < n && s != ""; k++ {
		tok := s[:1]
		for _, sp := range []string{lab.ThinkOpen, lab.ThinkClose, lab.EndOfText} {
			if strings.HasPrefix(s, sp) {
				tok = sp
			}
		}
		b.WriteString(tok)
		s = s[len(tok):]
	}
	return b.String()
}
