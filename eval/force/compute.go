package force

import (
	"fmt"
	"slices"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/metrics"
)

// Notes label the curves in results.json and the reports.
const (
	ForcedNote    = "Forced answers (budget forcing): at thinking budget B, a rollout whose thinking ended on its own within B keeps its own answer; otherwise its stored thinking is cut at B tokens (server tokenizer), the closing message is appended and only the answer is requested (answer tokens are the cost). Censored = rollouts whose answer was forced."
	EarlyExitNote = "Best-case early exit (an upper bound): correct at B if a forced answer at some probe position ≤ B thinking tokens was correct (the rollout's own correct answer counts as a probe at its full thinking length). Censored = rollouts with no correct probe ≤ B whose thinking did not end within B."
)

// Result is what forced or prefix mode measured on one benchmark.
type Result struct {
	Forced    metrics.ModeCurve
	EarlyExit *metrics.ModeCurve // prefix mode only
	Summary   *metrics.EarlyExit // prefix mode only
	Split     metrics.ThinkingSplit
}

// Compute turns plans with their probes into curves per benchmark at the
// budgets budgetsOf(benchmark) returns (a subset of those Run placed cuts
// at; nil: every budget in budgets). k is Pass@k's k (0: the smallest n);
// mopts gives the bootstrap settings. Warnings name probes that are
// missing or failed (counted as wrong answers).
func Compute(mode string, plans []*Plan, budgets []int, budgetsOf func(benchmark string) []int, k int, mopts metrics.Options) (map[string]Result, []string) {
	type key struct{ bench, id string }
	byBench := map[string][]key{}
	byProblem := map[key][]*Plan{}
	for _, p := range plans {
		kk := key{p.Rollout.Benchmark, p.Rollout.ProblemID}
		if _, ok := byProblem[kk]; !ok {
			byBench[kk.bench] = append(byBench[kk.bench], kk)
		}
		byProblem[kk] = append(byProblem[kk], p)
	}
	out := map[string]Result{}
	var warn []string
	for bench, keys := range byBench {
		budgets := budgets
		if budgetsOf != nil {
			budgets = budgetsOf(bench)
		}
		var forced, early []metrics.ModeProblem
		var firsts []metrics.FirstCorrect
		var cost metrics.ModeCostNote
		var think, ans []int
		var thinkSum, compSum int64
		missing := 0
		for _, kk := range keys {
			fp := metrics.ModeProblem{Benchmark: bench, ID: kk.id, Outcomes: make([][]metrics.Outcome, len(budgets))}
			ep := metrics.ModeProblem{Benchmark: bench, ID: kk.id, Outcomes: make([][]metrics.Outcome, len(budgets))}
			for _, p := range byProblem[kk] {
				r := p.Rollout
				cost.OriginalTokens += int64(r.CompletionTokens)
				think = append(think, p.Thinking)
				ans = append(ans, max(r.CompletionTokens-p.Thinking, 0))
				thinkSum += int64(p.Thinking)
				compSum += int64(r.CompletionTokens)
				for _, q := range p.Probes {
					cost.Requests++
					cost.AnswerTokens += int64(q.AnswerTokens)
					cost.PromptTokens += int64(q.PromptTokens)
				}
				first := p.firstCorrect()
				for j, B := range budgets {
					o, ok := p.forcedAt(B)
					if !ok {
						missing++
					}
					fp.Outcomes[j] = append(fp.Outcomes[j], o)
					ep.Outcomes[j] = append(ep.Outcomes[j], p.earlyExitAt(B, first))
				}
				firsts = append(firsts, metrics.FirstCorrect{Thinking: p.Thinking, First: first, FinalCorrect: r.Correct && p.Closed})
			}
			forced = append(forced, fp)
			early = append(early, ep)
		}
		if missing > 0 {
			warn = append(warn, fmt.Sprintf("%s: %d forced answer(s) missing or failed, counted as wrong; rerun to retry them", bench, missing))
		}
		if cost.OriginalTokens > 0 {
			cost.Fraction = float64(cost.AnswerTokens) / float64(cost.OriginalTokens)
		}
		res := Result{Forced: metrics.ComputeMode(ModeForced, ForcedNote, forced, budgets, k, mopts)}
		res.Forced.Cost = cost
		if mode == ModePrefix {
			ee := metrics.ComputeMode("early_exit", EarlyExitNote, early, budgets, k, mopts)
			ee.Cost = cost
			res.EarlyExit = &ee
			s := metrics.ComputeEarlyExit(firsts, cost.Requests, 16)
			res.Summary = &s
		}
		res.Split = metrics.ThinkingSplit{Rollouts: len(think), Thinking: metrics.Lengths(think, 0, 0), Answer: metrics.Lengths(ans, 0, 0), Source: "server /tokenize"}
		if compSum > 0 {
			res.Split.ThinkingShare = float64(thinkSum) / float64(compSum)
		}
		out[bench] = res
	}
	return out, warn
}

