package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval/metrics"
)

// Errors the package reports.
var (
	// ErrNoRollouts: a prompt has no ok rollout, so it has no pass rate.
	ErrNoRollouts = errors.New("data: no ok rollouts")
	// ErrTargetLen: a target length outside (0, rollout limit].
	ErrTargetLen = errors.New("data: target length outside (0, rollout limit]")
	// ErrEmpty: a selection or profile with no prompts.
	ErrEmpty = errors.New("data: no prompts")
)

// DefaultThreshold is the paper's Easy/Hard boundary: Easy = pass rate >
// 0.5, Hard = pass rate ≤ 0.5 (PAPER.md §3).
const DefaultThreshold = 0.5

// LengthStats summarises rollout lengths in tokens. Mean and Median are 0
// when Count is 0.
type LengthStats struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
}

// lengthStats computes LengthStats of ls (sorted in place).
func lengthStats(ls []int) LengthStats {
	if len(ls) == 0 {
		return LengthStats{}
	}
	slices.Sort(ls)
	sum := 0
	for _, l := range ls {
		sum += l
	}
	n := len(ls)
	med := float64(ls[n/2])
	if n%2 == 0 {
		med = float64(ls[n/2-1]+ls[n/2]) / 2
	}
	return LengthStats{Count: n, Mean: float64(sum) / float64(n), Median: med}
}

// Record is the difficulty profile of one prompt: one line of
// profile.jsonl.
//
// At the rollout limit L_R (strict mode, as eval/SCHEMA.md): a rollout is
// correct if it finished (finish reason stop) within L_R tokens and its
// answer is correct; truncated if it did not finish within L_R; incorrect
// if it finished with a wrong answer. Failed requests are not part of n.
type Record struct {
	// Benchmark and ID name the prompt (bench.Problem.Benchmark, .ID).
	Benchmark string `json:"benchmark"`
	ID        string `json:"id"`
	// Level is the problem's difficulty level, 0 when unknown.
	Level int `json:"level,omitempty"`
	// Source groups prompts for balancing: the problem's Meta "data_source"
	// or "source" string when present, else its benchmark.
	Source string `json:"source"`
	// RolloutLimit is L_R, the max_tokens the rollouts were judged at.
	RolloutLimit int `json:"rollout_limit"`
	// Samples is n, the ok rollouts; Failed counts failed requests.
	Samples int `json:"samples"`
	Failed  int `json:"failed,omitempty"`
	// Correct is c; PassRate = c/n.
	Correct  int     `json:"correct"`
	PassRate float64 `json:"pass_rate"`
	// Truncated rollouts did not finish within L_R; TruncationRate = that / n.
	Truncated      int     `json:"truncated"`
	TruncationRate float64 `json:"truncation_rate"`
	// CorrectLength and IncorrectLength summarise the lengths of the correct
	// rollouts and of the finished wrong ones.
	CorrectLength   LengthStats `json:"correct_length"`
	IncorrectLength LengthStats `json:"incorrect_length"`
	// CorrectLengths lists every correct rollout's length, ascending: with
	// it the positive share at any L_T ≤ L_R is known (PositiveShare).
	CorrectLengths []int `json:"correct_lengths"`
	// Prompt is the rendered prompt the rollouts were sampled with.
	Prompt string `json:"prompt"`
	// Problem is the whole problem, so that a selection can be exported
	// from profile.jsonl alone.
	Problem bench.Problem `json:"problem"`
}

// NewRecord reduces the samples of one prompt, judged at rolloutLimit, to
// its Record. It returns ErrNoRollouts when no sample is ok.
func NewRecord(p bench.Problem, prompt string, samples []metrics.Sample, rolloutLimit int) (Record, error) {
	r := Record{
		Benchmark: p.Benchmark, ID: p.ID, Level: p.Level, Source: SourceOf(p),
		RolloutLimit: rolloutLimit, Prompt: prompt, Problem: p, CorrectLengths: []int{},
	}
	var wrong []int
	for _, s := range samples {
		switch {
		case s.Failed:
			r.Failed++
			continue
		case !s.Stop || int(s.Tokens) > rolloutLimit:
			r.Truncated++
		case s.Correct:
			r.Correct++
			r.CorrectLengths = append(r.CorrectLengths, int(s.Tokens))
		default:
			wrong = append(wrong, int(s.Tokens))
		}
		r.Samples++
	}
	if r.Samples == 0 {
		return r, fmt.Errorf("%w for %s/%s (%d failed)", ErrNoRollouts, p.Benchmark, p.ID, r.Failed)
	}
	r.PassRate = float64(r.Correct) / float64(r.Samples)
	r.TruncationRate = float64(r.Truncated) / float64(r.Samples)
	r.CorrectLength = lengthStats(r.CorrectLengths)
	r.IncorrectLength = lengthStats(wrong)
	return r, nil
}

// SourceOf is the balancing group of a problem: Meta["data_source"] or
// Meta["source"] when it is a non-empty string, else the benchmark name.
func SourceOf(p bench.Problem) string {
	for _, k := range []string{"data_source", "source"} {
		if s, ok := p.Meta[k].(string); ok && s != "" {
			return s
		}
	}
	return p.Benchmark
}

