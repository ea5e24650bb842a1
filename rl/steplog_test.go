package rl

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/terse-dev/terse/reward"
)

func TestStepLogJSON(t *testing.T) {
	s := NewStepLog(3)
	s.MeanLength = 120.5
	s.Entropy = 0.7
	s.Eval = []EvalPoint{{Benchmark: "lab-hard", Budget: 256, K: 4, MeanAtK: 0.5}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"step":3,"mean_length":120.5,"entropy":0.7,"eval":[{"benchmark":"lab-hard","budget":256,"k":4,"mean_at_k":0.5}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back StepLog
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Step != 3 || back.MeanLength != 120.5 || !math.IsNaN(back.KL) || len(back.Eval) != 1 {
		t.Errorf("round trip %+v", back)
	}
	if l := s.Line(); !strings.HasPrefix(l, "step 3  len 120 (+-/--)") || !strings.HasSuffix(l, "eval 256:0.500") {
		t.Errorf("line %q", l)
	}
}

func TestRolloutStats(t *testing.T) {
	groups := []reward.Group{
		{{Correct: true, Tokens: 10}, {Tokens: 20, Truncated: true}, {Correct: true, Tokens: 300}},
		{{Tokens: 5}, {Tokens: 50}},
	}
	outcomes := [][]reward.Outcome{
		{{Reward: 1}, {Reward: 0}, {Reward: 0}},
		{{Masked: true}, {Masked: true}},
	}
	s := NewStepLog(1)
	if err := RolloutStats(&s, groups, outcomes); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		"mean_length":        {s.MeanLength, 77},
		"truncation_rate":    {s.TruncationRate, 0.2},
		"accuracy":           {s.Accuracy, 0.4},
		"masked_rate":        {s.MaskedRate, 0.4},
		"mean_reward":        {s.MeanReward, 1.0 / 3},
		"pos_reward_density": {s.PosRewardDensity, 1.0 / 3},
		"pos_group_density":  {s.PosGroupDensity, 0.5},
		"mean_length_pos":    {s.MeanLengthPos, 10},
		"mean_length_neg":    {s.MeanLengthNeg, 160},
	}
	for k, v := range want {
		if math.Abs(v[0]-v[1]) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, v[0], v[1])
		}
	}
	if !math.IsNaN(s.Entropy) {
		t.Error("RolloutStats touched entropy")
	}
	if err := RolloutStats(&s, groups, outcomes[:1]); err == nil {
		t.Error("group count mismatch accepted")
	}
}

func TestReadStepsTerseRoundTrip(t *testing.T) {
	var steps []StepLog
	for i := range 3 {
		s := NewStepLog(i)
		s.MeanLength = float64(100 - i)
		s.Accuracy = 0.5
		steps = append(steps, s)
	}
	var buf bytes.Buffer
	if err := WriteSteps(&buf, steps); err != nil {
		t.Fatal(err)
	}
	// A resumed run repeats step 2: its records merge key by key, the
	// later value winning.
	buf.WriteString(`{"step":2,"mean_length":50}` + "\n\n")
	got, err := ReadSteps(&buf, "steps.jsonl", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].MeanLength != 100 || got[2].MeanLength != 50 || got[2].Accuracy != 0.5 || !math.IsNaN(got[2].Entropy) {
		t.Errorf("read %+v", got)
	}
}

