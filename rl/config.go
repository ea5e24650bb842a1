package rl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/terse-dev/terse/internal/atomicfile"
	"github.com/terse-dev/terse/reward"
	"gopkg.in/yaml.v3"
)

// The lab scale: the paper's unified protocol (PaperConfig) shrunk to tiny
// models trained on a CPU. Change these to rescale every default at once.
const (
	// LabTargetLen is L_T in the lab (paper: 4096).
	LabTargetLen = 256
	// LabRolloutLimit is L_R in the lab; the paper's recommendation is
	// L_R = L_T (PAPER.md §4.8).
	LabRolloutLimit = LabTargetLen
	// LabPromptsPerStep is the rollout batch in prompts (paper: 128).
	LabPromptsPerStep = 16
	// LabSteps is the number of training steps (paper: ~800).
	LabSteps = 200
	// LabLR is the learning rate. The paper's 1e-6 is for a 1.5B model;
	// tiny lab models need larger steps (the paper is silent on scaling).
	// An untuned starting point: the lab's base SFT uses 3e-3.
	LabLR = 1e-4
)

// Config is one training run: a TOML or YAML file (Load) plus key=value
// overrides (Set). Every field has a doc tag; WriteTOML writes them as
// comments, so a saved run config documents itself. Default returns the
// paper's unified protocol scaled to the lab.
type Config struct {
	Model   ModelConfig   `toml:"model" yaml:"model" doc:"policy checkpoints"`
	Data    DataConfig    `toml:"data" yaml:"data" doc:"training prompts"`
	Rollout RolloutConfig `toml:"rollout" yaml:"rollout" doc:"sampling the training rollouts"`
	Reward  RewardConfig  `toml:"reward" yaml:"reward" doc:"reward shaping (PAPER.md §4)"`
	Loss    LossConfig    `toml:"loss" yaml:"loss" doc:"GRPO objective and update schedule (PAPER.md §3)"`
	Optim   OptimConfig   `toml:"optim" yaml:"optim" doc:"AdamW optimiser"`
	Eval    EvalConfig    `toml:"eval" yaml:"eval" doc:"budget-ladder evaluation during training"`
	Run     RunConfig     `toml:"run" yaml:"run" doc:"steps, seed, output, checkpoints"`
}

// ModelConfig names the checkpoints.
type ModelConfig struct {
	Init string `toml:"init" yaml:"init" doc:"initial policy checkpoint (the base model); also the reference policy unless ref is set"`
	Ref  string `toml:"ref" yaml:"ref" doc:"reference policy checkpoint for the KL term and the KL statistic; empty = init"`
}

// DataConfig selects the training prompts.
type DataConfig struct {
	Train      string  `toml:"train" yaml:"train" doc:"training prompts: a JSONL file of bench.Problem records or a benchmark name"`
	Difficulty string  `toml:"difficulty" yaml:"difficulty" doc:"which prompts to train on: easy (pass rate > easy_threshold; the paper's recommendation), hard, or all"`
	PassRateK  int     `toml:"pass_rate_k" yaml:"pass_rate_k" doc:"rollouts per prompt with the base model to measure its pass rate (paper: 8)"`
	EasyAbove  float64 `toml:"easy_threshold" yaml:"easy_threshold" doc:"a prompt is Easy when its pass rate is above this (paper: 0.5)"`
}

// RolloutConfig sets how training rollouts are sampled.
type RolloutConfig struct {
	PromptsPerStep int     `toml:"prompts_per_step" yaml:"prompts_per_step" doc:"prompts per rollout batch (paper: 128)"`
	GroupSize      int     `toml:"group_size" yaml:"group_size" doc:"N, rollouts per prompt (paper: 8; ablation 8/12/16/24/32)"`
	RolloutLimit   int     `toml:"rollout_limit" yaml:"rollout_limit" doc:"L_R, max new tokens per rollout (paper: 16384 unified, L_R = L_T recommended)"`
	Temperature    float64 `toml:"temperature" yaml:"temperature" doc:"sampling temperature (paper silent; verl's default 1.0)"`
	TopP           float64 `toml:"top_p" yaml:"top_p" doc:"nucleus sampling threshold; 1 = off"`
	TopK           int     `toml:"top_k" yaml:"top_k" doc:"top-k sampling; 0 = off"`
}

