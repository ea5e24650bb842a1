package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terse-dev/terse/engine/blas"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// oaiTestTokenizer is a char-level tokenizer like the lab's.
func oaiTestTokenizer(t testing.TB) *tokenizer.CharLevel {
	t.Helper()
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{tokenizer.EndOfText, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet: "0123456789+-*=()\\{} \nabcdefghijklmnopqrstuvwxyz?",
		EOS:      tokenizer.EndOfText,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// oaiTestModel returns a random model on tok's vocabulary (EOS = id 0).
func oaiTestModel(t testing.TB, tok tokenizer.Tokenizer, edit func(*model.Config)) *model.Model {
	t.Helper()
	cfg := model.TinyConfig()
	cfg.VocabSize = tok.VocabSize()
	cfg.BOSTokenID = 0
	cfg.EOSTokenID = model.TokenIDs{int(tok.Special().EOS)}
	cfg.MaxPositionEmbeddings = 256
	if edit != nil {
		edit(&cfg)
	}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.SetBLAS(blas.NewGo())
	m.InitRandom(7, 0.3) // peaked enough that samples are not uniform noise
	return m
}

// oaiTestServer serves a tiny random model through httptest.
func oaiTestServer(t testing.TB, edit func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	tok := oaiTestTokenizer(t)
	o := Options{Model: oaiTestModel(t, tok, nil), Tokenizer: tok, ModelName: "tiny", StrictModelName: true, MaxN: 8, MaxBatch: 64}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// oaiPost sends body (a value or raw string) and decodes the answer into out.
func oaiPost(t testing.TB, url string, body any, out any) int {
	t.Helper()
	code, err := oaiTryPost(url, body, out)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// oaiTryPost is oaiPost for goroutines other than the test's.
func oaiTryPost(url string, body any, out any) (int, error) {
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return 0, err
		}
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// Client-side views of the responses.
type oaiTestCompletion struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index    int    `json:"index"`
		Text     string `json:"text"`
		Logprobs *struct {
			Tokens        []string  `json:"tokens"`
			TokenLogprobs []float64 `json:"token_logprobs"`
			TextOffset    []int     `json:"text_offset"`
		} `json:"logprobs"`
		FinishReason string  `json:"finish_reason"`
		StopReason   any     `json:"stop_reason"`
		TokenIDs     []int32 `json:"token_ids"`
	} `json:"choices"`
	Usage oaiUsage `json:"usage"`
}

type oaiTestChat struct {
	Object  string `json:"object"`
	Choices []struct {
		Message struct {
			Role             string  `json:"role"`
			Content          *string `json:"content"`
			Reasoning        *string `json:"reasoning"` // current vLLM clients read this
			ReasoningContent *string `json:"reasoning_content"`
		} `json:"message"`
		Logprobs *struct {
			Content []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
				Bytes   []int   `json:"bytes"`
			} `json:"content"`
		} `json:"logprobs"`
		FinishReason string  `json:"finish_reason"`
		TokenIDs     []int32 `json:"token_ids"`
	} `json:"choices"`
	Usage          oaiUsage `json:"usage"`
	PromptTokenIDs []int32  `json:"prompt_token_ids"`
}

type oaiTestError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func TestOpenAIModels(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string `json:"id"`
			Object      string `json:"object"`
			MaxModelLen int    `json:"max_model_len"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || got.Object != "list" || len(got.Data) != 1 || got.Data[0].ID != "tiny" || got.Data[0].Object != "model" || got.Data[0].MaxModelLen != 256 {
		t.Fatalf("status %d, body %+v", resp.StatusCode, got)
	}
}

func TestOpenAICompletionShape(t *testing.T) {
	s, ts := oaiTestServer(t, nil)
	prompt := "12+34="
	var got oaiTestCompletion
	code := oaiPost(t, ts.URL+"/v1/completions", map[string]any{
		"model": "tiny", "prompt": prompt, "max_tokens": 12, "temperature": 1, "seed": 3, "logprobs": 0, "return_token_ids": true,
	}, &got)
	if code != 200 {
		t.Fatalf("status %d: %+v", code, got)
	}
	if got.Object != "text_completion" || got.Model != "tiny" || len(got.Choices) != 1 {
		t.Fatalf("bad shape: %+v", got)
	}
	c := got.Choices[0]
	n := len(c.TokenIDs)
	if got.Usage.PromptTokens != len(s.opts.Tokenizer.Encode(prompt)) || got.Usage.CompletionTokens != n || got.Usage.TotalTokens != got.Usage.PromptTokens+n {
		t.Errorf("usage %+v with %d generated tokens", got.Usage, n)
	}
	switch c.FinishReason {
	case "length":
		if n != 12 {
			t.Errorf("finish length after %d tokens, want 12", n)
		}
	case "stop":
		if n > 12 || c.TokenIDs[n-1] != s.opts.Tokenizer.Special().EOS {
			t.Errorf("finish stop but last token %d of %d is not EOS", c.TokenIDs[n-1], n)
		}
	default:
		t.Errorf("finish_reason %q", c.FinishReason)
	}
	if c.Logprobs == nil || len(c.Logprobs.TokenLogprobs) != n || len(c.Logprobs.Tokens) != n {
		t.Fatalf("logprobs %+v for %d tokens", c.Logprobs, n)
	}
	for i, lp := range c.Logprobs.TokenLogprobs {
		if !(lp <= 0) {
			t.Errorf("logprob %d = %g > 0", i, lp)
		}
	}
	text := s.opts.Tokenizer.Decode(c.TokenIDs)
	if c.FinishReason == "stop" {
		text = s.opts.Tokenizer.Decode(c.TokenIDs[:n-1])
	}
	if c.Text != text {
		t.Errorf("text %q, tokens decode to %q", c.Text, text)
	}
}

func TestOpenAIChatShape(t *testing.T) {
	s, ts := oaiTestServer(t, func(o *Options) { o.Prefill = "<think>"; o.ReasoningParser = true })
	if s.ChatTemplate() != ChatTemplatePlain {
		t.Fatalf("auto template for the char tokenizer = %q, want plain", s.ChatTemplate())
	}
	var got oaiTestChat
	code := oaiPost(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "tiny", "messages": []map[string]any{{"role": "user", "content": "2+2=?"}},
		"max_tokens": 40, "seed": 5, "logprobs": true, "return_token_ids": true, "ignore_eos": true,
	}, &got)
	if code != 200 || got.Object != "chat.completion" || len(got.Choices) != 1 {
		t.Fatalf("status %d: %+v", code, got)
	}
	c := got.Choices[0]
	// The prompt is the plain template: the question, then the prefill.
	if want := s.opts.Tokenizer.Encode("2+2=?<think>"); !slices.Equal(got.PromptTokenIDs, want) || got.Usage.PromptTokens != len(want) {
		t.Errorf("prompt ids %v (usage %d), want %v", got.PromptTokenIDs, got.Usage.PromptTokens, want)
	}
	if c.Message.Role != "assistant" || c.Message.Content == nil || c.FinishReason != "length" || got.Usage.CompletionTokens != 40 || len(c.TokenIDs) != 40 {
		t.Fatalf("choice %+v, usage %+v", c, got.Usage)
	}
	// The reasoning parser: inside the prefilled <think>, text up to </think> is reasoning.
	text := s.opts.Tokenizer.Decode(c.TokenIDs)
	wantR, wantC, _ := oaiSplitReasoning(text, true)
	if c.Message.ReasoningContent == nil || *c.Message.ReasoningContent != wantR || *c.Message.Content != wantC {
		t.Errorf("reasoning %v content %q, want %q / %q", c.Message.ReasoningContent, *c.Message.Content, wantR, wantC)
	}
	// vLLM's current field name (reasoning_content was removed in Jan 2026).
	if c.Message.Reasoning == nil || *c.Message.Reasoning != wantR {
		t.Errorf("message.reasoning %v, want %q", c.Message.Reasoning, wantR)
	}
	if c.Logprobs == nil || len(c.Logprobs.Content) != 40 {
		t.Fatalf("logprobs %+v", c.Logprobs)
	}
	for _, lp := range c.Logprobs.Content {
		if !(lp.Logprob <= 0) || len(lp.Bytes) != len(lp.Token) {
			t.Errorf("logprob entry %+v", lp)
		}
	}
	// separate_reasoning=false returns the raw text.
	var raw oaiTestChat
	oaiPost(t, ts.URL+"/v1/chat/completions", map[string]any{
		"messages": []map[string]any{{"role": "user", "content": "2+2=?"}}, "max_tokens": 40, "seed": 5,
		"ignore_eos": true, "separate_reasoning": false,
	}, &raw)
	if raw.Choices[0].Message.ReasoningContent != nil || *raw.Choices[0].Message.Content != text {
		t.Errorf("unsplit message %+v, want content %q", raw.Choices[0].Message, text)
	}
}

// TestOpenAIContinueFinalMessage: a final assistant message with
// continue_final_message is the prefill (the eval sampler's chat prefill).
func TestOpenAIContinueFinalMessage(t *testing.T) {
	s, ts := oaiTestServer(t, nil)
	var chat oaiTestChat
	oaiPost(t, ts.URL+"/v1/chat/completions", map[string]any{
		"messages":               []map[string]any{{"role": "user", "content": "7*6="}, {"role": "assistant", "content": "<think>"}},
		"continue_final_message": true, "add_generation_prompt": false, "max_tokens": 10, "seed": 1, "return_token_ids": true,
	}, &chat)
	if want := s.opts.Tokenizer.Encode("7*6=<think>"); !slices.Equal(chat.PromptTokenIDs, want) {
		t.Fatalf("prompt %v, want %v", chat.PromptTokenIDs, want)
	}
	// The same prompt through /v1/completions gives the same tokens.
	var comp oaiTestCompletion
	oaiPost(t, ts.URL+"/v1/completions", map[string]any{"prompt": "7*6=<think>", "max_tokens": 10, "seed": 1, "return_token_ids": true}, &comp)
	if !slices.Equal(chat.Choices[0].TokenIDs, comp.Choices[0].TokenIDs) {
		t.Errorf("chat %v vs completions %v", chat.Choices[0].TokenIDs, comp.Choices[0].TokenIDs)
	}
	code := oaiPost(t, ts.URL+"/v1/chat/completions", map[string]any{
		"messages": []map[string]any{{"role": "user", "content": "7*6="}}, "continue_final_message": true,
	}, nil)
	if code != 400 {
		t.Errorf("continue_final_message without a final assistant message: status %d, want 400", code)
	}
}

// TestOpenAINChoices: n = 4 with seed s equals four n = 1 requests with
// seeds s..s+3, and usage sums the choices (the prompt is counted once).
func TestOpenAINChoices(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	req := map[string]any{"prompt": "9-3=", "max_tokens": 16, "seed": 100, "n": 4, "return_token_ids": true, "temperature": 1.2, "top_p": 0.9, "top_k": 20}
	var multi oaiTestCompletion
	if code := oaiPost(t, ts.URL+"/v1/completions", req, &multi); code != 200 || len(multi.Choices) != 4 {
		t.Fatalf("status %d, %d choices", code, len(multi.Choices))
	}
	sum := 0
	distinct := false
	for i, c := range multi.Choices {
		if c.Index != i {
			t.Errorf("choice %d has index %d", i, c.Index)
		}
		sum += len(c.TokenIDs)
		var one oaiTestCompletion
		req1 := map[string]any{"prompt": "9-3=", "max_tokens": 16, "seed": 100 + i, "return_token_ids": true, "temperature": 1.2, "top_p": 0.9, "top_k": 20}
		oaiPost(t, ts.URL+"/v1/completions", req1, &one)
		if !slices.Equal(one.Choices[0].TokenIDs, c.TokenIDs) || one.Choices[0].Text != c.Text {
			t.Errorf("choice %d: %v, alone with seed %d: %v", i, c.TokenIDs, 100+i, one.Choices[0].TokenIDs)
		}
		if i > 0 && !slices.Equal(c.TokenIDs, multi.Choices[0].TokenIDs) {
			distinct = true
		}
	}
	if !distinct {
		t.Errorf("all 4 choices identical: seeds are not per choice")
	}
	if multi.Usage.CompletionTokens != sum || multi.Usage.PromptTokens != 4 || multi.Usage.TotalTokens != sum+4 {
		t.Errorf("usage %+v, want completion %d, prompt 4", multi.Usage, sum)
	}
}

// TestOpenAISeedUnderLoad: requests decoded concurrently in one batch (with
// a long request keeping the decode loop busy, so the others join a running
// batch) give exactly the outputs they give alone.
func TestOpenAISeedUnderLoad(t *testing.T) {
	t.Run("blas=go", func(t *testing.T) { oaiSeedUnderLoad(t, nil) })
	t.Run("blas=default", func(t *testing.T) {
		be, err := blas.Default() // OpenBLAS where it loads, as terse serve runs
		if err != nil {
			t.Fatal(err)
		}
		oaiSeedUnderLoad(t, func(o *Options) { o.Model.SetBLAS(be) })
	})
}

func oaiSeedUnderLoad(t *testing.T, edit func(*Options)) {
	s, ts := oaiTestServer(t, edit)
	type job struct {
		body map[string]any
		want []int32
	}
	var jobs []job
	for i := range 16 {
		body := map[string]any{"prompt": fmt.Sprintf("%d+%d=", i, 3*i), "max_tokens": 8 + i, "seed": 1000 + i, "return_token_ids": true}
		if i%3 == 0 {
			body["temperature"], body["top_k"] = 0.7, 5
		}
		if i%4 == 1 {
			body["n"] = 2
		}
		jobs = append(jobs, job{body: body})
	}
	run := func(b map[string]any) []int32 {
		var got oaiTestCompletion
		if code, err := oaiTryPost(ts.URL+"/v1/completions", b, &got); err != nil || code != 200 {
			t.Errorf("status %d, err %v", code, err)
			return nil
		}
		var all []int32
		for _, c := range got.Choices {
			all = append(append(all, c.TokenIDs...), -1)
		}
		return all
	}
	for i := range jobs {
		jobs[i].want = run(jobs[i].body)
	}
	long := make(chan struct{})
	go func() {
		defer close(long)
		run(map[string]any{"prompt": "x", "max_tokens": 200, "ignore_eos": true, "seed": 1})
	}()
	for s.sched.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() {
			if got := run(jobs[i].body); !slices.Equal(got, jobs[i].want) {
				t.Errorf("request %d: concurrent %v, alone %v", i, got, jobs[i].want)
			}
		})
	}
	wg.Wait()
	<-long
	if p := s.sched.peak.Load(); p < 2 {
		t.Errorf("peak batch %d: requests were never batched together", p)
	}
	t.Logf("peak batch %d sequences, %d steps", s.sched.peak.Load(), s.sched.steps.Load())
}

func TestOpenAIMaxTokensLength(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	var got oaiTestCompletion
	oaiPost(t, ts.URL+"/v1/completions", map[string]any{"prompt": "5*5=", "max_tokens": 7, "n": 3, "ignore_eos": true, "return_token_ids": true}, &got)
	if len(got.Choices) != 3 || got.Usage.CompletionTokens != 21 {
		t.Fatalf("%d choices, usage %+v", len(got.Choices), got.Usage)
	}
	for _, c := range got.Choices {
		if c.FinishReason != "length" || len(c.TokenIDs) != 7 {
			t.Errorf("finish %q after %d tokens", c.FinishReason, len(c.TokenIDs))
		}
	}
	// Without max_tokens the sequence runs to the end of the context.
	oaiPost(t, ts.URL+"/v1/completions", map[string]any{"prompt": "5*5=", "ignore_eos": true}, &got)
	if got.Usage.CompletionTokens != 256-4 || got.Choices[0].FinishReason != "length" {
		t.Errorf("to the context: usage %+v, finish %q", got.Usage, got.Choices[0].FinishReason)
	}
}

func TestOpenAIStopStrings(t *testing.T) {
	s, ts := oaiTestServer(t, nil)
	base := map[string]any{"prompt": "3+4=", "max_tokens": 60, "seed": 9, "ignore_eos": true, "return_token_ids": true}
	var full oaiTestCompletion
	oaiPost(t, ts.URL+"/v1/completions", base, &full)
	tok := s.opts.Tokenizer
	ids := full.Choices[0].TokenIDs
	// A stop string made of generated tokens 20..21; the run stops at its
	// first occurrence.
	stop := tok.Decode(ids[20:22])
	text := full.Choices[0].Text
	cut := strings.Index(text, stop)
	var wantTokens int
	for k := range ids {
		if strings.Contains(tok.Decode(ids[:k+1]), stop) {
			wantTokens = k + 1
			break
		}
	}
	base["stop"] = []string{"never-there", stop}
	var got oaiTestCompletion
	oaiPost(t, ts.URL+"/v1/completions", base, &got)
	c := got.Choices[0]
	if c.Text != text[:cut] || c.FinishReason != "stop" || c.StopReason != stop || got.Usage.CompletionTokens != wantTokens {
		t.Errorf("stop %q: text %q finish %q reason %v tokens %d; want %q, stop, %d tokens", stop, c.Text, c.FinishReason, c.StopReason, got.Usage.CompletionTokens, text[:cut], wantTokens)
	}
	// A stop token id: the text leaves it out, stop_reason names it.
	stopID := ids[5]
	base["stop"] = nil
	base["stop_token_ids"] = []int32{stopID}
	oaiPost(t, ts.URL+"/v1/completions", base, &got)
	c = got.Choices[0]
	k := slices.Index(ids, stopID)
	if c.FinishReason != "stop" || len(c.TokenIDs) != k+1 || c.Text != tok.Decode(ids[:k]) || c.StopReason != float64(stopID) {
		t.Errorf("stop token %d: %d tokens, text %q, reason %v; want %d tokens", stopID, len(c.TokenIDs), c.Text, c.StopReason, k+1)
	}
}

func TestOpenAIBadRequests(t *testing.T) {
	_, ts := oaiTestServer(t, func(o *Options) { o.MaxBodyBytes = 4096 })
	long := strings.Repeat("1", 300) // over the 256-token context
	chat := func(extra string) string {
		return `{"messages":[{"role":"user","content":"hi"}]` + extra + `}`
	}
	cases := []struct {
		name, path, body string
		status           int
		param            string
	}{
		{"negative max_tokens", "completions", `{"prompt":"a","max_tokens":-1}`, 400, "max_tokens"},
		{"zero max_tokens", "completions", `{"prompt":"a","max_tokens":0}`, 400, "max_tokens"},
		{"negative temperature", "completions", `{"prompt":"a","temperature":-0.5}`, 400, "temperature"},
		{"top_p over 1", "completions", `{"prompt":"a","top_p":1.5}`, 400, "top_p"},
		{"top_p zero", "completions", `{"prompt":"a","top_p":0}`, 400, "top_p"},
		{"top_k below -1", "completions", `{"prompt":"a","top_k":-2}`, 400, "top_k"},
		{"n over cap", "completions", `{"prompt":"a","n":9}`, 400, "n"},
		{"n zero", "completions", `{"prompt":"a","n":0}`, 400, "n"},
		{"min_p", "completions", `{"prompt":"a","min_p":0.1}`, 400, "min_p"},
		{"stream with logprobs", "completions", `{"prompt":"a","stream":true,"logprobs":0}`, 400, "logprobs"},
		{"top logprobs", "completions", `{"prompt":"a","logprobs":5}`, 400, "logprobs"},
		{"presence penalty", "completions", `{"prompt":"a","presence_penalty":0.5}`, 400, "presence_penalty"},
		{"empty stop", "completions", `{"prompt":"a","stop":[""]}`, 400, "stop"},
		{"stop not strings", "completions", `{"prompt":"a","stop":[1]}`, 400, "stop"},
		{"stop token out of vocab", "completions", `{"prompt":"a","stop_token_ids":[100000]}`, 400, "stop_token_ids"},
		{"prompt too long", "completions", `{"prompt":"` + long + `"}`, 400, "prompt"},
		{"no prompt", "completions", `{"max_tokens":3}`, 400, "prompt"},
		{"prompt token out of vocab", "completions", `{"prompt":[1,2,999]}`, 400, "prompt"},
		{"temperature wrong type", "completions", `{"prompt":"a","temperature":"hot"}`, 400, "temperature"},
		{"malformed JSON", "completions", `{"prompt":`, 400, ""},
		{"unknown model", "completions", `{"model":"gpt-9","prompt":"a"}`, 404, "model"},
		{"empty messages", "chat/completions", `{"messages":[]}`, 400, "messages"},
		{"bad role", "chat/completions", `{"messages":[{"role":"robot","content":"x"}]}`, 400, "messages[0].role"},
		{"image part", "chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "messages[0].content"},
		{"chat top_logprobs", "chat/completions", chat(`,"logprobs":true,"top_logprobs":3`), 400, "top_logprobs"},
		{"chat max_completion_tokens", "chat/completions", chat(`,"max_completion_tokens":-3`), 400, "max_tokens"},
		{"oversized body", "completions", `{"prompt":"` + strings.Repeat("a", 5000) + `"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e oaiTestError
			code := oaiPost(t, ts.URL+"/v1/"+c.path, c.body, &e)
			if code != c.status || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("status %d (want %d), error %+v", code, c.status, e.Error)
			}
			var param string
			if e.Error.Param != nil {
				param = *e.Error.Param
			}
			if param != c.param {
				t.Errorf("param %q, want %q (message %q)", param, c.param, e.Error.Message)
			}
		})
	}
}