func TestReadStepsVerl(t *testing.T) {
	// verl's file logger: {"step": n, "data": {metrics}}.
	in := `{"step": 1, "data": {"response_length/mean": 5000.0, "response_length/clip_ratio": 0.12, "actor/entropy": 0.9, "actor/pg_clipfrac": 0.002, "actor/kl_loss": 0.001, "actor/ppo_kl": 0.5, "actor/reward_kl_penalty": 0.3, "critic/score/mean": 0.4, "actor/grad_norm": 0.3, "actor/lr": 1e-6, "timing_s/step": 80.5, "val-core/math500/acc/mean@8": 0.8, "val-core/math500/reward/mean@8": 0.7, "val-core/aime25/reward/mean@8": 0.2, "val-aux/aime25/score/mean@8": 0.9}}
{"step": 2, "data": {"response_length/mean": 4000.0}}
`
	got, err := ReadSteps(strings.NewReader(in), "verl.jsonl", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if s.Step != 1 || s.MeanLength != 5000 || s.TruncationRate != 0.12 || s.Entropy != 0.9 || s.ClipFrac != 0.002 ||
		s.KL != 0.001 || s.MeanReward != 0.4 || s.GradNorm != 0.3 || s.LR != 1e-6 || s.StepSeconds != 80.5 {
		t.Errorf("verl mapping: %+v", s)
	}
	wantEval := []EvalPoint{{Benchmark: "aime25", K: 8, MeanAtK: 0.2}, {Benchmark: "math500", K: 8, MeanAtK: 0.8}}
	if !reflect.DeepEqual(s.Eval, wantEval) {
		t.Errorf("verl eval %+v, want %+v", s.Eval, wantEval)
	}
	if got[1].MeanLength != 4000 || !math.IsNaN(got[1].Entropy) {
		t.Errorf("step 2: %+v", got[1])
	}
}

func TestReadStepsOpenRLHFAndOverride(t *testing.T) {
	// OpenRLHF's wandb/JSON keys (ppo_actor.py, samples_generator.py); correct
	// comes from terse's reward server's extra_logs.
	in := `{"train/global_step": 10, "train/response_length": 812.0, "train/reward": 0.25, "train/entropy_loss": 1.1, "train/kl": 0.02, "train/ppo_clip_ratio": 0.01, "train/actor_lr": 5e-7, "train/actor_grad_norm": 0.7, "train/truncated": 0.125, "train/correct": 0.5, "train/my_len": 3}
`
	got, err := ReadSteps(strings.NewReader(in), "openrlhf.jsonl", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if s.Step != 10 || s.MeanLength != 812 || s.MeanReward != 0.25 || s.Entropy != 1.1 || s.KL != 0.02 || s.ClipFrac != 0.01 || s.LR != 5e-7 ||
		s.GradNorm != 0.7 || s.TruncationRate != 0.125 || s.Accuracy != 0.5 {
		t.Errorf("OpenRLHF mapping: %+v", s)
	}
	got, err = ReadSteps(strings.NewReader(in), "openrlhf.jsonl", ReadOptions{Columns: map[string]string{"mean_length": "my_len"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].MeanLength != 3 {
		t.Errorf("override: mean_length %v, want 3", got[0].MeanLength)
	}
}

func TestReadStepsCSV(t *testing.T) {
	// A wandb export: run-prefixed headers, __MIN/__MAX columns, blanks.
	in := "\ufeffStep,run1 - response_length/mean,run1 - response_length/mean__MIN,run1 - actor/entropy,run1 - critic/score/mean\n" +
		"1,900,1,0.8,0.3\n" +
		"2,850,2,,0.35\n"
	dir := t.TempDir()
	p := filepath.Join(dir, "wandb.csv")
	os.WriteFile(p, []byte(in), 0o644)
	got, err := ReadStepsFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Step != 1 || got[0].MeanLength != 900 || got[0].Entropy != 0.8 ||
		got[1].MeanLength != 850 || !math.IsNaN(got[1].Entropy) || got[1].MeanReward != 0.35 {
		t.Errorf("CSV: %+v", got)
	}
}

func TestReadStepsErrors(t *testing.T) {
	tests := []struct {
		in, format, want string
	}{
		{"{\"step\":1}\n{oops\n", "", "x:2"},
		{"{\"step\":1.5}\n", "", "not an integer"},
		{"{\"step\":1,\"mean_length\":\"long\"}\n", "", "not a number"},
		{"a,b\n", "parquet", "unknown format"},
	}
	for _, tc := range tests {
		_, err := ReadSteps(strings.NewReader(tc.in), "x", ReadOptions{Format: tc.format})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := ReadStepsFile("/nonexistent/steps.jsonl", ReadOptions{}); err == nil {
		t.Error("missing file accepted")
	}
}