// RewardConfig sets the reward shape.
type RewardConfig struct {
	Shape     string  `toml:"shape" yaml:"shape" doc:"reward shape (a reward.Parse name: vanilla, truncation (recommended), truncation-I, truncation-LC, truncation-LC-SI, truncation-LC-LI, kimi, laser, laser-d, adaptive, ...), given target_len and alpha where it takes them; a full spec containing ':' is passed to reward.Parse unchanged"`
	TargetLen int     `toml:"target_len" yaml:"target_len" doc:"L_T, target length in tokens (paper: 4096)"`
	Alpha     float64 `toml:"alpha" yaml:"alpha" doc:"alpha of kimi, laser and laserd (paper: 0.4)"`
}

// LossConfig sets the GRPO objective (see Objective) and the update schedule.
type LossConfig struct {
	ClipLow         float64 `toml:"clip_low" yaml:"clip_low" doc:"epsilon_low of the clipped ratio (paper silent; DAPO 0.2)"`
	ClipHigh        float64 `toml:"clip_high" yaml:"clip_high" doc:"epsilon_high of the clipped ratio (paper: 0.28)"`
	Agg             string  `toml:"agg" yaml:"agg" doc:"loss aggregation: token-mean (DAPO; paper silent), seq-mean-token-mean (GRPO) or seq-mean-token-sum"`
	NormStd         bool    `toml:"norm_std" yaml:"norm_std" doc:"divide advantages by the group's std (GRPO); false = Dr. GRPO"`
	GroupStats      string  `toml:"group_stats" yaml:"group_stats" doc:"group mean and std when a reward shape masks rollouts (PAPER.md §4.6): group (over all N, masked ones at their reward 0 and without loss; default, as verl's response mask) or unmasked (over the unmasked rollouts only; fewer than two left: no signal)"`
	KL              string  `toml:"kl" yaml:"kl" doc:"KL estimator against the reference policy: none (paper silent; DAPO), k1 or k3; the k3 value is logged even when none"`
	KLCoef          float64 `toml:"kl_coef" yaml:"kl_coef" doc:"beta, weight of the KL term; must be 0 when kl = none"`
	KLStatEvery     int     `toml:"kl_stat_every" yaml:"kl_stat_every" doc:"without a KL term, log the KL to the reference policy on step 1, every this many steps and the last step only (its forward pass costs about a fifth of a lab step; the log has no kl in between); 1 = every step; with a KL term it is every step"`
	EntropyCoef     float64 `toml:"entropy_coef" yaml:"entropy_coef" doc:"weight of the entropy bonus; 0 = off"`
	Staleness       int     `toml:"staleness" yaml:"staleness" doc:"S, sequential update mini-batches per rollout batch; 1 = on-policy (paper's advice), ablation 2/4/8/16"`
	SplitBy         string  `toml:"split_by" yaml:"split_by" doc:"mini-batch unit under staleness: group (whole prompts, as verl) or rollout"`
	Shuffle         bool    `toml:"shuffle" yaml:"shuffle" doc:"shuffle the rollout batch (by run seed and step) before splitting it into mini-batches"`
	DynamicSampling bool    `toml:"dynamic_sampling" yaml:"dynamic_sampling" doc:"drop groups whose rewards are all equal (DAPO); the paper does not use it"`
	MicroBatch      int     `toml:"micro_batch" yaml:"micro_batch" doc:"sequences per forward/backward pass; memory only, the update is the same for any value"`
}

