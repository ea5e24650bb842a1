package rl

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/internal/atomicfile"
	"github.com/terse-dev/terse/reward"
)

// Files of a run directory (Config.Run.Out).
const (
	ConfigFile    = "config.toml"     // the run's Config, commented (WriteTOML)
	StepsFile     = "steps.jsonl"     // one StepLog per line
	PassRatesFile = "pass_rates.json" // base-model pass rate per training prompt id
	CheckpointDir = "checkpoints"     // step-NNNNNN subdirectories
	optimFile     = "optim.bin"       // AdamW state inside a checkpoint
	trainerFile   = "trainer.json"    // trainer state inside a checkpoint
)

// EvalSet is one held-out benchmark of the budget ladder.
type EvalSet struct {
	Name     string
	Problems []bench.Problem
}

// TrainInputs are everything Train needs besides the context.
type TrainInputs struct {
	Config    Config
	Policy    *model.Model        // the initial policy (model.init); trained in place
	Ref       *model.Model        // the frozen reference policy (model.ref); nil means a copy of the initial Policy
	Tokenizer tokenizer.Tokenizer // encodes prompts, decodes completions; its EOS stops generation
	Train     []bench.Problem     // training prompts (before the data.difficulty selection)
	Eval      []EvalSet           // held-out benchmarks for the ladder; none = no evaluation
	// Prompt renders a problem as the prompt text; nil means p.Question.
	Prompt func(p bench.Problem) string
	// Correct grades a completion (stop token removed); nil means
	// grade.Grade(completion, p.Gold, grade.DefaultOptions()).Correct.
	Correct func(p bench.Problem, completion string) bool
	// Progress receives StepLog.Line for every step; nil means none.
	Progress io.Writer
	// Resume continues from the latest checkpoint in Config.Run.Out; the run
	// then repeats exactly what an uninterrupted run would have done.
	Resume bool
}

// TrainResult is a finished (or cancelled) run.
type TrainResult struct {
	Steps []StepLog // this invocation's step records (after a resume: from the checkpoint on)
	Dir   string    // the run directory
}

// trainer holds one run's state.
type trainer struct {
	in      TrainInputs
	cfg     Config
	obj     Objective
	shape   reward.Shape
	policy  *model.Model
	ref     *model.Model
	opt     *model.AdamW
	ws      *model.Workspace // policy forward/backward
	refWS   *model.Workspace // reference forward
	train   []bench.Problem
	stops   []int32
	pad     int32
	dir     string
	logFile *os.File
	timing  StepTiming // cumulative wall time per phase of step
	// inOrder cuts micro-batches in rollout order instead of by length
	// (BenchmarkGRPOStep's "before" layout).
	inOrder bool
}

// StepTiming is the wall time a GRPO step spends in each phase, summed
// over the steps run so far (BenchmarkGRPOStep reports it per step).
type StepTiming struct {
	Sample time.Duration // rollouts: the policy's KV-cached decoding
	Grade  time.Duration // grading, reward shaping, statistics, advantages
	Ref    time.Duration // reference-policy log-probs (one forward pass)
	Update time.Duration // policy forward, objective, backward and AdamW
	Steps  int
}

// rollout is one sampled completion with everything the update needs.
type rollout struct {
	prompt   []int32
	tokens   []int32   // generated tokens, stop token included
	logp     []float64 // behaviour log-probs of tokens
	logpRef  []float64 // reference log-probs of tokens
	adv      float64
	masked   bool
	finished bool // stopped by a stop token rather than by the rollout limit
}

// Train runs GRPO (PAPER.md §3) for Config.Run.Steps steps: per step it
// samples Rollout.GroupSize rollouts for each of Rollout.PromptsPerStep
// prompts, grades them, shapes rewards (Config.RewardShape), computes group
// advantages (GroupAdvantages), optionally drops all-equal groups
// (FilterGroups), and updates the policy over Loss.Staleness sequential
// mini-batches (SplitGroups/SplitMiniBatches) with the Objective and AdamW.
// It writes the run directory: config.toml, steps.jsonl (one StepLog per
// step; a "step 0" record holds the initial evaluation), and checkpoints
// every Run.CheckpointEvery steps and at the end.
//
// Every random choice derives from Run.Seed and the step number, and a
// checkpoint holds the policy, the optimizer and the state of a Stateful
// reward shape (adaptive target), so a run resumed from a checkpoint
// repeats the uninterrupted run.
func Train(ctx context.Context, in TrainInputs) (*TrainResult, error) {
	t, err := newTrainer(in)
	if err != nil {
		return nil, err
	}
	defer t.logFile.Close()
	return t.run(ctx)
}

