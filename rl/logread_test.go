package rl

import (
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReadRunSamples maps each runlog sample (see rl/runlog's tests for the
// source each mirrors) to StepLog fields.
func TestReadRunSamples(t *testing.T) {
	type val struct {
		step  int
		field string
		get   func(StepLog) float64
		want  float64
	}
	F := func(name string) func(StepLog) float64 {
		return func(s StepLog) float64 { return fieldByJSON(reflectValue(&s), name).Float() }
	}
	evalAt := func(bench string) func(StepLog) float64 {
		return func(s StepLog) float64 {
			for _, e := range s.Eval {
				if e.Benchmark == bench {
					return e.MeanAtK
				}
			}
			return math.NaN()
		}
	}
	comp := func(c string) func(StepLog) float64 {
		return func(s StepLog) float64 {
			if v, ok := s.Rewards[c]; ok {
				return v
			}
			return math.NaN()
		}
	}
	tests := []struct {
		file       string
		opt        ReadOptions
		vals       []val
		mapped     map[string]string
		unmapped   []string // must be listed
		components []string
		accFrom    string
	}{
		{
			file: "verl_console_2024.log",
			vals: []val{
				{0, "entropy (actor/entropy_loss)", F("entropy"), 0.433},
				{0, "lr (actor/lr(1e-4) × 1e-4)", F("lr"), 1e-6},
				{3, "kl (critic/kl)", F("kl"), 0.001},
				{0, "held-out (val/test_score)", evalAt("openai/gsm8k"), 0.221},
				{4, "held-out (val/test_score)", evalAt("openai/gsm8k"), 0.45},
				{0, "mean_reward", F("mean_reward"), 0.004},
			},
			mapped:   map[string]string{"entropy": "actor/entropy_loss", "lr": "actor/lr(1e-4)", "kl": "critic/kl", "adv_abs_max": verlAdvMax + " & " + verlAdvMin},
			unmapped: []string{"critic/lr(1e-4)", "critic/vf_loss", "timing/gen", "prompt_length/mean"},
		},
		{
			file: "verl_console_2026.log",
			vals: []val{
				{0, "held-out (val-core acc)", evalAt("openai/gsm8k"), 0.4312},
				{10, "held-out (val-core acc)", evalAt("openai/gsm8k"), 0.5521},
				{1, "entropy", F("entropy"), 0.61},
				{1, "truncation_rate", F("truncation_rate"), 0.075},
				{1, "adv_abs_max", F("adv_abs_max"), 1.78},
				{1, "kl (actor/kl_loss, not ppo_kl)", F("kl"), 0.0005},
			},
			mapped:   map[string]string{"truncation_rate": "response_length/clip_ratio", "step_seconds": "timing_s/step"},
			unmapped: []string{"actor/ppo_kl", "global_seqlen/min", "val-aux/openai/gsm8k/reward/mean@1"},
		},
		{
			file: "verl_file.jsonl",
			vals: []val{{0, "held-out", evalAt("openai/gsm8k"), 0.4312}, {5, "mean_length", F("mean_length"), 712.5}},
		},
		{
			file: "trl_trainer_state.json",
			vals: []val{
				{5, "mean_length", F("mean_length"), 680},
				{5, "truncation_rate (completions/clipped_ratio)", F("truncation_rate"), 0.275},
				{10, "zero_std_frac", F("zero_std_frac"), 0.38},
				{10, "reward_std", F("reward_std"), 0.44},
				{10, "accuracy (rewards/accuracy_reward/mean)", F("accuracy"), 0.35},
				{10, "format_reward", comp("format_reward"), 0.55},
				{25, "held-out (eval_rewards/accuracy_reward/mean)", evalAt("eval"), 0.45},
				{5, "clip_frac (clip_ratio/region_mean)", F("clip_frac"), 0},
			},
			mapped:     map[string]string{"mean_length": "completions/mean_length", "truncation_rate": "completions/clipped_ratio", "accuracy": "rewards/accuracy_reward/mean", "loss": "loss"},
			unmapped:   []string{"num_tokens", "epoch", "eval_loss", "train_runtime", "completions/max_length"},
			components: []string{"accuracy_reward", "format_reward"},
			accFrom:    "rewards/accuracy_reward/mean",
		},
		{
			file: "trl_trainer_state.json", opt: ReadOptions{AccuracyColumn: "format_reward"},
			vals:    []val{{10, "accuracy (format_reward)", F("accuracy"), 0.55}, {25, "held-out (eval format)", evalAt("eval"), 0.625}},
			accFrom: "rewards/format_reward/mean",
		},
		{
			file: "trl_table_2025_02.tsv",
			vals: []val{
				{2, "mean_length (completion_length)", F("mean_length"), 376},
				{10, "accuracy (rewards/accuracy_reward)", F("accuracy"), 0.4},
				{3, "reward_std", F("reward_std"), 0.41},
			},
			mapped:     map[string]string{"mean_length": "completion_length", "loss": "loss"},
			components: []string{"accuracy_reward", "format_reward"},
		},
		{
			file: "trl_table_2025_08.md",
			vals: []val{{4, "truncation_rate", F("truncation_rate"), 1}, {10, "entropy", F("entropy"), 0.4}},
		},
		{
			file: "trl_console.log",
			vals: []val{{1, "mean_length", F("mean_length"), 470.5}, {3, "held-out", evalAt("eval"), 0.4}},
		},
		{
			file: "openrlhf_console.log",
			vals: []val{
				{2, "mean_length (response_length)", F("mean_length"), 782},
				{2, "truncation_rate", F("truncation_rate"), 0.0625},
				{2, "reward_std (group_reward_std)", F("reward_std"), 0.35},
				{2, "entropy (entropy_loss)", F("entropy"), 0.86},
				{5, "held-out (eval_math_pass1)", evalAt("math"), 0.41},
			},
			mapped:   map[string]string{"grad_norm": "actor_grad_norm", "pg_loss": "policy_loss"},
			unmapped: []string{"eval_math_pass4", "ppo_kl"},
		},
		{
			file: "openrlhf_wandb.csv",
			vals: []val{{1, "mean_length", F("mean_length"), 797}, {5, "held-out (eval/eval_math_pass1)", evalAt("math"), 0.41}},
		},
		{
			file: "wandb_history_records.json",
			vals: []val{{10, "mean_length", F("mean_length"), 500}, {50, "held-out", evalAt("eval"), 0.55}, {20, "zero_std_frac", F("zero_std_frac"), 0.25}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file+tc.opt.AccuracyColumn, func(t *testing.T) {
			steps, info, err := ReadRunFile(filepath.Join("runlog", "testdata", tc.file), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			by := map[int]StepLog{}
			for _, s := range steps {
				by[s.Step] = s
			}
			for _, v := range tc.vals {
				s, ok := by[v.step]
				if got := v.get(s); !ok || math.Abs(got-v.want) > 1e-9 {
					t.Errorf("step %d %s = %v, want %v", v.step, v.field, got, v.want)
				}
			}
			for f, src := range tc.mapped {
				if info.Mapped[f] != src {
					t.Errorf("mapped[%s] = %q, want %q", f, info.Mapped[f], src)
				}
			}
			for _, u := range tc.unmapped {
				if !slices.Contains(info.Unmapped, u) {
					t.Errorf("%q not listed as unmapped: %v", u, info.Unmapped)
				}
			}
			for _, m := range info.Mapped {
				if slices.Contains(info.Unmapped, m) {
					t.Errorf("%q both mapped and unmapped", m)
				}
			}
			if tc.components != nil && !slices.Equal(info.RewardComponents, tc.components) {
				t.Errorf("components %v, want %v", info.RewardComponents, tc.components)
			}
			if tc.accFrom != "" && info.AccuracyFrom != tc.accFrom {
				t.Errorf("accuracy from %q, want %q", info.AccuracyFrom, tc.accFrom)
			}
		})
	}
}

func TestReadRunAccuracyColumnErrors(t *testing.T) {
	p := filepath.Join("runlog", "testdata", "trl_trainer_state.json")
	_, _, err := ReadRunFile(p, ReadOptions{AccuracyColumn: "nope"})
	if err == nil || !strings.Contains(err.Error(), "accuracy_reward, format_reward") {
		t.Errorf("unknown accuracy column: %v", err)
	}
	// Two components, neither named for correctness: a note says so.
	in := `{"step":1,"rewards/len_reward/mean":0.5,"rewards/fmt_reward/mean":1}` + "\n"
	_, info, err := ReadRun([]byte(in), "x", ReadOptions{})
	if err != nil || len(info.Notes) == 0 || !strings.Contains(strings.Join(info.Notes, " "), "--accuracy-column") {
		t.Errorf("notes %v, err %v", info.Notes, err)
	}
}

func reflectValue(s *StepLog) reflect.Value { return reflect.ValueOf(s).Elem() }
