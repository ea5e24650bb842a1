package modelserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/internal/httpx"
)

// Response bodies.

type oaiUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// CompletionTokensDetails splits the completion (thinking.go).
	CompletionTokensDetails oaiCompletionDetails `json:"completion_tokens_details"`
}

type oaiCompletionLogprobs struct {
	Tokens        []string  `json:"tokens"`
	TokenLogprobs []float64 `json:"token_logprobs"`
	TopLogprobs   []any     `json:"top_logprobs"` // always null: alternatives are not computed
	TextOffset    []int     `json:"text_offset"`  // byte offsets into the completion text
}

type oaiCompletionChoice struct {
	Index          int                    `json:"index"`
	Text           string                 `json:"text"`
	Logprobs       *oaiCompletionLogprobs `json:"logprobs"`
	FinishReason   string                 `json:"finish_reason"`
	StopReason     any                    `json:"stop_reason"` // vLLM: null (EOS), the stop string or the stop token id
	PromptTokenIDs []int32                `json:"prompt_token_ids,omitempty"`
	TokenIDs       []int32                `json:"token_ids,omitempty"`
}

type oaiCompletionResponse struct {
	ID      string                `json:"id"`
	Object  string                `json:"object"`
	Created int64                 `json:"created"`
	Model   string                `json:"model"`
	Choices []oaiCompletionChoice `json:"choices"`
	Usage   oaiUsage              `json:"usage"`
}

type oaiChatLogprob struct {
	Token       string    `json:"token"`
	Logprob     float64   `json:"logprob"`
	Bytes       []int     `json:"bytes"`
	TopLogprobs []float64 `json:"top_logprobs"` // always empty
}

type oaiChatLogprobs struct {
	Content []oaiChatLogprob `json:"content"`
}

type oaiChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Reasoning is the thought, the field current vLLM clients read (vLLM
	// renamed reasoning_content to reasoning in Nov 2025, issue #27755, and
	// dropped the old name in Jan 2026). ReasoningContent repeats it for
	// clients written against SGLang and DeepSeek's API, which still use
	// the old name, as vLLM itself sent both during the rename; it costs
	// only the repeated bytes.
	Reasoning        *string `json:"reasoning,omitempty"`
	ReasoningContent *string `json:"reasoning_content,omitempty"`
}

type oaiChatChoice struct {
	Index        int              `json:"index"`
	Message      oaiChatMessage   `json:"message"`
	Logprobs     *oaiChatLogprobs `json:"logprobs"`
	FinishReason string           `json:"finish_reason"`
	StopReason   any              `json:"stop_reason"`
	TokenIDs     []int32          `json:"token_ids,omitempty"`
}

type oaiChatResponse struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	Created        int64           `json:"created"`
	Model          string          `json:"model"`
	Choices        []oaiChatChoice `json:"choices"`
	Usage          oaiUsage        `json:"usage"`
	PromptTokenIDs []int32         `json:"prompt_token_ids,omitempty"`
}

type oaiModel struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by"`
	MaxModelLen int    `json:"max_model_len"` // vLLM extension
}

// oaiWriteJSON writes v with status code.
func oaiWriteJSON(w http.ResponseWriter, code int, v any) {
	httpx.WriteJSON(w, code, v, func(msg string) []byte {
		return fmt.Appendf(nil, `{"error":{"message":%q,"type":"internal_error","param":null,"code":null}}`+"\n", msg)
	})
}

// oaiWriteError writes e as {"error":{"message","type","param","code"}}.
func oaiWriteError(w http.ResponseWriter, e *oaiError) {
	null := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	if e.retry != "" {
		w.Header().Set("Retry-After", e.retry)
	}
	oaiWriteJSON(w, e.status, map[string]any{"error": map[string]any{
		"message": e.msg, "type": e.typ, "param": null(e.param), "code": null(e.code),
	}})
}

// WriteGrace is how long after its request deadline an answer may still
// take to reach the client: the connection's write deadline. A client
// that stops reading (a stream it never consumes) is cut off then, with
// its handler and unsent output, instead of pinning them for ever.
const WriteGrace = 10 * time.Second