// Easy reports whether the prompt is Easy at threshold t: PassRate > t.
// Hard is its complement (PassRate ≤ t), as in the paper.
func (r *Record) Easy(t float64) bool { return r.PassRate > t }

// AllSolved reports whether every rollout was correct.
func (r *Record) AllSolved() bool { return r.Correct == r.Samples }

// NeverSolved reports whether no rollout was correct.
func (r *Record) NeverSolved() bool { return r.Correct == 0 }

// PositiveShare is p_T, the share of the prompt's rollouts that earn a
// positive truncation reward R = I(correct)·I(L ≤ L_T) (PAPER.md §4.2):
// correct and at most targetLen tokens long. targetLen must lie in
// (0, RolloutLimit]; above L_R the rollouts' fate is unknown.
func (r *Record) PositiveShare(targetLen int) float64 {
	if r.Samples == 0 {
		return 0
	}
	k, _ := slices.BinarySearch(r.CorrectLengths, targetLen+1)
	return float64(k) / float64(r.Samples)
}

// Density is the expected density of positive truncation rewards over a
// set of prompts at a target length (PAPER.md §5.3: positive-reward
// density decides whether GRPO learns).
type Density struct {
	Prompts   int `json:"prompts"`
	TargetLen int `json:"target_len"`
	GroupSize int `json:"group_size"`
	// RolloutDensity is the mean over prompts of p_T (Record.PositiveShare):
	// the expected share of rollouts with a positive reward.
	RolloutDensity float64 `json:"rollout_density"`
	// GroupsWithPositive is the mean over prompts of 1 − (1 − p_T)^N, N =
	// GroupSize: the expected share of GRPO groups with at least one
	// positive reward (a group without one has zero advantage everywhere).
	// It assumes the N rollouts of a group are independent draws with the
	// prompt's success probability p_T, and takes the observed share as
	// that probability; with small n it errs as p_T does.
	GroupsWithPositive float64 `json:"groups_with_positive"`
	// ObservedGroupsWithPositive is the share of prompts whose own profiled
	// rollouts hold at least one positive: the exact statistic for groups of
	// the profiled size n, with no independence assumption.
	ObservedGroupsWithPositive float64 `json:"observed_groups_with_positive"`
}

// PositiveDensity computes the Density of recs at targetLen for groups of
// groupSize rollouts. It returns ErrTargetLen when targetLen is not in
// (0, L_R] of every record, and a zero Density for no records.
func PositiveDensity(recs []Record, targetLen, groupSize int) (Density, error) {
	d := Density{Prompts: len(recs), TargetLen: targetLen, GroupSize: groupSize}
	if groupSize < 1 {
		return d, fmt.Errorf("data: group size %d < 1", groupSize)
	}
	if len(recs) == 0 {
		return d, nil
	}
	var sumP, sumG, obs float64
	for i := range recs {
		r := &recs[i]
		if targetLen <= 0 || targetLen > r.RolloutLimit {
			return d, fmt.Errorf("%w: %d for %s/%s with L_R %d", ErrTargetLen, targetLen, r.Benchmark, r.ID, r.RolloutLimit)
		}
		p := r.PositiveShare(targetLen)
		sumP += p
		sumG += 1 - math.Pow(1-p, float64(groupSize)) // P(≥1 positive of N) = 1 − (1−p)^N
		if p > 0 {
			obs++
		}
	}
	n := float64(len(recs))
	d.RolloutDensity, d.GroupsWithPositive, d.ObservedGroupsWithPositive = sumP/n, sumG/n, obs/n
	return d, nil
}

// WriteRecords writes recs as JSONL to w.
func WriteRecords(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return fmt.Errorf("data: encode record %s/%s: %w", recs[i].Benchmark, recs[i].ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("data: write records: %w", err)
	}
	return nil
}

// ReadRecords reads a profile.jsonl file. Errors name the file and line.
func ReadRecords(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var recs []Record
	seen := map[[2]string]int{}
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("data: %s:%d: %w", path, line, err)
		}
		switch {
		case r.Benchmark == "" || r.ID == "":
			return nil, fmt.Errorf("data: %s:%d: field benchmark or id is empty", path, line)
		case r.Samples < 1:
			return nil, fmt.Errorf("data: %s:%d: field samples is %d, want ≥ 1", path, line, r.Samples)
		case r.Correct < 0 || r.Correct > r.Samples || len(r.CorrectLengths) != r.Correct:
			return nil, fmt.Errorf("data: %s:%d: field correct is %d with %d samples and %d correct_lengths", path, line, r.Correct, r.Samples, len(r.CorrectLengths))
		case r.RolloutLimit < 1:
			return nil, fmt.Errorf("data: %s:%d: field rollout_limit is %d, want ≥ 1", path, line, r.RolloutLimit)
		}
		k := [2]string{r.Benchmark, r.ID}
		if prev, ok := seen[k]; ok {
			return nil, fmt.Errorf("data: %s:%d: duplicate prompt %s/%s (first at line %d)", path, line, r.Benchmark, r.ID, prev)
		}
		seen[k] = line
		slices.Sort(r.CorrectLengths)
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrEmpty, path)
	}
	return recs, nil
}
