package data

import (
	"fmt"
	"io"
	"strings"

	"github.com/terse-dev/terse/eval"
)

// SummarySchema names the summary.json format.
const SummarySchema = "terse.profile/v1"

// Bin is one bar of the pass-rate histogram: Count prompts with Lo ≤ pass
// rate < Hi (the last bin includes Hi). For a profile where every prompt
// has n samples the bins are exact: Lo = Hi = c/n.
type Bin struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// Split holds the density of each difficulty set at one target length.
type Split struct {
	Full Density `json:"full"`
	Easy Density `json:"easy"`
	Hard Density `json:"hard"`
}

// Summary describes a profile: how difficulty is spread and what each
// Easy/Hard split does to the positive-reward density.
type Summary struct {
	Schema string `json:"schema"`
	// Sampling is the run's sampling settings (nil for a profile read back
	// from profile.jsonl alone).
	Sampling *eval.Sampling `json:"sampling,omitempty"`
	// Prompts profiled; Rollouts ok rollouts, Failed failed requests.
	Prompts  int `json:"prompts"`
	Rollouts int `json:"rollouts"`
	Failed   int `json:"failed"`
	// Samples is the largest n of any prompt; MinSamples the smallest.
	Samples    int `json:"samples"`
	MinSamples int `json:"min_samples"`
	// RolloutLimit is the smallest L_R of any prompt.
	RolloutLimit int `json:"rollout_limit"`
	// Threshold splits Easy (> Threshold) from Hard (≤ Threshold).
	Threshold float64 `json:"threshold"`
	// MeanPassRate is the mean over prompts of the pass rate; TruncationRate
	// the share of all rollouts truncated at L_R.
	MeanPassRate   float64 `json:"mean_pass_rate"`
	TruncationRate float64 `json:"truncation_rate"`
	// Easy, Hard, AllSolved and NeverSolved count prompts.
	Easy        int `json:"easy"`
	Hard        int `json:"hard"`
	AllSolved   int `json:"all_solved"`
	NeverSolved int `json:"never_solved"`
	// Histogram of pass rates.
	Histogram []Bin `json:"histogram"`
	// Density of positive truncation rewards at TargetLen for groups of
	// GroupSize, for the full set and its Easy and Hard parts.
	Density Split `json:"density"`
}

// SummaryOptions configures Summarize.
type SummaryOptions struct {
	// Threshold of the Easy/Hard split, in [0, 1) (DefaultSummaryOptions:
	// DefaultThreshold).
	Threshold float64
	// TargetLen is L_T for the density [the profile's L_R when 0].
	TargetLen int
	// GroupSize is the GRPO group size N for the density [the largest n].
	GroupSize int
}

// DefaultSummaryOptions splits at DefaultThreshold, with L_T = L_R and N = n.
func DefaultSummaryOptions() SummaryOptions {
	return SummaryOptions{Threshold: DefaultThreshold}
}

// Summarize describes recs. It fails on no records, a threshold outside
// [0, 1) or a bad TargetLen.
func Summarize(recs []Record, o SummaryOptions) (Summary, error) {
	if len(recs) == 0 {
		return Summary{}, ErrEmpty
	}
	if o.Threshold < 0 || o.Threshold >= 1 {
		return Summary{}, fmt.Errorf("data: summary: threshold %g outside [0, 1)", o.Threshold)
	}
	s := Summary{Schema: SummarySchema, Prompts: len(recs), Threshold: o.Threshold, MinSamples: recs[0].Samples, RolloutLimit: recs[0].RolloutLimit}
	var easy, hard []Record
	truncated := 0
	for i := range recs {
		r := &recs[i]
		s.Rollouts += r.Samples
		s.Failed += r.Failed
		s.Samples = max(s.Samples, r.Samples)
		s.MinSamples = min(s.MinSamples, r.Samples)
		s.RolloutLimit = min(s.RolloutLimit, r.RolloutLimit)
		s.MeanPassRate += r.PassRate
		truncated += r.Truncated
		if r.Easy(o.Threshold) {
			easy = append(easy, *r)
		} else {
			hard = append(hard, *r)
		}
		if r.AllSolved() {
			s.AllSolved++
		}
		if r.NeverSolved() {
			s.NeverSolved++
		}
	}
	s.Easy, s.Hard = len(easy), len(hard)
	s.MeanPassRate /= float64(len(recs))
	s.TruncationRate = float64(truncated) / float64(s.Rollouts)
	s.Histogram = Histogram(recs)
	if o.TargetLen == 0 {
		o.TargetLen = s.RolloutLimit
	}
	if o.GroupSize == 0 {
		o.GroupSize = s.Samples
	}
	var err error
	if s.Density.Full, err = PositiveDensity(recs, o.TargetLen, o.GroupSize); err != nil {
		return s, err
	}
	s.Density.Easy, _ = PositiveDensity(easy, o.TargetLen, o.GroupSize)
	s.Density.Hard, _ = PositiveDensity(hard, o.TargetLen, o.GroupSize)
	return s, nil
}

