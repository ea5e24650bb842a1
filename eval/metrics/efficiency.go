package metrics

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/terse-dev/terse/eval"
)

// Efficiency metrics: one number per curve or per budget that says how
// much accuracy each token buys. Formulas (B_1 < … < B_m the reported
// budgets, M@k(B) the Mean@k at B, L(B) the mean tokens per rollout at B):
//
//	AUC          = Σ_j ½(M@k(B_j) + M@k(B_{j+1}))·(log2 B_{j+1} − log2 B_j) / (log2 B_m − log2 B_1)
//	               (trapezoids on a log2 budget axis, normalised to [0, 1];
//	               with one budget, AUC = M@k(B_1))
//	acc/1k tok   = M@k(B) / (L(B) / 1000)
//	maj@k (token-matched, at B) = mean over problems of the expected majority
//	               vote of k_B samples drawn without replacement from the
//	               problem's n, k_B = clamp(⌊L(B_m) / L(B)⌋, 1, n_min):
//	               as many budget-B samples as fit the tokens of one sample
//	               at the largest budget.
//
// Majority vote: a sample votes only if it finished within B; every correct
// answer is one class (they all equal the gold answer), a wrong answer votes
// for its extracted text, a sample without an answer abstains. The top class
// wins; a tie between t classes counts 1/t if the correct class is among
// them (a uniformly random tie-break); all abstaining counts 0.

// VoteCorrect is the vote class of every correct answer (VoteOf).
const VoteCorrect = "\x00correct"

// VoteOf returns the rollout's class in a majority vote: one class for
// every correct answer, the extracted text of a wrong one, "" (abstain)
// for no answer.
func VoteOf(r *eval.Rollout) string {
	switch {
	case r.Status != eval.StatusOK:
		return ""
	case r.Correct:
		return VoteCorrect
	default:
		return strings.TrimSpace(r.Extracted)
	}
}

// PerKiloToken is accuracy per 1,000 tokens: acc / (meanTokens / 1000);
// 0 when meanTokens ≤ 0.
func PerKiloToken(acc, meanTokens float64) float64 {
	if meanTokens <= 0 {
		return 0
	}
	return acc / (meanTokens / 1000)
}

// AUC is the normalised area under the Mean@k–budget curve: trapezoids on a
// log2 budget axis, divided by the axis length, so 1 means always correct
// at every budget. With one budget it is that budget's Mean@k; with none, 0.
func AUC(curve []Budget) float64 {
	xs := make([]int, len(curve))
	ys := make([]float64, len(curve))
	for i, b := range curve {
		xs[i], ys[i] = b.Budget, b.MeanAtK
	}
	return NormalisedAUC(xs, ys)
}

// NormalisedAUC is AUC for any curve given as budgets (ascending) and values.
func NormalisedAUC(budgets []int, values []float64) float64 {
	switch len(budgets) {
	case 0:
		return 0
	case 1:
		return values[0]
	}
	var area float64
	for j := 0; j+1 < len(budgets); j++ {
		dx := math.Log2(float64(budgets[j+1])) - math.Log2(float64(budgets[j]))
		area += (values[j] + values[j+1]) / 2 * dx
	}
	width := math.Log2(float64(budgets[len(budgets)-1])) - math.Log2(float64(budgets[0]))
	if width <= 0 {
		return values[0]
	}
	return area / width
}

