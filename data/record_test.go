package data

import (
	"errors"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval/metrics"
)

// s builds a metrics.Sample: tokens, stop, correct.
func s(tokens int, stop, correct bool) metrics.Sample {
	return metrics.Sample{Tokens: int32(tokens), MaxTokens: 100, Stop: stop, Correct: correct}
}

func TestNewRecord(t *testing.T) {
	p := bench.Problem{ID: "p1", Benchmark: "b", Question: "q", Gold: []string{"1"}, Level: 3}
	failed := metrics.Sample{Failed: true}
	tests := []struct {
		name    string
		samples []metrics.Sample
		want    Record // only the counted fields
	}{
		{"all correct", []metrics.Sample{s(10, true, true), s(30, true, true)},
			Record{Samples: 2, Correct: 2, PassRate: 1, CorrectLengths: []int{10, 30},
				CorrectLength: LengthStats{2, 20, 20}}},
		{"none correct", []metrics.Sample{s(10, true, false), s(20, true, false), s(60, true, false)},
			Record{Samples: 3, CorrectLengths: []int{}, IncorrectLength: LengthStats{3, 30, 20}}},
		// A correct verdict on a truncated rollout does not count (strict mode),
		// nor does a "stop" past the rollout limit.
		{"truncated", []metrics.Sample{s(100, false, true), s(120, true, true), s(40, true, true), s(50, true, false)},
			Record{Samples: 4, Correct: 1, PassRate: 0.25, Truncated: 2, TruncationRate: 0.5, CorrectLengths: []int{40},
				CorrectLength: LengthStats{1, 40, 40}, IncorrectLength: LengthStats{1, 50, 50}}},
		{"failed left out of n", []metrics.Sample{failed, s(10, true, true), s(20, true, false), s(30, true, true), s(50, true, false)},
			Record{Samples: 4, Failed: 1, Correct: 2, PassRate: 0.5, CorrectLengths: []int{10, 30},
				CorrectLength: LengthStats{2, 20, 20}, IncorrectLength: LengthStats{2, 35, 35}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRecord(p, "prompt", tc.samples, 100)
			if err != nil {
				t.Fatal(err)
			}
			got := Record{Samples: r.Samples, Failed: r.Failed, Correct: r.Correct, PassRate: r.PassRate,
				Truncated: r.Truncated, TruncationRate: r.TruncationRate, CorrectLengths: r.CorrectLengths,
				CorrectLength: r.CorrectLength, IncorrectLength: r.IncorrectLength}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if r.Source != "b" || r.Level != 3 || r.RolloutLimit != 100 || r.Prompt != "prompt" {
				t.Errorf("identity fields wrong: %+v", r)
			}
		})
	}
	if _, err := NewRecord(p, "", []metrics.Sample{failed}, 100); !errors.Is(err, ErrNoRollouts) {
		t.Errorf("all failed: err = %v, want ErrNoRollouts", err)
	}
}

func TestSourceOf(t *testing.T) {
	for _, tc := range []struct {
		meta map[string]any
		want string
	}{
		{nil, "bench"},
		{map[string]any{"source": "olympiads"}, "olympiads"},
		{map[string]any{"data_source": "deepscaler", "source": "x"}, "deepscaler"},
		{map[string]any{"source": 3}, "bench"},
	} {
		if got := SourceOf(bench.Problem{Benchmark: "bench", Meta: tc.meta}); got != tc.want {
			t.Errorf("SourceOf(%v) = %q, want %q", tc.meta, got, tc.want)
		}
	}
}

// rec builds a record with n samples at L_R 100 whose correct rollouts
// have the given lengths.
func rec(id, source string, level, n int, correct ...int) Record {
	r := Record{Benchmark: "b", ID: id, Source: source, Level: level, RolloutLimit: 100, Samples: n,
		Correct: len(correct), CorrectLengths: append([]int{}, correct...),
		Problem: bench.Problem{ID: id, Benchmark: "b", Question: "What is " + id + "?", Gold: []string{id}}}
	r.PassRate = float64(r.Correct) / float64(n)
	return r
}

func TestPositiveDensity(t *testing.T) {
	recs := []Record{
		rec("a", "s", 1, 4, 10, 30), // p(L_T=20) = 1/4, p(100) = 1/2
		rec("b", "s", 1, 4),         // never solved: p = 0
		rec("c", "s", 1, 4, 5, 6, 7, 8),
	}
	tests := []struct {
		targetLen, group int
		want             Density
	}{
		{100, 2, Density{Prompts: 3, TargetLen: 100, GroupSize: 2,
			RolloutDensity:             (0.5 + 0 + 1) / 3,
			GroupsWithPositive:         (1 - 0.25 + 0 + 1) / 3,
			ObservedGroupsWithPositive: 2.0 / 3}},
		{20, 2, Density{Prompts: 3, TargetLen: 20, GroupSize: 2,
			RolloutDensity:             (0.25 + 0 + 1) / 3,
			GroupsWithPositive:         (1 - 0.75*0.75 + 0 + 1) / 3,
			ObservedGroupsWithPositive: 2.0 / 3}},
		{9, 8, Density{Prompts: 3, TargetLen: 9, GroupSize: 8,
			RolloutDensity: 1.0 / 3, GroupsWithPositive: 1.0 / 3, ObservedGroupsWithPositive: 1.0 / 3}},
		{4, 8, Density{Prompts: 3, TargetLen: 4, GroupSize: 8}},
	}
	for _, tc := range tests {
		got, err := PositiveDensity(recs, tc.targetLen, tc.group)
		if err != nil {
			t.Fatal(err)
		}
		if !densityClose(got, tc.want) {
			t.Errorf("L_T %d N %d: got %+v, want %+v", tc.targetLen, tc.group, got, tc.want)
		}
	}
	if _, err := PositiveDensity(recs, 101, 8); !errors.Is(err, ErrTargetLen) {
		t.Errorf("L_T > L_R: err = %v, want ErrTargetLen", err)
	}
	if _, err := PositiveDensity(recs, 0, 8); !errors.Is(err, ErrTargetLen) {
		t.Errorf("L_T = 0: err = %v, want ErrTargetLen", err)
	}
}