// forcedAt is the rollout's forced-mode outcome at thinking budget B; ok
// is false when the forced answer it needs is missing or failed.
func (p *Plan) forcedAt(B int) (metrics.Outcome, bool) {
	r := p.Rollout
	switch {
	case p.Closed && p.Thinking <= B:
		return metrics.Outcome{Correct: r.Correct, Tokens: r.CompletionTokens}, true
	case p.Thinking == 0: // no thinking to cut: cut in its answer, it stays as it is
		return metrics.Outcome{Censored: true, Tokens: min(B, r.CompletionTokens)}, true
	}
	at := min(B, p.Thinking)
	q, ok := p.Probes[at]
	if !ok || q.Status != eval.StatusOK {
		return metrics.Outcome{Censored: true, Tokens: at}, false
	}
	return metrics.Outcome{Correct: q.Correct, Censored: true, Tokens: at + q.AnswerTokens}, true
}

// firstCorrect is t_i: the first position with a correct forced answer,
// the full thinking length T when only the rollout's own answer was
// correct, or −1.
func (p *Plan) firstCorrect() int {
	ats := make([]int, 0, len(p.Probes))
	for at, q := range p.Probes {
		if q.Status == eval.StatusOK && q.Correct {
			ats = append(ats, at)
		}
	}
	if len(ats) > 0 {
		return slices.Min(ats)
	}
	if p.Closed && p.Rollout.Correct {
		return p.Thinking
	}
	return -1
}

// earlyExitAt is the best-case early-exit outcome at B given t_i = first.
func (p *Plan) earlyExitAt(B, first int) metrics.Outcome {
	r := p.Rollout
	if first >= 0 && first <= B {
		tok := r.CompletionTokens
		if q, ok := p.Probes[first]; ok {
			tok = first + q.AnswerTokens
		}
		return metrics.Outcome{Correct: true, Tokens: tok}
	}
	if p.Closed && p.Thinking <= B {
		return metrics.Outcome{Tokens: r.CompletionTokens}
	}
	if p.Thinking == 0 {
		return metrics.Outcome{Censored: true, Tokens: min(B, r.CompletionTokens)}
	}
	return metrics.Outcome{Censored: true, Tokens: min(B, p.Thinking)}
}

// Attach adds the mode results to res's benchmarks (those it has), and the
// thinking split counted with /tokenize where the rollouts carry no
// reasoning_tokens from the server.
func Attach(res *metrics.Results, byBench map[string]Result) {
	for i := range res.Benchmarks {
		b := &res.Benchmarks[i]
		r, ok := byBench[b.Benchmark]
		if !ok {
			continue
		}
		b.Modes = append(b.Modes, r.Forced)
		if r.EarlyExit != nil {
			b.Modes = append(b.Modes, *r.EarlyExit)
		}
		b.EarlyExit = r.Summary
		if b.Split == nil { // the server's own usage split, when reported, wins
			s := r.Split
			b.Split = &s
		}
	}
}