// oaiHandle wraps a POST handler: request timeout, write deadline, capped
// body, errors. A handler that streamed its answer itself returns (nil, nil).
func (s *Server) oaiHandle(h func(ctx context.Context, w http.ResponseWriter, body []byte) (any, *oaiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		start := time.Now()
		// An error only means the writer cannot take deadlines (tests).
		_ = http.NewResponseController(w).SetWriteDeadline(start.Add(s.opts.RequestTimeout + WriteGrace))
		resp, e := func() (any, *oaiError) {
			// The body is read as JSON whatever its Content-Type (curl -d
			// sends form-urlencoded).
			body, err := httpx.ReadBody(w, r, s.opts.MaxBodyBytes)
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return nil, &oaiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
					msg: fmt.Sprintf("request body over %d bytes", mbe.Limit)}
			case err != nil:
				return nil, oaiBad("", "reading request body: %v", err)
			}
			return h(ctx, w, body)
		}()
		if e != nil {
			s.opts.Logger.Info("openai request failed", "path", r.URL.Path, "status", e.status, "err", e.msg, "elapsed", time.Since(start))
			oaiWriteError(w, e)
			return
		}
		if resp != nil {
			oaiWriteJSON(w, http.StatusOK, resp)
		}
	}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	oaiWriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []oaiModel{{
		ID: s.opts.ModelName, Object: "model", Created: s.created, OwnedBy: "terse",
		MaxModelLen: s.opts.Model.Config.MaxPositionEmbeddings,
	}}})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.schedCtx.Err() != nil {
		oaiWriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "stopping"})
		return
	}
	oaiWriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// checkModel applies StrictModelName.
func (s *Server) checkModel(name string) *oaiError {
	if !s.opts.StrictModelName || name == "" || name == s.opts.ModelName {
		return nil
	}
	return &oaiError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found",
		msg: fmt.Sprintf("the model %q does not exist; this server serves %q", name, s.opts.ModelName)}
}

// submit queues specs with the scheduler (429 when the queue is full).
func (s *Server) submit(ctx context.Context, specs []oaiSeqSpec, stream bool) (*oaiJob, *oaiError) {
	if s.schedCtx.Err() != nil {
		return nil, oaiUnavailable()
	}
	job := &oaiJob{ctx: ctx, specs: specs}
	if stream {
		job.stream = oaiNewStream(len(specs))
	}
	if err := s.sched.submit(job); err != nil {
		return nil, &oaiError{status: http.StatusTooManyRequests, typ: "rate_limit_error", retry: "1",
			msg: fmt.Sprintf("server busy: %d requests already queued", s.opts.MaxQueue)}
	}
	return job, nil
}

// wait blocks until job finished, ctx ended or the scheduler stopped.
func (s *Server) wait(ctx context.Context, job *oaiJob) *oaiError {
	var err error
	select {
	case err = <-job.done:
	case <-ctx.Done():
		err = ctx.Err() // the scheduler drops the job at its next step
	case <-s.schedDone:
		select {
		case err = <-job.done:
		default:
			err = errOAIStopped
		}
	}
	return s.jobError(err)
}

func oaiUnavailable() *oaiError {
	return &oaiError{status: http.StatusServiceUnavailable, typ: "service_unavailable", msg: "server is shutting down", retry: "1"}
}

// jobError maps a job's error to its response (nil for nil).
func (s *Server) jobError(err error) *oaiError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errOAIStopped):
		return oaiUnavailable()
	case errors.Is(err, context.DeadlineExceeded):
		return &oaiError{status: http.StatusGatewayTimeout, typ: "timeout",
			msg: fmt.Sprintf("request timed out after %v", s.opts.RequestTimeout)}
	case errors.Is(err, context.Canceled):
		return &oaiError{status: 499, typ: "cancelled", msg: "client closed the request"}
	case errors.Is(err, model.ErrSample):
		return oaiBad("", "%v", err)
	default:
		return &oaiError{status: http.StatusInternalServerError, typ: "internal_error", msg: err.Error()}
	}
}

// generate runs specs through the scheduler and waits for all of them.
func (s *Server) generate(ctx context.Context, specs []oaiSeqSpec) ([]*model.Sequence, *oaiError) {
	job, e := s.submit(ctx, specs, false)
	if e != nil {
		return nil, e
	}
	if e := s.wait(ctx, job); e != nil {
		return nil, e
	}
	return job.out, nil
}

// oaiOutput is one finished choice.
type oaiOutput struct {
	text       string
	finish     string
	stopReason any
	tokens     []int32
	logp       []float32
}

