package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/store"
	"github.com/terse-dev/terse/lab"
)

// TestEvalForcedByTokenIDs: terse serve behind a proxy that hides /tokenize
// and /detokenize (a server with no tokenizer endpoints). Sampled with
// --store-token-ids, the rollouts keep terse serve's token_ids; forced mode
// without --closing-ids stops with the no-tokenize error, and with them cuts
// by the stored ids. The cross-check: each forced answer at B = 32 equals
// what terse serve answers live to the same request with
// thinking_token_budget = 32 and no extension window.
func TestEvalForcedByTokenIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("samples lab-base through terse serve")
	}
	const closing = "\n</think>\n"
	hs, tok := labThinkingServer(t, closing, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "tokenize") {
				http.NotFound(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	end := tok.Encode("</think>")
	if len(end) != 1 {
		t.Fatalf("</think> is %d lab tokens, want 1", len(end))
	}
	var ids []string
	for _, id := range tok.Encode(closing) {
		ids = append(ids, fmt.Sprint(id))
	}
	dir := t.TempDir()
	common := []string{"eval", "--endpoint", hs.URL, "--model", lab.BaseModel, "--template", "{question}", "--api", "completions",
		"--prefill", "<think>\n", "--bench", "lab-add", "--limit", "4", "-k", "2", "--max-tokens", "256", "--budgets", "32,256",
		"--seed", "4", "--quiet", "--json", "--out", dir}
	if _, stderr, err := runCLI(t, append(common, "--store-token-ids")...); err != nil {
		t.Fatalf("strict: %v\n%s", err, stderr)
	}
	rollouts := map[string]eval.Rollout{}
	store.Scan(filepath.Join(dir, "rollouts.jsonl"), nil, func(_ int, r *eval.Rollout) error {
		if len(r.TokenIDs) != r.CompletionTokens || len(r.PromptTokenIDs) != r.PromptTokens {
			t.Errorf("%s: %d token ids for %d completion tokens, %d prompt ids for %d", r.ID(), len(r.TokenIDs), r.CompletionTokens, len(r.PromptTokenIDs), r.PromptTokens)
		}
		rollouts[r.ID().String()] = *r
		return nil
	})
	forced := append(append([]string{}, common...), "--mode", "forced", "--closing", closing, "--answer-tokens", "24")
	if _, stderr, err := runCLI(t, forced...); err == nil || !strings.Contains(stderr+err.Error(), "--closing-ids") {
		t.Fatalf("forced without /tokenize or --closing-ids: err %v, stderr %s; want the no-tokenize error naming --closing-ids", err, stderr)
	}
	forced = append(forced, "--closing-ids", strings.Join(ids, ","), "--think-end-id", fmt.Sprint(end[0]))
	if _, stderr, err := runCLI(t, forced...); err != nil {
		t.Fatalf("forced by token ids: %v\n%s", err, stderr)
	}
	probes, err := force.OpenStore(filepath.Join(dir, force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer probes.Close()
	closingIDs := make([]int, len(ids))
	for i, id := range tok.Encode(closing) {
		closingIDs[i] = int(id)
	}
	compared := 0
	for _, r := range rollouts {
		q, ok := probes.Get(&force.Probe{Key: r.Key, Benchmark: r.Benchmark, ProblemID: r.ProblemID, Sample: r.Sample, At: 32,
			Closing: closing, AnswerMaxTokens: 24, CutBy: force.CutByTokenIDs, ClosingIDs: closingIDs})
		if !ok {
			continue
		}
		if got := liveBudgetAnswer(t, hs.URL, r, closing, len(closingIDs)); got != q.Answer {
			t.Errorf("%s: forced answer cut by ids %q, live budget answer %q", r.ID(), q.Answer, got)
		}
		compared++
	}
	if compared < 4 {
		t.Fatalf("compared %d forced answers at 32 tokens; want ≥ 4", compared)
	}
	t.Logf("%d forced answers cut by token ids equal the live budgeted ones", compared)
}
