// Package run is the `terse eval` pipeline: it samples every missing
// (problem, sample) through an OpenAI-compatible client with bounded
// concurrency, grades each completion, appends it to the rollout store,
// and computes the metrics from the store.
//
// Package run imports bench, eval and its sibling packages; grading comes
// in as an eval.Grader so that the harness does not depend on one grader.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/internal/progress"
)

// Sampler draws one completion; *sampler.Client implements it.
type Sampler interface {
	Do(ctx context.Context, req sampler.Request) (sampler.Response, error)
}

var _ Sampler = (*sampler.Client)(nil)

// Options configures Sample.
type Options struct {
	// Problems to evaluate, from one or several benchmarks.
	Problems []bench.Problem
	// Sampling settings; their Key is the cache key.
	Sampling eval.Sampling
	// MaxTokens is the run's budget, the largest one its metrics can report.
	MaxTokens int
	// Samples is k, the number of samples per problem.
	Samples int
	// ThinkingOpen declares that the chat template itself opens <think> (as
	// DeepSeek-R1-Distill's does), so a completion without "</think>" is
	// all thinking. A prefill ending in <think> implies it.
	ThinkingOpen bool
	// StoreTokenIDs asks the server for the token ids of each sample and
	// stores them in the rollout (eval.Rollout.TokenIDs).
	StoreTokenIDs bool
	// Concurrency bounds the requests in flight [64].
	Concurrency int
	Client      Sampler
	Store       *store.Store
	Grade       eval.Grader
	// Progress receives a progress line (\r-rewritten) when not nil.
	Progress io.Writer
}

// Summary counts what Sample did.
type Summary struct {
	// Total = Samples × problems; Cached were already in the store.
	Total, Cached int
	// Sampled ok, Failed after every retry (recorded with status failed).
	Sampled, Failed int
	// Tokens is the sum of completion_tokens of the sampled rollouts.
	Tokens  int64
	Elapsed time.Duration
}

type job struct {
	p      *bench.Problem
	sample int
	prompt string
	tests  *codeTests // nil for math problems
}

// codeTests is what every rollout of one code problem records of its
// tests, computed once per problem (eval.CodeTestsRecord).
type codeTests struct {
	inline *bench.CodeTests
	digest string
}

