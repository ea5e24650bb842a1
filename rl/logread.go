package rl

import (
	"encoding/json"
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

	"github.com/terse-dev/terse/rl/runlog"
)

// Column maps one StepLog field to the names trainers log it under; the
// first name present in a record wins. Names are matched after clean-up
// (see cleanKey): a leading "train/" (the wandb prefix of OpenRLHF and
// TRL) is dropped, "eval/" becomes "eval_", and a unit suffix such as
// old verl's "actor/lr(1e-4)" is multiplied out.
type Column struct {
	Field   string   // StepLog JSON name
	Sources []string // source column names, in order of preference
}

// Columns is the column mapping of ReadRun. After terse's own names come:
//
// verl (verl/trainer/ppo/metric_utils.py, ray_trainer.py,
// workers/actor/dp_actor.py, checked against b178a3cd, Jan 2026; older
// names from 30911f13–b40afd4b, Dec 2024): verl logs no correct/incorrect
// lengths, no accuracy apart from its score, no reward std. Its
// actor/ppo_kl is KL(old ‖ new), not KL to the reference, so it is not
// mapped; critic/kl is the name before April 2025 of actor/reward_kl_penalty;
// actor/entropy_loss the old name of actor/entropy.
//
// TRL's GRPOTrainer (trl/trainer/grpo_trainer.py, checked against
// f2cd5771, Jul 2026, and its history): completion_length until March 2025,
// mean_completion_length / clipped_completions_ratio for two days of April
// 2025, completions/mean_length and completions/clipped_ratio since; reward_std
// is the mean within-group std until August 2025 and the std over the batch
// after; frac_reward_zero_std (since May 2025) the share of groups whose
// rewards are all equal; clip_ratio is the policy-ratio clip, not
// truncation (clip_ratio/region_mean since May 2025); loss is the total
// loss, KL term included.
//
// OpenRLHF (openrlhf/trainer/ppo_trainer.py, trainer/ray/ppo_actor.py,
// trainer/ppo_utils/experience_maker.py, checked against 3c3be623, Aug
// 2026): group_reward_std is the mean within-group std; entropy_loss is the
// mean entropy, logged when --entropy_coef is set; "correct" comes from
// terse's own reward server (extra_logs).
var Columns = []Column{
	{"mean_length", []string{"mean_length", "response_length/mean", "completions/mean_length", "mean_completion_length", "completion_length", "response_length", "rollout/response_length_mean"}},
	{"mean_length_pos", []string{"mean_length_pos", "response_length/correct/mean", "correct_response_length"}},
	{"mean_length_neg", []string{"mean_length_neg", "response_length/incorrect/mean", "incorrect_response_length"}},
	{"truncation_rate", []string{"truncation_rate", "response_length/clip_ratio", "completions/clipped_ratio", "clipped_completions_ratio", "rollout/truncated_rate", "truncated", "response_clip_ratio"}},
	{"mean_reward", []string{"mean_reward", "critic/score/mean", "critic/rewards/mean", "reward", "rollout/reward_mean"}},
	{"reward_std", []string{"reward_std", "group_reward_std", "rollout/reward_std"}},
	{"zero_std_frac", []string{"zero_std_frac", "frac_reward_zero_std"}},
	{"accuracy", []string{"accuracy", "acc", "correct"}},
	{"pos_reward_density", []string{"pos_reward_density"}},
	{"pos_group_density", []string{"pos_group_density"}},
	{"masked_rate", []string{"masked_rate"}},
	{"target_len", []string{"target_len"}},
	{"entropy", []string{"entropy", "actor/entropy", "actor/entropy_loss", "entropy_loss"}},
	{"kl", []string{"kl", "actor/kl_loss", "actor/reward_kl_penalty", "critic/kl"}},
	{"clip_frac", []string{"clip_frac", "actor/pg_clipfrac", "ppo_clip_ratio", "clip_ratio/region_mean", "clip_ratio"}},
	{"grad_norm", []string{"grad_norm", "actor/grad_norm", "actor_grad_norm"}},
	{"lr", []string{"lr", "actor/lr", "actor_lr", "learning_rate"}},
	{"pg_loss", []string{"pg_loss", "actor/pg_loss", "policy_loss"}},
	{"loss", []string{"loss"}},
	{"step_seconds", []string{"step_seconds", "timing_s/step", "perf/time_per_step", "timing/step_total"}},
}

