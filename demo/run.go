package demo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// Options are the inputs of Run.
type Options struct {
	// Out is the output directory: results.json, report.html and one
	// subdirectory per cached piece of work (base/, profile/, runs/NAME/).
	Out string
	// Model labels the base model in the results ("lab-base" or a directory).
	Model string
	// Policy is the base model (never modified; each run trains a copy) and
	// Tokenizer its tokenizer. Both are required.
	Policy    *model.Model
	Tokenizer tokenizer.Tokenizer
	// Profile sizes the demo (DefaultProfile, QuickProfile).
	Profile Profile
	// Only selects findings by name (FindingNames); empty means all. The
	// report also holds every other finding whose runs are already cached.
	Only []string
	// Progress receives the progress display; nil means none. With Bar set
	// it is redrawn in place on one line (a terminal); otherwise one line is
	// written per piece of work.
	Progress io.Writer
	Bar      bool
	// Log receives rl's one-line summary of every training step; nil means none.
	Log io.Writer
	// SharedProfile, when set, is the path of the difficulty profile's cache
	// (difficulty.json) shared by the seeds of a multi-seed demo (RunSeeds
	// sets it when the profile has a DataSeed); empty means Out/profile/.
	SharedProfile string
	// Jobs is how many runs train side by side; 0 means DefaultJobs. Runs
	// are independent and every kernel splits its work by GOMAXPROCS, not
	// by load or by Jobs, so the results are the same for any Jobs; on 2
	// cores two runs side by side fill the cores better than one run's
	// split kernels (BENCHMARKS.md).
	Jobs int
}

// demo is one invocation's state.
type demo struct {
	o         Options
	p         Profile
	key       string // cache key of everything: profile and base weights
	hash      string // the base weights' hash (weightsHash)
	sampler   sampler
	train     []bench.Problem
	trainEval []rl.EvalSet // in-domain ladder during training
	final     []rl.EvalSet // every lab benchmark, final ladders
	rates     map[string]float64
	prog      *progress
}