// output turns a finished sequence into its choice: the text leaves out a
// final stop token and is cut before the first stop string; tokens and
// logp keep every generated token (usage counts them all).
func (s *Server) output(seq *model.Sequence, p *oaiParams) oaiOutput {
	o := oaiOutput{finish: seq.FinishReason, tokens: seq.Tokens, logp: seq.Logp}
	textToks := seq.Tokens
	if n := len(textToks); n > 0 && o.finish == model.FinishStop && slices.Contains(p.stopIDs, textToks[n-1]) {
		last := textToks[n-1]
		textToks = textToks[:n-1]
		if !slices.Contains(s.opts.StopTokens, last) {
			o.stopReason = int(last)
		}
	}
	o.text = s.opts.Tokenizer.Decode(textToks)
	if len(p.stops) > 0 {
		cut, which := -1, ""
		for _, st := range p.stops {
			if i := strings.Index(o.text, st); i >= 0 && (cut < 0 || i < cut) {
				cut, which = i, st
			}
		}
		if cut >= 0 {
			o.text, o.finish, o.stopReason = o.text[:cut], model.FinishStop, which
		}
	}
	return o
}

// oaiLogp makes a log-prob JSON-safe (vLLM writes −9999 for −∞).
func oaiLogp(x float32) float64 {
	if math.IsInf(float64(x), -1) || math.IsNaN(float64(x)) {
		return -9999
	}
	return float64(x)
}

// tokenText is the text of one token, or "token_id:<id>" when asked.
func (s *Server) tokenText(id int32, asIDs bool) string {
	if asIDs {
		return fmt.Sprintf("token_id:%d", id)
	}
	return s.opts.Tokenizer.Decode([]int32{id})
}

func oaiID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func (s *Server) handleCompletions(ctx context.Context, w http.ResponseWriter, body []byte) (any, *oaiError) {
	var req oaiCompletionRequest
	if e := oaiDecodeJSON(body, &req); e != nil {
		return nil, e
	}
	if e := s.checkModel(req.Model); e != nil {
		return nil, e
	}
	switch {
	case req.Echo:
		return nil, oaiBad("echo", "echo is not supported")
	case req.Suffix != nil && *req.Suffix != "":
		return nil, oaiBad("suffix", "suffix is not supported")
	case req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > 0):
		return nil, oaiBad("logprobs", "logprobs must be 0 (the sampled tokens' log-probs); top alternatives are not computed, got %d", *req.Logprobs)
	}
	p, e := req.params(&s.opts)
	if e != nil {
		return nil, e
	}
	prompts, e := oaiParsePrompts(req.Prompt, s.opts.Tokenizer, req.AddSpecialTokens == nil || *req.AddSpecialTokens)
	if e != nil {
		return nil, e
	}
	specs, e := p.specs(prompts, &s.opts, s.opts.Tokenizer)
	if e != nil {
		return nil, e
	}
	th, e := req.thinking(&s.opts, s.opts.Tokenizer)
	if e != nil {
		return nil, e
	}
	if req.Stream {
		if th.budget >= 0 {
			return nil, errThinkingStream()
		}
		return nil, s.streamCompletions(ctx, w, &req, &p, prompts, specs)
	}
	seqs, e := s.generateThinking(ctx, specs, th)
	if e != nil {
		return nil, e
	}
	resp := oaiCompletionResponse{ID: oaiID("cmpl-"), Object: "text_completion", Created: time.Now().Unix(), Model: s.opts.ModelName}
	for _, pr := range prompts {
		resp.Usage.PromptTokens += len(pr)
	}
	for i, seq := range seqs {
		out := s.output(seq, &p)
		c := oaiCompletionChoice{Index: i, Text: out.text, FinishReason: out.finish, StopReason: out.stopReason}
		if req.ReturnTokenIDs {
			c.PromptTokenIDs, c.TokenIDs = prompts[i/p.n], out.tokens
		}
		if req.Logprobs != nil {
			lp := &oaiCompletionLogprobs{}
			off := 0
			for k, id := range out.tokens {
				t := s.tokenText(id, req.ReturnTokensAsTokenIDs)
				lp.Tokens = append(lp.Tokens, t)
				lp.TokenLogprobs = append(lp.TokenLogprobs, oaiLogp(out.logp[k]))
				lp.TextOffset = append(lp.TextOffset, off)
				off += len(s.opts.Tokenizer.Decode([]int32{id}))
			}
			c.Logprobs = lp
		}
		resp.Usage.CompletionTokens += len(out.tokens)
		s.addReasoning(&resp.Usage, out.tokens, promptThinkOpen(prompts[i/p.n], s.opts.Tokenizer.Special()))
		resp.Choices = append(resp.Choices, c)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	return resp, nil
}