// MajorityVote is the expected majority-vote score of k votes drawn without
// replacement from votes (classes as VoteOf; "" abstains): exact over every
// k-subset when there are at most maxSubsets of them, otherwise the mean of
// maxSubsets seeded random draws.
func MajorityVote(votes []string, k int, rng *rand.Rand) float64 {
	n := len(votes)
	if k < 1 || k > n {
		return math.NaN()
	}
	const maxSubsets = 4096
	score := func(idx []int) float64 {
		count := map[string]int{}
		top := 0
		for _, i := range idx {
			if v := votes[i]; v != "" {
				count[v]++
				top = max(top, count[v])
			}
		}
		if top == 0 {
			return 0
		}
		tied := 0
		for _, c := range count {
			if c == top {
				tied++
			}
		}
		if count[VoteCorrect] == top {
			return 1 / float64(tied)
		}
		return 0
	}
	idx := make([]int, k)
	if binomial(n, k) <= maxSubsets {
		for i := range idx {
			idx[i] = i
		}
		var sum float64
		var m int
		for {
			sum += score(idx)
			m++
			// next k-combination in lexicographic order
			i := k - 1
			for i >= 0 && idx[i] == n-k+i {
				i--
			}
			if i < 0 {
				break
			}
			idx[i]++
			for j := i + 1; j < k; j++ {
				idx[j] = idx[j-1] + 1
			}
		}
		return sum / float64(m)
	}
	perm := make([]int, n)
	var sum float64
	for range maxSubsets {
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i < k; i++ { // partial Fisher–Yates
			j := i + rng.IntN(n-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		copy(idx, perm[:k])
		sum += score(idx)
	}
	return sum / maxSubsets
}

// binomial returns C(n, k), saturating at MaxInt64/2.
func binomial(n, k int) float64 {
	k = min(k, n-k)
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
		if c > math.MaxInt64/2 {
			return c
		}
	}
	return math.Round(c)
}

// tokenMatchedVote fills MajK and MajAtK of every budget in out (see the
// formulas at the top of this file).
func tokenMatchedVote(ps []Problem, budgets []int, out []Budget, seed uint64) {
	if len(out) == 0 {
		return
	}
	top := out[len(out)-1].Length.All.Mean
	nmin := math.MaxInt
	for _, p := range ps {
		n := 0
		for _, s := range p.Samples {
			if !s.Failed {
				n++
			}
		}
		nmin = min(nmin, n)
	}
	if nmin == math.MaxInt || nmin == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d616a)) // "maj"
	for j, B := range budgets {
		k := 1
		if l := out[j].Length.All.Mean; l > 0 {
			k = int(math.Floor(top / l))
		}
		k = max(1, min(k, nmin))
		var sum float64
		for _, p := range ps {
			var votes []string
			for _, s := range p.Samples {
				if s.Failed {
					continue
				}
				v := "" // not finished within B: abstains
				switch {
				case s.finished(B) && s.Correct:
					v = VoteCorrect // also for a Sample built without Vote
				case s.finished(B):
					v = s.Vote
				}
				votes = append(votes, v)
			}
			sum += MajorityVote(votes, k, rng)
		}
		out[j].MajK, out[j].MajAtK = k, sum/float64(len(ps))
	}
}

// ModeCurve is a budget curve measured under a protocol other than strict
// mode (see eval/force): "forced" (thinking cut at the budget, closing
// message appended, answer requested) or "early_exit" (best-case early
// exit: correct at B if a forced answer at some probe ≤ B was correct).
type ModeCurve struct {
	Mode   string       `json:"mode"`
	Note   string       `json:"note"`
	Points []ModePoint  `json:"points"`
	AUC    float64      `json:"auc"`
	Cost   ModeCostNote `json:"cost"`
}

// ModeCostNote is what a mode spent beyond the original run: the tokens
// of every continuation it requested, against the completion tokens of the
// rollouts it read.
type ModeCostNote struct {
	Requests       int     `json:"requests"`
	AnswerTokens   int64   `json:"answer_tokens"`
	PromptTokens   int64   `json:"prompt_tokens"`
	OriginalTokens int64   `json:"original_tokens"`
	Fraction       float64 `json:"fraction"` // AnswerTokens / OriginalTokens
}

// ModePoint is a mode's metrics at one budget.
type ModePoint struct {
	Budget    int      `json:"budget"`
	Problems  int      `json:"problems"`
	Rollouts  int      `json:"rollouts"`
	K         int      `json:"k"`
	MeanAtK   float64  `json:"mean_at_k"`
	MeanAtKCI Interval `json:"mean_at_k_ci"`
	PassAtK   float64  `json:"pass_at_k"`
	// Censored counts rollouts whose thinking was cut at the budget (their
	// answer was forced); for early exit, those with no correct probe ≤ B
	// that had not finished within B.
	Censored int `json:"censored"`
	// MeanTokens is the mean tokens per rollout under this mode at B
	// (thinking kept + answer), AccuracyPer1kTokens = MeanAtK / (MeanTokens/1000).
	MeanTokens          float64 `json:"mean_tokens"`
	AccuracyPer1kTokens float64 `json:"accuracy_per_1k_tokens"`
}

// Outcome is one rollout's result under a mode at one budget.
type Outcome struct {
	Correct, Censored bool
	// Tokens is what the rollout cost at this budget under the mode.
	Tokens int
}

// ModeProblem is one problem's outcomes: Outcomes[j][s] at budget j for
// sample s (failed samples already left out).
type ModeProblem struct {
	Benchmark string
	ID        string
	Outcomes  [][]Outcome
}

