// Package metrics turns graded rollouts into the paper's fine-grained
// metrics (PAPER.md §2): Mean@k, unbiased Pass@k and the truncation rate at
// every token budget, with bootstrap confidence intervals over problems,
// and length statistics by correctness. Every function is pure: same
// input, same output (the bootstrap is seeded).
//
// Strict mode. From one run at the largest budget M, the metrics at a
// budget B ≤ M count a rollout as correct only if it finished (finish
// reason stop) within B tokens and its answer is correct, and as truncated
// if it did not finish within B. This equals sampling with max_tokens = B:
// a sample cut at B is the first B tokens of an unconstrained sample. A
// forced-answer protocol (cut at B, close the thinking, ask for the
// answer) is a different measurement: eval/force makes it, and ComputeMode
// and ComputeEarlyExit (efficiency.go) summarise it.
//
// Failed requests (status failed) are left out of n and counted apart.
//
// Package metrics imports eval and the standard library only.
package metrics

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/terse-dev/terse/eval"
)

// Schema names the results.json format this package writes.
const Schema = "terse.results/v1"

// Mode and ModeNote label the budget protocol in every result.
const (
	Mode     = "strict"
	ModeNote = "A rollout counts as correct at budget B if it finished (finish_reason stop) within B completion tokens and its answer is correct; it is truncated at B if it did not finish within B. This equals sampling with max_tokens = B, so one run at the largest budget yields every smaller budget. Failed requests are excluded from n and counted separately."
)

// DefaultBudgets are the paper's budgets: 2k, 4k, 8k, 16k, 32k tokens.
var DefaultBudgets = []int{2048, 4096, 8192, 16384, 32768}

// Sample is what the metrics need of one rollout.
type Sample struct {
	// Tokens is usage.completion_tokens; MaxTokens the budget it was sampled with.
	Tokens, MaxTokens int32
	// Stop: finish_reason was "stop". Correct: the grader said so.
	Stop, Correct bool
	// Failed: the request failed; the sample is not part of n.
	Failed bool
	// Reasoning is usage.completion_tokens_details.reasoning_tokens (0:
	// not reported).
	Reasoning int32
	// Vote is the sample's class in a majority vote (VoteOf): every
	// correct answer is one class, a wrong answer votes for its extracted
	// text, and "" abstains (no answer).
	Vote string
}

// SampleOf extracts a Sample from a rollout.
func SampleOf(r *eval.Rollout) Sample {
	return Sample{
		Tokens: int32(r.CompletionTokens), MaxTokens: int32(r.MaxTokens),
		Stop: r.FinishReason == eval.FinishStop, Correct: r.Correct,
		Failed: r.Status != eval.StatusOK, Vote: VoteOf(r), Reasoning: int32(r.ReasoningTokens),
	}
}

// finished reports the strict-mode condition at budget b.
func (s Sample) finished(b int) bool { return s.Stop && int(s.Tokens) <= b }

// Problem is one problem's samples.
type Problem struct {
	Benchmark string
	ID        string
	Level     int
	Samples   []Sample
}

// Options configures Compute. Zero values take the defaults in brackets.
type Options struct {
	// Budgets to report [DefaultBudgets]. Budgets above the smallest
	// max_tokens of a benchmark's rollouts are dropped with a note, and that
	// max_tokens is added when it lies below the largest budget asked for.
	Budgets []int
	// K for Pass@k [the smallest n of any problem]; capped at that n.
	K int
	// Bootstrap resamples for the intervals [1000]; Confidence level [0.95].
	Bootstrap  int
	Confidence float64
	// Seed of the bootstrap [0].
	Seed uint64
	// Bins of each length histogram [16].
	Bins int
}

func (o Options) withDefaults() Options {
	if len(o.Budgets) == 0 {
		o.Budgets = DefaultBudgets
	}
	if o.Bootstrap <= 0 {
		o.Bootstrap = 1000
	}
	if o.Confidence <= 0 || o.Confidence >= 1 {
		o.Confidence = 0.95
	}
	if o.Bins <= 0 {
		o.Bins = 16
	}
	return o
}