func (s *Server) handleChat(ctx context.Context, w http.ResponseWriter, body []byte) (any, *oaiError) {
	var req oaiChatRequest
	if e := oaiDecodeJSON(body, &req); e != nil {
		return nil, e
	}
	if e := s.checkModel(req.Model); e != nil {
		return nil, e
	}
	switch {
	case req.TopLogprobs != nil && *req.TopLogprobs != 0:
		return nil, oaiBad("top_logprobs", "top_logprobs must be 0; top alternatives are not computed, got %d", *req.TopLogprobs)
	case len(req.Tools) > 0 && string(req.Tools) != "null" && string(req.Tools) != "[]":
		return nil, oaiBad("tools", "tools are not supported")
	case req.ResponseFormat != nil && req.ResponseFormat.Type != "" && req.ResponseFormat.Type != "text":
		return nil, oaiBad("response_format", "response_format %q is not supported (only text)", req.ResponseFormat.Type)
	case len(req.Messages) == 0:
		return nil, oaiBad("messages", "messages must be a non-empty list")
	}
	msgs := make([]oaiMessage, len(req.Messages))
	for i, m := range req.Messages {
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant":
		default:
			return nil, oaiBad(param+".role", "%s.role %q: want system, developer, user or assistant", param, m.Role)
		}
		content, e := oaiContent(m.Content, param+".content")
		if e != nil {
			return nil, e
		}
		msgs[i] = oaiMessage{Role: m.Role, Content: content}
	}
	addGen := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt
	if req.ContinueFinalMessage {
		if msgs[len(msgs)-1].Role != "assistant" {
			return nil, oaiBad("continue_final_message", "continue_final_message needs a final assistant message")
		}
		if req.AddGenerationPrompt != nil && *req.AddGenerationPrompt {
			return nil, oaiBad("continue_final_message", "continue_final_message and add_generation_prompt are mutually exclusive")
		}
	}
	p, e := req.params(&s.opts)
	if e != nil {
		return nil, e
	}
	text, turn := s.template.render(msgs, addGen, req.ContinueFinalMessage, s.opts.Prefill)
	prompt := s.opts.Tokenizer.Encode(text)
	specs, e := p.specs([][]int32{prompt}, &s.opts, s.opts.Tokenizer)
	if e != nil {
		return nil, e
	}
	split := s.opts.ReasoningParser
	if req.SeparateReasoning != nil {
		split = *req.SeparateReasoning
	}
	thinkOpen := oaiThinkOpen(turn)
	th, e := req.thinking(&s.opts, s.opts.Tokenizer)
	if e != nil {
		return nil, e
	}
	if req.Stream {
		if th.budget >= 0 {
			return nil, errThinkingStream()
		}
		return nil, s.streamChat(ctx, w, &req, &p, prompt, specs, split, thinkOpen)
	}
	seqs, e := s.generateThinking(ctx, specs, th)
	if e != nil {
		return nil, e
	}
	resp := oaiChatResponse{ID: oaiID("chatcmpl-"), Object: "chat.completion", Created: time.Now().Unix(), Model: s.opts.ModelName}
	resp.Usage.PromptTokens = len(prompt)
	if req.ReturnTokenIDs {
		resp.PromptTokenIDs = prompt
	}
	for i, seq := range seqs {
		out := s.output(seq, &p)
		msg := oaiChatMessage{Role: "assistant", Content: out.text}
		if split {
			if r, c, ok := oaiSplitReasoning(out.text, thinkOpen); ok {
				msg.Content, msg.Reasoning, msg.ReasoningContent = c, &r, &r
			}
		}
		c := oaiChatChoice{Index: i, Message: msg, FinishReason: out.finish, StopReason: out.stopReason}
		if req.ReturnTokenIDs {
			c.TokenIDs = out.tokens
		}
		if req.Logprobs {
			lp := &oaiChatLogprobs{Content: []oaiChatLogprob{}}
			for k, id := range out.tokens {
				raw := s.opts.Tokenizer.Decode([]int32{id})
				bs := make([]int, len(raw))
				for j := range len(raw) {
					bs[j] = int(raw[j])
				}
				lp.Content = append(lp.Content, oaiChatLogprob{Token: s.tokenText(id, req.ReturnTokensAsTokenIDs),
					Logprob: oaiLogp(out.logp[k]), Bytes: bs, TopLogprobs: []float64{}})
			}
			c.Logprobs = lp
		}
		resp.Usage.CompletionTokens += len(out.tokens)
		s.addReasoning(&resp.Usage, out.tokens, thinkOpen || promptThinkOpen(prompt, s.opts.Tokenizer.Special()))
		resp.Choices = append(resp.Choices, c)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	return resp, nil
}