// ComputeMode computes a mode's curve over problems ps at budgets (Mean@k
// with bootstrap interval, Pass@k, censored counts, tokens): the same
// estimators as strict mode, applied to the mode's outcomes.
func ComputeMode(mode, note string, ps []ModeProblem, budgets []int, k int, opts Options) ModeCurve {
	opts = opts.withDefaults()
	mc := ModeCurve{Mode: mode, Note: note}
	if len(ps) == 0 {
		return mc
	}
	pp := make([]perProblem, len(ps))
	nmin := math.MaxInt
	for i, p := range ps {
		q := perProblem{c: make([]int, len(budgets)), trunc: make([]int, len(budgets))}
		for j := range budgets {
			for _, o := range p.Outcomes[j] {
				if o.Correct {
					q.c[j]++
				}
				if o.Censored {
					q.trunc[j]++
				}
			}
		}
		if len(budgets) > 0 {
			q.n = len(p.Outcomes[0])
		}
		nmin = min(nmin, q.n)
		pp[i] = q
	}
	if k <= 0 || k > nmin {
		k = nmin
	}
	out := make([]Budget, len(budgets))
	idx := make([]int, len(pp))
	for i := range idx {
		idx[i] = i
	}
	for j, B := range budgets {
		out[j] = Budget{Budget: B, Problems: len(ps), K: k}
		out[j].MeanAtK, out[j].PassAtK, _ = stats(pp, idx, j, k)
	}
	bootstrap(pp, out, k, opts)
	ys := make([]float64, len(budgets))
	for j, B := range budgets {
		pt := ModePoint{Budget: B, Problems: len(ps), K: k, MeanAtK: out[j].MeanAtK, MeanAtKCI: out[j].MeanAtKCI, PassAtK: out[j].PassAtK}
		var tok int64
		for i, p := range ps {
			pt.Rollouts += pp[i].n
			pt.Censored += pp[i].trunc[j]
			for _, o := range p.Outcomes[j] {
				tok += int64(o.Tokens)
			}
		}
		if pt.Rollouts > 0 {
			pt.MeanTokens = float64(tok) / float64(pt.Rollouts)
		}
		pt.AccuracyPer1kTokens = PerKiloToken(pt.MeanAtK, pt.MeanTokens)
		mc.Points = append(mc.Points, pt)
		ys[j] = pt.MeanAtK
	}
	mc.AUC = NormalisedAUC(budgets, ys)
	return mc
}

// EarlyExit summarises where the first correct answer appears along the
// rollouts' thinking (eval/force prefix mode). Positions are thinking
// tokens counted with the server's tokenizer; T_i is rollout i's thinking
// length and t_i the position of its first probe whose forced answer was
// correct (the rollout's own answer at T_i counts as a probe at T_i).
type EarlyExit struct {
	Rollouts int `json:"rollouts"`
	// Probes is the number of forced answers requested.
	Probes int `json:"probes"`
	// WithCorrect counts rollouts with some correct probe; CorrectFinal
	// those whose own final answer was correct.
	WithCorrect  int `json:"with_correct"`
	CorrectFinal int `json:"correct_final"`
	// TokensAfterFirstCorrect: mean and total of T_i − t_i over rollouts
	// with a correct probe (arXiv 2601.02972's "tokens after the first
	// correct answer").
	TokensAfterFirstCorrectMean  float64 `json:"tokens_after_first_correct_mean"`
	TokensAfterFirstCorrectTotal int64   `json:"tokens_after_first_correct_total"`
	// ThinkingTokensTotal is Σ T_i over all rollouts; WastedFraction is
	// TokensAfterFirstCorrectTotal / ThinkingTokensTotal.
	ThinkingTokensTotal int64   `json:"thinking_tokens_total"`
	WastedFraction      float64 `json:"wasted_fraction"`
	// OutcomeEfficiency is Chen et al.'s ξ_O (arXiv 2412.21187, "Do NOT
	// think that much for 2+3=?"): (1/N) Σ_i σ_i · t_i / T_i over all N
	// rollouts, σ_i = 1 if rollout i's final answer is correct. Higher is
	// less overthinking.
	OutcomeEfficiency float64 `json:"outcome_efficiency"`
	// Underthinking is Wang et al.'s ξ_UT (arXiv 2501.18585, "Thoughts Are
	// All Over the Place"): (1/N_wrong) Σ_{i wrong} (1 − t_i / T_i) over
	// rollouts whose final answer is wrong, t_i = T_i when no probe was
	// correct. Higher means the right answer was reached early and abandoned.
	Underthinking float64 `json:"underthinking"`
	WrongRollouts int     `json:"wrong_rollouts"`
	// FirstCorrect is a histogram of t_i / T_i in ten bins over [0, 1];
	// FirstCorrectTokens a histogram of t_i in tokens.
	FirstCorrect       Histogram  `json:"first_correct_relative"`
	FirstCorrectTokens *Histogram `json:"first_correct_tokens,omitempty"`
}