// OptimConfig sets AdamW and the learning-rate schedule.
type OptimConfig struct {
	LR          float64 `toml:"lr" yaml:"lr" doc:"peak learning rate (paper: 1e-6 for 1.5B; lab models are tiny)"`
	Schedule    string  `toml:"schedule" yaml:"schedule" doc:"learning-rate schedule after warmup: constant (verl's default) or cosine"`
	WarmupSteps int     `toml:"warmup_steps" yaml:"warmup_steps" doc:"linear warmup steps"`
	WeightDecay float64 `toml:"weight_decay" yaml:"weight_decay" doc:"AdamW decoupled weight decay (verl: 0.01)"`
	Beta1       float64 `toml:"beta1" yaml:"beta1" doc:"AdamW beta1"`
	Beta2       float64 `toml:"beta2" yaml:"beta2" doc:"AdamW beta2"`
	Eps         float64 `toml:"eps" yaml:"eps" doc:"AdamW epsilon"`
	GradClip    float64 `toml:"grad_clip" yaml:"grad_clip" doc:"clip the global gradient norm to this; 0 = off (verl: 1.0)"`
}

// EvalConfig sets the budget-ladder evaluation run every Every steps.
type EvalConfig struct {
	Every       int      `toml:"every" yaml:"every" doc:"evaluate every this many steps (and at step 0 and the last step); 0 = never"`
	Benchmarks  []string `toml:"benchmarks" yaml:"benchmarks" doc:"held-out benchmarks (names or JSONL files)"`
	Budgets     []int    `toml:"budgets" yaml:"budgets" doc:"token budgets B of the ladder, ascending (paper: 2k..32k around L_T = 4k)"`
	K           int      `toml:"k" yaml:"k" doc:"samples per problem for Mean@k (paper: 8)"`
	Temperature float64  `toml:"temperature" yaml:"temperature" doc:"evaluation sampling temperature (paper silent; Qwen3 thinking default 0.6)"`
	TopP        float64  `toml:"top_p" yaml:"top_p" doc:"evaluation nucleus threshold (Qwen3 default 0.95)"`
	TopK        int      `toml:"top_k" yaml:"top_k" doc:"evaluation top-k (Qwen3 default 20)"`
}

// RunConfig sets steps, seed, output and checkpoints.
type RunConfig struct {
	Steps           int    `toml:"steps" yaml:"steps" doc:"training steps, one rollout batch each (paper: ~800)"`
	Seed            uint64 `toml:"seed" yaml:"seed" doc:"seed of sampling, shuffling and initialisation"`
	Out             string `toml:"out" yaml:"out" doc:"run directory: config.toml, steps.jsonl, checkpoints"`
	CheckpointEvery int    `toml:"checkpoint_every" yaml:"checkpoint_every" doc:"save a checkpoint every this many steps (and at the end); 0 = only at the end"`
}

// Default returns the paper's unified protocol (PAPER.md §3) at lab scale:
// GRPO with N = 8, clip 0.2/0.28, token-mean, no KL, on-policy, truncation
// reward with L_R = L_T = LabTargetLen, Easy prompts.
func Default() Config {
	return Config{
		Data:    DataConfig{Difficulty: "easy", PassRateK: 8, EasyAbove: 0.5},
		Rollout: RolloutConfig{PromptsPerStep: LabPromptsPerStep, GroupSize: 8, RolloutLimit: LabRolloutLimit, Temperature: 1, TopP: 1},
		Reward:  RewardConfig{Shape: "truncation", TargetLen: LabTargetLen, Alpha: 0.4},
		Loss: LossConfig{ClipLow: 0.2, ClipHigh: 0.28, Agg: string(TokenMean), NormStd: true, GroupStats: string(StatsWholeGroup), KL: string(KLNone),
			KLStatEvery: 1, Staleness: 1, SplitBy: "group", Shuffle: true, MicroBatch: 16},
		Optim: OptimConfig{LR: LabLR, Schedule: "constant", WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, GradClip: 1},
		Eval: EvalConfig{Every: 25, Budgets: []int{LabTargetLen / 4, LabTargetLen / 2, LabTargetLen, 2 * LabTargetLen, 4 * LabTargetLen},
			K: 4, Temperature: 0.6, TopP: 0.95, TopK: 20},
		Run: RunConfig{Steps: LabSteps, Seed: 1, Out: "runs/train", CheckpointEvery: 50},
	}
}

