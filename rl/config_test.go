package rl

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultIsPaperProtocolAtLabScale(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Rollout.GroupSize != 8 || c.Loss.ClipLow != 0.2 || c.Loss.ClipHigh != 0.28 ||
		c.Loss.Agg != "token-mean" || c.Loss.KL != "none" || c.Loss.Staleness != 1 ||
		c.Reward.Shape != "truncation" || c.Rollout.RolloutLimit != c.Reward.TargetLen {
		t.Errorf("defaults drifted from the unified protocol: %+v", c)
	}
	p := PaperConfig()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Optim.LR != 1e-6 || p.Rollout.PromptsPerStep != 128 || p.Rollout.RolloutLimit != 16384 || p.Reward.TargetLen != 4096 || p.Run.Steps != 800 {
		t.Errorf("paper config %+v", p)
	}
}

func TestConfigTOMLRoundTrip(t *testing.T) {
	c := Default()
	c.Eval.Benchmarks = []string{"lab-easy", "lab-hard"}
	c.Loss.Staleness = 4
	c.Run.Seed = 12345
	dir := t.TempDir()
	path := filepath.Join(dir, "run.toml")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
	}
	data, _ := os.ReadFile(path)
	for _, k := range Keys() {
		if k[1] == "" {
			t.Errorf("%s has no doc", k[0])
		}
		if !strings.Contains(string(data), "# "+k[1]+"\n") {
			t.Errorf("saved config lacks the doc of %s", k[0])
		}
	}
	// Empty lists survive too.
	c.Eval.Benchmarks = nil
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(path); err != nil || len(got.Eval.Benchmarks) != 0 {
		t.Errorf("empty benchmarks: %v %v", got.Eval.Benchmarks, err)
	}
}

func TestConfigLoadPartial(t *testing.T) {
	dir := t.TempDir()
	toml := filepath.Join(dir, "a.toml")
	os.WriteFile(toml, []byte("[loss]\nclip_high = 0.3\nstaleness = 2\n[eval]\nbudgets = [100, 200]\n"), 0o644)
	yml := filepath.Join(dir, "a.yaml")
	os.WriteFile(yml, []byte("loss:\n  clip_high: 0.3\n  staleness: 2\neval:\n  budgets: [100, 200]\n"), 0o644)
	want := Default()
	want.Loss.ClipHigh = 0.3
	want.Loss.Staleness = 2
	want.Eval.Budgets = []int{100, 200}
	for _, p := range []string{toml, yml} {
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", filepath.Base(p), got, want)
		}
	}
}

func TestConfigLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"x.toml", "[loss]\nclip_hgh = 0.3\n", "loss.clip_hgh"},
		{"x.yaml", "loss:\n  clip_hgh: 0.3\n", "clip_hgh"},
		{"y.toml", "[loss]\nclip_low = 1.5\n", "ClipLow"},
		{"z.toml", "[loss]\nagg = \"sum\"\n", "loss.agg"},
		{"b.toml", "[eval]\nbudgets = [200, 100]\n", "eval.budgets"},
		{"s.toml", "[loss]\nstaleness = 17\n", "loss.staleness"},
		{"p.toml", "[loss\n", "p.toml"},
		{"x.json", "{}", "unknown extension"},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err %v, want it to mention %q", tc.name, tc.body, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestConfigSet(t *testing.T) {
	c := Default()
	err := c.SetAll([]string{"loss.clip_high=0.35", "loss.norm_std=false", "eval.budgets=32, 64", "eval.benchmarks=a,b", "run.seed=9", "reward.shape=laser"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Loss.ClipHigh != 0.35 || c.Loss.NormStd || !reflect.DeepEqual(c.Eval.Budgets, []int{32, 64}) ||
		!reflect.DeepEqual(c.Eval.Benchmarks, []string{"a", "b"}) || c.Run.Seed != 9 {
		t.Errorf("overrides not applied: %+v", c)
	}
	for _, bad := range []string{"loss.clip_hi=1", "loss.staleness=two", "noequals", "loss.kl=k2"} {
		c := Default()
		if err := c.SetAll([]string{bad}); err == nil {
			t.Errorf("override %q accepted", bad)
		}
	}
}

func TestRewardSpec(t *testing.T) {
	tests := []struct{ shape, want string }{
		{"truncation", "truncation:target=256"},
		{"truncation-LC", "truncation-LC:target=256"},
		{"vanilla", "vanilla"},
		{"kimi", "kimi:alpha=0.4"},
		{"laser", "laser:target=256,alpha=0.4"},
		{"laser-d", "laser-d:target=256,alpha=0.4"},
		{"adaptive", "adaptive:target=256"},
		{"truncation:target=100", "truncation:target=100"},
	}
	for _, tc := range tests {
		c := Default()
		c.Reward.Shape = tc.shape
		if got := c.RewardSpec(); got != tc.want {
			t.Errorf("RewardSpec(%q) = %q, want %q", tc.shape, got, tc.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("shape %q: %v", tc.shape, err)
		}
	}
	c := Default()
	c.Reward.Shape = "lenient"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "reward.shape") {
		t.Errorf("unknown shape: %v", err)
	}
}

func TestWriteTOMLDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	Default().WriteTOML(&a)
	Default().WriteTOML(&b)
	if a.String() != b.String() {
		t.Error("WriteTOML is not deterministic")
	}
}
