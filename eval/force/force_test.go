package force_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/sampler"
)

// fakeServer speaks the request/response shapes of vLLM or SGLang for
// tokenize, detokenize and prefix continuation:
//
//	vLLM   POST /tokenize {"model","prompt","add_special_tokens"} → {"count","max_model_len","tokens"}
//	       POST /detokenize {"model","tokens"} → {"prompt"}
//	       (vllm/entrypoints/serve/tokenize/protocol.py, commit 030ea52e)
//	       POST /v1/chat/completions with a final assistant message,
//	       "continue_final_message": true, "add_generation_prompt": false
//	SGLang POST /v1/tokenize → {"tokens","count","max_model_len"}
//	       POST /v1/detokenize → {"text"}
//	       (python/sglang/srt/entrypoints/openai/serving_tokenize.py, commit 0351c1fa)
//	       POST /v1/completions with the prefix at the end of "prompt"
//
// Its tokenizer splits text into runs of non-space characters, each with
// the white space before it, so detokenize(tokenize(s)) = s. Its model
// answers \boxed{N} with N the last number in the thinking it was given.
type fakeServer struct {
	*httptest.Server
	t      *testing.T
	flavor string // "vllm" or "sglang"

	mu       sync.Mutex
	vocab    map[string]int
	words    []string
	requests int
	bad      []string // protocol violations seen
}

var tokenRE = regexp.MustCompile(`\s*\S+|\s+$`)

func newFake(t *testing.T, flavor string) *fakeServer {
	f := &fakeServer{t: t, flavor: flavor, vocab: map[string]int{}}
	mux := http.NewServeMux()
	tok, detok := "/tokenize", "/detokenize"
	if flavor == "sglang" {
		tok, detok = "/v1/tokenize", "/v1/detokenize"
	}
	mux.HandleFunc("POST "+tok, f.tokenize)
	mux.HandleFunc("POST "+detok, f.detokenize)
	mux.HandleFunc("POST /v1/chat/completions", f.complete)
	mux.HandleFunc("POST /v1/completions", f.complete)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) violation(msg string) {
	f.mu.Lock()
	f.bad = append(f.bad, msg)
	f.mu.Unlock()
}

func (f *fakeServer) ids(text string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int
	for _, w := range tokenRE.FindAllString(text, -1) {
		id, ok := f.vocab[w]
		if !ok {
			id = len(f.words)
			f.vocab[w] = id
			f.words = append(f.words, w)
		}
		ids = append(ids, id)
	}
	return ids
}

func (f *fakeServer) tokenize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model            string `json:"model"`
		Prompt           string `json:"prompt"`
		AddSpecialTokens *bool  `json:"add_special_tokens"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if req.AddSpecialTokens == nil || *req.AddSpecialTokens {
		f.violation("tokenize without add_special_tokens=false would count a BOS token")
	}
	ids := f.ids(req.Prompt)
	json.NewEncoder(w).Encode(map[string]any{"tokens": ids, "count": len(ids), "max_model_len": 4096})
}

func (f *fakeServer) detokenize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	var b strings.Builder
	for _, id := range req.Tokens {
		b.WriteString(f.words[id])
	}
	f.mu.Unlock()
	field := "prompt"
	if f.flavor == "sglang" {
		field = "text"
	}
	json.NewEncoder(w).Encode(map[string]string{field: b.String()})
}

var numRE = regexp.MustCompile(`\d+`)

func (f *fakeServer) complete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
		Prompt               *string `json:"prompt"`
		MaxTokens            int     `json:"max_tokens"`
		ContinueFinalMessage bool    `json:"continue_final_message"`
		AddGenerationPrompt  *bool   `json:"add_generation_prompt"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	var prefix string
	chat := strings.HasSuffix(r.URL.Path, "/chat/completions")
	switch {
	case chat:
		n := len(req.Messages)
		if n == 0 || req.Messages[n-1].Role != "assistant" || !req.ContinueFinalMessage || req.AddGenerationPrompt == nil || *req.AddGenerationPrompt {
			f.violation("chat continuation needs a final assistant message, continue_final_message=true, add_generation_prompt=false")
		}
		if n > 0 {
			prefix = req.Messages[n-1].Content
		}
	case req.Prompt != nil:
		prefix = *req.Prompt
	}
	i := strings.Index(prefix, "<think>\n")
	j := strings.LastIndex(prefix, force.DefaultClosing)
	if i < 0 || j < i || j+len(force.DefaultClosing) != len(prefix) {
		f.violation("prefix is not opening + thinking + closing: " + prefix)
	}
	if req.MaxTokens != 16 {
		f.violation("answer max_tokens is not the answer budget")
	}
	thinking := ""
	if i >= 0 && j >= i {
		thinking = prefix[i:j]
	}
	nums := numRE.FindAllString(thinking, -1)
	ans := "none"
	if len(nums) > 0 {
		ans = nums[len(nums)-1]
	}
	text := "So \\boxed{" + ans + "}"
	usage := map[string]int{"prompt_tokens": len(f.ids(prefix)), "completion_tokens": 3, "total_tokens": 0}
	var choice map[string]any
	if chat {
		choice = map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}
	} else {
		choice = map[string]any{"index": 0, "text": text, "finish_reason": "stop"}
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "choices": []any{choice}, "usage": usage})
}

