package rl

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/reward"
)

// EvalPoint is one budget-ladder evaluation: Mean@k of one benchmark at one
// token budget.
type EvalPoint struct {
	Benchmark string  `json:"benchmark,omitempty"`
	Budget    int     `json:"budget"` // tokens; 0 when unknown (imported from verl: one budget, its max response length)
	K         int     `json:"k,omitempty"`
	MeanAtK   float64 `json:"mean_at_k"`
}

// StepLog is one training step, one line of a run's steps.jsonl: the schema
// that terse train writes and terse dynamics, terse report read. Float
// fields are NaN when not measured; NaN fields are left out of the JSON.
// "Positive" rollouts are those with reward > 0; masked rollouts count only
// in MaskedRate.
type StepLog struct {
	Step             int         `json:"step"`
	MeanLength       float64     `json:"mean_length"`        // mean rollout length in tokens
	MeanLengthPos    float64     `json:"mean_length_pos"`    // mean length of positive rollouts
	MeanLengthNeg    float64     `json:"mean_length_neg"`    // mean length of the other unmasked rollouts
	TruncationRate   float64     `json:"truncation_rate"`    // share of rollouts cut off at RolloutLimit
	MeanReward       float64     `json:"mean_reward"`        // over unmasked rollouts
	Accuracy         float64     `json:"accuracy"`           // share of rollouts graded correct, whatever their length
	PosRewardDensity float64     `json:"pos_reward_density"` // share of unmasked rollouts with reward > 0
	PosGroupDensity  float64     `json:"pos_group_density"`  // share of groups with at least one such rollout
	MaskedRate       float64     `json:"masked_rate"`        // share of rollouts masked out of the update
	TargetLen        float64     `json:"target_len"`         // L_T in force for this step's rewards, when the shape moves it (adaptive)
	Entropy          float64     `json:"entropy"`            // token-mean policy entropy (nats)
	KL               float64     `json:"kl"`                 // token-mean KL to the initial (reference) policy
	ClipFrac         float64     `json:"clip_frac"`          // share of loss tokens clipped (Stats.ClipFrac)
	GradNorm         float64     `json:"grad_norm"`          // global gradient norm before clipping
	LR               float64     `json:"lr"`                 // learning rate of the step
	PGLoss           float64     `json:"pg_loss"`            // policy-gradient loss
	StepSeconds      float64     `json:"step_seconds"`       // wall time of the step
	Eval             []EvalPoint `json:"eval,omitempty"`     // budget ladder, every eval.every steps
}

// NewStepLog returns a StepLog for step with every float NaN (unmeasured).
func NewStepLog(step int) StepLog {
	s := StepLog{Step: step}
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		if v.Field(i).Kind() == reflect.Float64 {
			v.Field(i).SetFloat(math.NaN())
		}
	}
	return s
}