// Interval is a confidence interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Histogram counts lengths in equal-width bins: Counts[i] counts lengths in
// [Edges[i], Edges[i+1]), the last bin also holding Edges[len-1].
type Histogram struct {
	Edges  []int `json:"edges"`
	Counts []int `json:"counts"`
}

// LengthStats summarises completion lengths (tokens, capped at the budget).
type LengthStats struct {
	Count     int        `json:"count"`
	Mean      float64    `json:"mean"`
	Median    float64    `json:"median"`
	P10       float64    `json:"p10"`
	P90       float64    `json:"p90"`
	Histogram *Histogram `json:"histogram,omitempty"`
}

// Length holds length statistics of all rollouts and by outcome at a
// budget: correct and incorrect among those that finished, and truncated.
type Length struct {
	All       LengthStats `json:"all"`
	Correct   LengthStats `json:"correct"`
	Incorrect LengthStats `json:"incorrect"`
	Truncated LengthStats `json:"truncated"`
}

// Budget is every metric at one token budget.
type Budget struct {
	Budget   int `json:"budget"`
	Problems int `json:"problems"`
	Rollouts int `json:"rollouts"`
	K        int `json:"k"`
	// MeanAtK is the mean over problems of c/n (see MeanAtK).
	MeanAtK   float64  `json:"mean_at_k"`
	MeanAtKCI Interval `json:"mean_at_k_ci"`
	// PassAtK is the mean over problems of the unbiased PassAtK(n, c, k).
	PassAtK   float64  `json:"pass_at_k"`
	PassAtKCI Interval `json:"pass_at_k_ci"`
	// TruncationRate is the share of rollouts that did not finish within
	// the budget.
	TruncationRate   float64  `json:"truncation_rate"`
	TruncationRateCI Interval `json:"truncation_rate_ci"`
	// Censored counts the rollouts that did not finish within the budget
	// (TruncationRate × Rollouts): budget-limited, not wrong.
	Censored int `json:"censored"`
	// AccuracyPer1kTokens is MeanAtK / (Length.All.Mean / 1000).
	AccuracyPer1kTokens float64 `json:"accuracy_per_1k_tokens"`
	// MajK and MajAtK are the token-matched majority vote (see MajAtK):
	// maj@MajK over as many samples at this budget as fit the mean tokens
	// of one sample at the largest budget.
	MajK   int     `json:"maj_k"`
	MajAtK float64 `json:"maj_at_k"`
	Length Length  `json:"length"`
}

// Level is the budget curve of the problems at one difficulty level.
type Level struct {
	Level    int      `json:"level"`
	Problems int      `json:"problems"`
	Budgets  []Budget `json:"budgets"`
}

// Benchmark is every metric of one benchmark.
type Benchmark struct {
	Benchmark string `json:"benchmark"`
	Problems  int    `json:"problems"`
	// Rollouts counts ok rollouts; Failed counts failed requests.
	Rollouts int `json:"rollouts"`
	Failed   int `json:"failed"`
	// Missing counts the benchmark's problems without any rollout (a
	// partial file or an interrupted run), when the caller knows the
	// benchmark's problems; they are not part of any metric.
	Missing int `json:"missing,omitempty"`
	// MinSamples and MaxSamples bound n over problems.
	MinSamples int `json:"min_samples"`
	MaxSamples int `json:"max_samples"`
	// MaxTokens is the smallest budget any rollout was sampled with: the
	// largest budget this benchmark can report.
	MaxTokens int      `json:"max_tokens"`
	Budgets   []Budget `json:"budgets"`
	// AUC is the normalised area under the Mean@k–budget curve (see AUC).
	AUC float64 `json:"auc"`
	// Modes holds budget curves measured by other protocols (forced
	// answers, early exit), filled in by eval/force.
	Modes     []ModeCurve `json:"modes,omitempty"`
	EarlyExit *EarlyExit  `json:"early_exit,omitempty"`
	// Split is the thinking/answer length split (filled in by eval/force,
	// which counts the thinking with the server's tokenizer).
	Split  *ThinkingSplit `json:"thinking_split,omitempty"`
	Levels []Level        `json:"levels,omitempty"`
	Notes  []string       `json:"notes,omitempty"`
}