// verl's advantage range (critic/advantages/max and /min) gives
// adv_abs_max, the largest |advantage| of the batch.
const verlAdvMax, verlAdvMin = "critic/advantages/max", "critic/advantages/min"

var (
	// verl's validation metrics: val-core/<data source>/<var>/mean@<k> (var
	// is acc when the reward function returns one, else reward; verl files
	// other variables under val-aux), and the older val/test_score/<source>.
	verlVal    = regexp.MustCompile(`^val-core/(.+)/(acc|reward)/mean@(\d+)$`)
	verlValOld = regexp.MustCompile(`^val/test_score/(.+)$`)
	// OpenRLHF's evaluation: eval_<data source>_pass1 (mean accuracy over
	// the samples; _pass<n> is pass@n and is not used).
	orlEval = regexp.MustCompile(`^eval_(.+)_pass1$`)
	// TRL's reward functions: rewards/<fn>/mean (since March 2025) or
	// rewards/<fn> (before).
	trlReward = regexp.MustCompile(`^rewards/([^/]+)(/mean)?$`)
	// A unit suffix: "actor/lr(1e-4)" logs lr·1e4.
	unitSuffix = regexp.MustCompile(`^(.+)\((1e-?\d+)\)$`)
)

// ReadOptions control ReadRun.
type ReadOptions struct {
	// Format is a runlog format (jsonl, csv, verl-console, trl-state,
	// trl-table, trl-console, openrlhf-console, wandb-json; "json" means
	// jsonl) or "" (auto: .csv files are CSV, the rest detected from the
	// content).
	Format string
	// Columns maps StepLog JSON names to source column names, ahead of the
	// built-in Columns (e.g. {"mean_length": "my/len"}).
	Columns map[string]string
	// AccuracyColumn names the column, or the reward component (TRL's
	// rewards/<fn>), that measures correctness; it feeds accuracy, and its
	// eval_ twin the held-out accuracy. "" picks the one reward component
	// whose name says accuracy or correct, if exactly one does.
	AccuracyColumn string
	// Warnf receives warnings (a torn last line skipped); nil discards them.
	Warnf func(format string, args ...any)
}

// LogInfo says how a log was read: its format, which column fed each
// field, and what was left unread.
type LogInfo struct {
	Path             string            `json:"path"`
	Format           string            `json:"format"`
	StepKey          string            `json:"step_key"` // "" when numbered by position
	Records          int               `json:"records"`
	Mapped           map[string]string `json:"mapped"`   // StepLog field → source column
	Unmapped         []string          `json:"unmapped"` // columns no field or detector reads
	RewardComponents []string          `json:"reward_components,omitempty"`
	AccuracyFrom     string            `json:"accuracy_from,omitempty"` // the column accuracy came from
	EvalFrom         string            `json:"eval_from,omitempty"`     // the columns held-out accuracy came from
	Notes            []string          `json:"notes,omitempty"`
}

// ReadStepsFile reads a step log (see ReadRunFile) and returns its steps.
func ReadStepsFile(path string, opt ReadOptions) ([]StepLog, error) {
	steps, _, err := ReadRunFile(path, opt)
	return steps, err
}

// ReadSteps reads a step log from r (see ReadRun); name labels errors.
func ReadSteps(r io.Reader, name string, opt ReadOptions) ([]StepLog, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rl: %s: %w", name, err)
	}
	steps, _, err := ReadRun(data, name, opt)
	return steps, err
}

// ReadRunFile reads the training log at path: terse's steps.jsonl, or any
// log runlog reads (verl console or file logger, TRL trainer_state.json,
// table or console, OpenRLHF console, wandb CSV/JSON exports).
func ReadRunFile(path string, opt ReadOptions) ([]StepLog, LogInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, LogInfo{}, fmt.Errorf("rl: %w", err)
	}
	if opt.Format == "" && strings.EqualFold(filepath.Ext(path), ".csv") {
		opt.Format = string(runlog.CSV)
	}
	return ReadRun(data, path, opt)
}