// Histogram counts pass rates. When every record has the same n, there is
// one exact bin per possible value c/n (c = 0..n); otherwise ten bins of
// width 0.1.
func Histogram(recs []Record) []Bin {
	if len(recs) == 0 {
		return nil
	}
	n := recs[0].Samples
	for _, r := range recs {
		if r.Samples != n {
			n = 0
			break
		}
	}
	if n > 0 && n <= 64 {
		bins := make([]Bin, n+1)
		for c := range bins {
			v := float64(c) / float64(n)
			bins[c] = Bin{Lo: v, Hi: v}
		}
		for _, r := range recs {
			bins[r.Correct].Count++
		}
		return bins
	}
	bins := make([]Bin, 10)
	for i := range bins {
		bins[i] = Bin{Lo: float64(i) / 10, Hi: float64(i+1) / 10}
	}
	for _, r := range recs {
		bins[min(int(r.PassRate*10), 9)].Count++
	}
	return bins
}

// WriteText prints s for people: counts, the histogram as bars and the
// density table.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "profile: %d prompts, %d rollouts (n = %d", s.Prompts, s.Rollouts, s.Samples)
	if s.MinSamples != s.Samples {
		fmt.Fprintf(&b, ", min %d", s.MinSamples)
	}
	fmt.Fprintf(&b, "), %d failed, L_R = %d tokens\n", s.Failed, s.RolloutLimit)
	fmt.Fprintf(&b, "mean pass rate %.3f, truncation rate %.3f at L_R\n", s.MeanPassRate, s.TruncationRate)
	fmt.Fprintf(&b, "Easy (pass rate > %g): %d   Hard (≤ %g): %d   all solved: %d   never solved: %d\n\n",
		s.Threshold, s.Easy, s.Threshold, s.Hard, s.AllSolved, s.NeverSolved)
	b.WriteString("pass rate histogram\n")
	most := 1
	for _, bin := range s.Histogram {
		most = max(most, bin.Count)
	}
	for _, bin := range s.Histogram {
		label := fmt.Sprintf("%.3f", bin.Lo)
		if bin.Hi != bin.Lo {
			label = fmt.Sprintf("[%.1f,%.1f%s", bin.Lo, bin.Hi, map[bool]string{true: "]", false: ")"}[bin.Hi == 1])
		}
		fmt.Fprintf(&b, "  %-10s %7d %s\n", label, bin.Count, strings.Repeat("#", (bin.Count*40+most-1)/most))
	}
	d := s.Density
	fmt.Fprintf(&b, "\npositive truncation reward at L_T = %d, group size N = %d\n", d.Full.TargetLen, d.Full.GroupSize)
	fmt.Fprintf(&b, "  %-5s %8s %16s %20s %22s\n", "set", "prompts", "rollout density", "groups with ≥1 (est)", "groups with ≥1 (n obs)")
	for _, row := range []struct {
		name string
		d    Density
	}{{"Full", d.Full}, {"Easy", d.Easy}, {"Hard", d.Hard}} {
		fmt.Fprintf(&b, "  %-5s %8d %16.3f %20.3f %22.3f\n", row.name, row.d.Prompts, row.d.RolloutDensity, row.d.GroupsWithPositive, row.d.ObservedGroupsWithPositive)
	}
	b.WriteString("  est: mean of 1-(1-p)^N, rollouts of a group independent with p = observed share correct within L_T\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("data: write summary: %w", err)
	}
	return nil
}