func newTrainer(in TrainInputs) (*trainer, error) {
	cfg := in.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if in.Policy == nil || in.Tokenizer == nil {
		return nil, errors.New("rl: train: Policy and Tokenizer are required")
	}
	if len(in.Train) == 0 {
		return nil, errors.New("rl: train: no training prompts")
	}
	shape, err := cfg.RewardShape()
	if err != nil {
		return nil, err
	}
	t := &trainer{in: in, cfg: cfg, obj: cfg.Objective(), shape: shape, policy: in.Policy,
		ws: model.NewWorkspace(), refWS: model.NewWorkspace(), dir: cfg.Run.Out}
	for _, id := range in.Policy.Config.EOSTokenID {
		t.stops = append(t.stops, int32(id))
	}
	sp := in.Tokenizer.Special()
	if sp.EOS >= 0 && !slices.Contains(t.stops, sp.EOS) {
		t.stops = append(t.stops, sp.EOS)
	}
	t.pad = max(sp.PAD, 0)
	if t.ref = in.Ref; t.ref == nil {
		if t.ref, err = clone(in.Policy); err != nil {
			return nil, err
		}
	} else if len(t.ref.Slab()) != len(in.Policy.Slab()) {
		return nil, errors.New("rl: train: Ref and Policy have different shapes")
	}
	oc := model.OptimConfig{
		LR: float32(cfg.Optim.LR), Beta1: float32(cfg.Optim.Beta1), Beta2: float32(cfg.Optim.Beta2),
		Eps: float32(cfg.Optim.Eps), WeightDecay: float32(cfg.Optim.WeightDecay), ClipNorm: float32(cfg.Optim.GradClip),
		WarmupSteps: cfg.Optim.WarmupSteps,
	}
	if cfg.Optim.Schedule == "cosine" {
		oc.TotalSteps = cfg.Run.Steps * cfg.Loss.Staleness // optimizer steps; decays to 0
	}
	if t.opt, err = model.NewAdamW(in.Policy, oc); err != nil {
		return nil, fmt.Errorf("rl: train: %w", err)
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return nil, fmt.Errorf("rl: train: %w", err)
	}
	return t, nil
}

// clone returns a copy of m with its own weights.
func clone(m *model.Model) (*model.Model, error) {
	c, err := model.New(m.Config)
	if err != nil {
		return nil, fmt.Errorf("rl: copying the reference policy: %w", err)
	}
	copy(c.Slab(), m.Slab())
	c.SetBLAS(m.BLAS())
	return c, nil
}