// ReadRun parses a training log and maps its columns to StepLog fields
// (Columns, opt.Columns first). Steps come back sorted, one per step: lines
// of the same step are merged, a later value winning (a resumed run, a
// validation line). Mapped columns must hold numbers.
func ReadRun(data []byte, name string, opt ReadOptions) ([]StepLog, LogInfo, error) {
	format := runlog.Format(opt.Format)
	if opt.Format == "json" {
		format = runlog.JSONL
	}
	lg, err := runlog.Parse(data, name, format)
	if err != nil {
		return nil, LogInfo{}, fmt.Errorf("rl: %w", err)
	}
	if lg.TornLine > 0 && opt.Warnf != nil {
		opt.Warnf("rl: %s:%d: incomplete last line (likely an interrupted write) ignored", name, lg.TornLine)
	}
	return mapLog(lg, name, opt)
}

// cleanKey normalises a logged key (see Column) and returns the factor its
// value is multiplied by.
func cleanKey(k string) (string, float64) {
	k = strings.TrimPrefix(k, "train/")
	if rest, ok := strings.CutPrefix(k, "eval/"); ok {
		k = "eval_" + strings.TrimPrefix(rest, "eval_")
	}
	if m := unitSuffix.FindStringSubmatch(k); m != nil {
		if f, err := strconv.ParseFloat(m[2], 64); err == nil && f > 0 {
			return m[1], f
		}
	}
	return k, 1
}

