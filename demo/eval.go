package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// Seed domains of the demo's own sampling (the base evaluation, the final
// evaluations and the difficulty profile), so that no two share a stream.
const (
	seedEval uint64 = 0xe7a1 + iota
	seedProfile
)

// evalSets returns the first perLevel problems of each level of the named
// lab benchmarks (the registered test splits, so disjoint from training).
func evalSets(names []string, perLevel int) ([]rl.EvalSet, error) {
	var out []rl.EvalSet
	for _, name := range names {
		ps, ok := lab.Benchmark(name)
		if !ok {
			return nil, fmt.Errorf("demo: unknown lab benchmark %q", name)
		}
		count := map[int]int{}
		var keep []bench.Problem
		for _, p := range ps {
			if count[p.Level] < perLevel {
				count[p.Level]++
				keep = append(keep, p)
			}
		}
		out = append(out, rl.EvalSet{Name: name, Problems: keep})
	}
	return out, nil
}

// sampler draws and grades completions the way rl.Train does: the prompt
// is the bare question (lab.FormatPrompt), generation stops at the model's
// or the tokenizer's EOS, and a completion is correct when it stopped and
// grade.Grade accepts it against the gold answers.
type sampler struct {
	tok   tokenizer.Tokenizer
	stops []int32
}

func newSampler(m *model.Model, tok tokenizer.Tokenizer) sampler {
	s := sampler{tok: tok}
	for _, id := range m.Config.EOSTokenID {
		s.stops = append(s.stops, int32(id))
	}
	if eos := tok.Special().EOS; eos >= 0 && !slices.Contains(s.stops, eos) {
		s.stops = append(s.stops, eos)
	}
	return s
}

// outcome is one graded sample.
type outcome struct {
	tokens  int
	stop    bool
	correct bool
}

// sample draws n completions of every problem with opts (Seed set per
// sample from seed, the problem's index and the sample's) and grades them.
func (s sampler) sample(ctx context.Context, m *model.Model, ps []bench.Problem, n int, opts model.SampleOptions, seed uint64) ([][]outcome, error) {
	opts.StopTokens = s.stops
	var reqs []model.Request
	for i, p := range ps {
		prompt := s.tok.Encode(lab.FormatPrompt(p.Question))
		if len(prompt) == 0 {
			return nil, fmt.Errorf("demo: problem %s: empty prompt", p.ID)
		}
		for j := range n {
			o := opts
			o.Seed = mix(seed, uint64(i), uint64(j))
			reqs = append(reqs, model.Request{Prompt: prompt, Options: o})
		}
	}
	seqs, err := m.GenerateEach(ctx, reqs)
	if err != nil {
		return nil, fmt.Errorf("demo: sampling: %w", err)
	}
	out := make([][]outcome, len(ps))
	for i, p := range ps {
		for _, q := range seqs[i*n : (i+1)*n] {
			o := outcome{tokens: len(q.Tokens), stop: q.FinishReason == model.FinishStop}
			if o.stop {
				toks := q.Tokens
				if len(toks) > 0 && slices.Contains(s.stops, toks[len(toks)-1]) {
					toks = toks[:len(toks)-1]
				}
				o.correct = grade.Grade(s.tok.Decode(toks), p.Gold, grade.DefaultOptions()).Correct
			}
			out[i] = append(out[i], o)
		}
	}
	return out, nil
}

// ladder evaluates m on every set across the budget ladder (PAPER.md §2,
// strict mode): k samples per problem at the largest budget with the
// evaluation sampling settings of rl.Default() (temperature 0.6, top-p
// 0.95, top-k 20), then eval/metrics computes Mean@k, Pass@k, truncation
// rate and length at every budget.
func ladder(ctx context.Context, m *model.Model, s sampler, sets []rl.EvalSet, budgets []int, k int, seed uint64) ([]BenchResult, error) {
	e := rl.Default().Eval
	opts := model.SampleOptions{Temperature: float32(e.Temperature), TopP: float32(e.TopP), TopK: e.TopK, MaxNewTokens: budgets[len(budgets)-1]}
	var out []BenchResult
	for si, set := range sets {
		res, err := s.sample(ctx, m, set.Problems, k, opts, mix(seed, seedEval, uint64(si)))
		if err != nil {
			return nil, fmt.Errorf("demo: evaluating %s: %w", set.Name, err)
		}
		var probs []metrics.Problem
		for i, p := range set.Problems {
			mp := metrics.Problem{Benchmark: set.Name, ID: p.ID, Level: p.Level}
			for _, o := range res[i] {
				mp.Samples = append(mp.Samples, metrics.Sample{Tokens: int32(o.tokens), MaxTokens: int32(opts.MaxNewTokens), Stop: o.stop, Correct: o.correct})
			}
			probs = append(probs, mp)
		}
		r := metrics.Compute(probs, metrics.Options{Budgets: budgets, K: k, Bootstrap: 100, Seed: seed})
		for _, b := range r.Benchmarks {
			br := BenchResult{Benchmark: b.Benchmark, Problems: b.Problems, K: k}
			for _, x := range b.Budgets {
				res := BudgetResult{
					Budget: x.Budget, MeanAtK: finite(x.MeanAtK), PassAtK: finite(x.PassAtK),
					TruncationRate: finite(x.TruncationRate), MeanLength: finite(x.Length.All.Mean),
					LengthCorrect: finite(x.Length.Correct.Mean),
				}
				for _, mp := range probs {
					c, n := mp.SolvedAt(x.Budget)
					res.PerProblem = append(res.PerProblem, float64(c)/float64(max(n, 1)))
					res.PerProblemPass = append(res.PerProblemPass, finite(metrics.PassAtK(n, c, min(k, n))))
					res.PerProblemLength = append(res.PerProblemLength, meanCapped(mp.Samples, x.Budget))
				}
				br.Budgets = append(br.Budgets, res)
			}
			out = append(out, br)
		}
	}
	return out, nil
}

// meanCapped is the mean length of samples in tokens, each capped at
// budget (the length the sample has at that budget); 0 without samples.
func meanCapped(samples []metrics.Sample, budget int) float64 {
	if len(samples) == 0 {
		return 0
	}
	sum := 0.0
	for _, s := range samples {
		sum += float64(min(int(s.Tokens), budget))
	}
	return sum / float64(len(samples))
}

// mix derives a seed from a base seed and labels (splitmix64 steps).
func mix(seed uint64, labels ...uint64) uint64 {
	v := seed
	for _, l := range labels {
		v ^= l + 0x9e3779b97f4a7c15 + (v << 6) + (v >> 2)
		v += 0x9e3779b97f4a7c15
		z := v
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		v = z ^ (z >> 31)
	}
	return v
}
