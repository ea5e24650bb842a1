package data

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/fakeserver"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/grade"
)

// fixedModel is a fake policy whose success probability on problem i is
// fixed (probs[question]); each sample's outcome is a deterministic hash of
// (question, seed), so different seeds give fresh, independent draws. A
// correct answer is 10–40 tokens long, a wrong one 30–60, and one draw in
// eight runs past every budget (truncated).
type fixedModel struct {
	probs map[string]float64
	gold  map[string]string
}

func unit(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53)
}

func (m fixedModel) answer(r *fakeserver.Request) (string, string, int) {
	q := r.Text()
	seed := fmt.Sprint(r.Seed)
	if unit(q, seed, "trunc") < 1.0/8 {
		return "thinking", "", 1 << 20
	}
	if unit(q, seed, "correct") < m.probs[q] {
		return "ok", fmt.Sprintf("\\boxed{%s}", m.gold[q]), 10 + int(30*unit(q, seed, "len"))
	}
	return "hmm", "\\boxed{wrong}", 30 + int(30*unit(q, seed, "len"))
}

// fixedProblems returns n problems whose true success probabilities are
// spread evenly over [0, 1], and the fake model that has them.
func fixedProblems(n int) ([]bench.Problem, fixedModel) {
	m := fixedModel{probs: map[string]float64{}, gold: map[string]string{}}
	var ps []bench.Problem
	for i := range n {
		q := fmt.Sprintf("Question %d?", i)
		ps = append(ps, bench.Problem{ID: fmt.Sprintf("q%03d", i), Benchmark: "fixed", Question: q, Gold: []string{fmt.Sprint(i + 7)}, Level: 1 + i%3})
		m.probs[q] = float64(i) / float64(n-1)
		m.gold[q] = fmt.Sprint(i + 7)
	}
	return ps, m
}

func testSampling(seed int64) eval.Sampling {
	return eval.Sampling{Model: "fixed", API: eval.APIChat, PromptTemplate: "{question}", Temperature: 1, TopP: 1, Seed: seed}
}

