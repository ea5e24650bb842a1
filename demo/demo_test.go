package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/lab"
)

// microBase trains a one-layer lab model for a few steps: it writes lab-like
// text but is almost never correct, which is all the smoke test needs.
func microBase(t *testing.T) (*model.Model, tokenizer.Tokenizer) {
	t.Helper()
	o := lab.DefaultTrainOptions()
	o.Size, o.Steps, o.BatchTokens, o.LR, o.Warmup = "micro", 15, 2048, 1e-2, 3
	r, err := lab.TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return r.Model, r.Tokenizer
}

// tinyProfile is smaller than QuickProfile: every experiment in seconds.
func tinyProfile() Profile {
	p := QuickProfile()
	p.Name = "test"
	p.TrainPrompts, p.PassRateK = 6, 2
	p.Steps, p.PromptsPerStep = 3, 2
	p.GroupSize, p.GroupSizes = 2, []int{2, 3}
	p.TargetLen, p.LongLimit = 24, 2
	p.Budgets = []int{12, 24, 48}
	p.EvalEvery, p.EvalPerLevel, p.FinalPerLevel, p.K = 2, 1, 1, 2
	p.CheckpointEvery, p.MicroBatch = 1, 8
	return p
}

// writeEasyHardProfile writes a cached difficulty profile in which half the training
// prompts are Easy, so that every run (Easy-only, Hard-only) has prompts
// even though the micro model solves nothing; into out/profile/.
func writeEasyHardProfile(t *testing.T, out string, m *model.Model, p Profile) {
	t.Helper()
	train, err := lab.TrainSplit(p.TrainFamily, p.TrainPrompts, p.dataSeed())
	if err != nil {
		t.Fatal(err)
	}
	c := difficultyCache{Fingerprint: weightsHash(m) + "|" + p.dataFingerprint(), Rates: map[string]float64{},
		Summary: Difficulty{Prompts: len(train), K: p.PassRateK, Threshold: p.EasyAbove, Histogram: make([]int, p.PassRateK+1)}}
	for i, pr := range train {
		c.Rates[pr.ID] = float64(i % 2)
		if i%2 == 1 {
			c.Summary.Easy++
			c.Summary.Histogram[p.PassRateK]++
		} else {
			c.Summary.Hard++
			c.Summary.Histogram[0]++
		}
	}
	if err := os.MkdirAll(filepath.Join(out, profileDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(out, profileDir, "difficulty.json"), c); err != nil {
		t.Fatal(err)
	}
}

// TestDemoSmoke is the CI smoke test of terse demo: every experiment at a
// tiny size, then the checks on results.json and report.html, then a
// resumed run.
func TestDemoSmoke(t *testing.T) {
	m, tok := microBase(t)
	p := tinyProfile()
	out := t.TempDir()
	ctx := context.Background()

	// 1. Only finding 1, with the profile measured: the micro model solves
	// nothing, so there are no Easy prompts and the baseline fails. The
	// failure is recorded and the verdict is inconclusive.
	res, err := Run(ctx, Options{Out: out, Model: "micro", Policy: m, Tokenizer: tok, Profile: p, Only: []string{"dynamics"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Difficulty == nil || res.Difficulty.Prompts != p.TrainPrompts || res.Difficulty.Easy+res.Difficulty.Hard != p.TrainPrompts {
		t.Fatalf("difficulty profile %+v", res.Difficulty)
	}
	if len(res.Findings) != 1 || res.Findings[0].Name != "dynamics" {
		t.Fatalf("findings %+v, want only dynamics", res.Findings)
	}
	if rr := res.run(Baseline); rr == nil || (rr.Status == StatusFailed && res.Findings[0].Verdict.Reproduced != Inconclusive) {
		t.Fatalf("baseline %+v, verdict %+v", rr, res.Findings[0].Verdict)
	}

	// 2. Everything, with half the prompts Easy.
	writeEasyHardProfile(t, out, m, p)
	var prog bytes.Buffer
	res, err = Run(ctx, Options{Out: out, Model: "micro", Policy: m, Tokenizer: tok, Profile: p, Progress: &prog})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range res.Runs {
		if rr.Status != StatusOK {
			t.Errorf("run %s: %s", rr.Name, rr.Error)
		}
	}
	if len(res.Runs) != len(Runs(p)) {
		t.Errorf("%d runs, want %d", len(res.Runs), len(Runs(p)))
	}
	if !strings.Contains(prog.String(), "ETA") || !strings.Contains(prog.String(), "kimi") {
		t.Errorf("progress output lacks the ETA or a run name:\n%s", prog.String())
	}
	if err := Check(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"mean_at_k"`, `"pass_at_k"`, `"truncation_rate"`, `"mean_length"`, `"verdict"`, `"steps"`,
		`"per_problem"`, `"per_problem_pass"`, `"per_problem_length"`, `"clauses"`, `"margins"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("results.json lacks %s", key)
		}
	}

	// 3. Resume: a finished run whose result was lost is not retrained; the
	// trainer restores its last checkpoint and the final ladder comes out
	// the same.
	before := *res.run(Baseline)
	if err := os.Remove(filepath.Join(out, runsDir, Baseline, resultFile)); err != nil {
		t.Fatal(err)
	}
	res2, err := Run(ctx, Options{Out: out, Model: "micro", Policy: m, Tokenizer: tok, Profile: p, Only: []string{"summary"}})
	if err != nil {
		t.Fatal(err)
	}
	after := res2.run(Baseline)
	if after == nil || after.Status != StatusOK || len(after.Steps) != len(before.Steps) {
		t.Fatalf("resumed baseline %+v", after)
	}
	got, _ := json.Marshal(after.Final)
	want, _ := json.Marshal(before.Final)
	if !bytes.Equal(got, want) {
		t.Errorf("final ladder changed after resume:\n%s\n%s", want, got)
	}
	// Findings whose runs are all cached are reported even when not selected.
	if len(res2.Findings) != len(Findings(p)) {
		t.Errorf("%d findings after --only summary with everything cached, want %d", len(res2.Findings), len(Findings(p)))
	}
}

func TestCheckRejects(t *testing.T) {
	for name, page := range map[string]string{
		"unbalanced": "<html><body><div></body></html>",
		"script":     "<html><body><script></script></body></html>",
		"external":   `<html><body><a href="https://example.com">x</a></body></html>`,
	} {
		if err := checkHTML(page); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := Check(t.TempDir()); err == nil {
		t.Error("an empty directory passed the check")
	}
}

// cancelAt cancels a context when a progress line starts with prefix.
type cancelAt struct {
	prefix string
	cancel context.CancelFunc
}

func (c cancelAt) Write(b []byte) (int, error) {
	if strings.HasPrefix(string(b), c.prefix) {
		c.cancel()
	}
	return len(b), nil
}

// TestDemoResumesInterruptedRun interrupts the baseline after step 2 and
// reruns: the run resumes from its last checkpoint and logs each step once.
func TestDemoResumesInterruptedRun(t *testing.T) {
	m, tok := microBase(t)
	p := tinyProfile()
	out := t.TempDir()
	writeEasyHardProfile(t, out, m, p)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := Options{Out: out, Model: "micro", Policy: m, Tokenizer: tok, Profile: p, Only: []string{"dynamics"}, Log: cancelAt{"step 2 ", cancel}}
	if _, err := Run(ctx, o); err == nil {
		t.Fatal("cancelled demo returned no error")
	}
	if _, err := os.Stat(filepath.Join(out, runsDir, Baseline, resultFile)); err == nil {
		t.Fatal("an interrupted run was cached as finished")
	}
	o.Log = nil
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	rr := res.run(Baseline)
	if rr == nil || rr.Status != StatusOK {
		t.Fatalf("baseline after resume: %+v", rr)
	}
	var steps []int
	for _, s := range rr.Steps {
		steps = append(steps, s.Step)
	}
	if want := []int{0, 1, 2, 3}; !slices.Equal(steps, want) {
		t.Errorf("steps after resume %v, want %v", steps, want)
	}
}

// TestDemoSeeds: two seeds at the tiny size, each a whole demo in its own
// directory, then the verdicts over the seeds and their checks.
func TestDemoSeeds(t *testing.T) {
	m, tok := microBase(t)
	p := tinyProfile()
	out := t.TempDir()
	seeds := []uint64{1, 2}
	if p.DataSeed == 0 {
		t.Fatal("the profiles' seeds share no data seed")
	}
	// The seeds share the data (Profile.DataSeed): one difficulty profile,
	// at the top of --out, which both seeds read.
	writeEasyHardProfile(t, out, m, p)
	o := Options{Out: out, Model: "micro", Policy: m, Tokenizer: tok, Profile: p}
	if _, err := RunSeeds(context.Background(), o, []uint64{1, 1}); err == nil {
		t.Fatal("duplicate seeds accepted")
	}
	sr, err := RunSeeds(context.Background(), o, seeds)
	if err != nil {
		t.Fatal(err)
	}
	if !IsSeedsDir(out) || IsSeedsDir(filepath.Join(out, SeedDir(1))) {
		t.Error("IsSeedsDir: wrong answer for the top or a seed directory")
	}
	if err := CheckSeeds(out); err != nil {
		t.Fatal(err)
	}
	// Each seed directory holds its own seed's demo.
	var a, b Results
	if err := readJSON(filepath.Join(out, SeedDir(1), ResultsFile), &a); err != nil {
		t.Fatal(err)
	}
	if err := readJSON(filepath.Join(out, SeedDir(2), ResultsFile), &b); err != nil {
		t.Fatal(err)
	}
	if a.Profile.Seed != 1 || b.Profile.Seed != 2 {
		t.Errorf("seed directories: profiles seed %d and %d", a.Profile.Seed, b.Profile.Seed)
	}
	// Both seeds trained on the shared profile's split (half Easy), not on
	// one of their own (the micro model solves nothing: no Easy prompt).
	if a.Difficulty == nil || b.Difficulty == nil || !reflect.DeepEqual(a.Difficulty, b.Difficulty) || a.Difficulty.Easy != p.TrainPrompts/2 {
		t.Errorf("seed difficulty profiles %+v and %+v, want the shared one with %d Easy prompts", a.Difficulty, b.Difficulty, p.TrainPrompts/2)
	}
	for _, s := range seeds {
		if _, err := os.Stat(filepath.Join(out, SeedDir(s), profileDir, "difficulty.json")); err == nil {
			t.Errorf("seed %d profiled its own prompts", s)
		}
	}
	for i, f := range sr.Findings {
		if f.PerSeed[0] != a.Findings[i].Verdict.Reproduced || f.PerSeed[1] != b.Findings[i].Verdict.Reproduced {
			t.Errorf("finding %s: per-seed %v, seed results %s, %s", f.Name, f.PerSeed, a.Findings[i].Verdict.Reproduced, b.Findings[i].Verdict.Reproduced)
		}
	}
	// A broken seed directory fails the check of the whole.
	if err := os.Remove(filepath.Join(out, SeedDir(2), ReportFile)); err != nil {
		t.Fatal(err)
	}
	if err := CheckSeeds(out); err == nil || !strings.Contains(err.Error(), SeedDir(2)) {
		t.Errorf("CheckSeeds with seed-2's report missing: %v", err)
	}
}
