package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/modelserver"
)

// serveModel serves m over terse's OpenAI-compatible server (the plain
// chat template: the lab models' format) and returns its base URL.
func serveModel(t *testing.T, m *model.Model, tok tokenizer.Tokenizer) string {
	t.Helper()
	srv, err := modelserver.New(modelserver.Options{Model: m, Tokenizer: tok, ModelName: "lab", ChatTemplate: modelserver.ChatTemplatePlain})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return hs.URL
}

// tokensBySample maps "problem#sample" to completion_tokens/finish_reason.
func tokensBySample(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := store.Scan(path, nil, func(_ int, r *eval.Rollout) error {
		out[fmt.Sprintf("%s#%d", r.ProblemID, r.Sample)] = fmt.Sprintf("%d/%s", r.CompletionTokens, r.FinishReason)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProfileThroughServe profiles a lab training split through `terse
// serve`'s server with a real (untrained, micro) lab model, resumes it, and
// checks that in-process sampling of the saved checkpoint draws the very
// same rollouts (same seeds, same prompt tokens, same engine).
func TestProfileThroughServe(t *testing.T) {
	tok, err := lab.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := lab.BaseConfig("micro", tok.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(11, 0.5)
	ckpt := filepath.Join(t.TempDir(), "micro")
	if err := checkpoint.Save(ckpt, m, tok); err != nil {
		t.Fatal(err)
	}
	url := serveModel(t, m, tok)
	common := []string{"--input", "lab-train:add:8:2", "-n", "4", "--rollout-limit", "40", "--target-len", "20",
		"--temperature", "1", "--top-p", "1", "--top-k", "0", "--quiet", "--json"}
	served := t.TempDir()
	out, _, err := runCLI(t, append([]string{"profile", "--model", "lab", "--endpoint", url, "--out", served}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	sum := readSummary(t, out)
	if sum.Prompts != 8 || sum.Rollouts != 32 || sum.Failed != 0 || sum.RolloutLimit != 40 {
		t.Fatalf("served profile summary %+v", sum)
	}
	got := tokensBySample(t, filepath.Join(served, data.RolloutsFile))
	for k, v := range got {
		var n int
		var fin string
		fmt.Sscanf(strings.Replace(v, "/", " ", 1), "%d %s", &n, &fin)
		if n < 1 || n > 40 || (fin == eval.FinishLength && n != 40) {
			t.Errorf("%s: %s: want 1..40 tokens, length-cut only at 40", k, v)
		}
	}
	// Resume: the same command sends nothing new.
	_, errOut, err := runCLI(t, append([]string{"profile", "--model", "lab", "--endpoint", url, "--out", served}, common[:len(common)-2]...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "32 from the store, 0 sampled") {
		t.Errorf("resumed run's report: %s", errOut)
	}
	if again := tokensBySample(t, filepath.Join(served, data.RolloutsFile)); len(again) != 32 {
		t.Errorf("resumed run changed the store: %d samples", len(again))
	}
	local := t.TempDir()
	if _, _, err := runCLI(t, append([]string{"profile", "--checkpoint", ckpt, "--concurrency", "8", "--out", local}, common...)...); err != nil {
		t.Fatal(err)
	}
	want := tokensBySample(t, filepath.Join(local, data.RolloutsFile))
	same := 0
	for k, v := range want {
		if got[k] == v {
			same++
		}
	}
	if same != len(want) {
		t.Errorf("in-process and served rollouts agree on %d of %d samples (tokens/finish): served %v, local %v", same, len(want), got, want)
	}
}

// TestLabBaseEasyResampled is the lab check of the difficulty split with a
// real trained model: profile a lab training split through terse serve,
// select Easy and Hard, and sample both sets again with another seed. The
// Easy set must have the higher pass rate on fresh rollouts. It uses the
// shipped lab base model (lab.LoadModel("lab-base")); TERSE_LAB_BASE=<checkpoint
// dir> tests another one instead, and TERSE_LAB_PROMPTS sets the split size
// [labBaseProfilePrompts].
func TestLabBaseEasyResampled(t *testing.T) {
	if testing.Short() {
		t.Skip("samples 8 rollouts per prompt from the lab base model")
	}
	var (
		m   *model.Model
		tok tokenizer.Tokenizer
		err error
	)
	if dir := os.Getenv("TERSE_LAB_BASE"); dir != "" {
		m, tok, err = checkpoint.Load(dir)
	} else {
		m, tok, err = lab.LoadModel("lab-base")
	}
	if err != nil {
		t.Fatal(err)
	}
	n := labBaseProfilePrompts
	if s := os.Getenv("TERSE_LAB_PROMPTS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("TERSE_LAB_PROMPTS=%q: %v", s, err)
		}
	}
	url := serveModel(t, m, tok)
	prof := t.TempDir()
	args := []string{"--model", "lab-base", "--endpoint", url, "-n", "8", "--rollout-limit", "512", "--quiet", "--json", "--concurrency", "64"}
	out, _, err := runCLI(t, append([]string{"profile", "--input", fmt.Sprintf("lab-train:all:%d:7", n), "--out", prof}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	full := readSummary(t, out)
	t.Logf("profile: %d prompts, mean pass rate %.3f, Easy %d, Hard %d, never %d, all %d",
		full.Prompts, full.MeanPassRate, full.Easy, full.Hard, full.NeverSolved, full.AllSolved)
	if full.Easy < 10 || full.Hard < 10 {
		t.Fatalf("the base model's split is too lopsided to compare (%d Easy, %d Hard)", full.Easy, full.Hard)
	}
	again := func(flag string) data.Summary {
		path := filepath.Join(t.TempDir(), flag+".jsonl")
		if _, _, err := runCLI(t, "select", "--profile", prof, "--"+flag, "--format", "terse", "--out", path); err != nil {
			t.Fatal(err)
		}
		out, _, err := runCLI(t, append([]string{"profile", "--input", path, "--problem-field", "question", "--answer-field", "gold",
			"--id-field", "id", "--template", "{question}", "--seed", "1000", "--out", t.TempDir()}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return readSummary(t, out)
	}
	e, h := again("easy"), again("hard")
	t.Logf("fresh rollouts (seed 1000): Easy %d prompts pass rate %.3f, Hard %d prompts %.3f", e.Prompts, e.MeanPassRate, h.Prompts, h.MeanPassRate)
	if e.MeanPassRate <= h.MeanPassRate {
		t.Errorf("Easy set's fresh pass rate %.3f ≤ Hard set's %.3f", e.MeanPassRate, h.MeanPassRate)
	}
}

// labBaseProfilePrompts is TestLabBaseEasyResampled's default split size:
// enough prompts for ≥ 10 Easy and ≥ 10 Hard with the shipped lab base.
const labBaseProfilePrompts = 120

// TestProfileCheckpointLabName checks that --checkpoint accepts a shipped lab
// model by name and that an unknown name is still an error.
func TestProfileCheckpointLabName(t *testing.T) {
	out, _, err := runCLI(t, "profile", "--input", "lab-train:add:4:3", "--checkpoint", "lab-base", "-n", "2",
		"--rollout-limit", "300", "--quiet", "--json", "--out", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s := readSummary(t, out); s.Prompts != 4 {
		t.Errorf("profiled %d prompts, want 4", s.Prompts)
	}
	if _, _, err := runCLI(t, "profile", "--input", "lab-train:add:4:3", "--checkpoint", "no-such-lab-model", "--quiet", "--out", t.TempDir()); err == nil {
		t.Error("--checkpoint no-such-lab-model: no error")
	}
}
