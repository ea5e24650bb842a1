package batch

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/grade"
)

// StatesAnswer matches a solution that states its final answer: a box,
// GSM8K's "####", or "answer is/are" or "Answer:" (optionally "final",
// "therefore", "thus") followed by math or a number. Prose such as "the answer
// is clearly correct" does not count.
var StatesAnswer = regexp.MustCompile(`\\(?:boxed|fbox|framebox)\s*\{|####|(?i:\banswers?\s*(?:is|are|:)\s*(?:therefore\s+|thus\s+)?[$\\\d(\-])`)

// SelfCheckSet is the result of one benchmark in a self-check.
type SelfCheckSet struct {
	Benchmark string `json:"benchmark"`
	// Problems is the number of problems in the set.
	Problems int `json:"problems"`
	// GoldOK counts problems whose every gold alternative, boxed, grades
	// correct against the problem's own gold (a check that needs no solution).
	GoldOK int `json:"gold_ok"`
	// Solutions counts problems with a human-written solution.
	Solutions int `json:"solutions"`
	// NoFinalAnswer counts solutions with no stated final answer (see
	// StatesAnswer); they are not graded for agreement. FallbackCorrect counts those the grader still matched
	// through its display-math, inline-math or last-number fallbacks.
	NoFinalAnswer   int `json:"no_final_answer"`
	FallbackCorrect int `json:"fallback_correct"`
	// Stated = Agree + Disagree: solutions that state an answer.
	Stated   int `json:"stated"`
	Agree    int `json:"agree"`
	Disagree int `json:"disagree"`
	// Agreement is Agree/Stated (0 when nothing was stated).
	Agreement float64 `json:"agreement"`
}

// SelfCheckMiss is one solution the grader did not match with its gold.
type SelfCheckMiss struct {
	Benchmark string       `json:"benchmark"`
	ID        string       `json:"id"`
	Gold      []string     `json:"gold"`
	Extracted string       `json:"extracted"`
	Reason    grade.Reason `json:"reason"`
	// Note is the set's known-issue note for this problem, if any
	// (Meta["known_issue"]: a data error checked by hand).
	Note string `json:"note,omitempty"`
}

// SelfCheckReport is the --self-check --json output.
type SelfCheckReport struct {
	Sets []SelfCheckSet `json:"sets"`
	// Total sums the sets (Benchmark "total").
	Total         SelfCheckSet    `json:"total"`
	Disagreements []SelfCheckMiss `json:"disagreements"`
	// NoFinalAnswer lists the solutions that state no final answer.
	NoFinalAnswer []SelfCheckMiss `json:"no_final_answer"`
	// GoldRoundTrip lists gold alternatives that, boxed, do not grade correct
	// against their own gold (Extracted and Reason are the verdict's).
	GoldRoundTrip []SelfCheckMiss `json:"gold_round_trip"`
}

// ProblemOptions returns opts for grading p: p's Meta["tolerance"]
// (OlympiadBench's "error" field) becomes the absolute tolerance when it is
// larger than opts.AbsTol.
func ProblemOptions(opts grade.Options, p bench.Problem) grade.Options {
	if tol, ok := p.Meta["tolerance"].(float64); ok && tol > opts.AbsTol {
		opts.AbsTol = tol
	}
	return opts
}

// SelfCheck grades every solution of every set with workers goroutines,
// and round-trips every gold alternative: "The final answer is
// $\boxed{g}$." must grade correct against the problem's own gold. A
// problem's Meta["tolerance"] (OlympiadBench) becomes its absolute tolerance.
// names[i] is the benchmark name of sets[i]; gopts are the grader's options.
func SelfCheck(ctx context.Context, names []string, sets [][]bench.Problem, gopts grade.Options, workers int) (SelfCheckReport, error) {
	type job struct{ set, i int }
	type result struct {
		stated bool
		v      grade.Verdict
		gold   []SelfCheckMiss // failed gold round trips
	}
	results := make([][]result, len(sets))
	for s, ps := range sets {
		results[s] = make([]result, len(ps))
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				p := sets[j.set][j.i]
				opts := ProblemOptions(gopts, p)
				var r result
				if strings.TrimSpace(p.Solution) != "" {
					r.stated = StatesAnswer.MatchString(p.Solution)
					r.v = grade.Grade(p.Solution, p.Gold, opts)
				}
				for _, g := range p.Gold {
					v := grade.Grade("The final answer is $\\boxed{"+g+"}$.", p.Gold, opts)
					if !v.Correct {
						r.gold = append(r.gold, SelfCheckMiss{Benchmark: names[j.set], ID: p.ID,
							Gold: []string{g}, Extracted: v.Extracted, Reason: v.Reason})
					}
				}
				results[j.set][j.i] = r
			}
		}()
	}
	var err error