// MarshalJSON writes the fields in declaration order, leaving out NaN ones.
func (s StepLog) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	v := reflect.ValueOf(s)
	first := true
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fv := v.Field(i)
		if fv.Kind() == reflect.Float64 && (math.IsNaN(fv.Float()) || math.IsInf(fv.Float(), 0)) {
			continue
		}
		if fv.Kind() == reflect.Slice && fv.Len() == 0 {
			continue
		}
		enc, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, fmt.Errorf("rl: step log field %s: %w", name, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:%s", name, enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a terse step line; absent fields become NaN.
func (s *StepLog) UnmarshalJSON(data []byte) error {
	type plain StepLog
	p := plain(NewStepLog(0))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*s = StepLog(p)
	return nil
}

// Line is the one-line progress summary that terse train prints per step.
func (s StepLog) Line() string {
	f := func(x float64, prec int) string {
		if math.IsNaN(x) {
			return "-"
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	g := func(x float64) string {
		if math.IsNaN(x) {
			return "-"
		}
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	line := fmt.Sprintf("step %d  len %s (+%s/-%s) trunc %s  reward %s acc %s  pos %s/%s  masked %s  ent %s kl %s clip %s  gnorm %s lr %s  %ss",
		s.Step, f(s.MeanLength, 0), f(s.MeanLengthPos, 0), f(s.MeanLengthNeg, 0), f(s.TruncationRate, 3),
		f(s.MeanReward, 3), f(s.Accuracy, 3), f(s.PosRewardDensity, 2), f(s.PosGroupDensity, 2), f(s.MaskedRate, 2),
		f(s.Entropy, 3), g(s.KL), f(s.ClipFrac, 4), g(s.GradNorm), g(s.LR), f(s.StepSeconds, 1))
	// Budget ladder: Mean@k per budget, averaged over benchmarks.
	var budgets []int
	sum, n := map[int]float64{}, map[int]int{}
	for _, e := range s.Eval {
		if n[e.Budget] == 0 {
			budgets = append(budgets, e.Budget)
		}
		sum[e.Budget] += e.MeanAtK
		n[e.Budget]++
	}
	slices.Sort(budgets)
	if len(budgets) > 0 {
		line += "  eval"
		for _, b := range budgets {
			line += fmt.Sprintf(" %d:%.3f", b, sum[b]/float64(n[b]))
		}
	}
	return line
}

// RolloutStats fills the rollout fields of a StepLog (lengths, truncation,
// reward, accuracy, densities, masked share) from one rollout batch: the
// groups as graded and their reward outcomes, (G)(N) each.
func RolloutStats(s *StepLog, groups []reward.Group, outcomes [][]reward.Outcome) error {
	if len(groups) != len(outcomes) {
		return fmt.Errorf("rl: rollout stats: %d groups but %d outcome groups", len(groups), len(outcomes))
	}
	var n, nUnmasked, nPos, nTrunc, nCorrect, nMasked, groupsPos int
	var sumLen, sumPos, sumNeg, sumReward float64
	for g, grp := range groups {
		if len(outcomes[g]) != len(grp) {
			return fmt.Errorf("rl: rollout stats: group %d has %d rollouts but %d outcomes", g, len(grp), len(outcomes[g]))
		}
		anyPos := false
		for i, r := range grp {
			o := outcomes[g][i]
			n++
			sumLen += float64(r.Tokens)
			if r.Truncated {
				nTrunc++
			}
			if r.Correct {
				nCorrect++
			}
			if o.Masked {
				nMasked++
				continue
			}
			nUnmasked++
			sumReward += o.Reward
			if o.Reward > 0 {
				nPos++
				anyPos = true
				sumPos += float64(r.Tokens)
			} else {
				sumNeg += float64(r.Tokens)
			}
		}
		if anyPos {
			groupsPos++
		}
	}
	div := func(a float64, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return a / float64(b)
	}
	s.MeanLength = div(sumLen, n)
	s.TruncationRate = div(float64(nTrunc), n)
	s.Accuracy = div(float64(nCorrect), n)
	s.MaskedRate = div(float64(nMasked), n)
	s.MeanReward = div(sumReward, nUnmasked)
	s.PosRewardDensity = div(float64(nPos), nUnmasked)
	s.MeanLengthPos = div(sumPos, nPos)
	s.MeanLengthNeg = div(sumNeg, nUnmasked-nPos)
	s.PosGroupDensity = div(float64(groupsPos), len(groups))
	return nil
}

// WriteSteps writes steps as JSONL.
func WriteSteps(w io.Writer, steps []StepLog) error {
	enc := json.NewEncoder(w)
	for _, s := range steps {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("rl: writing step %d: %w", s.Step, err)
		}
	}
	return nil
}

// Column maps one StepLog field to the names other trainers log it under;
// the first name present in a record wins. A leading "train/" (OpenRLHF's
// wandb prefix) is ignored when matching.
type Column struct {
	Field   string   // StepLog JSON name
	Sources []string // source column names, in order of preference
}

// Columns is the column mapping of ReadSteps: terse's own names, then verl's
// (verl/trainer/ppo/metric_utils.py, ray_trainer.py, workers/actor/
// dp_actor.py; checked against verl b178a3cd, Jan 2026), then OpenRLHF's
// (openrlhf/trainer/ppo_trainer.py, ppo_actor.py, samples_generator.py;
// checked against 3c3be623, Aug 2026; its "train/" prefix is dropped). verl
// logs no correct/incorrect lengths, no accuracy apart from its score, no
// densities. verl's actor/ppo_kl is KL(old ‖ new), not KL to the reference,
// so it is not mapped; critic/kl is verl's name before April 2025 for what
// is now actor/reward_kl_penalty. OpenRLHF's "correct" comes from terse's own
// reward server (extra_logs); its entropy_loss is the mean entropy, logged
// when --entropy_coef is set.
var Columns = []Column{
	{"step", []string{"step", "global_step", "training/global_step", "trainer/global_step", "_step", "Step"}},
	{"mean_length", []string{"mean_length", "response_length/mean", "response_length", "rollout/response_length_mean"}},
	{"mean_length_pos", []string{"mean_length_pos", "response_length/correct/mean", "correct_response_length"}},
	{"mean_length_neg", []string{"mean_length_neg", "response_length/incorrect/mean", "incorrect_response_length"}},
	{"truncation_rate", []string{"truncation_rate", "response_length/clip_ratio", "rollout/truncated_rate", "truncated", "response_clip_ratio"}},
	{"mean_reward", []string{"mean_reward", "critic/score/mean", "critic/rewards/mean", "reward", "rollout/reward_mean"}},
	{"accuracy", []string{"accuracy", "acc", "correct"}},
	{"pos_reward_density", []string{"pos_reward_density"}},
	{"pos_group_density", []string{"pos_group_density"}},
	{"masked_rate", []string{"masked_rate"}},
	{"target_len", []string{"target_len"}},
	{"entropy", []string{"entropy", "actor/entropy", "actor/entropy_loss", "entropy_loss"}},
	{"kl", []string{"kl", "actor/kl_loss", "actor/reward_kl_penalty", "critic/kl"}},
	{"clip_frac", []string{"clip_frac", "actor/pg_clipfrac", "ppo_clip_ratio"}},
	{"grad_norm", []string{"grad_norm", "actor/grad_norm", "actor_grad_norm"}},
	{"lr", []string{"lr", "actor/lr", "actor_lr", "learning_rate"}},
	{"pg_loss", []string{"pg_loss", "actor/pg_loss", "policy_loss"}},
	{"step_seconds", []string{"step_seconds", "timing_s/step", "perf/time_per_step", "timing/step_total"}},
}

// verlVal matches verl's validation metrics, val-core/<data source>/<var>/mean@<k>
// (var is acc when the reward function returns one, else reward; verl files
// other variables under val-aux), and the older val/test_score/<data source>.
var (
	verlVal    = regexp.MustCompile(`^val-core/(.+)/(acc|reward)/mean@(\d+)$`)
	verlValOld = regexp.MustCompile(`^val/test_score/(.+)$`)
)

// ReadOptions control ReadSteps.
type ReadOptions struct {
	// Format is "jsonl", "csv" or "" (auto: by extension, .csv is CSV and
	// anything else JSONL).
	Format string
	// Columns maps StepLog JSON names to source column names, ahead of the
	// built-in Columns (e.g. {"mean_length": "my/len"}).
	Columns map[string]string
}

// ReadStepsFile reads a step log: terse's steps.jsonl, or step-wise metrics
// exported from verl or OpenRLHF as JSONL (one object per step; verl's file
// logger nests them under "data") or CSV with a header (wandb exports:
// "run - metric" headers and __MIN/__MAX columns are understood).
func ReadStepsFile(path string, opt ReadOptions) ([]StepLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rl: %w", err)
	}
	defer f.Close()
	if opt.Format == "" {
		opt.Format = "jsonl"
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			opt.Format = "csv"
		}
	}
	return ReadSteps(f, path, opt)
}

// ReadSteps reads a step log from r (see ReadStepsFile); name labels errors.
// Steps come back sorted by step; a repeated step keeps its last record
// (a resumed run). Records without a step number are numbered by position.
func ReadSteps(r io.Reader, name string, opt ReadOptions) ([]StepLog, error) {
	var recs []map[string]any
	var lines []int
	switch opt.Format {
	case "", "jsonl", "json":
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		ln := 0
		for sc.Scan() {
			ln++
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				return nil, fmt.Errorf("rl: %s:%d: %w", name, ln, err)
			}
			flat := map[string]any{}
			flatten(flat, "", m)
			recs = append(recs, flat)
			lines = append(lines, ln)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("rl: %s: %w", name, err)
		}
	case "csv":
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("rl: %s: reading CSV header: %w", name, err)
		}
		for i := range header {
			header[i] = strings.TrimPrefix(strings.TrimSpace(header[i]), "\ufeff")
		}
		for ln := 2; ; ln++ {
			row, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("rl: %s:%d: %w", name, ln, err)
			}
			m := map[string]any{}
			for i, cell := range row {
				if i >= len(header) {
					break
				}
				cell = strings.TrimSpace(cell)
				if x, err := strconv.ParseFloat(cell, 64); err == nil {
					m[header[i]] = x
				} else if cell != "" {
					m[header[i]] = cell
				}
			}
			recs = append(recs, m)
			lines = append(lines, ln)
		}
	default:
		return nil, fmt.Errorf("rl: %s: unknown format %q (want jsonl or csv)", name, opt.Format)
	}
	byStep := map[int]StepLog{}
	for i, m := range recs {
		s, err := fromRecord(m, i, opt.Columns)
		if err != nil {
			return nil, fmt.Errorf("rl: %s:%d: %w", name, lines[i], err)
		}
		byStep[s.Step] = s
	}
	out := make([]StepLog, 0, len(byStep))
	for _, s := range byStep {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}