// mapLog turns runlog records into StepLogs.
func mapLog(lg *runlog.Log, name string, opt ReadOptions) ([]StepLog, LogInfo, error) {
	info := LogInfo{Path: name, Format: string(lg.Format), StepKey: lg.StepKey, Records: len(lg.Records), Mapped: map[string]string{}, Notes: slices.Clone(lg.Notes)}
	if lg.Repeated > 0 {
		info.Notes = append(info.Notes, fmt.Sprintf("%d record(s) repeated an earlier step and were merged into it, later values winning (validation lines, repeated lines, a resumed run)", lg.Repeated))
	}
	// Clean keys once, remembering the original names for the report.
	type rec struct {
		step  int
		line  int
		m     map[string]float64
		other map[string]json.RawMessage
	}
	recs := make([]rec, len(lg.Records))
	orig := map[string]string{} // clean key → logged key
	for i, r := range lg.Records {
		m := make(map[string]float64, len(r.Metrics))
		for k, v := range r.Metrics {
			ck, f := cleanKey(k)
			if _, dup := m[ck]; dup && ck != k {
				continue // an exact name beats a cleaned one
			}
			m[ck] = v * f
			orig[ck] = k
		}
		other := map[string]json.RawMessage{}
		for k, v := range r.Other {
			ck, _ := cleanKey(k)
			other[ck] = v
			orig[ck] = k
		}
		recs[i] = rec{r.Step, r.Line, m, other}
	}
	keys := map[string]bool{}
	for _, r := range recs {
		for k := range r.m {
			keys[k] = true
		}
	}

	// Reward components.
	comp := map[string]string{} // component → its column
	for k := range keys {
		if g := trlReward.FindStringSubmatch(k); g != nil {
			if old, ok := comp[g[1]]; !ok || strings.HasSuffix(k, "/mean") && !strings.HasSuffix(old, "/mean") {
				comp[g[1]] = k
			}
		}
	}
	for c := range comp {
		info.RewardComponents = append(info.RewardComponents, c)
	}
	sort.Strings(info.RewardComponents)

	// The accuracy column.
	override := map[string]string{}
	for f, src := range opt.Columns {
		override[f] = src
	}
	accComp := ""
	if a := opt.AccuracyColumn; a != "" {
		switch {
		case keys[a]:
			override["accuracy"] = a
			if g := trlReward.FindStringSubmatch(a); g != nil {
				accComp = g[1]
			}
		case comp[a] != "":
			override["accuracy"], accComp = comp[a], a
		default:
			return nil, info, fmt.Errorf("rl: %s: accuracy column %q is neither a column nor a reward component (components: %s)",
				name, a, strings.Join(info.RewardComponents, ", "))
		}
	} else if _, set := override["accuracy"]; !set && !hasAny(keys, "accuracy", "acc", "correct") {
		var cands []string
		for _, c := range info.RewardComponents {
			if lc := strings.ToLower(c); strings.Contains(lc, "accura") || strings.Contains(lc, "correct") {
				cands = append(cands, c)
			}
		}
		if len(cands) == 1 {
			override["accuracy"], accComp = comp[cands[0]], cands[0]
			info.Notes = append(info.Notes, fmt.Sprintf("accuracy is the reward component %q (set --accuracy-column to choose another)", cands[0]))
		} else if len(info.RewardComponents) > 1 {
			info.Notes = append(info.Notes, fmt.Sprintf("%d reward components (%s) and none named for correctness: set --accuracy-column to say which one is", len(info.RewardComponents), strings.Join(info.RewardComponents, ", ")))
		}
	}
	for f, src := range override {
		if !slices.ContainsFunc(Columns, func(c Column) bool { return c.Field == f }) {
			return nil, info, fmt.Errorf("rl: column override %q=%q: no such field", f, src)
		}
	}

	used := map[string]bool{}
	fieldCount := map[string]map[string]int{} // field → source → records
	steps := make([]StepLog, 0, len(recs))
	for _, r := range recs {
		s := NewStepLog(r.step)
		v := reflect.ValueOf(&s).Elem()
		for _, col := range Columns {
			sources := col.Sources
			if o, ok := override[col.Field]; ok {
				sources = append([]string{o}, sources...)
			}
			for _, src := range sources {
				x, ok := r.m[src]
				if !ok {
					if raw, bad := r.other[src]; bad {
						return nil, info, fmt.Errorf("rl: %s:%d: column %q (%s) is %s, not a number", name, r.line, orig[src], col.Field, raw)
					}
					continue
				}
				fieldByJSON(v, col.Field).SetFloat(x)
				used[src] = true
				if fieldCount[col.Field] == nil {
					fieldCount[col.Field] = map[string]int{}
				}
				fieldCount[col.Field][src]++
				break
			}
			for _, src := range col.Sources {
				if _, ok := r.m[src]; ok {
					used[src] = true // an alternative name: known, not unmapped
				}
			}
		}
		// verl's advantage range.
		if hi, ok := r.m[verlAdvMax]; ok {
			if lo, ok := r.m[verlAdvMin]; ok {
				s.AdvAbsMax = max(math.Abs(hi), math.Abs(lo))
				used[verlAdvMax], used[verlAdvMin] = true, true
				if fieldCount["adv_abs_max"] == nil {
					fieldCount["adv_abs_max"] = map[string]int{}
				}
				fieldCount["adv_abs_max"][verlAdvMax+" & "+verlAdvMin]++
			}
		}
		// Reward components.
		for c, k := range comp {
			if x, ok := r.m[k]; ok {
				if s.Rewards == nil {
					s.Rewards = map[string]float64{}
				}
				s.Rewards[c] = x
			}
		}
		// Held-out accuracy.
		ev, srcs, err := evalPoints(r.m, r.other, accComp)
		if err != nil {
			return nil, info, fmt.Errorf("rl: %s:%d: %w", name, r.line, err)
		}
		s.Eval = ev
		for _, k := range srcs {
			used[k] = true
		}
		steps = append(steps, s)
	}
	for k := range keys {
		if trlReward.MatchString(k) || strings.HasPrefix(k, "rewards/") && strings.HasSuffix(k, "/std") {
			used[k] = true
		}
	}

	for f, counts := range fieldCount {
		best, n := "", -1
		for src, c := range counts {
			if c > n || c == n && src < best {
				best, n = src, c
			}
		}
		info.Mapped[f] = orig[best]
		if strings.Contains(best, " & ") {
			info.Mapped[f] = best
		}
		if len(counts) > 1 {
			info.Notes = append(info.Notes, fmt.Sprintf("%s comes from several columns (%s): the first present in each record wins", f, strings.Join(sortedKeys(counts), ", ")))
		}
	}
	if src, ok := info.Mapped["accuracy"]; ok {
		info.AccuracyFrom = src
	}
	evalSrc := map[string]bool{}
	for _, r := range recs {
		_, srcs, _ := evalPoints(r.m, r.other, accComp)
		for _, k := range srcs {
			evalSrc[orig[k]] = true
		}
	}
	info.EvalFrom = strings.Join(sortedKeys(evalSrc), ", ")
	for k := range keys {
		if !used[k] {
			info.Unmapped = append(info.Unmapped, orig[k])
		}
	}
	for k := range recs[0].other {
		if k != "eval" && !used[k] {
			info.Unmapped = append(info.Unmapped, orig[k])
		}
	}
	sort.Strings(info.Unmapped)
	info.Unmapped = slices.Compact(info.Unmapped)
	if len(info.Unmapped) == 0 {
		info.Unmapped = []string{}
	}
	return steps, info, nil
}