func newClient(t *testing.T, servers ...*fakeserver.Server) *sampler.Client {
	t.Helper()
	var eps []string
	for _, s := range servers {
		eps = append(eps, s.URL)
	}
	c, err := sampler.New(sampler.Options{Endpoints: eps, MaxAttempts: 4, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestProfileResume kills a profile mid-way, resumes it, and checks that
// the resumed run samples only what was missing, spreads over both
// endpoints, survives 5xx bursts, and that a third run samples nothing.
func TestProfileResume(t *testing.T) {
	ps, m := fixedProblems(12)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var answered atomic.Int64
	var killAt atomic.Int64
	killAt.Store(30)
	ans := func(r *fakeserver.Request) (string, string, int) {
		if answered.Add(1) == killAt.Load() {
			cancel()
		}
		return m.answer(r)
	}
	s1, s2 := fakeserver.New(), fakeserver.New()
	defer s1.Close()
	defer s2.Close()
	s1.Answer, s2.Answer = ans, ans
	s2.Faults = func(i int64) fakeserver.Fault {
		if i%5 == 1 {
			return fakeserver.Status500
		}
		return fakeserver.None
	}
	dir := t.TempDir()
	opts := ProfileOptions{
		Problems: ps, Sampling: testSampling(0), RolloutLimit: 100, GroupSize: 8, Concurrency: 4,
		Client: newClient(t, s1, s2), Grade: Grader(grade.DefaultOptions()), OutDir: dir,
		Summary: SummaryOptions{TargetLen: 30},
	}
	_, _, rs, err := Profile(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted profile: err = %v, want context.Canceled", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, ProfileFile)); !os.IsNotExist(serr) {
		t.Errorf("an interrupted profile wrote %s (stat: %v)", ProfileFile, serr)
	}
	stored := rs.Sampled
	if stored == 0 || stored >= 96 {
		t.Fatalf("interrupted run stored %d rollouts, want some but not all 96", stored)
	}

	killAt.Store(-1)
	recs, sum, rs, err := Profile(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Cached != stored || rs.Sampled != 96-stored || rs.Failed != 0 {
		t.Errorf("resume: cached %d sampled %d failed %d, want %d, %d, 0", rs.Cached, rs.Sampled, rs.Failed, stored, 96-stored)
	}
	if s1.Requests() == 0 || s2.Requests() == 0 {
		t.Errorf("requests per endpoint %d and %d: want both used", s1.Requests(), s2.Requests())
	}
	if len(recs) != 12 || sum.Prompts != 12 || sum.Rollouts != 96 {
		t.Fatalf("%d records, summary %+v", len(recs), sum)
	}
	for _, r := range recs {
		if r.Samples != 8 || r.Correct+r.Truncated > 8 || len(r.CorrectLengths) != r.Correct {
			t.Errorf("record %s: %+v", r.ID, r)
		}
		for _, l := range r.CorrectLengths {
			if l < 10 || l >= 40 {
				t.Errorf("record %s: correct length %d outside the fake's 10..39", r.ID, l)
			}
		}
	}
	if recs[0].Correct != 0 || recs[11].Correct != 8-recs[11].Truncated {
		t.Errorf("p=0 problem has %d correct; p=1 problem %d correct of %d finished", recs[0].Correct, recs[11].Correct, 8-recs[11].Truncated)
	}
	if sum.Sampling == nil || sum.Sampling.Key() != testSampling(0).Key() || sum.Density.Full.TargetLen != 30 {
		t.Errorf("summary sampling/density header wrong: %+v", sum)
	}
	onDisk, err := ReadRecords(filepath.Join(dir, ProfileFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(onDisk, recs) {
		t.Errorf("profile.jsonl differs from the returned records")
	}
	if b, err := os.ReadFile(filepath.Join(dir, SummaryFile)); err != nil || !strings.Contains(string(b), `"schema": "terse.profile/v1"`) {
		t.Errorf("summary.json: %v %.200s", err, b)
	}

	before := s1.Requests() + s2.Requests()
	again, _, rs, err := Profile(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := s1.Requests() + s2.Requests() - before; n != 0 || rs.Cached != 96 {
		t.Errorf("third run sent %d requests (cached %d), want 0 and 96", n, rs.Cached)
	}
	if !reflect.DeepEqual(again, recs) {
		t.Errorf("third run's records differ")
	}
}

// TestEasyResampled selects Easy and Hard prompts from one profile and
// samples them again with a different seed: fresh rollouts (no reuse of the
// profiling samples) must confirm that the Easy set is easier.
func TestEasyResampled(t *testing.T) {
	ps, m := fixedProblems(40)
	srv := fakeserver.New()
	defer srv.Close()
	srv.Answer = m.answer
	client := newClient(t, srv)
	profile := func(problems []bench.Problem, seed int64) ([]Record, int) {
		t.Helper()
		recs, _, rs, err := Profile(context.Background(), ProfileOptions{
			Problems: problems, Sampling: testSampling(seed), RolloutLimit: 100, GroupSize: 8, Concurrency: 8,
			Client: client, Grade: Grader(grade.DefaultOptions()), OutDir: t.TempDir(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return recs, rs.Sampled
	}
	recs, _ := profile(ps, 0)
	easy, err := Select(recs, with(func(o *SelectOptions) { o.Easy = true }))
	if err != nil {
		t.Fatal(err)
	}
	hard, _ := Select(recs, with(func(o *SelectOptions) { o.Hard = true }))
	if len(easy) < 5 || len(hard) < 5 {
		t.Fatalf("split too lopsided: %d easy, %d hard", len(easy), len(hard))
	}
	problemsOf := func(rs []Record) []bench.Problem {
		var out []bench.Problem
		for _, r := range rs {
			out = append(out, r.Problem)
		}
		return out
	}
	easyAgain, sampled := profile(problemsOf(easy), 1000)
	if sampled != 8*len(easy) {
		t.Errorf("re-profile sampled %d, want all %d fresh", sampled, 8*len(easy))
	}
	hardAgain, _ := profile(problemsOf(hard), 1000)
	mean := func(rs []Record) float64 {
		s := 0.0
		for _, r := range rs {
			s += r.PassRate
		}
		return s / float64(len(rs))
	}
	me, mh := mean(easyAgain), mean(hardAgain)
	t.Logf("resampled with seed 1000: Easy (%d prompts) pass rate %.3f, Hard (%d) %.3f; at profiling %.3f / %.3f",
		len(easy), me, len(hard), mh, mean(easy), mean(hard))
	if me <= mh+0.2 {
		t.Errorf("Easy set resampled pass rate %.3f, Hard %.3f: want Easy clearly higher", me, mh)
	}
	// Regression to the mean: the Easy set's fresh pass rate may not
	// exceed its selection-time pass rate by much, nor the Hard set fall far below.
	if me > mean(easy)+0.1 || mh < mean(hard)-0.1 {
		t.Errorf("fresh pass rates %.3f / %.3f stray from the profiled %.3f / %.3f", me, mh, mean(easy), mean(hard))
	}
	sumE, _ := Summarize(easyAgain, SummaryOptions{TargetLen: 30})
	sumH, _ := Summarize(hardAgain, SummaryOptions{TargetLen: 30})
	if sumE.Density.Full.GroupsWithPositive <= sumH.Density.Full.GroupsWithPositive {
		t.Errorf("groups with a positive at L_T 30: Easy %.3f ≤ Hard %.3f", sumE.Density.Full.GroupsWithPositive, sumH.Density.Full.GroupsWithPositive)
	}
}

// TestProfileReusesEval: a profile pointed at an eval run's rollouts with
// the same settings samples nothing, and a larger eval budget answers a
// smaller rollout limit.
func TestProfileReusesLongerRun(t *testing.T) {
	ps, m := fixedProblems(6)
	srv := fakeserver.New()
	defer srv.Close()
	srv.Answer = m.answer
	dir := t.TempDir()
	opts := ProfileOptions{
		Problems: ps, Sampling: testSampling(5), RolloutLimit: 200, GroupSize: 4,
		Client: newClient(t, srv), Grade: Grader(grade.DefaultOptions()), OutDir: dir,
	}
	long, _, _, err := Profile(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	opts.RolloutLimit, opts.OutDir, opts.Rollouts = 35, t.TempDir(), filepath.Join(dir, RolloutsFile)
	short, _, rs, err := Profile(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Requests() != before || rs.Cached != 24 {
		t.Errorf("L_R 35 from an L_R 200 store sent %d requests, cached %d", srv.Requests()-before, rs.Cached)
	}
	for i := range short {
		want := 0
		for _, l := range long[i].CorrectLengths {
			if l <= 35 {
				want++
			}
		}
		if short[i].Correct != want || short[i].RolloutLimit != 35 {
			t.Errorf("%s at L_R 35: %d correct, want %d (lengths %v)", short[i].ID, short[i].Correct, want, long[i].CorrectLengths)
		}
	}
}