// flatten joins nested object keys with "/"; verl's file logger wraps the
// metrics as {"step": n, "data": {...}}, so "data" adds no prefix.
func flatten(dst map[string]any, prefix string, m map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "/" + k
		}
		if sub, ok := v.(map[string]any); ok {
			if prefix == "" && k == "data" {
				flatten(dst, "", sub)
			} else {
				flatten(dst, key, sub)
			}
			continue
		}
		dst[key] = v
	}
}

// normKey strips wandb CSV run prefixes ("run - metric") and OpenRLHF's
// "train/" prefix; it returns "" for wandb's __MIN/__MAX columns.
func normKey(k string) string {
	if i := strings.LastIndex(k, " - "); i >= 0 {
		k = k[i+3:]
	}
	if strings.HasSuffix(k, "__MIN") || strings.HasSuffix(k, "__MAX") {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(k), "train/")
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// fromRecord maps one flattened record to a StepLog.
func fromRecord(raw map[string]any, index int, override map[string]string) (StepLog, error) {
	m := make(map[string]any, len(raw))
	for k, v := range raw {
		if nk := normKey(k); nk != "" {
			if _, dup := m[nk]; !dup || nk == k {
				m[nk] = v
			}
		}
	}
	s := NewStepLog(index)
	v := reflect.ValueOf(&s).Elem()
	fieldByJSON := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fieldByJSON[name] = v.Field(i)
	}
	for _, col := range Columns {
		sources := col.Sources
		if o, ok := override[col.Field]; ok {
			sources = append([]string{o}, sources...)
		}
		for _, src := range sources {
			val, ok := m[src]
			if !ok {
				continue
			}
			x, ok := toFloat(val)
			if !ok {
				return StepLog{}, fmt.Errorf("column %q (%s) is %v, not a number", src, col.Field, val)
			}
			fv := fieldByJSON[col.Field]
			if fv.Kind() == reflect.Int {
				if x != math.Trunc(x) {
					return StepLog{}, fmt.Errorf("column %q (%s) = %v is not an integer", src, col.Field, x)
				}
				fv.SetInt(int64(x))
			} else {
				fv.SetFloat(x)
			}
			break
		}
	}
	// terse's own eval array.
	if ev, ok := raw["eval"]; ok {
		b, err := json.Marshal(ev)
		if err == nil {
			err = json.Unmarshal(b, &s.Eval)
		}
		if err != nil {
			return StepLog{}, fmt.Errorf("field eval: %w", err)
		}
	}
	// verl validation metrics: one point per data source, acc preferred
	// over reward over score (verl logs several for one source).
	rank := map[string]int{"acc": 0, "reward": 1, "score": 2}
	best := map[string]EvalPoint{}
	bestRank := map[string]int{}
	for k, val := range m {
		x, ok := toFloat(val)
		if !ok {
			continue
		}
		if g := verlVal.FindStringSubmatch(k); g != nil {
			kk, _ := strconv.Atoi(g[3])
			r := rank[g[2]]*1000 - kk // prefer acc, then the largest k
			if old, seen := bestRank[g[1]]; !seen || r < old {
				best[g[1]], bestRank[g[1]] = EvalPoint{Benchmark: g[1], K: kk, MeanAtK: x}, r
			}
		} else if g := verlValOld.FindStringSubmatch(k); g != nil {
			if _, seen := best[g[1]]; !seen {
				best[g[1]], bestRank[g[1]] = EvalPoint{Benchmark: g[1], K: 1, MeanAtK: x}, 1<<30
			}
		}
	}
	names := make([]string, 0, len(best))
	for k := range best {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s.Eval = append(s.Eval, best[k])
	}
	return s, nil
}