func (t *trainer) run(ctx context.Context) (*TrainResult, error) {
	start, haveStep0 := 0, false
	logPath := filepath.Join(t.dir, StepsFile)
	if t.in.Resume {
		step, err := t.restore()
		if err != nil {
			return nil, err
		}
		start = step
		kept, err := truncateSteps(logPath, step, func(format string, args ...any) {
			if t.in.Progress != nil {
				fmt.Fprintf(t.in.Progress, "warning: "+format+"\n", args...)
			}
		})
		if err != nil {
			return nil, err
		}
		// Resumed before the first checkpoint: the step-0 evaluation, when
		// already logged, is kept rather than logged twice.
		haveStep0 = start == 0 && kept > 0
	} else if st, err := os.Stat(logPath); err == nil && st.Size() > 0 {
		return nil, fmt.Errorf("rl: train: %s already holds a run; resume it or choose another run.out", logPath)
	}
	if err := t.cfg.Save(filepath.Join(t.dir, ConfigFile)); err != nil {
		return nil, err
	}
	var err error
	if t.logFile, err = os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, fmt.Errorf("rl: train: %w", err)
	}
	if t.train, err = t.selectPrompts(ctx); err != nil {
		return nil, err
	}
	res := &TrainResult{Dir: t.dir}
	if start == 0 && !haveStep0 && t.evalDue(0) {
		s := NewStepLog(0)
		if s.Eval, err = t.evaluate(ctx, 0); err != nil {
			return res, err
		}
		if err := t.log(res, s); err != nil {
			return res, err
		}
	}
	for step := start + 1; step <= t.cfg.Run.Steps; step++ {
		s, err := t.step(ctx, step)
		if err != nil {
			return res, fmt.Errorf("rl: train: step %d: %w", step, err)
		}
		if t.evalDue(step) {
			if s.Eval, err = t.evaluate(ctx, step); err != nil {
				return res, fmt.Errorf("rl: train: step %d: eval: %w", step, err)
			}
		}
		if err := t.log(res, s); err != nil {
			return res, err
		}
		k := t.cfg.Run.CheckpointEvery
		if step == t.cfg.Run.Steps || (k > 0 && step%k == 0) {
			if err := t.save(step); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

func (t *trainer) evalDue(step int) bool {
	e := t.cfg.Eval.Every
	return e > 0 && len(t.in.Eval) > 0 && (step%e == 0 || step == t.cfg.Run.Steps)
}

func (t *trainer) log(res *TrainResult, s StepLog) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("rl: train: %w", err)
	}
	if _, err := t.logFile.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("rl: train: writing %s: %w", StepsFile, err)
	}
	res.Steps = append(res.Steps, s)
	if t.in.Progress != nil {
		fmt.Fprintln(t.in.Progress, s.Line())
	}
	return nil
}

// seed mixes the run seed with labels into one sampling seed.
func (t *trainer) seed(labels ...uint64) uint64 {
	g := splitmix64{t.cfg.Run.Seed}
	v := g.next()
	for _, l := range labels {
		g = splitmix64{v ^ l}
		v = g.next()
	}
	return v
}

// Seed label domains, so that no two uses share a stream.
const (
	seedPrompts uint64 = iota + 1
	seedRollout
	seedShuffle
	seedEval
	seedPassRate
)

func (t *trainer) promptText(p bench.Problem) string {
	if t.in.Prompt != nil {
		return t.in.Prompt(p)
	}
	return p.Question
}

func (t *trainer) correct(p bench.Problem, completion string) bool {
	if t.in.Correct != nil {
		return t.in.Correct(p, completion)
	}
	return grade.Grade(completion, p.Gold, grade.DefaultOptions()).Correct
}