feed:
	for s, ps := range sets {
		for i := range ps {
			select {
			case jobs <- job{s, i}:
			case <-ctx.Done():
				err = ctx.Err()
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return SelfCheckReport{}, fmt.Errorf("self-check: %w", err)
	}

	rep := SelfCheckReport{Total: SelfCheckSet{Benchmark: "total"},
		Disagreements: []SelfCheckMiss{}, NoFinalAnswer: []SelfCheckMiss{}, GoldRoundTrip: []SelfCheckMiss{}}
	for s, ps := range sets {
		row := SelfCheckSet{Benchmark: names[s], Problems: len(ps)}
		for i, p := range ps {
			r := results[s][i]
			if len(r.gold) == 0 {
				row.GoldOK++
			}
			rep.GoldRoundTrip = append(rep.GoldRoundTrip, r.gold...)
			if strings.TrimSpace(p.Solution) == "" {
				continue
			}
			row.Solutions++
			miss := SelfCheckMiss{Benchmark: names[s], ID: p.ID, Gold: p.Gold, Extracted: r.v.Extracted, Reason: r.v.Reason}
			miss.Note, _ = p.Meta["known_issue"].(string)
			switch {
			case !r.stated:
				row.NoFinalAnswer++
				if r.v.Correct {
					row.FallbackCorrect++
				}
				rep.NoFinalAnswer = append(rep.NoFinalAnswer, miss)
			case r.v.Correct:
				row.Stated++
				row.Agree++
			default:
				row.Stated++
				row.Disagree++
				rep.Disagreements = append(rep.Disagreements, miss)
			}
		}
		row.Agreement = agreement(row)
		rep.Sets = append(rep.Sets, row)
		t := &rep.Total
		t.Problems += row.Problems
		t.GoldOK += row.GoldOK
		t.Solutions += row.Solutions
		t.NoFinalAnswer += row.NoFinalAnswer
		t.FallbackCorrect += row.FallbackCorrect
		t.Stated += row.Stated
		t.Agree += row.Agree
		t.Disagree += row.Disagree
	}
	rep.Total.Agreement = agreement(rep.Total)
	return rep, nil
}

// agreement is Agree/Stated, or 0 when no solution stated an answer.
func agreement(s SelfCheckSet) float64 {
	if s.Stated == 0 {
		return 0
	}
	return float64(s.Agree) / float64(s.Stated)
}

// WriteTable writes the report as readable tables.
func (rep SelfCheckReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "benchmark\tproblems\tgold ok\tsolutions\tno final answer\tstated\tagree\tdisagree\tagreement\t")
	for _, s := range append(rep.Sets, rep.Total) {
		pct := "-"
		if s.Stated > 0 {
			pct = fmt.Sprintf("%.1f%%", 100*s.Agreement)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n",
			s.Benchmark, s.Problems, s.GoldOK, s.Solutions, s.NoFinalAnswer, s.Stated, s.Agree, s.Disagree, pct)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	fmt.Fprintf(w, "\ngold ok: problems whose every gold answer, written as \\boxed{gold}, grades correct.\n")
	fmt.Fprintf(w, "agreement = agree / stated: solutions that state a final answer (a box, ####, or\n\"answer is\"/\"Answer:\" followed by math or a number) graded against their own gold.\n")
	if rep.Total.NoFinalAnswer > 0 {
		fmt.Fprintf(w, "%d solutions state no final answer (not counted; %d of them still matched via fallbacks):\n",
			rep.Total.NoFinalAnswer, rep.Total.FallbackCorrect)
		for _, s := range rep.Sets {
			if s.NoFinalAnswer == 0 {
				continue
			}
			var ids []string
			for _, m := range rep.NoFinalAnswer {
				if m.Benchmark == s.Benchmark {
					ids = append(ids, m.ID)
				}
			}
			if len(ids) > 12 {
				ids = append(ids[:12], fmt.Sprintf("… (%d in all; --json lists them)", len(ids)))
			}
			fmt.Fprintf(w, "  %s: %s\n", s.Benchmark, strings.Join(ids, " "))
		}
	}
	if len(rep.GoldRoundTrip) > 0 {
		fmt.Fprintf(w, "\ngold round-trip failures (%d):\n", len(rep.GoldRoundTrip))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "benchmark\tid\treason\tgold\textracted")
		for _, m := range rep.GoldRoundTrip {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Benchmark, m.ID, m.Reason, clip(m.Gold[0], 50), clip(m.Extracted, 50))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if len(rep.Disagreements) == 0 {
		fmt.Fprintln(w, "\nno disagreements")
		return nil
	}
	fmt.Fprintf(w, "\ndisagreements (%d):\n", len(rep.Disagreements))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tid\treason\tgold\textracted\tknown data issue")
	for _, m := range rep.Disagreements {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Benchmark, m.ID, m.Reason,
			clip(strings.Join(m.Gold, " | "), 40), clip(m.Extracted, 40), m.Note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// clip shortens s to at most n runes for a table cell, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