func hasAny(keys map[string]bool, names ...string) bool {
	for _, n := range names {
		if keys[n] {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fieldByJSON returns the StepLog field with JSON name name.
func fieldByJSON(v reflect.Value, name string) reflect.Value {
	for i := range v.NumField() {
		if n, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i)
		}
	}
	panic("rl: no StepLog field " + name)
}

// evalPoints collects one step's held-out accuracy: terse's eval array,
// verl's validation metrics (one point per data source, acc preferred over
// reward, then the largest k), OpenRLHF's eval_<source>_pass1, and TRL's
// eval_rewards/<accuracy component>/mean. It returns the columns it read.
func evalPoints(m map[string]float64, other map[string]json.RawMessage, accComp string) ([]EvalPoint, []string, error) {
	var out []EvalPoint
	var srcs []string
	if raw, ok := other["eval"]; ok {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, nil, fmt.Errorf("field eval: %w", err)
		}
		srcs = append(srcs, "eval")
	}
	rank := map[string]int{"acc": 0, "reward": 1}
	best := map[string]EvalPoint{}
	bestRank := map[string]int{}
	bestSrc := map[string]string{}
	for k, x := range m {
		switch g := verlVal.FindStringSubmatch(k); {
		case g != nil:
			kk, _ := strconv.Atoi(g[3])
			r := rank[g[2]]*1000 - kk // prefer acc, then the largest k
			if old, seen := bestRank[g[1]]; !seen || r < old {
				best[g[1]], bestRank[g[1]], bestSrc[g[1]] = EvalPoint{Benchmark: g[1], K: kk, MeanAtK: x}, r, k
			}
		case verlValOld.MatchString(k):
			src := verlValOld.FindStringSubmatch(k)[1]
			if _, seen := best[src]; !seen {
				best[src], bestRank[src], bestSrc[src] = EvalPoint{Benchmark: src, K: 1, MeanAtK: x}, 1<<30, k
			}
		case orlEval.MatchString(k):
			src := orlEval.FindStringSubmatch(k)[1]
			best[src], bestSrc[src] = EvalPoint{Benchmark: src, K: 1, MeanAtK: x}, k
		case accComp != "" && (k == "eval_rewards/"+accComp+"/mean" || k == "eval_rewards/"+accComp):
			best["eval"], bestSrc["eval"] = EvalPoint{Benchmark: "eval", MeanAtK: x}, k
		}
	}
	for _, b := range sortedKeys(best) {
		out = append(out, best[b])
		srcs = append(srcs, bestSrc[b])
	}
	return out, srcs, nil
}

// writeText writes how the log was read: format, the mapped columns, the
// reward components, the unmapped columns and the notes.
func (l *LogInfo) writeText(b *strings.Builder) {
	step := l.StepKey
	if step == "" {
		step = "position"
	}
	fmt.Fprintf(b, "log %s: %s, %d records, steps from %s\n", l.Path, l.Format, l.Records, step)
	if len(l.Mapped) > 0 {
		parts := make([]string, 0, len(l.Mapped))
		for _, f := range sortedKeys(l.Mapped) {
			parts = append(parts, f+" ← "+l.Mapped[f])
		}
		fmt.Fprintf(b, "mapped: %s\n", strings.Join(parts, ", "))
	}
	if len(l.RewardComponents) > 0 {
		fmt.Fprintf(b, "reward components: %s\n", strings.Join(l.RewardComponents, ", "))
	}
	if l.EvalFrom != "" {
		fmt.Fprintf(b, "held-out accuracy from: %s\n", l.EvalFrom)
	}
	if len(l.Unmapped) > 0 {
		fmt.Fprintf(b, "unmapped (%d, use --column FIELD=SOURCE to map one): %s\n", len(l.Unmapped), strings.Join(l.Unmapped, ", "))
	}
	for _, n := range l.Notes {
		fmt.Fprintf(b, "note: %s\n", n)
	}
}
