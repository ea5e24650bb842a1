package rl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRenderDynamicsHTML(t *testing.T) {
	steps := trap.logs(1)
	for i := range steps {
		if i%50 == 0 {
			steps[i].Eval = []EvalPoint{{Benchmark: "lab", Budget: 128, MeanAtK: 0.3}, {Benchmark: "lab", Budget: 256, MeanAtK: 0.5}}
		}
	}
	d := Diagnose(steps, DiagnoseOptions{TargetLen: 256})
	d.Notes = append(d.Notes, "<script>alert(1)</script>")
	var buf bytes.Buffer
	if err := RenderDynamicsHTML(&buf, steps, d); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "src=") || strings.Contains(page, "https://") {
		t.Error("page is not self-contained or lets markup through")
	}
	for _, want := range []string{"stage I<", "stage II", "short_is_correct_trap", "budget 256", "Rollout length", "Policy entropy", "&lt;script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(page, "starts at step <b>"+itoa(d.RefinementStart)+"</b>") {
		t.Errorf("page does not state the Stage II start %d", d.RefinementStart)
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	// length, held-out, reward, learning signal, entropy, KL, grad norm,
	// clip fraction, loss
	if len(svgs) != 9 {
		t.Fatalf("%d charts, want 9", len(svgs))
	}
	for i, s := range svgs {
		dec := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("chart %d is not well-formed XML: %v", i, err)
			}
		}
	}
	if os.Getenv("TERSE_WRITE_HTML") != "" {
		os.WriteFile(filepath.Join(os.TempDir(), "terse-dynamics.html"), buf.Bytes(), 0o644)
	}
}

// TestRenderDynamicsHTMLSparseKL: a KL logged every few steps only
// (loss.kl_stat_every) is drawn as one line through the logged points.
func TestRenderDynamicsHTMLSparseKL(t *testing.T) {
	steps := trap.logs(1)
	for i := range steps {
		steps[i].KL = 0.001 * float64(i)
		if i%4 != 0 {
			steps[i].KL = math.NaN()
		}
	}
	var buf bytes.Buffer
	if err := RenderDynamicsHTML(&buf, steps, Diagnose(steps, DiagnoseOptions{TargetLen: 256})); err != nil {
		t.Fatal(err)
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(buf.String(), -1)
	i := slices.IndexFunc(svgs, func(s string) bool { return strings.Contains(s, "KL to the initial policy") })
	if i < 0 {
		t.Fatal("no KL chart")
	}
	if n := strings.Count(svgs[i], "<polyline"); n != 1 {
		t.Errorf("KL chart has %d lines, want one through the logged points", n)
	}
}

func TestRenderDynamicsHTMLEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderDynamicsHTML(&buf, nil, Diagnose(nil, DiagnoseOptions{})); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "not logged") {
		t.Error("empty run should say its charts are not logged")
	}
}

// TestRenderDynamicsHTMLForeignLog: a TRL log's page shows every reward
// component, the learning-signal chart, how the log was read, and marks a
// failure where it starts.
func TestRenderDynamicsHTMLForeignLog(t *testing.T) {
	steps, info, err := ReadRunFile(filepath.Join("runlog", "testdata", "trl_trainer_state.json"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Make it a dead run from step 30: every group tied.
	for i := range steps {
		if steps[i].Step >= 30 {
			steps[i].ZeroStdFrac = 1
		}
	}
	d := Diagnose(steps, DiagnoseOptions{})
	d.Log = &info
	f, ok := d.Find(ZeroAdvantage)
	if !ok {
		t.Fatalf("no zero advantage in %+v", d.Findings)
	}
	var buf bytes.Buffer
	if err := RenderDynamicsHTML(&buf, steps, d); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"reward accuracy_reward", "reward format_reward", // both components charted
		"Learning signal", "groups with zero reward std", "completions cut at the cap",
		"How the log was read", "trl-state", "completions/clipped_ratio", "num_tokens", // mapped and unmapped
		`class="fail"`, "<title>zero_advantage</title>", // the failure, in the table and on the charts
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if f.Step != 30 {
		t.Errorf("zero advantage from step %d, want 30", f.Step)
	}
	if os.Getenv("TERSE_WRITE_HTML") != "" {
		os.WriteFile(filepath.Join(os.TempDir(), "terse-dynamics-trl.html"), buf.Bytes(), 0o644)
	}
}