// Run describes the run the rollouts come from (filled in by the caller).
type Run struct {
	Key string `json:"key,omitempty"`
	eval.Sampling
	MaxTokens int      `json:"max_tokens,omitempty"`
	Samples   int      `json:"samples,omitempty"`
	Files     []string `json:"files,omitempty"`
	Regraded  bool     `json:"regraded,omitempty"`
	// ServerFaults counts, by kind, the implausible answers the server gave
	// to this run's requests (eval.Rollout.ServerFaults; each was retried).
	ServerFaults map[string]int `json:"server_faults,omitempty"`
}

// Results is the content of results.json.
type Results struct {
	Schema     string      `json:"schema"`
	Mode       string      `json:"mode"`
	ModeNote   string      `json:"mode_note"`
	Confidence float64     `json:"confidence"`
	Bootstrap  int         `json:"bootstrap"`
	Seed       uint64      `json:"seed"`
	Run        Run         `json:"run"`
	Benchmarks []Benchmark `json:"benchmarks"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// PassAtK is the unbiased estimator of the probability that at least one
// of k samples is correct, given c correct among n ≥ k samples (Chen et al.
// 2021, arXiv 2107.03374):
//
//	pass@k = 1 − C(n−c, k) / C(n, k) = 1 − ∏_{i=n−c+1}^{n} (1 − k/i)
//
// The product form avoids huge binomials. It returns NaN when k < 1 or
// n < k or c is outside [0, n].
func PassAtK(n, c, k int) float64 {
	if k < 1 || n < k || c < 0 || c > n {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	p := 1.0
	for i := n - c + 1; i <= n; i++ {
		p *= 1 - float64(k)/float64(i)
	}
	return 1 - p
}

// MeanAtK is Mean@k (PAPER.md §2): the mean over problems of c_i/n_i,
// the share of correct samples per problem. It returns NaN for no problems.
func MeanAtK(correct, n []int) float64 {
	if len(correct) == 0 || len(correct) != len(n) {
		return math.NaN()
	}
	s := 0.0
	for i := range correct {
		s += float64(correct[i]) / float64(n[i])
	}
	return s / float64(len(correct))
}

// SolvedAt counts p's samples (failed ones left out) in strict mode at
// budget b: correct of n.
func (p Problem) SolvedAt(b int) (correct, n int) {
	for _, s := range p.Samples {
		if s.Failed {
			continue
		}
		n++
		if s.Correct && s.finished(b) {
			correct++
		}
	}
	return correct, n
}

// Paired compares two runs scored on the same problems, a[i] and b[i] being
// one problem's score in each (e.g. its share of correct samples): it
// returns the mean of d_i = a_i − b_i and its standard error sd(d)/√n
// (sample sd, n−1 denominator). Pairing removes the spread of difficulty
// between problems, which dominates the error of each mean alone. se is NaN
// for fewer than two problems; both are NaN when the lengths differ.
func Paired(a, b []float64) (diff, se float64) {
	n := len(a)
	if n == 0 || n != len(b) {
		return math.NaN(), math.NaN()
	}
	for i := range a {
		diff += a[i] - b[i]
	}
	diff /= float64(n)
	if n < 2 {
		return diff, math.NaN()
	}
	var ss float64
	for i := range a {
		d := a[i] - b[i] - diff
		ss += d * d
	}
	return diff, math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
}

// Quantile returns the q-quantile of sorted values with linear
// interpolation between order statistics (Hyndman–Fan type 7, as numpy's
// default); NaN when empty.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
}

// Lengths summarises lengths; with bins > 0 and top > 0 it adds a
// histogram of bins equal-width bins over [0, top].
func Lengths(lengths []int, bins, top int) LengthStats {
	st := LengthStats{Count: len(lengths)}
	if bins > 0 && top > 0 {
		h := &Histogram{Edges: make([]int, bins+1), Counts: make([]int, bins)}
		for i := range h.Edges {
			h.Edges[i] = int(math.Round(float64(top) * float64(i) / float64(bins)))
		}
		for _, l := range lengths {
			i := min(int(float64(l)*float64(bins)/float64(top)), bins-1)
			h.Counts[max(i, 0)]++
		}
		st.Histogram = h
	}
	if len(lengths) == 0 {
		return st
	}
	s := make([]float64, len(lengths))
	sum := 0.0
	for i, l := range lengths {
		s[i] = float64(l)
		sum += s[i]
	}
	slices.Sort(s)
	st.Mean = sum / float64(len(s))
	st.Median = Quantile(s, 0.5)
	st.P10 = Quantile(s, 0.1)
	st.P90 = Quantile(s, 0.9)
	return st
}

// perProblem holds one problem's counts at each budget.
type perProblem struct {
	n     int
	c     []int // correct and finished, per budget
	trunc []int // not finished, per budget
}

// Compute groups problems by benchmark and computes every metric. Problems
// without any ok sample are left out with a warning.
func Compute(problems []Problem, opts Options) Results {
	opts = opts.withDefaults()
	res := Results{Schema: Schema, Mode: Mode, ModeNote: ModeNote, Confidence: opts.Confidence, Bootstrap: opts.Bootstrap, Seed: opts.Seed}
	byBench := map[string][]Problem{}
	for _, p := range problems {
		byBench[p.Benchmark] = append(byBench[p.Benchmark], p)
	}
	names := make([]string, 0, len(byBench))
	for name := range byBench {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b, warn := benchmark(name, byBench[name], opts)
		res.Benchmarks = append(res.Benchmarks, b)
		res.Warnings = append(res.Warnings, warn...)
	}
	return res
}

func benchmark(name string, all []Problem, opts Options) (Benchmark, []string) {
	var warn []string
	b := Benchmark{Benchmark: name, MinSamples: math.MaxInt}
	var ps []Problem
	maxTok := math.MaxInt
	for _, p := range all {
		n := 0
		for _, s := range p.Samples {
			if s.Failed {
				b.Failed++
				continue
			}
			n++
			maxTok = min(maxTok, int(s.MaxTokens))
		}
		if n == 0 {
			warn = append(warn, fmt.Sprintf("%s: problem %s has no ok rollout; left out", name, p.ID))
			continue
		}
		b.Rollouts += n
		b.MinSamples = min(b.MinSamples, n)
		b.MaxSamples = max(b.MaxSamples, n)
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(x, y Problem) int { return cmp.Compare(x.ID, y.ID) })
	b.Problems = len(ps)
	if len(ps) == 0 {
		b.MinSamples = 0
		return b, warn
	}
	if b.Failed > 0 {
		warn = append(warn, fmt.Sprintf("%s: %d failed request(s) excluded from n; rerun the same command to retry them", name, b.Failed))
	}
	if b.MinSamples != b.MaxSamples {
		b.Notes = append(b.Notes, fmt.Sprintf("problems have between %d and %d samples", b.MinSamples, b.MaxSamples))
	}
	b.MaxTokens = maxTok
	var budgets []int
	largest := slices.Max(opts.Budgets)
	for _, B := range opts.Budgets {
		if B <= maxTok {
			budgets = append(budgets, B)
		} else {
			b.Notes = append(b.Notes, fmt.Sprintf("budget %d dropped: rollouts were sampled with max_tokens %d", B, maxTok))
		}
	}
	if maxTok < largest && !slices.Contains(budgets, maxTok) {
		budgets = append(budgets, maxTok)
	}
	slices.Sort(budgets)
	budgets = slices.Compact(budgets)
	k := opts.K
	if k <= 0 || k > b.MinSamples {
		if k > b.MinSamples {
			b.Notes = append(b.Notes, fmt.Sprintf("pass@k: k = %d capped at the smallest n, %d", k, b.MinSamples))
		}
		k = b.MinSamples
	}
	b.Budgets = curve(ps, budgets, k, opts, opts.Bins)
	b.AUC = AUC(b.Budgets)
	b.Split = usageSplit(ps)
	levels := map[int][]Problem{}
	for _, p := range ps {
		if p.Level > 0 {
			levels[p.Level] = append(levels[p.Level], p)
		}
	}
	lv := make([]int, 0, len(levels))
	for l := range levels {
		lv = append(lv, l)
	}
	slices.Sort(lv)
	for _, l := range lv {
		b.Levels = append(b.Levels, Level{Level: l, Problems: len(levels[l]), Budgets: curve(levels[l], budgets, k, opts, 0)})
	}
	return b, warn
}

// curve computes the metrics of problems ps at each budget; bins = 0 leaves
// out the histograms.
func curve(ps []Problem, budgets []int, k int, opts Options, bins int) []Budget {
	pp := make([]perProblem, len(ps))
	for i, p := range ps {
		q := perProblem{c: make([]int, len(budgets)), trunc: make([]int, len(budgets))}
		for _, s := range p.Samples {
			if s.Failed {
				continue
			}
			q.n++
			for j, B := range budgets {
				switch {
				case !s.finished(B):
					q.trunc[j]++
				case s.Correct:
					q.c[j]++
				}
			}
		}
		pp[i] = q
	}
	out := make([]Budget, len(budgets))
	for j, B := range budgets {
		r := Budget{Budget: B, Problems: len(ps), K: k}
		var correct, incorrect, truncated, all []int
		for _, p := range ps {
			for _, s := range p.Samples {
				if s.Failed {
					continue
				}
				l := min(int(s.Tokens), B)
				all = append(all, l)
				switch {
				case !s.finished(B):
					truncated = append(truncated, l)
				case s.Correct:
					correct = append(correct, l)
				default:
					incorrect = append(incorrect, l)
				}
			}
		}
		r.Rollouts = len(all)
		r.Length = Length{
			All:       Lengths(all, bins, B),
			Correct:   Lengths(correct, bins, B),
			Incorrect: Lengths(incorrect, bins, B),
			Truncated: Lengths(truncated, bins, B),
		}
		idx := make([]int, len(pp))
		for i := range idx {
			idx[i] = i
		}
		r.MeanAtK, r.PassAtK, r.TruncationRate = stats(pp, idx, j, k)
		for _, p := range pp {
			r.Censored += p.trunc[j]
		}
		r.AccuracyPer1kTokens = PerKiloToken(r.MeanAtK, r.Length.All.Mean)
		out[j] = r
	}
	bootstrap(pp, out, k, opts)
	tokenMatchedVote(ps, budgets, out, opts.Seed)
	return out
}

// stats computes Mean@k, Pass@k and the truncation rate at budget index j
// over the problems pp[idx[0]], pp[idx[1]], ….
func stats(pp []perProblem, idx []int, j, k int) (mean, pass, trunc float64) {
	var tr, n int
	for _, i := range idx {
		p := &pp[i]
		mean += float64(p.c[j]) / float64(p.n)
		pass += PassAtK(p.n, p.c[j], k)
		tr += p.trunc[j]
		n += p.n
	}
	m := float64(len(idx))
	return mean / m, pass / m, float64(tr) / float64(n)
}

// bootstrap fills the intervals of out: percentile intervals over
// opts.Bootstrap resamples of the problems, with replacement.
func bootstrap(pp []perProblem, out []Budget, k int, opts Options) {
	R := opts.Bootstrap
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7465727365)) // "terse"
	means := make([][]float64, len(out))
	passes := make([][]float64, len(out))
	truncs := make([][]float64, len(out))
	for j := range out {
		means[j], passes[j], truncs[j] = make([]float64, R), make([]float64, R), make([]float64, R)
	}
	idx := make([]int, len(pp))
	for r := range R {
		for i := range idx {
			idx[i] = rng.IntN(len(pp))
		}
		for j := range out {
			means[j][r], passes[j][r], truncs[j][r] = stats(pp, idx, j, k)
		}
	}
	a := (1 - opts.Confidence) / 2
	ci := func(v []float64) Interval {
		slices.Sort(v)
		return Interval{Lo: Quantile(v, a), Hi: Quantile(v, 1-a)}
	}
	for j := range out {
		out[j].MeanAtKCI = ci(means[j])
		out[j].PassAtKCI = ci(passes[j])
		out[j].TruncationRateCI = ci(truncs[j])
	}
}