// grader: correct when the last number of the answer equals the gold.
func grader(response string, p bench.Problem) eval.Verdict {
	nums := numRE.FindAllString(response, -1)
	if len(nums) == 0 {
		return eval.Verdict{Reason: "no_answer"}
	}
	x := nums[len(nums)-1]
	for _, g := range p.Gold {
		if g == x {
			return eval.Verdict{Correct: true, Reason: "equal", Extracted: x}
		}
	}
	return eval.Verdict{Reason: "not_equal", Extracted: x}
}

// rollouts: two samples of one problem (gold 7).
//
//	sample 0: thinking "Try 3.\nWait, 7 works.\nAlternatively 5." (tokens:
//	  "Try" " 3." "\nWait," " 7" " works." "\nAlternatively" " 5." = 7),
//	  finished, final answer 5 (wrong).
//	sample 1: thinking "Guess 7 now and more and more" (7 tokens), cut at
//	  max_tokens (finish length, no answer).
func rollouts(api string) []eval.Rollout {
	s := eval.Sampling{Model: "m", API: api, PromptTemplate: "{question}", Temperature: 0.6, TopP: 1}
	mk := func(sample int, reasoning, response, finish string, tokens int) eval.Rollout {
		return eval.Rollout{
			Key: "k", Benchmark: "b", ProblemID: "p1", Sample: sample, Status: eval.StatusOK, Sampling: s,
			MaxTokens: 16, Prompt: "Q?", Reasoning: reasoning, Response: response, Gold: []string{"7"},
			CompletionTokens: tokens, FinishReason: finish, Correct: false,
		}
	}
	return []eval.Rollout{
		mk(0, "Try 3.\nWait, 7 works.\nAlternatively 5.", "\\boxed{5}", eval.FinishStop, 9),
		mk(1, "Guess 7 now and more and more", "", eval.FinishLength, 16),
	}
}