// Run runs the selected findings' experiments (reusing every finished piece
// cached under Options.Out), decides each finding's verdict and writes
// results.json and report.html. A run that fails is recorded as failed and
// its findings become inconclusive; cancelling ctx stops the demo (rerun to
// resume: finished runs are skipped, a half-finished one resumes from its
// last checkpoint).
func Run(ctx context.Context, o Options) (*Results, error) {
	t0 := time.Now()
	p := o.Profile
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if o.Policy == nil || o.Tokenizer == nil {
		return nil, errors.New("demo: a base Policy and its Tokenizer are required")
	}
	if o.Out == "" {
		return nil, errors.New("demo: no output directory")
	}
	selected, err := selectFindings(p, o.Only)
	if err != nil {
		return nil, err
	}
	d := &demo{o: o, p: p, sampler: newSampler(o.Policy, o.Tokenizer)}
	hash := weightsHash(o.Policy)
	d.hash, d.key = hash, hash+"|"+p.fingerprint()
	if d.train, err = lab.TrainSplit(p.TrainFamily, p.TrainPrompts, p.dataSeed()); err != nil {
		return nil, fmt.Errorf("demo: training prompts: %w", err)
	}
	if d.trainEval, err = evalSets([]string{inDomain(p)}, p.EvalPerLevel); err != nil {
		return nil, err
	}
	if d.final, err = evalSets(lab.BenchmarkNames(), p.FinalPerLevel); err != nil {
		return nil, err
	}
	for _, dir := range []string{baseDir, profileDir, runsDir} {
		if err := os.MkdirAll(filepath.Join(o.Out, dir), 0o755); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}

	// The work: the base ladder, the difficulty profile, then the runs of
	// the selected findings, each skipped when cached.
	var specs []RunSpec
	for _, s := range Runs(p) {
		if slices.ContainsFunc(selected, func(f Finding) bool { return slices.Contains(f.Runs, s.Name) }) {
			specs = append(specs, s)
		}
	}
	d.prog = newProgress(o.Progress, o.Bar)
	if !d.cachedBase() {
		d.prog.plan(baseWork, d.baseCost())
	}
	if !d.cachedProfile() {
		d.prog.plan(profileWork, d.profileCost())
	}
	for _, s := range specs {
		if _, ok := d.cachedRun(s); !ok {
			d.prog.plan(s.Name, d.runCost(s))
		}
	}
	d.prog.startAll()

	res := &Results{Schema: Schema, Model: o.Model, ModelHash: hash, BLAS: o.Policy.BLAS().Name(), Profile: p, Runs: []RunResult{}, Findings: []FindingResult{}}
	// The difficulty profile first (every run reads its Easy/Hard split),
	// then the base ladder and the runs, o.Jobs at a time.
	diff, err := d.profile(ctx)
	if err != nil {
		return nil, err
	}
	res.Difficulty = diff
	// The costliest work starts first, so that the last piece to finish is
	// a short one (the order changes no result).
	var base RunResult
	runs := make([]RunResult, len(specs))
	jobs := []func(context.Context) error{func(ctx context.Context) (err error) { base, err = d.base(ctx); return err }}
	costs := []float64{d.baseCost()}
	for i, s := range specs {
		jobs = append(jobs, func(ctx context.Context) (err error) { runs[i], err = d.run(ctx, s); return err })
		costs = append(costs, d.runCost(s))
	}
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return costs[order[a]] > costs[order[b]] })
	sorted := make([]func(context.Context) error, len(jobs))
	for i, k := range order {
		sorted[i] = jobs[k]
	}
	n := o.Jobs
	if n <= 0 {
		n = DefaultJobs()
	}
	if err := runJobs(ctx, n, sorted); err != nil {
		return nil, err
	}
	res.Base = &base
	res.Runs = append(res.Runs, runs...)
	// Findings not selected are reported when all their runs are cached.
	for _, s := range Runs(p) {
		if res.run(s.Name) != nil {
			continue
		}
		if rr, ok := d.cachedRun(s); ok {
			res.Runs = append(res.Runs, rr)
		}
	}
	sort.SliceStable(res.Runs, func(i, j int) bool { return runOrder(p, res.Runs[i].Name) < runOrder(p, res.Runs[j].Name) })
	for _, f := range Findings(p) {
		have := !slices.ContainsFunc(f.Runs, func(name string) bool { rr := res.run(name); return rr == nil || rr.Status != StatusOK })
		if !slices.ContainsFunc(selected, func(g Finding) bool { return g.Name == f.Name }) && !have {
			continue
		}
		v := f.decide(res)
		v.Claim = f.Claim
		v.Numbers = cleanNumbers(v.Numbers)
		res.Findings = append(res.Findings, FindingResult{ID: f.ID, Name: f.Name, Title: f.Title, Runs: f.Runs, Verdict: v})
	}
	res.Notes = append(res.Notes, fmt.Sprintf("Findings 2 and 5 compare reward shapes under the paper's unified protocol, L_R = %d·L_T = %d (run %s is their truncation reference): with L_R = L_T no finished rollout is longer than L_T, so Laser and −L&C would coincide with truncation by construction.",
		p.LongLimit, p.LongLimit*p.TargetLen, Unified))
	if strings.HasPrefix(res.BLAS, "go") {
		res.Notes = append(res.Notes, "ran on the pure-Go matrix multiply (OpenBLAS not found): correct but several times slower; install libopenblas-dev")
	}
	d.prog.finish()
	res.Seconds = time.Since(t0).Seconds()
	res.WorkSeconds = base.Seconds
	for _, rr := range res.Runs {
		res.WorkSeconds += rr.Seconds
	}
	if err := writeJSON(filepath.Join(o.Out, ResultsFile), res); err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := RenderHTML(&page, res); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(o.Out, ReportFile), page.Bytes()); err != nil {
		return nil, err
	}
	return res, nil
}

// DefaultJobs is how many runs go side by side by default: GOMAXPROCS,
// at most 4 (each run holds its own model, optimizer and workspaces).
func DefaultJobs() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

// runJobs runs jobs with at most n at a time, in order of start. The first
// error cancels the jobs not yet finished and is returned.
func runJobs(ctx context.Context, n int, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan func(context.Context) error)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range min(n, len(jobs)) {
		wg.Go(func() {
			for job := range next {
				if err := job(ctx); err != nil {
					errs <- err
					cancel()
				}
			}
		})
	}
feed:
	for _, job := range jobs {
		select {
		case next <- job:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		return err
	}
	return ctx.Err()
}

// runOrder is a run's position in Runs (unknown names last).
func runOrder(p Profile, name string) int {
	for i, s := range Runs(p) {
		if s.Name == name {
			return i
		}
	}
	return math.MaxInt
}

