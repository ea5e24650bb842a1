package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/modelserver"
)

// TestEvalForcedMatchesServerBudget: terse eval --mode forced and prefix
// against terse serve on the shipped lab-base, and the cross-check that
// makes the forced mode trustworthy: a forced answer computed offline from
// a stored rollout (its thinking cut at B tokens by the server's /tokenize,
// the closing appended, the answer requested) is exactly what terse serve
// answers to the same request sampled live with thinking_token_budget = B
// and no extension window (same seed, so the same first B thinking tokens).
func TestEvalForcedMatchesServerBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("samples lab-base through terse serve")
	}
	const closing = "\n</think>\n"
	hs, tok := labThinkingServer(t, closing, nil)
	dir := t.TempDir()
	common := []string{"eval", "--endpoint", hs.URL, "--model", lab.BaseModel, "--template", "{question}", "--api", "completions",
		"--prefill", "<think>\n", "--bench", "lab-add", "--limit", "5", "-k", "2", "--max-tokens", "256", "--budgets", "32,64,256",
		"--seed", "4", "--quiet", "--json", "--out", dir}
	if _, stderr, err := runCLI(t, common...); err != nil {
		t.Fatalf("strict: %v\n%s", err, stderr)
	}
	forced := append(append([]string{}, common...), "--mode", "forced", "--closing", closing, "--answer-tokens", "24")
	out, stderr, err := runCLI(t, forced...)
	if err != nil {
		t.Fatalf("forced: %v\n%s", err, stderr)
	}
	var res metrics.Results
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	bm := res.Benchmarks[0]
	if len(bm.Modes) != 1 || bm.Modes[0].Mode != "forced" || len(bm.Modes[0].Points) != 3 || bm.Split == nil {
		t.Fatalf("modes = %+v, split %+v", bm.Modes, bm.Split)
	}
	if p := bm.Modes[0].Points[0]; p.Censored == 0 || p.Censored > bm.Budgets[0].Censored {
		t.Errorf("forced censored at 32 = %d, strict %d: every rollout thinks past 32 tokens", p.Censored, bm.Budgets[0].Censored)
	}
	// The offline forced answers at B = 32 equal the live budgeted ones.
	rollouts := map[string]eval.Rollout{}
	store.Scan(filepath.Join(dir, "rollouts.jsonl"), nil, func(_ int, r *eval.Rollout) error {
		rollouts[r.ID().String()] = *r
		return nil
	})
	probes, err := force.OpenStore(filepath.Join(dir, force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer probes.Close()
	compared, answered := 0, 0
	for _, r := range rollouts {
		q, ok := probes.Get(&force.Probe{Key: r.Key, Benchmark: r.Benchmark, ProblemID: r.ProblemID, Sample: r.Sample, At: 32, Closing: closing, AnswerMaxTokens: 24})
		if !ok {
			continue
		}
		if got := liveBudgetAnswer(t, hs.URL, r, closing, len(tok.Encode(closing))); got != q.Answer {
			t.Errorf("%s: offline forced answer %q, live budget answer %q", r.ID(), q.Answer, got)
		}
		compared++
		if strings.Contains(q.Answer, "boxed") {
			answered++
		}
	}
	if compared < 5 || answered == 0 {
		t.Fatalf("compared %d forced answers at 32 tokens (%d with a boxed answer); want ≥ 5", compared, answered)
	}
	t.Logf("%d offline forced answers equal the live budgeted ones", compared)
	// Prefix mode reuses the forced answers and adds the early-exit curve.
	prefix := append(append([]string{}, common...), "--mode", "prefix", "--every", "48", "--markers", "wait", "--closing", closing, "--answer-tokens", "24")
	out, stderr, err = runCLI(t, prefix...)
	if err != nil {
		t.Fatalf("prefix: %v\n%s", err, stderr)
	}
	res = metrics.Results{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	bm = res.Benchmarks[0]
	if len(bm.Modes) != 2 || bm.EarlyExit == nil || bm.EarlyExit.Rollouts != 10 {
		t.Fatalf("prefix: modes %d, early exit %+v", len(bm.Modes), bm.EarlyExit)
	}
	for j := range bm.Modes[1].Points {
		if e, f := bm.Modes[1].Points[j].MeanAtK, bm.Modes[0].Points[j].MeanAtK; e < f {
			t.Errorf("budget %d: early exit %g below forced %g", bm.Modes[1].Points[j].Budget, e, f)
		}
	}
}

// TestEvalForcedChat: forced mode through the chat API, where the cut
// thinking and the closing are sent as a final assistant message with
// continue_final_message (vLLM's protocol, which terse serve speaks).
func TestEvalForcedChat(t *testing.T) {
	if testing.Short() {
		t.Skip("samples lab-base through terse serve")
	}
	m, tok, err := lab.LoadModel(lab.BaseModel)
	if err != nil {
		t.Fatal(err)
	}
	url := serveModel(t, m, tok)
	dir := t.TempDir()
	common := []string{"eval", "--endpoint", url, "--model", lab.BaseModel, "--template", "{question}", "--bench", "lab-add",
		"--limit", "3", "-k", "2", "--max-tokens", "256", "--budgets", "48,256", "--quiet", "--json", "--out", dir}
	if _, stderr, err := runCLI(t, common...); err != nil {
		t.Fatalf("strict: %v\n%s", err, stderr)
	}
	if _, stderr, err := runCLI(t, append(common, "--mode", "forced", "--closing", "\n</think>\n", "--answer-tokens", "24")...); err != nil {
		t.Fatalf("forced: %v\n%s", err, stderr)
	}
	n, boxed := 0, 0
	err = scanProbes(filepath.Join(dir, force.ProbesFile), func(q force.Probe) {
		n++
		if q.Status != "ok" {
			t.Errorf("probe %s/%d at %d: %s %s", q.ProblemID, q.Sample, q.At, q.Status, q.Error)
		}
		if strings.Contains(q.Answer, "boxed") {
			boxed++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || boxed == 0 {
		t.Fatalf("%d forced answers through chat, %d with a box", n, boxed)
	}
}

// scanProbes calls fn for each line of a probes.jsonl file.
func scanProbes(path string, fn func(force.Probe)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var q force.Probe
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return err
		}
		fn(q)
	}
	return nil
}

// labThinkingServer serves lab-base through terse serve with the plain chat
// template, the given thinking closing message and no extension window, so a
// live thinking budget B cuts exactly where a forced answer at B does. wrap,
// when not nil, wraps the server's handler (e.g. to hide endpoints).
// liveBudgetAnswer asks terse serve at url to sample rollout r again with a
// live thinking budget of 32 tokens (vLLM's thinking_token_budget) and
// returns the answer after the closing, for comparison with a forced answer
// cut offline at 32 tokens; closingTokens is the closing's length in tokens.
func liveBudgetAnswer(t *testing.T, url string, r eval.Rollout, closing string, closingTokens int) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "lab", "prompt": r.Prompt + r.Prefill, "max_tokens": 32 + closingTokens + 24,
		"temperature": r.Temperature, "top_p": r.TopP, "top_k": r.TopK, "seed": r.SampleSeed, "thinking_token_budget": 32})
	resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var live struct {
		Choices []struct{ Text string } `json:"choices"`
	}
	json.NewDecoder(resp.Body).Decode(&live)
	resp.Body.Close()
	text := live.Choices[0].Text
	i := strings.Index(text, closing)
	if i < 0 {
		t.Fatalf("%s: live budgeted text %q has no closing", r.ID(), text)
	}
	return strings.TrimSpace(text[i+len(closing):])
}

func labThinkingServer(t *testing.T, closing string, wrap func(http.Handler) http.Handler) (*httptest.Server, tokenizer.Tokenizer) {
	t.Helper()
	m, tok, err := lab.LoadModel(lab.BaseModel)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := modelserver.New(modelserver.Options{Model: m, Tokenizer: tok, ModelName: "lab", ChatTemplate: modelserver.ChatTemplatePlain,
		ThinkingClosing: closing, ThinkingExtension: -1})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs, tok
}