func run(t *testing.T, f *fakeServer, rs []eval.Rollout, opts force.Options) ([]*force.Plan, force.Summary, *force.Store) {
	t.Helper()
	c, err := sampler.New(sampler.Options{Endpoints: []string{f.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := force.OpenStore(filepath.Join(t.TempDir(), force.ProbesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts.Client, opts.Tokenizer, opts.Grade, opts.Store, opts.AnswerTokens = c, &force.ServerTokenizer{Base: f.URL + "/v1"}, grader, st, 16
	plans, sum, err := force.Run(context.Background(), rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.bad) > 0 {
		t.Fatalf("protocol violations: %q", f.bad)
	}
	return plans, sum, st
}

func TestTokenizerShapes(t *testing.T) {
	for _, flavor := range []string{"vllm", "sglang"} {
		f := newFake(t, flavor)
		tk := &force.ServerTokenizer{Base: f.URL}
		ids, err := tk.Tokenize(context.Background(), "m", "a b  c")
		if err != nil || len(ids) != 3 {
			t.Fatalf("%s: tokenize = %v, %v; want 3 tokens", flavor, ids, err)
		}
		text, err := tk.Detokenize(context.Background(), "m", ids[:2])
		if err != nil || text != "a b" {
			t.Errorf("%s: detokenize = %q, %v; want \"a b\"", flavor, text, err)
		}
	}
	// A server without tokenize endpoints gets a clear error.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := (&force.ServerTokenizer{Base: srv.URL}).Tokenize(context.Background(), "m", "x"); err != force.ErrNoTokenize {
		t.Errorf("no endpoint: err = %v, want ErrNoTokenize", err)
	}
}

// TestForcedVLLMChat: forced mode through vLLM's chat continuation, worked
// by hand. Budgets 2, 4 and 16 thinking tokens:
//
//	sample 0 (T = 7, closed, own answer 5 wrong):
//	  B=2: cut "Try 3." → forced 3, wrong (censored)
//	  B=4: cut "Try 3.\nWait, 7" → forced 7, correct (censored)
//	  B=16: T ≤ B and closed → own answer, wrong
//	sample 1 (T = 7, not closed):
//	  B=2: "Guess 7" → 7 correct (censored); B=4: "Guess 7 now and" → 7 correct;
//	  B=16: cut at T = 7 → last number 7, correct (censored)
//
// Mean@2: B=2: 1/2, B=4: 2/2, B=16: 1/2. Censored: 2, 2, 1.
func TestForcedVLLMChat(t *testing.T) {
	f := newFake(t, "vllm")
	rs := rollouts(eval.APIChat)
	budgets := []int{2, 4, 16}
	plans, sum, st := run(t, f, rs, force.Options{Mode: force.ModeForced, Budgets: budgets})
	if sum.Requested != 5 || sum.Failed != 0 {
		t.Fatalf("summary = %+v, want 5 requests", sum)
	}
	if plans[0].Thinking != 7 || plans[1].Thinking != 7 {
		t.Fatalf("thinking = %d, %d; want 7, 7", plans[0].Thinking, plans[1].Thinking)
	}
	res, warn := force.Compute(force.ModeForced, plans, budgets, nil, 0, metrics.Options{Bootstrap: 10})
	if len(warn) > 0 {
		t.Fatal(warn)
	}
	c := res["b"].Forced
	want := []struct {
		mean     float64
		censored int
	}{{0.5, 2}, {1, 2}, {0.5, 1}}
	for j, w := range want {
		if p := c.Points[j]; p.MeanAtK != w.mean || p.Censored != w.censored {
			t.Errorf("B=%d: Mean@k %g censored %d, want %g %d", budgets[j], p.MeanAtK, p.Censored, w.mean, w.censored)
		}
	}
	// Cost: 5 answers × 3 tokens over 9 + 16 original tokens.
	if c.Cost.AnswerTokens != 15 || c.Cost.OriginalTokens != 25 || math.Abs(c.Cost.Fraction-0.6) > 1e-12 {
		t.Errorf("cost = %+v", c.Cost)
	}
	// B=2 tokens: sample 0 cut at 2 + 3 answer, sample 1 the same: mean 5.
	if c.Points[0].MeanTokens != 5 {
		t.Errorf("mean tokens at B=2 = %g, want 5", c.Points[0].MeanTokens)
	}
	// Resume: a second run with the same store requests nothing.
	n := f.requests
	c2, _ := sampler.New(sampler.Options{Endpoints: []string{f.URL}})
	_, sum2, err := force.Run(context.Background(), rs, force.Options{Mode: force.ModeForced, Budgets: budgets, Client: c2,
		Tokenizer: &force.ServerTokenizer{Base: f.URL}, Grade: grader, Store: st, AnswerTokens: 16})
	if err != nil || sum2.Requested != 0 || sum2.Cached != 5 || f.requests != n {
		t.Errorf("resume: %+v, %v; %d new requests", sum2, err, f.requests-n)
	}
}

// TestPrefixSGLangCompletions: prefix mode through SGLang's completions
// API with markers only (no every-P probes), budgets 16.
//
//	sample 0: the text before "Wait" is "Try 3.\n", 3 tokens ("Try" " 3."
//	  "\n", its count by the server's tokenizer) → probe at 3 answers 3
//	  (wrong); before "Alternatively": "Try 3.\nWait, 7 works.\n", 6 tokens
//	  → answers 7, correct: t_0 = 6, T_0 = 7, final wrong.
//	sample 1: no markers; not closed → probe at T = 7 answers 7: t_1 = 7 = T_1.
//
// Underthinking over the two wrong finals: ((1 − 6/7) + (1 − 7/7)) / 2 = 1/14.
// Outcome efficiency: no correct final → 0. Tokens after the first correct
// answer: (7−6) + (7−7) = 1 over 2 rollouts.
func TestPrefixSGLangCompletions(t *testing.T) {
	f := newFake(t, "sglang")
	rs := rollouts(eval.APICompletions)
	budgets := []int{16}
	plans, _, _ := run(t, f, rs, force.Options{Mode: force.ModePrefix, Budgets: budgets, Markers: []string{"Wait", "Alternatively"}})
	got := map[int]bool{}
	for at, q := range plans[0].Probes {
		got[at] = q.Correct
	}
	if len(got) != 2 || got[3] || !got[6] {
		t.Fatalf("sample 0 probes (at → correct) = %v, want {3:false 6:true}", got)
	}
	res, _ := force.Compute(force.ModePrefix, plans, budgets, nil, 0, metrics.Options{Bootstrap: 10})
	e := res["b"].Summary
	if e == nil || e.WithCorrect != 2 || e.TokensAfterFirstCorrectTotal != 1 || math.Abs(e.Underthinking-1.0/14) > 1e-12 || e.OutcomeEfficiency != 0 {
		t.Fatalf("early exit = %+v", e)
	}
	if ee := res["b"].EarlyExit; ee == nil || ee.Points[0].MeanAtK != 1 {
		t.Errorf("early-exit curve = %+v, want Mean@k 1 at B=16", ee)
	}
	if fc := res["b"].Forced; fc.Points[0].MeanAtK != 0.5 {
		t.Errorf("forced curve at 16 = %g, want 0.5 (own wrong answer, forced 7)", fc.Points[0].MeanAtK)
	}
}

// The early-exit curve is never below the forced curve: prefix mode probes
// at every budget, so a correct forced answer at B is a correct probe ≤ B.
func TestEarlyExitDominatesForced(t *testing.T) {
	f := newFake(t, "vllm")
	rs := rollouts(eval.APIChat)
	budgets := []int{1, 2, 3, 4, 5, 6, 7, 16}
	plans, _, _ := run(t, f, rs, force.Options{Mode: force.ModePrefix, Budgets: budgets, Every: 2})
	res, _ := force.Compute(force.ModePrefix, plans, budgets, nil, 0, metrics.Options{Bootstrap: 10})
	for j := range budgets {
		if e, fo := res["b"].EarlyExit.Points[j].MeanAtK, res["b"].Forced.Points[j].MeanAtK; e < fo {
			t.Errorf("B=%d: early exit %g < forced %g", budgets[j], e, fo)
		}
	}
}

func TestMarkerOffsets(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []int
	}{
		{"Try.\nWait, yes", []int{5}},
		{"Try. Wait, yes", []int{5}},
		{"Try, Wait, yes", nil},          // mid-sentence
		{"Waiting is not a marker", nil}, // start of text, and a longer word
		{"x.\nWaiting", nil},             // followed by a letter
		{"a.\nHmm. b.\nAlternatively c", []int{3, 11}},
	} {
		got := force.MarkerOffsets(tc.text, []string{"Wait", "Hmm", "Alternatively"})
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
			}
		}
	}
}

func TestOpening(t *testing.T) {
	if got := force.Opening(eval.Sampling{Prefill: "<think>\n"}); got != "<think>\n" {
		t.Errorf("open prefill: %q", got)
	}
	if got := force.Opening(eval.Sampling{}); got != "<think>\n" {
		t.Errorf("no prefill: %q", got)
	}
}

// TestNoThinking: a rollout without thinking has nothing to cut: finished,
// its own answer stands at every budget; cut by length, it is censored and
// wrong, with no request and no warning.
func TestNoThinking(t *testing.T) {
	f := newFake(t, "vllm")
	rs := rollouts(eval.APIChat)
	rs[0].Reasoning, rs[0].Response, rs[0].Correct = "", "\\boxed{7}", true
	rs[1].Reasoning, rs[1].Response = "", "7 and"
	plans, sum, _ := run(t, f, rs, force.Options{Mode: force.ModeForced, Budgets: []int{4, 16}})
	if sum.Probes != 0 {
		t.Fatalf("%d probes for rollouts without thinking", sum.Probes)
	}
	res, warn := force.Compute(force.ModeForced, plans, []int{4, 16}, nil, 0, metrics.Options{Bootstrap: 10})
	if len(warn) > 0 {
		t.Errorf("warnings: %v", warn)
	}
	for _, p := range res["b"].Forced.Points {
		if p.MeanAtK != 0.5 || p.Censored != 1 {
			t.Errorf("B=%d: Mean@k %g censored %d, want 0.5 and 1", p.Budget, p.MeanAtK, p.Censored)
		}
	}
}

// TestStoreTornLine: a torn last line is cut off with a warning; a failed
// probe is not reused (the next run retries it); a corrupt complete line is
// an error naming file and line.
func TestStoreTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), force.ProbesFile)
	ok := `{"key":"k","benchmark":"b","problem_id":"p","sample":0,"at":5,"closing":"c","answer_max_tokens":9,"status":"ok","answer":"7","correct":true}`
	failed := `{"key":"k","benchmark":"b","problem_id":"p","sample":0,"at":6,"closing":"c","answer_max_tokens":9,"status":"failed"}`
	if err := os.WriteFile(path, []byte(ok+"\n"+failed+"\n"+`{"key":"k","benchm`), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned string
	st, err := force.OpenStore(path, func(f string, a ...any) { warned = fmt.Sprintf(f, a...) })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warned, ":3: incomplete last line") {
		t.Errorf("warning = %q", warned)
	}
	if q, found := st.Get(&force.Probe{Key: "k", Benchmark: "b", ProblemID: "p", At: 5, Closing: "c", AnswerMaxTokens: 9}); !found || !q.Correct {
		t.Errorf("ok probe not found: %v %v", q, found)
	}
	if _, found := st.Get(&force.Probe{Key: "k", Benchmark: "b", ProblemID: "p", At: 6, Closing: "c", AnswerMaxTokens: 9}); found {
		t.Error("a failed probe must be retried, not reused")
	}
	if _, found := st.Get(&force.Probe{Key: "k", Benchmark: "b", ProblemID: "p", At: 5, Closing: "other", AnswerMaxTokens: 9}); found {
		t.Error("another closing message is another probe")
	}
	st.Close()
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), `"benchm`+"\n") || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("torn line not cut: %q", b)
	}
	if err := os.WriteFile(path, []byte(ok+"\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := force.OpenStore(path, nil); err == nil || !strings.Contains(err.Error(), force.ProbesFile+":2") {
		t.Errorf("corrupt line: err = %v, want file:2", err)
	}
}