// weightsHash is FNV-1a over the base model's weights and configuration.
func weightsHash(m *model.Model) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%+v", m.Config)
	var buf [4]byte
	for _, w := range m.Slab() {
		u := math.Float32bits(w)
		buf[0], buf[1], buf[2], buf[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(buf[:])
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// Cost estimates in generated-token equivalents (for the ETA only): a
// training token (policy forward and backward, reference forward) costs
// about twice a sampled one.
func (d *demo) evalCost(sets []rl.EvalSet) float64 {
	n := 0
	for _, s := range sets {
		n += len(s.Problems)
	}
	return float64(n*d.p.K) * 1.5 * float64(d.p.TargetLen)
}

func (d *demo) baseCost() float64 { return d.evalCost(d.final) }

func (d *demo) profileCost() float64 {
	return float64(d.p.TrainPrompts*d.p.PassRateK) * float64(d.p.TargetLen)
}

func (d *demo) runCost(s RunSpec) float64 {
	p := d.p
	train := 3 * float64(p.Steps*p.PromptsPerStep*p.GroupSize*p.TargetLen) * s.cost
	evals := float64(p.Steps/p.EvalEvery+2) * d.evalCost(d.trainEval)
	return train + evals + d.evalCost(d.finalSets(s.Name))
}

// finalSets are the benchmarks of a run's final ladder: every lab benchmark
// for the baseline (transfer and summary), the in-domain one otherwise.
func (d *demo) finalSets(run string) []rl.EvalSet {
	if run == Baseline {
		return d.final
	}
	for _, s := range d.final {
		if s.Name == inDomain(d.p) {
			return []rl.EvalSet{s}
		}
	}
	return nil
}

// cachedBase reports whether the base ladder is cached for this key.
func (d *demo) cachedBase() bool {
	var rr RunResult
	err := readJSON(filepath.Join(d.o.Out, baseDir, resultFile), &rr)
	return err == nil && rr.Fingerprint == d.key && rr.Status == StatusOK
}

// base evaluates the base model on every lab benchmark (cached).
func (d *demo) base(ctx context.Context) (RunResult, error) {
	path := filepath.Join(d.o.Out, baseDir, resultFile)
	var rr RunResult
	if err := readJSON(path, &rr); err == nil && rr.Fingerprint == d.key && rr.Status == StatusOK {
		return rr, nil
	}
	d.prog.begin(baseWork)
	t0 := time.Now()
	final, err := ladder(ctx, d.o.Policy, d.sampler, d.final, d.p.Budgets, d.p.K, d.p.Seed)
	if err != nil {
		return RunResult{}, err
	}
	rr = RunResult{Name: "base", Label: "base model (" + d.o.Model + ")", Status: StatusOK, Final: final,
		Seconds: time.Since(t0).Seconds(), Fingerprint: d.key}
	if err := writeJSON(path, rr); err != nil {
		return RunResult{}, err
	}
	d.prog.end(baseWork)
	return rr, nil
}

// Names of the pieces of work besides the runs, for the progress display.
const (
	baseWork    = "base model ladder"
	profileWork = "difficulty profile"
)

// difficultyCache is profile/difficulty.json.
type difficultyCache struct {
	Fingerprint string             `json:"fingerprint"`
	Summary     Difficulty         `json:"summary"`
	Rates       map[string]float64 `json:"pass_rates"`
}

func (d *demo) cachedProfile() bool {
	var c difficultyCache
	err := readJSON(d.profilePath(), &c)
	return err == nil && c.Fingerprint == d.profileKey()
}

// profilePath is the difficulty profile's cache: Options.SharedProfile, or
// profile/difficulty.json under Out.
func (d *demo) profilePath() string {
	return cmp.Or(d.o.SharedProfile, filepath.Join(d.o.Out, profileDir, "difficulty.json"))
}

// profileKey is the cache key of the difficulty profile: the base weights
// and what the profile depends on (Profile.dataFingerprint).
func (d *demo) profileKey() string {
	return d.hash + "|" + d.p.dataFingerprint()
}

// profile measures the base model's pass rate on every training prompt:
// PassRateK rollouts at the training sampling settings (Profile.Temperature,
// L_R = L_T), as the paper splits DeepScaleR into Easy and Hard. All runs
// share it (rl.Train reads it as its cached pass_rates.json), including the
// L_R = 4·L_T run: the split is the base model's, measured once.
func (d *demo) profile(ctx context.Context) (*Difficulty, error) {
	path, key := d.profilePath(), d.profileKey()
	var c difficultyCache
	if err := readJSON(path, &c); err == nil && c.Fingerprint == key {
		d.rates = c.Rates
		return &c.Summary, nil
	}
	d.prog.begin(profileWork)
	opts := model.SampleOptions{Temperature: float32(d.p.Temperature), TopP: float32(d.p.TopP), TopK: d.p.TopK, MaxNewTokens: d.p.TargetLen}
	out, err := d.sampler.sample(ctx, d.o.Policy, d.train, d.p.PassRateK, opts, mix(d.p.dataSeed(), seedProfile))
	if err != nil {
		return nil, err
	}
	s := Difficulty{Prompts: len(d.train), K: d.p.PassRateK, Threshold: d.p.EasyAbove, Histogram: make([]int, d.p.PassRateK+1)}
	rates := map[string]float64{}
	for i, p := range d.train {
		c := 0
		for _, o := range out[i] {
			if o.correct {
				c++
			}
		}
		rate := float64(c) / float64(d.p.PassRateK)
		rates[p.ID] = rate
		s.Histogram[c]++
		s.MeanPassRate += rate / float64(len(d.train))
		if rate > d.p.EasyAbove {
			s.Easy++
			s.EasyPassRate += rate
		} else {
			s.Hard++
			s.HardPassRate += rate
			if c == 0 {
				s.HardNoPositive++
			}
		}
	}
	if s.Easy > 0 {
		s.EasyPassRate /= float64(s.Easy)
	}
	if s.Hard > 0 {
		s.HardPassRate /= float64(s.Hard)
		s.HardNoPositive /= float64(s.Hard)
	}
	d.rates = rates
	if err := writeJSON(path, difficultyCache{Fingerprint: key, Summary: s, Rates: rates}); err != nil {
		return nil, err
	}
	d.prog.end(profileWork)
	return &s, nil
}

// runFingerprint is the cache key of one run.
func (d *demo) runFingerprint(s RunSpec) string {
	return d.key + "|" + strings.Join(s.Overrides, ";")
}

// cachedRun returns a run's finished result when it is cached for this key.
func (d *demo) cachedRun(s RunSpec) (RunResult, bool) {
	var rr RunResult
	err := readJSON(filepath.Join(d.o.Out, runsDir, s.Name, resultFile), &rr)
	if err != nil || rr.Fingerprint != d.runFingerprint(s) || rr.Status != StatusOK {
		return RunResult{}, false
	}
	return rr, true
}

// run trains one run (resuming a half-finished one), evaluates its final
// policy and caches the result. Errors other than cancellation are
// recorded in the result (Status failed), not returned.
func (d *demo) run(ctx context.Context, s RunSpec) (RunResult, error) {
	if rr, ok := d.cachedRun(s); ok {
		return rr, nil
	}
	fp := d.runFingerprint(s)
	dir := filepath.Join(d.o.Out, runsDir, s.Name)
	rr := RunResult{Name: s.Name, Label: s.Label, Overrides: s.Overrides, Status: StatusOK, Final: []BenchResult{}, Fingerprint: fp}
	fail := func(err error) (RunResult, error) {
		if ctx.Err() != nil {
			return RunResult{}, err
		}
		rr.Status, rr.Error = StatusFailed, err.Error()
		d.prog.note(fmt.Sprintf("run %s failed: %v", s.Name, err))
		d.prog.end(s.Name)
		return rr, nil
	}
	d.prog.begin(s.Name)
	t0 := time.Now()

	// A directory started with other inputs is stale: start over.
	if b, err := os.ReadFile(filepath.Join(dir, stampFile)); err == nil && string(b) != fp {
		if err := os.RemoveAll(dir); err != nil {
			return RunResult{}, fmt.Errorf("demo: removing stale run %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RunResult{}, fmt.Errorf("demo: %w", err)
	}
	if err := writeFile(filepath.Join(dir, stampFile), []byte(fp)); err != nil {
		return RunResult{}, err
	}
	if err := writeJSON(filepath.Join(dir, rl.PassRatesFile), d.rates); err != nil {
		return RunResult{}, err
	}
	cfg := rl.Default()
	over := append(append(commonOverrides(d.p), s.Overrides...), "run.out="+dir, "model.init="+d.o.Model)
	if err := cfg.SetAll(over); err != nil {
		return fail(err)
	}
	logPath := filepath.Join(dir, rl.StepsFile)
	resume := false
	if st, err := os.Stat(logPath); err == nil && st.Size() > 0 {
		resume = true
	}
	steps := cfg.Run.Steps
	lw := &lineWriter{fwd: d.o.Log, line: func(line string) {
		if n, ok := stepOf(line); ok {
			d.prog.update(s.Name, float64(n)/float64(steps+1), fmt.Sprintf("step %d/%d", n, steps))
		}
	}}
	// Train updates policy in place; on a resume it first restores the last
	// checkpoint, so afterwards policy holds the final weights either way.
	policy := d.o.Policy.Clone()
	_, err := rl.Train(ctx, rl.TrainInputs{
		Config: cfg, Policy: policy, Ref: d.o.Policy, Tokenizer: d.o.Tokenizer,
		Train: d.train, Eval: d.trainEval, Progress: lw, Resume: resume,
	})
	if err != nil {
		return fail(fmt.Errorf("training: %w", err))
	}
	logs, err := rl.ReadStepsFile(logPath, rl.ReadOptions{})
	if err != nil {
		return fail(err)
	}
	rr.Steps = dedupe(logs)
	rr.Summary = summarise(rr.Steps)
	dg := rl.Diagnose(rr.Steps, rl.DiagnoseOptions{TargetLen: d.p.TargetLen, Staleness: 1})
	rr.Dynamics = &dg
	d.prog.update(s.Name, float64(steps)/float64(steps+1), "final ladder")
	if rr.Final, err = ladder(ctx, policy, d.sampler, d.finalSets(s.Name), d.p.Budgets, d.p.K, d.p.Seed); err != nil {
		return fail(err)
	}
	rr.Seconds = time.Since(t0).Seconds()
	if err := writeJSON(filepath.Join(dir, resultFile), rr); err != nil {
		return RunResult{}, err
	}
	d.prog.end(s.Name)
	return rr, nil
}

// dedupe keeps the last record of each step, sorted by step (a resumed run
// may log a step twice).
func dedupe(steps []rl.StepLog) []rl.StepLog {
	last := map[int]rl.StepLog{}
	for _, s := range steps {
		last[s.Step] = s
	}
	out := make([]rl.StepLog, 0, len(last))
	for _, s := range last {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

// summarise condenses the training steps (step ≥ 1) of a run.
func summarise(steps []rl.StepLog) *StepSummary {
	var tr []rl.StepLog
	for _, s := range steps {
		if s.Step >= 1 && !math.IsNaN(s.MeanLength) {
			tr = append(tr, s)
		}
	}
	if len(tr) == 0 {
		return &StepSummary{}
	}
	q := max(1, len(tr)/4)
	mean := func(ss []rl.StepLog, f func(rl.StepLog) float64) float64 {
		sum, n := 0.0, 0
		for _, s := range ss {
			if v := f(s); !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n == 0 {
			return math.NaN()
		}
		return sum / float64(n)
	}
	head, tail := tr[:q], tr[len(tr)-q:]
	length := func(s rl.StepLog) float64 { return s.MeanLength }
	ent := func(s rl.StepLog) float64 { return s.Entropy }
	acc := func(s rl.StepLog) float64 { return s.Accuracy }
	sum := StepSummary{
		Steps:       len(tr),
		LengthStart: mean(head, length), LengthEnd: mean(tail, length),
		LengthNegEnd: mean(tail, func(s rl.StepLog) float64 { return s.MeanLengthNeg }),
		EntropyStart: mean(head, ent), EntropyEnd: mean(tail, ent),
		AccuracyStart: mean(head, acc), AccuracyEnd: mean(tail, acc),
		TruncationEnd:  mean(tail, func(s rl.StepLog) float64 { return s.TruncationRate }),
		KLEnd:          mean(tail, func(s rl.StepLog) float64 { return s.KL }),
		SecondsPerStep: mean(tr, func(s rl.StepLog) float64 { return s.StepSeconds }),
		LengthMin:      math.Inf(1), EntropyMax: math.Inf(-1),
	}
	for _, s := range tr {
		sum.LengthMin = min(sum.LengthMin, s.MeanLength)
		if !math.IsNaN(s.Entropy) {
			sum.EntropyMax = max(sum.EntropyMax, s.Entropy)
		}
	}
	mid := tr[len(tr)/2 : min(len(tr), len(tr)/2+q)]
	sum.HalfwayDrop = 1 - mean(mid, length)/sum.LengthStart
	for _, x := range []*float64{&sum.LengthStart, &sum.LengthEnd, &sum.LengthMin, &sum.LengthNegEnd, &sum.EntropyStart, &sum.EntropyEnd,
		&sum.EntropyMax, &sum.AccuracyStart, &sum.AccuracyEnd, &sum.TruncationEnd, &sum.KLEnd, &sum.SecondsPerStep, &sum.HalfwayDrop} {
		*x = finite(*x)
	}
	return &sum
}

// stepOf parses the step number of an rl progress line ("step N  …").
func stepOf(line string) (int, bool) {
	rest, ok := strings.CutPrefix(line, "step ")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// lineWriter splits writes into lines, calls line for each and forwards
// everything to fwd when set.
type lineWriter struct {
	fwd  io.Writer
	line func(string)
	buf  []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if w.fwd != nil {
		if _, err := w.fwd.Write(b); err != nil {
			return 0, err
		}
	}
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}