func TestOpenAIGracefulShutdown(t *testing.T) {
	tok := oaiTestTokenizer(t)
	s, err := New(Options{Model: oaiTestModel(t, tok, nil), Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	type result struct {
		code int
		got  oaiTestCompletion
	}
	res := make(chan result, 1)
	go func() {
		var r result
		var err error
		r.code, err = oaiTryPost(url+"/v1/completions", map[string]any{"prompt": "1", "max_tokens": 250, "ignore_eos": true}, &r.got)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		res <- r
	}()
	for s.sched.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // as SIGTERM does
	r := <-res
	if r.code != 200 || r.got.Usage.CompletionTokens != 250 || r.got.Choices[0].FinishReason != "length" {
		t.Errorf("in-flight request: status %d, usage %+v", r.code, r.got.Usage)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Errorf("server still accepts connections after shutdown")
	}
}

// TestOpenAIShutdownDeadline: a request that cannot finish within
// ShutdownTimeout gets 503 and Serve still returns.
func TestOpenAIShutdownDeadline(t *testing.T) {
	tok := oaiTestTokenizer(t)
	m := oaiTestModel(t, tok, func(c *model.Config) { c.MaxPositionEmbeddings = 1 << 16 })
	s, err := New(Options{Model: m, Tokenizer: tok, ShutdownTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	res := make(chan int, 1)
	go func() {
		var e oaiTestError
		code, err := oaiTryPost("http://"+ln.Addr().String()+"/v1/completions", map[string]any{"prompt": "1", "max_tokens": 60000, "ignore_eos": true}, &e)
		if err != nil {
			t.Errorf("request cut by the shutdown deadline: %v", err)
		}
		res <- code
	}()
	for s.sched.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if code := <-res; code != 503 {
		t.Errorf("request cut by the shutdown deadline: status %d, want 503", code)
	}
}

// TestOpenAICancel: a client that goes away frees its batch slot.
func TestOpenAICancel(t *testing.T) {
	s, ts := oaiTestServer(t, func(o *Options) {
		o.Model = oaiTestModel(t, o.Tokenizer, func(c *model.Config) { c.MaxPositionEmbeddings = 1 << 16 })
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"1","max_tokens":60000,"ignore_eos":true}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.sched.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Errorf("cancelled request succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.sched.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("cancelled sequence still decoding")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOpenAIQueueFull(t *testing.T) {
	s, ts := oaiTestServer(t, func(o *Options) {
		o.Model = oaiTestModel(t, o.Tokenizer, func(c *model.Config) { c.MaxPositionEmbeddings = 1 << 16 })
		o.MaxBatch, o.MaxN, o.MaxQueue = 1, 1, 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"1","max_tokens":60000,"ignore_eos":true}`))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	go long() // decoding
	for s.sched.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	go long() // queued: the batch holds one sequence
	for s.sched.queued.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var e oaiTestError
	if code := oaiPost(t, ts.URL+"/v1/completions", `{"prompt":"1","max_tokens":1}`, &e); code != 429 || e.Error.Type != "rate_limit_error" {
		t.Errorf("third request: status %d %+v, want 429", code, e.Error)
	}
}

func TestOpenAISplitReasoning(t *testing.T) {
	cases := []struct {
		text         string
		open         bool
		r, c         string
		hasReasoning bool
	}{
		{"a b</think>\\boxed{4}", true, "a b", "\\boxed{4}", true},
		{"<think>a</think>c", false, "a", "c", true},
		{"x</think>y", false, "", "x</think>y", false},
		{"still thinking", true, "still thinking", "", true},
		{"<think>cut", false, "cut", "", true},
		{"just an answer", false, "", "just an answer", false},
		{"x</think>y</think>z", true, "x", "y</think>z", true},
	}
	for _, c := range cases {
		r, content, ok := oaiSplitReasoning(c.text, c.open)
		if r != c.r || content != c.c || ok != c.hasReasoning {
			t.Errorf("split(%q, %v) = %q, %q, %v; want %q, %q, %v", c.text, c.open, r, content, ok, c.r, c.c, c.hasReasoning)
		}
	}
}

func TestOpenAITemplates(t *testing.T) {
	msgs := []oaiMessage{{"system", "Be brief."}, {"user", "1+1?"}}
	cases := []struct {
		name         string
		msgs         []oaiMessage
		addGen, cont bool
		prefill      string
		prompt, turn string
	}{
		{"plain", msgs, true, false, "<think>", "Be brief.1+1?<think>", "<think>"},
		{"plain", msgs, false, false, "<think>", "Be brief.1+1?", ""},
		{"qwen", msgs, true, false, "<think>\n", "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n<think>\n", "<think>\n"},
		{"qwen", append(slices.Clone(msgs), oaiMessage{"assistant", "<think>ok"}), false, true, "ignored",
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n<think>ok", "<think>ok"},
	}
	for _, c := range cases {
		p, turn := oaiTemplate{name: c.name}.render(c.msgs, c.addGen, c.cont, c.prefill)
		if p != c.prompt || turn != c.turn {
			t.Errorf("%s: got %q (turn %q), want %q (turn %q)", c.name, p, turn, c.prompt, c.turn)
		}
	}
	if !oaiThinkOpen("<think>\n") || oaiThinkOpen("<think>x</think>") || oaiThinkOpen("") {
		t.Errorf("oaiThinkOpen")
	}
	if _, err := oaiNewTemplate(ChatTemplateQwen, oaiTestTokenizer(t)); err == nil {
		t.Errorf("qwen template accepted a tokenizer without <|im_start|>")
	}
	if _, err := oaiNewTemplate("jinja", oaiTestTokenizer(t)); err == nil {
		t.Errorf("unknown template accepted")
	}
}

// oaiReadSSE posts body and returns the data payloads of the event stream.
func oaiReadSSE(t *testing.T, url string, body any) []string {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, Content-Type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	var events []string
	for _, block := range strings.Split(string(data), "\n\n") {
		if block == "" {
			continue
		}
		if !strings.HasPrefix(block, "data: ") {
			t.Fatalf("bad SSE block %q", block)
		}
		events = append(events, strings.TrimSuffix(strings.TrimPrefix(block, "data: "), "\n"))
	}
	if len(events) == 0 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", events)
	}
	return events[:len(events)-1]
}

// TestOpenAIStreamCompletions: the streamed deltas of each choice add up to
// the non-streaming text, with the same finish reasons and usage.
func TestOpenAIStreamCompletions(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	body := map[string]any{"prompt": "8+8=", "max_tokens": 40, "seed": 21, "n": 3, "stop": []string{"e"}}
	var want oaiTestCompletion
	oaiPost(t, ts.URL+"/v1/completions", body, &want)
	body["stream"] = true
	body["stream_options"] = map[string]any{"include_usage": true}
	events := oaiReadSSE(t, ts.URL+"/v1/completions", body)
	texts := make([]string, 3)
	finish := make([]string, 3)
	var usage *oaiUsage
	for _, ev := range events {
		var ch struct {
			Object  string `json:"object"`
			Choices []struct {
				Index        int     `json:"index"`
				Text         string  `json:"text"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *oaiUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(ev), &ch); err != nil || ch.Object != "text_completion" {
			t.Fatalf("chunk %s: %v", ev, err)
		}
		for _, c := range ch.Choices {
			if finish[c.Index] != "" {
				t.Errorf("choice %d: chunk after its finish", c.Index)
			}
			texts[c.Index] += c.Text
			if c.FinishReason != nil {
				finish[c.Index] = *c.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	for i, c := range want.Choices {
		if texts[i] != c.Text || finish[i] != c.FinishReason {
			t.Errorf("choice %d: streamed %q (%s), want %q (%s)", i, texts[i], finish[i], c.Text, c.FinishReason)
		}
	}
	if usage == nil || *usage != want.Usage {
		t.Errorf("streamed usage %+v, want %+v", usage, want.Usage)
	}
}

func TestOpenAIStreamChatReasoning(t *testing.T) {
	_, ts := oaiTestServer(t, func(o *Options) { o.Prefill = "<think>"; o.ReasoningParser = true })
	for seed := range 12 {
		body := map[string]any{"messages": []map[string]any{{"role": "user", "content": "1+1="}}, "max_tokens": 60, "seed": seed, "ignore_eos": seed%2 == 0}
		if seed%3 == 1 {
			body["stop"] = []string{"r4", "zz", "4m"}
		}
		var want oaiTestChat
		oaiPost(t, ts.URL+"/v1/chat/completions", body, &want)
		body["stream"] = true
		var r, c, finish, role string
		for _, ev := range oaiReadSSE(t, ts.URL+"/v1/chat/completions", body) {
			var ch struct {
				Object  string `json:"object"`
				Choices []struct {
					Delta struct {
						Role             string `json:"role"`
						Content          string `json:"content"`
						Reasoning        string `json:"reasoning"`
						ReasoningContent string `json:"reasoning_content"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
			}
			if err := json.Unmarshal([]byte(ev), &ch); err != nil || ch.Object != "chat.completion.chunk" || len(ch.Choices) != 1 {
				t.Fatalf("chunk %s: %v", ev, err)
			}
			d := ch.Choices[0]
			role += d.Delta.Role
			r += d.Delta.ReasoningContent
			if d.Delta.Reasoning != d.Delta.ReasoningContent {
				t.Errorf("seed %d: delta reasoning %q, reasoning_content %q: want both", seed, d.Delta.Reasoning, d.Delta.ReasoningContent)
			}
			c += d.Delta.Content
			if d.FinishReason != nil {
				finish = *d.FinishReason
			}
		}
		m := want.Choices[0].Message
		wantR := ""
		if m.ReasoningContent != nil {
			wantR = *m.ReasoningContent
		}
		if role != "assistant" || r != wantR || c != *m.Content || finish != want.Choices[0].FinishReason {
			t.Errorf("seed %d: streamed role %q reasoning %q content %q finish %q; want %q %q %q", seed, role, r, c, finish, wantR, *m.Content, want.Choices[0].FinishReason)
		}
	}
}

// TestOpenAIRequestTimeout: a request past RequestTimeout gets 504 and
// leaves the batch.
func TestOpenAIRequestTimeout(t *testing.T) {
	s, ts := oaiTestServer(t, func(o *Options) {
		o.Model = oaiTestModel(t, o.Tokenizer, func(c *model.Config) { c.MaxPositionEmbeddings = 1 << 16 })
		o.RequestTimeout = 100 * time.Millisecond
	})
	var e oaiTestError
	if code := oaiPost(t, ts.URL+"/v1/completions", `{"prompt":"1","max_tokens":60000,"ignore_eos":true}`, &e); code != 504 || e.Error.Type != "timeout" {
		t.Errorf("status %d %+v, want 504 timeout", code, e.Error)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.sched.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("timed-out sequence still decoding")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOpenAISchedulerStepFailure: a failing decode step (here a panicking
// Stop callback) fails the jobs in the batch, and the scheduler goes on
// with a fresh decoder.
func TestOpenAISchedulerStepFailure(t *testing.T) {
	tok := oaiTestTokenizer(t)
	sch := oaiNewScheduler(oaiTestModel(t, tok, nil), 8, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sch.run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() { cancel(); <-done }()
	prompt := tok.Encode("1+1=")
	bad := &oaiJob{ctx: context.Background(), specs: []oaiSeqSpec{{prompt: prompt, opts: model.SampleOptions{
		MaxNewTokens: 5, Stop: func([]int32) bool { panic("boom") }}}}}
	if err := sch.submit(bad); err != nil {
		t.Fatal(err)
	}
	if err := <-bad.done; err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panicking job: %v", err)
	}
	good := &oaiJob{ctx: context.Background(), specs: []oaiSeqSpec{{prompt: prompt, opts: model.SampleOptions{MaxNewTokens: 5}}}}
	if err := sch.submit(good); err != nil {
		t.Fatal(err)
	}
	if err := <-good.done; err != nil || len(good.out[0].Tokens) == 0 {
		t.Errorf("job after the failure: %v", err)
	}
}