// TestRunWithoutTokenize: a server without /tokenize (404 under both
// prefixes), with rollouts sampled without --store-token-ids (token counts
// but no token ids): forced mode has nothing to cut by token-exact, so it
// stops before any forced answer with ErrNoTokenize, never falling back to
// a character estimate (tokenids_test.go: the fallback when they have ids).
func TestRunWithoutTokenize(t *testing.T) {
	var completions int
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		completions++
		mu.Unlock()
		http.Error(w, "unexpected", http.StatusInternalServerError)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		completions++
		mu.Unlock()
		http.Error(w, "unexpected", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := sampler.New(sampler.Options{Endpoints: []string{srv.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), force.ProbesFile)
	st, err := force.OpenStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, sum, err := force.Run(context.Background(), rollouts(eval.APICompletions), force.Options{Mode: force.ModeForced, Budgets: []int{4},
		Client: c, Tokenizer: &force.ServerTokenizer{Base: srv.URL + "/v1"}, Grade: grader, Store: st})
	if !errors.Is(err, force.ErrNoTokenize) || !strings.Contains(err.Error(), "no token ids") {
		t.Errorf("err = %v, want ErrNoTokenize saying the rollouts keep no token ids", err)
	}
	if completions != 0 || sum.Requested != 0 {
		t.Errorf("%d completion requests, %d forced answers; want none", completions, sum.Requested)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("probes.jsonl holds %q, want nothing", b)
	}
}