// PaperConfig returns the paper's unified protocol unscaled
// (DeepSeek-R1-Distill-Qwen-1.5B: lr 1e-6, 128 prompts, N = 8, L_R = 16k,
// L_T = 4k, ~800 steps, budgets 2k..32k, Mean@8).
func PaperConfig() Config {
	c := Default()
	c.Rollout.PromptsPerStep = 128
	c.Rollout.RolloutLimit = 16384
	c.Reward.TargetLen = 4096
	c.Optim.LR = 1e-6
	c.Eval.Budgets = []int{2048, 4096, 8192, 16384, 32768}
	c.Eval.K = 8
	c.Run.Steps = 800
	return c
}

// Load reads a run config from a .toml, .yaml or .yml file on top of
// Default, so absent fields keep their defaults. Unknown keys are errors.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("rl: config: %w", err)
	}
	c := Default()
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".toml":
		md, err := toml.Decode(string(data), &c)
		if err != nil {
			return Config{}, fmt.Errorf("rl: config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return Config{}, fmt.Errorf("rl: config %s: unknown keys %s", path, strings.Join(keys, ", "))
		}
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("rl: config %s: %w", path, err)
		}
	default:
		return Config{}, fmt.Errorf("rl: config %s: unknown extension %q (want .toml, .yaml or .yml)", path, ext)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// field is one leaf of Config: its dotted key, value and doc.
type field struct {
	key     string
	section string
	value   reflect.Value
	doc     string
}

// fields lists Config's leaves in declaration order; c must be a pointer
// for the values to be settable.
func fields(c *Config) []field {
	var out []field
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		sec := sf.Tag.Get("toml")
		sv := v.Field(i)
		for j := range sv.NumField() {
			f := sv.Type().Field(j)
			out = append(out, field{key: sec + "." + f.Tag.Get("toml"), section: sec, value: sv.Field(j), doc: f.Tag.Get("doc")})
		}
	}
	return out
}

// Keys returns every config key ("section.name") with its doc, in file
// order, for --help texts.
func Keys() [][2]string {
	c := Default()
	var out [][2]string
	for _, f := range fields(&c) {
		out = append(out, [2]string{f.key, f.doc})
	}
	return out
}

// Set overrides one field from a command-line string: key is
// "section.name" as in the file (e.g. "loss.clip_high"); lists are
// comma-separated. Set does not validate; call Validate after the last Set.
func (c *Config) Set(key, value string) error {
	for _, f := range fields(c) {
		if f.key != key {
			continue
		}
		if err := setValue(f.value, strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("rl: config: %s = %q: %w", key, value, err)
		}
		return nil
	}
	return fmt.Errorf("rl: config: unknown key %q", key)
}

// SetAll applies "key=value" overrides in order, then validates.
func (c *Config) SetAll(overrides []string) error {
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return fmt.Errorf("rl: config: override %q is not key=value", o)
		}
		if err := c.Set(strings.TrimSpace(k), v); err != nil {
			return err
		}
	}
	return c.Validate()
}

func setValue(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(n))
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetUint(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(x)
	case reflect.Slice:
		parts := []string{}
		if s != "" {
			parts = strings.Split(s, ",")
		}
		sl := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setValue(sl.Index(i), strings.TrimSpace(p)); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		v.Set(sl)
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}