// Sample draws every (problem, sample) the store cannot answer at
// opts.MaxTokens, grades it and appends it to the store. A request that
// keeps failing is appended with status failed. When ctx ends, requests in
// flight are abandoned unrecorded and Sample returns ctx's error: rerun to
// resume. An append error stops the run.
func Sample(ctx context.Context, opts Options) (Summary, error) {
	start := time.Now()
	if err := opts.Sampling.Validate(); err != nil {
		return Summary{}, err
	}
	switch {
	case opts.MaxTokens <= 0:
		return Summary{}, fmt.Errorf("run: max tokens %d ≤ 0", opts.MaxTokens)
	case opts.Samples <= 0:
		return Summary{}, fmt.Errorf("run: samples per problem %d ≤ 0", opts.Samples)
	case opts.Client == nil || opts.Store == nil || opts.Grade == nil:
		return Summary{}, fmt.Errorf("run: client, store and grader are all required")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	key := opts.Sampling.Key()
	seen := map[[2]string]bool{}
	var jobs []job
	sum := Summary{}
	for i := range opts.Problems {
		p := &opts.Problems[i]
		if seen[[2]string{p.Benchmark, p.ID}] {
			return Summary{}, fmt.Errorf("run: problem %s/%s appears twice", p.Benchmark, p.ID)
		}
		seen[[2]string{p.Benchmark, p.ID}] = true
		prompt := opts.Sampling.Prompt(*p)
		var tests *codeTests
		if p.Tests != nil {
			tests = &codeTests{}
			tests.inline, tests.digest = eval.CodeTestsRecord(p.Tests)
		}
		for s := range opts.Samples {
			sum.Total++
			id := eval.SampleID{Key: key, Benchmark: p.Benchmark, ProblemID: p.ID, Sample: s}
			if opts.Store.Has(id, prompt, opts.MaxTokens) {
				sum.Cached++
				continue
			}
			jobs = append(jobs, job{p: p, sample: s, prompt: prompt, tests: tests})
		}
	}
	// A server known to ignore a setting (Ollama: top_k, chat prefill) is
	// refused before any sample, so that the recorded sampling settings are
	// the applied ones; sampler.Client.Do refuses such answers too.
	if c, ok := opts.Client.(interface {
		CheckSettings(context.Context, sampler.Request) error
	}); ok && len(jobs) > 0 {
		s := opts.Sampling
		req := sampler.Request{API: s.API, Model: s.Model, Prefill: s.Prefill, TopK: s.TopK, MaxTokens: opts.MaxTokens}
		if err := c.CheckSettings(ctx, req); err != nil {
			return Summary{}, fmt.Errorf("run: %w", err)
		}
	}
	prog := progress.New(opts.Progress, "eval", len(jobs), sum.Cached)
	defer prog.Stop()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ch := make(chan job)
	var mu sync.Mutex // guards sum
	var wg sync.WaitGroup
	open := opts.ThinkingOpen || opts.Sampling.ThinkingOpen()
	for range min(opts.Concurrency, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range ch {
				r, err := sampleOne(ctx, opts, key, open, j)
				if err != nil { // ctx ended: leave it for the next run
					return
				}
				// An answer too large for one line is recorded as a failed
				// sample; only a write error stops the run.
				r, err = opts.Store.AppendOrFail(r)
				if err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				if r.Status == eval.StatusOK {
					sum.Sampled++
					sum.Tokens += int64(r.CompletionTokens)
				} else {
					sum.Failed++
				}
				mu.Unlock()
				prog.Done(r.Status == eval.StatusOK, r.CompletionTokens)
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return sum, fmt.Errorf("run: stopped after %d of %d samples (rerun the same command to resume): %w", sum.Sampled+sum.Failed, len(jobs), err)
	}
	return sum, nil
}

// sampleOne draws and grades one rollout; it errs only when ctx ended.
func sampleOne(ctx context.Context, opts Options, key string, open bool, j job) (*eval.Rollout, error) {
	s := opts.Sampling
	seed := s.Seed + int64(j.sample)
	req := sampler.Request{
		API: s.API, Model: s.Model, System: s.SystemPrompt, Prompt: j.prompt, Prefill: s.Prefill,
		MaxTokens: opts.MaxTokens, Temperature: s.Temperature, TopP: s.TopP, TopK: s.TopK, Seed: seed,
		ReturnTokenIDs: opts.StoreTokenIDs,
	}
	r := &eval.Rollout{
		Key: key, Benchmark: j.p.Benchmark, ProblemID: j.p.ID, Sample: j.sample,
		Sampling: s, SampleSeed: seed, MaxTokens: opts.MaxTokens, Prompt: j.prompt,
		Gold: j.p.Gold, Level: j.p.Level, Meta: j.p.Meta, StartedAt: time.Now().UTC(),
	}
	if j.tests != nil {
		r.CodeTests, r.TestsDigest = j.tests.inline, j.tests.digest
	}
	resp, err := opts.Client.Do(ctx, req)
	r.FinishedAt = time.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Status, r.Error, r.Reason = eval.StatusFailed, err.Error(), "request_failed"
		var se *sampler.Error
		if errors.As(err, &se) {
			r.Attempts, r.Endpoint, r.ServerFaults = se.Attempts, se.Endpoint, se.Faults
		}
		return r, nil
	}
	r.Status = eval.StatusOK
	r.Endpoint, r.Attempts, r.ServerFaults = resp.Endpoint, resp.Attempts, resp.Faults
	r.CompletionTokens, r.PromptTokens, r.FinishReason = resp.CompletionTokens, resp.PromptTokens, resp.FinishReason
	r.ReasoningTokens = resp.ReasoningTokens
	r.TokenIDs, r.PromptTokenIDs = resp.TokenIDs, resp.PromptTokenIDs
	reasoning, response := eval.SplitThinking(resp.Content, open && resp.ReasoningContent == "")
	if rc := strings.TrimSpace(resp.ReasoningContent); rc != "" {
		reasoning = strings.TrimSpace(rc + "\n" + reasoning)
	}
	r.Reasoning, r.Response = reasoning, response
	r.GradeWith(opts.Grade, *j.p)
	return r, nil
}