func densityClose(a, b Density) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	return a.Prompts == b.Prompts && a.TargetLen == b.TargetLen && a.GroupSize == b.GroupSize &&
		near(a.RolloutDensity, b.RolloutDensity) && near(a.GroupsWithPositive, b.GroupsWithPositive) &&
		near(a.ObservedGroupsWithPositive, b.ObservedGroupsWithPositive)
}

func TestSummarize(t *testing.T) {
	recs := []Record{
		rec("a", "s", 1, 4, 10, 20, 30, 40), // 1.0 all solved, Easy
		rec("b", "s", 1, 4, 10, 20, 30),     // 0.75 Easy
		rec("c", "s", 1, 4, 10, 20),         // 0.5: Hard (≤ 0.5)
		rec("d", "s", 1, 4),                 // 0 never solved, Hard
		rec("e", "s", 1, 4),                 // 0 never solved, Hard
	}
	recs[0].Truncated, recs[3].Truncated = 0, 2
	sum, err := Summarize(recs, SummaryOptions{Threshold: DefaultThreshold, TargetLen: 25})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Easy != 2 || sum.Hard != 3 || sum.AllSolved != 1 || sum.NeverSolved != 2 {
		t.Errorf("counts: easy %d hard %d all %d never %d, want 2 3 1 2", sum.Easy, sum.Hard, sum.AllSolved, sum.NeverSolved)
	}
	wantHist := []int{2, 0, 1, 1, 1}
	for c, b := range sum.Histogram {
		if b.Count != wantHist[c] || b.Lo != float64(c)/4 {
			t.Errorf("histogram bin %d = %+v, want lo %g count %d", c, b, float64(c)/4, wantHist[c])
		}
	}
	if sum.TruncationRate != 2.0/20 || sum.Density.Full.GroupSize != 4 {
		t.Errorf("truncation rate %g, group size %d", sum.TruncationRate, sum.Density.Full.GroupSize)
	}
	// At L_T = 25: p = 0.5, 0.5, 0.5, 0, 0; Easy = {a, b} both 0.5.
	if got := sum.Density.Easy.RolloutDensity; got != 0.5 {
		t.Errorf("Easy rollout density %g, want 0.5", got)
	}
	if got := sum.Density.Hard.RolloutDensity; math.Abs(got-0.5/3) > 1e-12 {
		t.Errorf("Hard rollout density %g, want %g", got, 0.5/3)
	}
	if sum.Density.Easy.GroupsWithPositive <= sum.Density.Full.GroupsWithPositive || sum.Density.Full.GroupsWithPositive <= sum.Density.Hard.GroupsWithPositive {
		t.Errorf("want Easy > Full > Hard groups with a positive: %+v", sum.Density)
	}
	var b strings.Builder
	if err := sum.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5 prompts", "Easy (pass rate > 0.5): 2", "never solved: 2", "L_T = 25", "Hard"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	// Unequal n: ten bins.
	recs[4].Samples = 5
	sum, _ = Summarize(recs, DefaultSummaryOptions())
	if len(sum.Histogram) != 10 || sum.Histogram[9].Count != 1 || sum.Histogram[0].Count != 2 {
		t.Errorf("ten-bin histogram wrong: %+v", sum.Histogram)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	recs := []Record{rec("a", "s", 1, 4, 10, 20), rec("b", "t", 2, 4)}
	dir := t.TempDir()
	sum, err := Summarize(recs, DefaultSummaryOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteProfile(dir, recs, sum); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRecords(filepath.Join(dir, ProfileFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, recs) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, recs)
	}
}

func TestReadRecordsErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"bad json", "{\"benchmark\":\"b\",\n", "profile.jsonl:1"},
		{"no id", `{"benchmark":"b","samples":1,"rollout_limit":10,"correct_lengths":[]}` + "\n", "benchmark or id is empty"},
		{"correct mismatch", `{"benchmark":"b","id":"x","samples":2,"correct":1,"rollout_limit":10,"correct_lengths":[]}` + "\n", "field correct"},
		{"duplicate", strings.Repeat(`{"benchmark":"b","id":"x","samples":2,"rollout_limit":10,"correct_lengths":[]}`+"\n", 2), "profile.jsonl:2: duplicate"},
		{"empty", "\n", "no prompts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ProfileFile)
			if err := writeAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, tc.body); return err }); err != nil {
				t.Fatal(err)
			}
			_, err := ReadRecords(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
