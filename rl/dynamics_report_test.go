package rl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReportDynamics(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "steps.jsonl")
	var buf bytes.Buffer
	if err := WriteSteps(&buf, stale.logs(1)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(log, buf.Bytes(), 0o644)
	page := filepath.Join(dir, "dyn.html")
	var out bytes.Buffer
	err := ReportDynamics(&out, DynamicsOptions{Log: log, JSON: true, HTML: page, Diagnose: DiagnoseOptions{TargetLen: 256, Staleness: 4}})
	if err != nil {
		t.Fatal(err)
	}
	var d Diagnosis
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out.String())
	}
	if !d.Has(LengthRebound) || !d.Has(EntropyExplosion) || d.RefinementStart < 0 {
		t.Errorf("diagnosis %+v", d)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte("length_rebound")) {
		t.Errorf("HTML page: %v", err)
	}
	out.Reset()
	if err := ReportDynamics(&out, DynamicsOptions{Log: log}); err != nil || !strings.Contains(out.String(), "length_rebound:") {
		t.Errorf("text output %q: %v", out.String(), err)
	}
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	if err := ReportDynamics(&out, DynamicsOptions{Log: empty}); err == nil {
		t.Error("empty log accepted")
	}
}

// TestReportDynamicsIssueRun: the run of issue 19, as a TRL user has it (a
// trainer_state.json and the notebook table with old column names): 83 of
// 100 steps with every completion cut at the cap, 87 of 100 with
// reward_std = 0. Both no-signal findings must come out, and a healthy run
// in the same format must give none.
func TestReportDynamicsIssueRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 83))
	clipped, tied := scatter(rng, 100, 83), scatter(rng, 100, 87)
	type row struct{ clip, std, reward, length float64 }
	dead, healthy := make([]row, 100), make([]row, 100)
	for i := range 100 {
		dead[i] = row{0.4, 0.3, 0.2, 900}
		if clipped[i] {
			dead[i].clip, dead[i].length = 1, 1024
		}
		if tied[i] {
			dead[i].std, dead[i].reward = 0, 0
		}
		healthy[i] = row{0.05 + 0.02*rng.Float64(), 0.3 + 0.1*rng.Float64(), 0.3 + 0.003*float64(i), 700 - 2*float64(i)}
	}
	state := func(rows []row) []byte {
		var hist []map[string]any
		for i, r := range rows {
			hist = append(hist, map[string]any{"step": i + 1, "loss": 0.0, "grad_norm": 0.2, "learning_rate": 1e-6,
				"completions/mean_length": r.length, "completions/clipped_ratio": r.clip, "reward": r.reward, "reward_std": r.std,
				"rewards/accuracy_reward/mean": r.reward, "entropy": 0.5, "epoch": float64(i) / 100})
		}
		b, _ := json.MarshalIndent(map[string]any{"global_step": len(rows), "log_history": hist}, "", "  ")
		return b
	}
	table := func(rows []row) []byte {
		var b bytes.Buffer
		b.WriteString("Step\tTraining Loss\treward\treward_std\tcompletion_length\tkl\trewards / accuracy_reward\n")
		for i, r := range rows {
			fmt.Fprintf(&b, "%d\t0.000000\t%.6f\t%.6f\t%.6f\t0.000000\t%.6f\n", i+1, r.reward, r.std, r.length, r.reward)
		}
		return b.Bytes()
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want []FindingKind
	}{
		{"trainer_state.json", state(dead), []FindingKind{ZeroAdvantage, LengthCapSaturated}},
		{"healthy/trainer_state.json", state(healthy), nil},
		// The old table logs no clip ratio: zero advantage only.
		{"table.tsv", table(dead), []FindingKind{ZeroAdvantage}},
		{"healthy/table.tsv", table(healthy), nil},
	} {
		p := filepath.Join(dir, tc.name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, tc.data, 0o644)
		var out bytes.Buffer
		if err := ReportDynamics(&out, DynamicsOptions{Log: p, JSON: true}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var d Diagnosis
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		for _, k := range []FindingKind{ZeroAdvantage, LengthCapSaturated, RewardFlat, GradNormZero, EntropyCollapse, RewardHacking} {
			if want := slices.Contains(tc.want, k); d.Has(k) != want {
				t.Errorf("%s: %s found %v, want %v; findings %+v", tc.name, k, d.Has(k), want, d.Findings)
			}
		}
		if d.Log == nil || d.Log.Mapped["mean_reward"] != "reward" {
			t.Errorf("%s: log info %+v", tc.name, d.Log)
		}
	}
}