// completion decodes generated tokens without the final stop token.
func (t *trainer) completion(seq *model.Sequence) string {
	toks := seq.Tokens
	if seq.FinishReason == model.FinishStop && len(toks) > 0 && slices.Contains(t.stops, toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	return t.in.Tokenizer.Decode(toks)
}

// sample draws n completions of each problem with the policy m.
func (t *trainer) sample(ctx context.Context, m *model.Model, ps []bench.Problem, n int, opts model.SampleOptions, seed func(i, j int) uint64) ([][]*model.Sequence, error) {
	opts.StopTokens = t.stops
	var reqs []model.Request
	for i, p := range ps {
		prompt := t.in.Tokenizer.Encode(t.promptText(p))
		if len(prompt) == 0 {
			return nil, fmt.Errorf("problem %s: empty prompt", p.ID)
		}
		for j := range n {
			o := opts
			o.Seed = seed(i, j)
			reqs = append(reqs, model.Request{Prompt: prompt, Options: o})
		}
	}
	seqs, err := m.GenerateEach(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([][]*model.Sequence, len(ps))
	for i := range ps {
		out[i] = seqs[i*n : (i+1)*n]
	}
	return out, nil
}

func (t *trainer) rolloutOptions() model.SampleOptions {
	r := t.cfg.Rollout
	return model.SampleOptions{Temperature: float32(r.Temperature), TopP: float32(r.TopP), TopK: r.TopK, MaxNewTokens: r.RolloutLimit}
}

// selectPrompts applies data.difficulty: the pass rate of each prompt under
// the reference policy (the initial policy unless TrainInputs.Ref is set;
// data.pass_rate_k rollouts at the training sampling settings), cached in
// pass_rates.json; Easy is above data.easy_threshold.
func (t *trainer) selectPrompts(ctx context.Context) ([]bench.Problem, error) {
	d := t.cfg.Data
	if d.Difficulty == "all" {
		return t.in.Train, nil
	}
	path := filepath.Join(t.dir, PassRatesFile)
	rates := map[string]float64{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &rates); err != nil {
			return nil, fmt.Errorf("rl: train: %s: %w", path, err)
		}
	}
	var todo []bench.Problem
	for _, p := range t.in.Train {
		if _, ok := rates[p.ID]; !ok {
			todo = append(todo, p)
		}
	}
	if len(todo) > 0 {
		seqs, err := t.sample(ctx, t.ref, todo, d.PassRateK, t.rolloutOptions(), func(i, j int) uint64 {
			return t.seed(seedPassRate, hashString(todo[i].ID), uint64(j))
		})
		if err != nil {
			return nil, fmt.Errorf("rl: train: pass rates: %w", err)
		}
		for i, p := range todo {
			c := 0
			for _, s := range seqs[i] {
				if s.FinishReason == model.FinishStop && t.correct(p, t.completion(s)) {
					c++
				}
			}
			rates[p.ID] = float64(c) / float64(d.PassRateK)
		}
		b, _ := json.MarshalIndent(rates, "", " ")
		if err := writeAtomic(path, b); err != nil {
			return nil, err
		}
	}
	var out []bench.Problem
	for _, p := range t.in.Train {
		easy := rates[p.ID] > d.EasyAbove
		if (d.Difficulty == "easy") == easy {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rl: train: no %s prompts among %d (pass rate threshold %v); see %s", d.Difficulty, len(t.in.Train), d.EasyAbove, path)
	}
	return out, nil
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037) // FNV-1a
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// batchPrompts returns step's prompts: consecutive slices of a per-epoch
// permutation of the training prompts.
func (t *trainer) batchPrompts(step int) []bench.Problem {
	n, P := len(t.train), t.cfg.Rollout.PromptsPerStep
	out := make([]bench.Problem, P)
	var perm []int
	epoch := -1
	for j := range P {
		idx := (step-1)*P + j
		if e := idx / n; e != epoch {
			epoch, perm = e, Permutation(n, t.seed(seedPrompts, uint64(e)))
		}
		out[j] = t.train[perm[idx%n]]
	}
	return out
}

// step runs one GRPO step and returns its record (without Eval).
func (t *trainer) step(ctx context.Context, step int) (StepLog, error) {
	t0 := time.Now()
	s := NewStepLog(step)
	N := t.cfg.Rollout.GroupSize
	ps := t.batchPrompts(step)
	seqs, err := t.sample(ctx, t.policy, ps, N, t.rolloutOptions(), func(i, j int) uint64 {
		return t.seed(seedRollout, uint64(step), uint64(i), uint64(j))
	})
	if err != nil {
		return s, fmt.Errorf("sampling: %w", err)
	}
	t1 := time.Now()
	t.timing.Sample += t1.Sub(t0)
	t.timing.Steps++

	// Grade and reward.
	if a, ok := t.shape.(interface{ TargetLen() int }); ok {
		s.TargetLen = float64(a.TargetLen())
	}
	groups := make([]reward.Group, len(ps))
	outcomes := make([][]reward.Outcome, len(ps))
	for i, p := range ps {
		groups[i] = make(reward.Group, N)
		for j, q := range seqs[i] {
			groups[i][j] = reward.Rollout{
				Correct:   q.FinishReason == model.FinishStop && t.correct(p, t.completion(q)),
				Tokens:    len(q.Tokens),
				Truncated: q.FinishReason != model.FinishStop,
			}
		}
		if st, ok := t.shape.(reward.Stateful); ok {
			st.Observe(groups[i])
		}
		shape, err := promptShape(t.shape, p) // the prompt's own L_T, when it has one
		if err != nil {
			return s, err
		}
		outcomes[i] = shape.Rewards(groups[i])
		if len(outcomes[i]) != N {
			return s, fmt.Errorf("reward shape %s returned %d outcomes for %d rollouts", t.shape, len(outcomes[i]), N)
		}
	}
	if st, ok := t.shape.(reward.Stateful); ok {
		st.Update()
	}
	if err := RolloutStats(&s, groups, outcomes); err != nil {
		return s, err
	}

	// Advantages, dynamic sampling.
	rewards := make([][]float64, len(ps))
	masks := make([][]bool, len(ps))
	for i := range ps {
		for _, o := range outcomes[i] {
			rewards[i] = append(rewards[i], o.Reward)
			masks[i] = append(masks[i], o.Masked)
		}
	}
	keep := make([]int, len(ps))
	for i := range keep {
		keep[i] = i
	}
	if t.cfg.Loss.DynamicSampling {
		if keep, err = FilterGroupsWith(rewards, masks, GroupStats(t.cfg.Loss.GroupStats)); err != nil {
			return s, err
		}
	}
	var rs []rollout
	for _, i := range keep {
		adv, err := GroupAdvantagesWith(rewards[i], masks[i], t.cfg.Loss.NormStd, GroupStats(t.cfg.Loss.GroupStats))
		if err != nil {
			return s, fmt.Errorf("group %d: %w", i, err)
		}
		for j, q := range seqs[i] {
			r := rollout{prompt: q.Prompt, tokens: q.Tokens, adv: adv[j], masked: masks[i][j], finished: q.FinishReason == model.FinishStop}
			r.logp = make([]float64, len(q.Logp))
			for k, v := range q.Logp {
				r.logp[k] = float64(v)
			}
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		s.StepSeconds = time.Since(t0).Seconds()
		return s, nil // dynamic sampling dropped every group: nothing to learn from
	}
	t2 := time.Now()
	t.timing.Grade += t2.Sub(t1)
	if t.refNeeded(step) {
		if err := t.refLogp(rs); err != nil {
			return s, err
		}
	}
	t3 := time.Now()
	t.timing.Ref += t3.Sub(t2)

	// Mini-batches: S sequential updates.
	var mbs [][]int
	shuffleSeed := t.seed(seedShuffle, uint64(step))
	// Dynamic sampling may leave fewer groups than mini-batches: then each
	// kept unit is its own mini-batch.
	if t.cfg.Loss.SplitBy == "group" {
		mbs, err = SplitGroups(len(keep), N, min(t.cfg.Loss.Staleness, len(keep)), shuffleSeed, t.cfg.Loss.Shuffle)
	} else {
		mbs, err = SplitMiniBatches(len(rs), min(t.cfg.Loss.Staleness, len(rs)), shuffleSeed, t.cfg.Loss.Shuffle)
	}
	if err != nil {
		return s, err
	}
	var total Value
	var gnorm float64
	for _, mb := range mbs {
		v, st, err := t.update(rs, mb)
		if err != nil {
			return s, err
		}
		total.Add(v)
		gnorm += float64(st.GradNorm)
		s.LR = float64(st.LR)
	}
	s.Entropy = total.Stats.MeanEntropy()
	s.KL = total.Stats.MeanKL()
	s.ClipFrac = total.Stats.ClipFrac()
	s.PGLoss = total.PGLoss / float64(len(mbs))
	s.GradNorm = gnorm / float64(len(mbs))
	t.timing.Update += time.Since(t3)
	s.StepSeconds = time.Since(t0).Seconds()
	return s, nil
}

// pack lays rollouts idx out as one right-padded training batch: row b is
// prompt ++ tokens; the log-prob of generated token k sits at position
// len(prompt)−1+k.
func (t *trainer) pack(rs []rollout, idx []int, temp float64) *model.Batch {
	T := 0
	for _, i := range idx {
		T = max(T, len(rs[i].prompt)+len(rs[i].tokens))
	}
	B := len(idx)
	b := &model.Batch{B: B, T: T, Tokens: make([]int32, B*T), Mask: make([]float32, B*T), Temperature: float32(temp)}
	for row, i := range idx {
		r := rs[i]
		off := row * T
		for k := range T {
			b.Tokens[off+k] = t.pad
		}
		copy(b.Tokens[off:], r.prompt)
		copy(b.Tokens[off+len(r.prompt):], r.tokens)
		for k := range len(r.prompt) + len(r.tokens) {
			b.Mask[off+k] = 1
		}
	}
	return b
}

// microBatches cuts rollouts idx into runs of at most loss.micro_batch,
// longest first after a stable sort by length (prompt plus tokens): each
// micro-batch is padded to its longest row, so grouping similar lengths
// saves the padding's forward and backward work (attention grows with the
// square of the padded length). The update is the same in exact
// arithmetic; in floating point the gradient is summed in another order.
func (t *trainer) microBatches(rs []rollout, idx []int) [][]int {
	idx = slices.Clone(idx)
	if !t.inOrder {
		slices.SortStableFunc(idx, func(a, b int) int {
			return (len(rs[b].prompt) + len(rs[b].tokens)) - (len(rs[a].prompt) + len(rs[a].tokens))
		})
	}
	var out [][]int
	for len(idx) > 0 {
		n := min(len(idx), t.cfg.Loss.MicroBatch)
		out = append(out, idx[:n])
		idx = idx[n:]
	}
	return out
}

// refNeeded reports whether step needs the reference policy's log-probs:
// every step of a run with a KL term; otherwise only the steps whose KL
// statistic is logged (loss.kl_stat_every), and the KL is NaN on the rest.
func (t *trainer) refNeeded(step int) bool {
	l := t.cfg.Loss
	if l.KLCoef > 0 && KLEstimator(l.KL) != KLNone {
		return true
	}
	return l.KLStatEvery <= 1 || step == 1 || step%l.KLStatEvery == 0 || step == t.cfg.Run.Steps
}

// refLogp fills logpRef with the frozen reference policy.
func (t *trainer) refLogp(rs []rollout) error {
	all := make([]int, len(rs))
	for i := range all {
		all[i] = i
	}
	for _, mb := range t.microBatches(rs, all) {
		b := t.pack(rs, mb, t.cfg.Rollout.Temperature)
		logp, _, err := t.ref.Forward(t.refWS, b)
		if err != nil {
			return fmt.Errorf("reference forward: %w", err)
		}
		for row, i := range mb {
			r := &rs[i]
			off := row*b.T + len(r.prompt) - 1
			r.logpRef = make([]float64, len(r.tokens))
			for k := range r.tokens {
				r.logpRef[k] = float64(logp[off+k])
			}
		}
	}
	return nil
}

// update takes one optimizer step on the rollouts mb: Forward → Objective →
// Backward per micro-batch, gradients accumulated, then AdamW.
func (t *trainer) update(rs []rollout, mb []int) (Value, model.StepStats, error) {
	seqs := make([]Sequence, len(mb))
	for k, i := range mb {
		seqs[k] = Sequence{LogpOld: rs[i].logp, LogpRef: rs[i].logpRef, Advantage: rs[i].adv, Masked: rs[i].masked}
	}
	w, err := t.obj.Weights(seqs)
	if err != nil {
		return Value{}, model.StepStats{}, err
	}
	pos := map[int]int{} // rollout index → position in seqs
	for k, i := range mb {
		pos[i] = k
	}
	t.policy.ZeroGrad()
	var total Value
	for _, micro := range t.microBatches(rs, mb) {
		b := t.pack(rs, micro, t.cfg.Rollout.Temperature)
		logp, ent, err := t.policy.Forward(t.ws, b)
		if err != nil {
			return Value{}, model.StepStats{}, fmt.Errorf("policy forward: %w", err)
		}
		dlogp := make([]float32, b.B*b.T)
		var dent []float32
		if t.obj.EntropyCoef > 0 {
			dent = make([]float32, b.B*b.T)
		}
		for row, i := range micro {
			r := rs[i]
			T := len(r.tokens)
			off := row*b.T + len(r.prompt) - 1
			lp, en := make([]float64, T), make([]float64, T)
			for k := range T {
				lp[k], en[k] = float64(logp[off+k]), float64(ent[off+k])
			}
			d, de := make([]float64, T), make([]float64, T)
			v, err := t.obj.Accumulate(seqs[pos[i]], w[pos[i]], lp, en, d, de)
			if err != nil {
				return Value{}, model.StepStats{}, err
			}
			total.Add(v)
			for k := range T {
				dlogp[off+k] = float32(d[k])
				if dent != nil {
					dent[off+k] = float32(de[k])
				}
			}
		}
		if err := t.policy.Backward(t.ws, dlogp, dent); err != nil {
			return Value{}, model.StepStats{}, fmt.Errorf("policy backward: %w", err)
		}
	}
	st, err := t.opt.Update(t.policy)
	if err != nil {
		return Value{}, model.StepStats{}, err
	}
	return total, st, nil
}

// evaluate runs the budget ladder (PAPER.md §2, strict mode): eval.k
// samples per problem at the largest budget; a sample counts as correct at
// budget B when it finished (stop token) within B tokens and is graded
// correct. One run at the largest budget yields every smaller budget.
func (t *trainer) evaluate(ctx context.Context, step int) ([]EvalPoint, error) {
	e := t.cfg.Eval
	opts := model.SampleOptions{Temperature: float32(e.Temperature), TopP: float32(e.TopP), TopK: e.TopK, MaxNewTokens: e.Budgets[len(e.Budgets)-1]}
	var out []EvalPoint
	for si, set := range t.in.Eval {
		if len(set.Problems) == 0 {
			continue
		}
		seqs, err := t.sample(ctx, t.policy, set.Problems, e.K, opts, func(i, j int) uint64 {
			return t.seed(seedEval, uint64(step), uint64(si), uint64(i), uint64(j))
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", set.Name, err)
		}
		sum := make([]float64, len(e.Budgets))
		for i, p := range set.Problems {
			for _, q := range seqs[i] {
				if q.FinishReason != model.FinishStop || !t.correct(p, t.completion(q)) {
					continue
				}
				for bi, B := range e.Budgets {
					if len(q.Tokens) <= B {
						sum[bi]++
					}
				}
			}
		}
		for bi, B := range e.Budgets {
			out = append(out, EvalPoint{Benchmark: set.Name, Budget: B, K: e.K, MeanAtK: sum[bi] / float64(len(set.Problems)*e.K)})
		}
	}
	return out, nil
}

// trainerState is trainer.json inside a checkpoint.
type trainerState struct {
	Step          int             `json:"step"`
	OptimizerStep int             `json:"optimizer_step"`
	RewardState   json.RawMessage `json:"reward_state,omitempty"` // a reward.Stateful shape's MarshalState
}

const optimMagic = "TERSEOPT"

func stepDir(dir string, step int) string {
	return filepath.Join(dir, CheckpointDir, fmt.Sprintf("step-%06d", step))
}

// save writes checkpoints/step-NNNNNN: the policy (checkpoint.Save), the
// AdamW moments (optim.bin: magic, version 1, optimizer step, count, then M
// and V as little-endian float32) and trainer.json (step, optimizer step,
// reward-shape state), written last so that a directory without it is
// incomplete.
func (t *trainer) save(step int) error {
	// The step records up to this checkpoint must survive what it survives.
	if err := t.logFile.Sync(); err != nil {
		return fmt.Errorf("rl: checkpoint step %d: fsync %s: %w", step, StepsFile, err)
	}
	dir := stepDir(t.dir, step)
	err := checkpoint.Save(dir, t.policy, t.in.Tokenizer)
	if err != nil {
		return fmt.Errorf("rl: checkpoint step %d: %w", step, err)
	}
	var b bytes.Buffer
	b.WriteString(optimMagic)
	binary.Write(&b, binary.LittleEndian, uint32(1))
	binary.Write(&b, binary.LittleEndian, uint64(t.opt.Step))
	binary.Write(&b, binary.LittleEndian, uint64(len(t.opt.M)))
	binary.Write(&b, binary.LittleEndian, t.opt.M)
	binary.Write(&b, binary.LittleEndian, t.opt.V)
	if err := writeAtomic(filepath.Join(dir, optimFile), b.Bytes()); err != nil {
		return err
	}
	ts := trainerState{Step: step, OptimizerStep: t.opt.Step}
	if st, ok := t.shape.(reward.Stateful); ok {
		if ts.RewardState, err = st.MarshalState(); err != nil {
			return fmt.Errorf("rl: checkpoint step %d: %w", step, err)
		}
	}
	js, err := json.Marshal(ts)
	if err != nil {
		return fmt.Errorf("rl: checkpoint step %d: %w", step, err)
	}
	return writeAtomic(filepath.Join(dir, trainerFile), js)
}

// restore loads the latest complete checkpoint into the policy and the
// optimizer and returns its step (0 when there is none).
func (t *trainer) restore() (int, error) {
	entries, err := os.ReadDir(filepath.Join(t.dir, CheckpointDir))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rl: resume: %w", err)
	}
	best := -1
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "step-"))
		if err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(stepDir(t.dir, n), trainerFile)); err == nil && n > best {
			best = n
		}
	}
	if best < 0 {
		return 0, nil
	}
	dir := stepDir(t.dir, best)
	var st trainerState
	b, err := os.ReadFile(filepath.Join(dir, trainerFile))
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return 0, fmt.Errorf("rl: resume: %s: %w", dir, err)
	}
	m, _, err := checkpoint.Load(dir)
	if err != nil {
		return 0, fmt.Errorf("rl: resume: %w", err)
	}
	if len(m.Slab()) != len(t.policy.Slab()) {
		return 0, fmt.Errorf("rl: resume: %s has %d weights, the policy %d", dir, len(m.Slab()), len(t.policy.Slab()))
	}
	copy(t.policy.Slab(), m.Slab())
	ob, err := os.ReadFile(filepath.Join(dir, optimFile))
	if err != nil {
		return 0, fmt.Errorf("rl: resume: %w", err)
	}
	r := bytes.NewReader(ob)
	magic := make([]byte, len(optimMagic))
	var version uint32
	var ostep, n uint64
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != optimMagic {
		return 0, fmt.Errorf("rl: resume: %s/%s: not an optimizer state", dir, optimFile)
	}
	binary.Read(r, binary.LittleEndian, &version)
	binary.Read(r, binary.LittleEndian, &ostep)
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || version != 1 || n != uint64(len(t.opt.M)) {
		return 0, fmt.Errorf("rl: resume: %s/%s: version %d with %d moments, want version 1 with %d", dir, optimFile, version, n, len(t.opt.M))
	}
	mom, vel := make([]float32, n), make([]float32, n)
	if err := binary.Read(r, binary.LittleEndian, mom); err != nil {
		return 0, fmt.Errorf("rl: resume: %s/%s: %w", dir, optimFile, err)
	}
	if err := binary.Read(r, binary.LittleEndian, vel); err != nil {
		return 0, fmt.Errorf("rl: resume: %s/%s: %w", dir, optimFile, err)
	}
	if err := t.opt.Restore(int(ostep), mom, vel); err != nil {
		return 0, fmt.Errorf("rl: resume: %w", err)
	}
	if sh, ok := t.shape.(reward.Stateful); ok {
		if len(st.RewardState) == 0 {
			return 0, fmt.Errorf("rl: resume: %s/%s: no reward_state for the stateful reward shape %s", dir, trainerFile, t.shape)
		}
		if err := sh.UnmarshalState(st.RewardState); err != nil {
			return 0, fmt.Errorf("rl: resume: %s/%s: %w", dir, trainerFile, err)
		}
	}
	return st.Step, nil
}

// truncateSteps drops the records after step from a run's steps.jsonl (the
// steps a resumed run will redo) and returns how many it kept. A torn last
// line (an interrupted write) is dropped with a warning through warnf.
func truncateSteps(path string, step int, warnf func(string, ...any)) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rl: resume: %w", err)
	}
	defer f.Close()
	kept := 0
	var keep bytes.Buffer
	err = scanJSONL(f, path, warnf, func(ln int, line []byte) error {
		var s struct{ Step *int }
		if err := json.Unmarshal(line, &s); err != nil || s.Step == nil {
			return fmt.Errorf("rl: resume: %s:%d: not a step record", path, ln)
		}
		if *s.Step <= step {
			keep.Write(line)
			keep.WriteByte('\n')
			kept++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return kept, writeAtomic(path, keep.Bytes())
}

// writeAtomic writes data to path atomically and durably: temporary file,
// fsync, rename, fsync of the directory (internal/atomicfile).
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("rl: %w", err)
	}
	return nil
}