// WriteTOML writes c as TOML with every field's doc as a comment above it;
// Load reads it back unchanged. This is the config saved with a run.
func (c Config) WriteTOML(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("# terse training run (rl.Config). Every key is optional; absent keys take the\n# lab-scale defaults of the paper's unified protocol.\n")
	cc := c
	all := fields(&cc)
	t := reflect.TypeOf(cc)
	for i := range t.NumField() {
		sf := t.Field(i)
		sec := sf.Tag.Get("toml")
		fmt.Fprintf(&buf, "\n# %s\n[%s]\n", sf.Tag.Get("doc"), sec)
		for _, f := range all {
			if f.section != sec {
				continue
			}
			name := f.key[len(sec)+1:]
			enc, err := toml.Marshal(map[string]any{name: f.value.Interface()})
			if f.value.Kind() == reflect.Slice && f.value.Len() == 0 {
				enc = []byte(name + " = []\n") // toml omits empty slices
			}
			if err != nil {
				return fmt.Errorf("rl: config: encoding %s: %w", f.key, err)
			}
			fmt.Fprintf(&buf, "# %s\n%s", f.doc, enc)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Save writes c to path as commented TOML (WriteTOML).
func (c Config) Save(path string) error {
	var buf bytes.Buffer
	if err := c.WriteTOML(&buf); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("rl: config: %w", err)
	}
	return nil
}

// Validate checks every field and names the first bad one by its key.
func (c Config) Validate() error {
	bad := func(key string, v any, why string) error {
		return fmt.Errorf("rl: config: %s = %v: %s", key, v, why)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch c.Data.Difficulty {
	case "easy", "hard", "all":
	default:
		return bad("data.difficulty", c.Data.Difficulty, "want easy, hard or all")
	}
	if c.Data.PassRateK < 1 {
		return bad("data.pass_rate_k", c.Data.PassRateK, "must be ≥ 1")
	}
	if !(c.Data.EasyAbove >= 0 && c.Data.EasyAbove < 1) {
		return bad("data.easy_threshold", c.Data.EasyAbove, "must be in [0, 1)")
	}
	r := c.Rollout
	switch {
	case r.PromptsPerStep < 1:
		return bad("rollout.prompts_per_step", r.PromptsPerStep, "must be ≥ 1")
	case r.GroupSize < 1:
		return bad("rollout.group_size", r.GroupSize, "must be ≥ 1")
	case r.RolloutLimit < 1:
		return bad("rollout.rollout_limit", r.RolloutLimit, "must be ≥ 1")
	case !(r.Temperature > 0) || !finite(r.Temperature):
		return bad("rollout.temperature", r.Temperature, "must be > 0")
	case !(r.TopP > 0 && r.TopP <= 1):
		return bad("rollout.top_p", r.TopP, "must be in (0, 1]")
	case r.TopK < 0:
		return bad("rollout.top_k", r.TopK, "must be ≥ 0")
	}
	if strings.TrimSpace(c.Reward.Shape) == "" {
		return bad("reward.shape", `""`, "must name a shape")
	}
	if _, err := c.RewardShape(); err != nil {
		return err
	}
	if c.Reward.TargetLen < 1 {
		return bad("reward.target_len", c.Reward.TargetLen, "must be ≥ 1")
	}
	if !finite(c.Reward.Alpha) {
		return bad("reward.alpha", c.Reward.Alpha, "must be finite")
	}
	l := c.Loss
	if _, err := ParseAgg(l.Agg); err != nil {
		return bad("loss.agg", l.Agg, "want token-mean, seq-mean-token-mean or seq-mean-token-sum")
	}
	if _, err := ParseGroupStats(l.GroupStats); err != nil {
		return bad("loss.group_stats", l.GroupStats, "want group or unmasked")
	}
	if _, err := ParseKL(l.KL); err != nil {
		return bad("loss.kl", l.KL, "want none, k1 or k3")
	}
	if err := c.Objective().Validate(); err != nil {
		return fmt.Errorf("rl: config: [loss]: %w", err)
	}
	if l.KLStatEvery < 1 {
		return bad("loss.kl_stat_every", l.KLStatEvery, "must be ≥ 1 (1 = every step)")
	}
	if l.Staleness < 1 {
		return bad("loss.staleness", l.Staleness, "must be ≥ 1 (1 = on-policy)")
	}
	if l.MicroBatch < 1 {
		return bad("loss.micro_batch", l.MicroBatch, "must be ≥ 1")
	}
	units := r.PromptsPerStep
	if l.SplitBy == "rollout" {
		units *= r.GroupSize
	} else if l.SplitBy != "group" {
		return bad("loss.split_by", l.SplitBy, "want group or rollout")
	}
	if l.Staleness > units {
		return bad("loss.staleness", l.Staleness, fmt.Sprintf("exceeds the %d %ss of a rollout batch", units, l.SplitBy))
	}
	o := c.Optim
	switch {
	case !(o.LR > 0) || !finite(o.LR):
		return bad("optim.lr", o.LR, "must be > 0")
	case o.Schedule != "constant" && o.Schedule != "cosine":
		return bad("optim.schedule", o.Schedule, "want constant or cosine")
	case o.WarmupSteps < 0:
		return bad("optim.warmup_steps", o.WarmupSteps, "must be ≥ 0")
	case !(o.WeightDecay >= 0) || !finite(o.WeightDecay):
		return bad("optim.weight_decay", o.WeightDecay, "must be ≥ 0")
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return bad("optim.beta1", o.Beta1, "must be in [0, 1)")
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return bad("optim.beta2", o.Beta2, "must be in [0, 1)")
	case !(o.Eps > 0) || !finite(o.Eps):
		return bad("optim.eps", o.Eps, "must be > 0")
	case !(o.GradClip >= 0) || !finite(o.GradClip):
		return bad("optim.grad_clip", o.GradClip, "must be ≥ 0")
	}
	e := c.Eval
	switch {
	case e.Every < 0:
		return bad("eval.every", e.Every, "must be ≥ 0")
	case e.Every > 0 && len(e.Budgets) == 0:
		return bad("eval.budgets", e.Budgets, "must list at least one budget when eval.every > 0")
	case e.K < 1:
		return bad("eval.k", e.K, "must be ≥ 1")
	case !(e.Temperature >= 0) || !finite(e.Temperature):
		return bad("eval.temperature", e.Temperature, "must be ≥ 0")
	case !(e.TopP > 0 && e.TopP <= 1):
		return bad("eval.top_p", e.TopP, "must be in (0, 1]")
	case e.TopK < 0:
		return bad("eval.top_k", e.TopK, "must be ≥ 0")
	}
	for i, b := range e.Budgets {
		if b < 1 || (i > 0 && b <= e.Budgets[i-1]) {
			return bad("eval.budgets", e.Budgets, "must be positive and strictly ascending")
		}
	}
	if c.Run.Steps < 1 {
		return bad("run.steps", c.Run.Steps, "must be ≥ 1")
	}
	if c.Run.CheckpointEvery < 0 {
		return bad("run.checkpoint_every", c.Run.CheckpointEvery, "must be ≥ 0")
	}
	return nil
}

// Objective returns the loss configured by [loss].
func (c Config) Objective() Objective {
	return Objective{
		ClipLow: c.Loss.ClipLow, ClipHigh: c.Loss.ClipHigh, Agg: Agg(c.Loss.Agg),
		KL: KLEstimator(c.Loss.KL), KLCoef: c.Loss.KLCoef, EntropyCoef: c.Loss.EntropyCoef,
	}
}

// shapesWithAlpha lists the reward shapes whose alpha is the paper's α
// (reward.alpha); shapesWithTarget those that take L_T (reward.target_len).
// Names are reward.Parse's.
var (
	shapesWithTarget = []string{"truncation", "truncation-i", "truncation-lc", "truncation-lc-si", "truncation-lc-li",
		"laser", "laser-d", "adaptive", "l1-exact", "l1-max"}
	shapesWithAlpha = []string{"kimi", "laser", "laser-d"}
)

// RewardSpec returns the spec string for reward.Parse: reward.shape
// unchanged when it contains ':' (a full spec), else the shape with
// target=reward.target_len and alpha=reward.alpha for the shapes that take
// them, e.g. "truncation:target=256" or "laser:target=256,alpha=0.4".
func (c Config) RewardSpec() string {
	s := strings.TrimSpace(c.Reward.Shape)
	if strings.Contains(s, ":") {
		return s
	}
	name := strings.ToLower(s)
	var params []string
	if slices.Contains(shapesWithTarget, name) {
		params = append(params, "target="+strconv.Itoa(c.Reward.TargetLen))
	}
	if slices.Contains(shapesWithAlpha, name) {
		params = append(params, "alpha="+strconv.FormatFloat(c.Reward.Alpha, 'g', -1, 64))
	}
	if len(params) == 0 {
		return s
	}
	return s + ":" + strings.Join(params, ",")
}

// RewardShape parses RewardSpec with reward.Parse.
func (c Config) RewardShape() (reward.Shape, error) {
	sh, err := reward.Parse(c.RewardSpec())
	if err != nil {
		return nil, fmt.Errorf("rl: config: reward.shape = %q: %w", c.Reward.Shape, err)
	}
	return sh, nil
}