// FirstCorrect is one rollout's early-exit record.
type FirstCorrect struct {
	// Thinking is T_i; First is t_i, or −1 when no probe was correct.
	Thinking, First int
	// FinalCorrect: the rollout's own answer was correct.
	FinalCorrect bool
}

// ComputeEarlyExit computes the early-exit summary of rollouts rs; probes
// is the number of forced answers requested, bins the histogram bins of
// the absolute positions (0: none).
func ComputeEarlyExit(rs []FirstCorrect, probes, bins int) EarlyExit {
	e := EarlyExit{Rollouts: len(rs), Probes: probes}
	e.FirstCorrect = Histogram{Edges: make([]int, 11), Counts: make([]int, 10)}
	for i := range e.FirstCorrect.Edges {
		e.FirstCorrect.Edges[i] = i * 10 // percent of T_i
	}
	var firsts []int
	var oe, ut float64
	top := 0
	for _, r := range rs {
		e.ThinkingTokensTotal += int64(r.Thinking)
		t := r.First
		if t < 0 {
			t = r.Thinking
		}
		frac := 1.0
		if r.Thinking > 0 {
			frac = float64(min(t, r.Thinking)) / float64(r.Thinking)
		}
		if r.FinalCorrect {
			e.CorrectFinal++
			oe += frac
		} else {
			e.WrongRollouts++
			ut += 1 - frac
		}
		if r.First >= 0 {
			e.WithCorrect++
			e.TokensAfterFirstCorrectTotal += int64(max(r.Thinking-r.First, 0))
			e.FirstCorrect.Counts[min(int(frac*10), 9)]++
			firsts = append(firsts, r.First)
			top = max(top, r.Thinking)
		}
	}
	if len(rs) > 0 {
		e.OutcomeEfficiency = oe / float64(len(rs))
	}
	if e.WrongRollouts > 0 {
		e.Underthinking = ut / float64(e.WrongRollouts)
	}
	if e.WithCorrect > 0 {
		e.TokensAfterFirstCorrectMean = float64(e.TokensAfterFirstCorrectTotal) / float64(e.WithCorrect)
	}
	if e.ThinkingTokensTotal > 0 {
		e.WastedFraction = float64(e.TokensAfterFirstCorrectTotal) / float64(e.ThinkingTokensTotal)
	}
	if bins > 0 && top > 0 {
		h := Lengths(firsts, bins, top).Histogram
		e.FirstCorrectTokens = h
	}
	return e
}

// ThinkingSplit is the length of the thinking and of the answer, split at
// </think>: Thinking counts the reasoning in the server's tokens, Answer
// is completion_tokens − Thinking (the answer plus the closing tag).
type ThinkingSplit struct {
	Rollouts int         `json:"rollouts"`
	Thinking LengthStats `json:"thinking"`
	Answer   LengthStats `json:"answer"`
	// ThinkingShare is Σ thinking / Σ completion tokens.
	ThinkingShare float64 `json:"thinking_share"`
	// Source says how the thinking was counted ("server /tokenize").
	Source string `json:"source"`
}

// usageSplit is the thinking/answer split from the server's reported
// reasoning_tokens over the ok rollouts at the run's budget (not per budget);
// nil when no rollout reports any (a rollout reporting 0 then counts as
// one without thinking).
func usageSplit(ps []Problem) *ThinkingSplit {
	var think, ans []int
	var ts, cs int64
	reported := false
	for _, p := range ps {
		for _, s := range p.Samples {
			if s.Failed {
				continue
			}
			reported = reported || s.Reasoning > 0
			think = append(think, int(s.Reasoning))
			ans = append(ans, int(s.Tokens-s.Reasoning))
			ts += int64(s.Reasoning)
			cs += int64(s.Tokens)
		}
	}
	if !reported {
		return nil
	}
	sp := &ThinkingSplit{Rollouts: len(think), Thinking: Lengths(think, 0, 0), Answer: Lengths(ans, 0, 0), Source: "usage.completion_tokens_details.reasoning_tokens"}
	if cs > 0 {
		sp.ThinkingShare = float64(ts) / float64(cs)
	}
	return sp
}
