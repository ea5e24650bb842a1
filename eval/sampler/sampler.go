// Package sampler is an OpenAI-compatible client for sampling completions
// from vLLM, SGLang, llama.cpp, Ollama or terse's own server. It sends one
// request per sample, spreads requests over several endpoints (least
// in-flight first), and retries timeouts, connection errors, malformed or
// implausible bodies, 429 (honouring Retry-After) and 5xx with exponential
// backoff and jitter.
//
// One sample per request (n = 1). With n > 1 a server reports one
// aggregate usage.completion_tokens for all choices, so per-sample lengths
// would have to be guessed, and one seed would cover all n choices. terse
// asks for n = 1 with its own per-sample seed, checks that exactly one
// choice came back (some servers ignore n), and takes the length from that
// request's usage.completion_tokens, never from re-tokenising the text.
//
// Plausibility. An answer is checked before it is returned: exactly one
// choice, a usage block with 0 ≤ completion_tokens ≤ max_tokens, and a
// finish_reason of "stop" or "length". An answer that fails (a server bug,
// a proxy rewriting bodies, a chaotic test server) is a failed attempt,
// retried like a 5xx; its fault kind (FaultNegativeTokens, …) is kept in
// Response.Faults, or Error.Faults when every attempt failed, so that a run
// can report what its server did wrong instead of storing the lie.
//
// Package sampler imports only the standard library.
package sampler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// API names accepted by Request.API (the same strings as eval.APIChat and
// eval.APICompletions).
const (
	APIChat        = "chat"
	APICompletions = "completions"
)

// maxBody caps a response body.
const maxBody = 64 << 20

// Options configures a Client. Zero values take the defaults in brackets.
type Options struct {
	// Endpoints are server base URLs ("http://host:8000" or ".../v1").
	// Requests go to the endpoint with the fewest requests in flight.
	Endpoints []string
	// APIKey, if set, is sent as "Authorization: Bearer APIKey".
	APIKey string
	// Timeout bounds one HTTP attempt, body included [30m].
	Timeout time.Duration
	// MaxAttempts is the number of tries per request, first included [8].
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay: attempt a waits a
	// random time in [d/2, d) with d = min(BackoffMax, BackoffBase·2^a)
	// [500ms, 30s].
	BackoffBase, BackoffMax time.Duration
	// MaxRetryAfter caps a server's Retry-After [2m].
	MaxRetryAfter time.Duration
	// MaxConnsPerEndpoint sizes the keep-alive pool [256].
	MaxConnsPerEndpoint int
	// HTTPClient replaces the default client (tests); its Timeout should be 0.
	HTTPClient *http.Client
}

// Request is one sample to draw.
type Request struct {
	// API is APIChat (/v1/chat/completions) or APICompletions (/v1/completions).
	API   string
	Model string
	// System is the optional system message (chat only).
	System string
	// Prompt is the user message (chat) or the whole prompt (completions).
	Prompt string
	// Prefill starts the assistant turn: a final assistant message the server
	// continues (chat, sent with continue_final_message) or text appended to
	// the prompt (completions).
	Prefill   string
	MaxTokens int
	// Temperature and TopP are always sent; TopK only when > 0.
	Temperature float64
	TopP        float64
	TopK        int
	Seed        int64
	// PromptIDs, when not empty, is the whole prompt as token ids (the
	// completions API only, without Prompt or Prefill): vLLM and terse
	// serve accept a list of ids as "prompt".
	PromptIDs []int
	// ReturnTokenIDs asks the server for the token ids of the prompt and
	// the completion (vLLM's and terse serve's "return_token_ids").
	ReturnTokenIDs bool
}

// Response is one sampled completion.
type Response struct {
	// Content is the completion text (message.content or choices[0].text);
	// with a prefill it is the continuation only.
	Content string
	// ReasoningContent is the separate thinking that vLLM/SGLang return when
	// a reasoning parser is on ("reasoning_content" or "reasoning").
	ReasoningContent string
	FinishReason     string
	CompletionTokens int
	PromptTokens     int
	// ReasoningTokens is usage.completion_tokens_details.reasoning_tokens
	// when the server reports it (0 otherwise): the thinking's share of
	// CompletionTokens.
	ReasoningTokens int
	// TokenIDs are the completion's token ids (choices[0].token_ids) and
	// PromptTokenIDs the prompt's, when the request set ReturnTokenIDs and
	// the server returned them; TokenIDs is kept only when it has exactly
	// CompletionTokens ids.
	TokenIDs, PromptTokenIDs []int
	// Endpoint answered; Attempts counts HTTP tries, this one included.
	Endpoint string
	Attempts int
	// Faults lists the fault kinds (Fault*) of the earlier attempts whose
	// answers were implausible, in order; nil when the server behaved.
	Faults []string
	// Server is the server kind the answer revealed (ServerOllama), or "".
	Server string
}

// Error is returned by Do when every attempt failed or the failure is not
// worth retrying. Do returns the context's error instead when ctx ends.
type Error struct {
	Attempts int
	Endpoint string
	Err      error
	// Faults lists the fault kinds of the attempts whose answers were
	// implausible (see Response.Faults).
	Faults []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sampler: %s: %d attempt(s): %v", e.Endpoint, e.Attempts, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errors the client reports.
var (
	// ErrChoices: the server did not return exactly one choice for n = 1.
	ErrChoices = errors.New("sampler: wrong number of choices")
	// ErrNoUsage: the response has no usage.completion_tokens, and terse never
	// re-tokenises text to count.
	ErrNoUsage = errors.New("sampler: response has no usage.completion_tokens")
)

// Fault kinds: what was wrong with an implausible answer. They are stable
// snake_case names, stored in rollout files and counted in results.json.
const (
	FaultMalformed      = "malformed_body"                    // not the JSON of a completion
	FaultChoices        = "wrong_number_of_choices"           // not exactly one choice for n = 1
	FaultNoUsage        = "missing_usage"                     // no usage.completion_tokens
	FaultNegativeTokens = "negative_completion_tokens"        // completion_tokens < 0
	FaultTokensOverMax  = "completion_tokens_over_max_tokens" // completion_tokens > max_tokens
	FaultFinishReason   = "invalid_finish_reason"             // finish_reason neither stop nor length
)

// FaultError is an implausible answer: Kind is one of the Fault* names.
type FaultError struct {
	Kind string
	Err  error
}

func (e *FaultError) Error() string { return fmt.Sprintf("implausible answer (%s): %v", e.Kind, e.Err) }
func (e *FaultError) Unwrap() error { return e.Err }

// retryable wraps an error that another attempt may fix; after says how
// long the server asked to wait (0: use backoff).
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

type endpoint struct {
	base     string // e.g. http://host:8000/v1
	inflight atomic.Int64
}

// Client sends requests. It is safe for concurrent use.
type Client struct {
	opts      Options
	http      *http.Client
	endpoints []*endpoint
	next      atomic.Uint64 // round-robin among equally loaded endpoints
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	if len(opts.Endpoints) == 0 {
		return nil, fmt.Errorf("sampler: no endpoint")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 500 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 30 * time.Second
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 2 * time.Minute
	}
	if opts.MaxConnsPerEndpoint <= 0 {
		opts.MaxConnsPerEndpoint = 256
	}
	c := &Client{opts: opts, http: opts.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        opts.MaxConnsPerEndpoint * len(opts.Endpoints),
			MaxIdleConnsPerHost: opts.MaxConnsPerEndpoint,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	for _, e := range opts.Endpoints {
		base, err := normalise(e)
		if err != nil {
			return nil, err
		}
		c.endpoints = append(c.endpoints, &endpoint{base: base})
	}
	return c, nil
}

// normalise turns "http://h:8000", "http://h:8000/" or "http://h:8000/v1/"
// into "http://h:8000/v1".
func normalise(e string) (string, error) {
	e = strings.TrimRight(strings.TrimSpace(e), "/")
	if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return "", fmt.Errorf("sampler: endpoint %q: want an http:// or https:// URL", e)
	}
	if !strings.HasSuffix(e, "/v1") {
		e += "/v1"
	}
	return e, nil
}

// pick returns the endpoint with the fewest requests in flight, avoiding
// avoid when there is a choice; ties go round-robin.
func (c *Client) pick(avoid *endpoint) *endpoint {
	n := len(c.endpoints)
	start := int(c.next.Add(1) % uint64(n))
	var best *endpoint
	for i := range n {
		e := c.endpoints[(start+i)%n]
		if e == avoid && n > 1 {
			continue
		}
		if best == nil || e.inflight.Load() < best.inflight.Load() {
			best = e
		}
	}
	return best
}

// Do draws one sample, retrying as the package doc says. When ctx ends it
// returns ctx.Err() (the sample was not drawn, not failed).
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	body, path, err := encode(req)
	if err != nil {
		return Response{}, &Error{Err: err}
	}
	var last *endpoint
	var lastErr error
	var faults []string
	for attempt := 1; ; attempt++ {
		ep := c.pick(last)
		last = ep
		resp, err := c.attempt(ctx, ep, path, body, req.MaxTokens)
		if err == nil {
			resp.Endpoint, resp.Attempts, resp.Faults = ep.base, attempt, faults
			if what := Unsupported(resp.Server, req); len(what) > 0 {
				// Drawn with settings other than the recorded ones: refused.
				return Response{}, &Error{Attempts: attempt, Endpoint: ep.base, Err: unsupportedError(resp.Server, ep.base, req, what)}
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		lastErr = err
		var fe *FaultError
		if errors.As(err, &fe) {
			faults = append(faults, fe.Kind)
		}
		var rt *retryable
		if !errors.As(err, &rt) || attempt >= c.opts.MaxAttempts {
			return Response{}, &Error{Attempts: attempt, Endpoint: ep.base, Err: lastErr, Faults: faults}
		}
		wait := c.backoff(attempt)
		if rt.after > 0 {
			wait = min(rt.after, c.opts.MaxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Response{}, ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is the delay after failed attempt a (1-based): uniform in
// [d/2, d) with d = min(BackoffMax, BackoffBase·2^(a−1)).
func (c *Client) backoff(a int) time.Duration {
	d := c.opts.BackoffBase
	for i := 1; i < a && d < c.opts.BackoffMax; i++ {
		d *= 2 // no overflow: d < BackoffMax before doubling
	}
	d = min(d, c.opts.BackoffMax)
	half := d / 2
	return half + rand.N(half+1)
}

// attempt sends one HTTP request and decodes the answer.
func (c *Client) attempt(ctx context.Context, ep *endpoint, path string, body []byte, maxTokens int) (Response, error) {
	ep.inflight.Add(1)
	defer ep.inflight.Add(-1)
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, ep.base+path, bytes.NewReader(body))
	if err != nil {
		return Response{}, fmt.Errorf("build request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.opts.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		// Timeouts, refused or reset connections: all worth another try.
		return Response{}, &retryable{err: fmt.Errorf("POST %s: %w", path, err)}
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody+1))
	if err != nil {
		return Response{}, &retryable{err: fmt.Errorf("read %s response: %w", path, err)}
	}
	if len(data) > maxBody {
		return Response{}, fmt.Errorf("%s response over %d bytes", path, maxBody)
	}
	if hresp.StatusCode != http.StatusOK {
		err := fmt.Errorf("POST %s: HTTP %d: %s", path, hresp.StatusCode, snippet(data))
		switch {
		case hresp.StatusCode == http.StatusTooManyRequests || hresp.StatusCode >= 500 || hresp.StatusCode == http.StatusRequestTimeout:
			return Response{}, &retryable{err: err, after: retryAfter(hresp.Header.Get("Retry-After"))}
		default:
			return Response{}, err
		}
	}
	resp, err := decode(data, maxTokens)
	if err != nil {
		return Response{}, &retryable{err: err}
	}
	return resp, nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type wireRequest struct {
	Model       string    `json:"model"`
	Messages    []message `json:"messages,omitempty"`
	Prompt      any       `json:"prompt,omitempty"` // a string or a list of token ids
	MaxTokens   int       `json:"max_tokens"`
	Temperature float64   `json:"temperature"`
	TopP        float64   `json:"top_p"`
	TopK        int       `json:"top_k,omitempty"`
	Seed        int64     `json:"seed"`
	N           int       `json:"n"`
	Stream      bool      `json:"stream"`
	// vLLM/SGLang extensions for continuing a prefilled assistant turn.
	ContinueFinalMessage bool  `json:"continue_final_message,omitempty"`
	AddGenerationPrompt  *bool `json:"add_generation_prompt,omitempty"`
	// ReturnTokenIDs: vLLM's request field for token ids in the response.
	ReturnTokenIDs bool `json:"return_token_ids,omitempty"`
}

// encode builds the JSON body and the path for req.
func encode(req Request) ([]byte, string, error) {
	if req.Model == "" {
		return nil, "", fmt.Errorf("sampler: request has no model")
	}
	if req.MaxTokens <= 0 {
		return nil, "", fmt.Errorf("sampler: max_tokens %d ≤ 0", req.MaxTokens)
	}
	w := wireRequest{
		Model: req.Model, MaxTokens: req.MaxTokens, Temperature: req.Temperature,
		TopP: req.TopP, Seed: req.Seed, N: 1, ReturnTokenIDs: req.ReturnTokenIDs,
	}
	if req.TopK > 0 {
		w.TopK = req.TopK
	}
	var path string
	switch req.API {
	case APIChat:
		path = "/chat/completions"
		if len(req.PromptIDs) > 0 {
			return nil, "", fmt.Errorf("sampler: a prompt of token ids needs the completions API")
		}
		if req.System != "" {
			w.Messages = append(w.Messages, message{"system", req.System})
		}
		w.Messages = append(w.Messages, message{"user", req.Prompt})
		if req.Prefill != "" {
			no := false
			w.Messages = append(w.Messages, message{"assistant", req.Prefill})
			w.ContinueFinalMessage, w.AddGenerationPrompt = true, &no
		}
	case APICompletions:
		path = "/completions"
		if req.System != "" {
			return nil, "", fmt.Errorf("sampler: the completions API has no system message")
		}
		switch {
		case len(req.PromptIDs) > 0 && (req.Prompt != "" || req.Prefill != ""):
			return nil, "", fmt.Errorf("sampler: a request has token ids or text as its prompt, not both")
		case len(req.PromptIDs) > 0:
			w.Prompt = req.PromptIDs
		default:
			w.Prompt = req.Prompt + req.Prefill
		}
	default:
		return nil, "", fmt.Errorf("sampler: unknown API %q (want %q or %q)", req.API, APIChat, APICompletions)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, "", fmt.Errorf("sampler: encode request: %w", err)
	}
	return b, path, nil
}

type wireResponse struct {
	// SystemFingerprint "fp_ollama" names Ollama (ServerOllama).
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Text    *string `json:"text"`
		Message *struct {
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
			Reasoning        *string `json:"reasoning"`
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
		// TokenIDs (vLLM, terse serve: with return_token_ids) are the
		// completion's ids; completions put PromptTokenIDs on the choice.
		TokenIDs       []int `json:"token_ids"`
		PromptTokenIDs []int `json:"prompt_token_ids"`
	} `json:"choices"`
	// PromptTokenIDs: chat completions put them on the response.
	PromptTokenIDs []int `json:"prompt_token_ids"`
	Usage          *struct {
		PromptTokens     int  `json:"prompt_tokens"`
		CompletionTokens *int `json:"completion_tokens"`
		// CompletionTokensDetails.ReasoningTokens: OpenAI's split of the
		// completion (terse serve, and vLLM/SGLang where they report it).
		CompletionTokensDetails *struct {
			ReasoningTokens int `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	} `json:"usage"`
}

// decode parses a completions or chat completions body sampled with
// max_tokens maxTokens and checks that it is plausible (package doc); every
// error it returns is a *FaultError.
func decode(data []byte, maxTokens int) (Response, error) {
	var w wireResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return Response{}, &FaultError{FaultMalformed, fmt.Errorf("sampler: decode response: %w", err)}
	}
	if len(w.Choices) != 1 {
		return Response{}, &FaultError{FaultChoices, fmt.Errorf("%w: got %d, want 1", ErrChoices, len(w.Choices))}
	}
	if w.Usage == nil || w.Usage.CompletionTokens == nil {
		return Response{}, &FaultError{FaultNoUsage, ErrNoUsage}
	}
	switch n := *w.Usage.CompletionTokens; {
	case n < 0:
		return Response{}, &FaultError{FaultNegativeTokens, fmt.Errorf("usage.completion_tokens %d < 0", n)}
	case n > maxTokens:
		return Response{}, &FaultError{FaultTokensOverMax, fmt.Errorf("usage.completion_tokens %d > max_tokens %d", n, maxTokens)}
	}
	if fr := w.Choices[0].FinishReason; fr == nil || (*fr != "stop" && *fr != "length") {
		got := "null"
		if fr != nil {
			got = strconv.Quote(*fr)
		}
		return Response{}, &FaultError{FaultFinishReason, fmt.Errorf("finish_reason %s, want \"stop\" or \"length\"", got)}
	}
	ch := w.Choices[0]
	var r Response
	switch {
	case ch.Message != nil:
		if ch.Message.Content != nil {
			r.Content = *ch.Message.Content
		}
		// "reasoning" is current vLLM's and Ollama's name, "reasoning_content"
		// SGLang's and vLLM's before Jan 2026; a server sending both sends
		// the same text twice.
		if ch.Message.Reasoning != nil {
			r.ReasoningContent = *ch.Message.Reasoning
		} else if ch.Message.ReasoningContent != nil {
			r.ReasoningContent = *ch.Message.ReasoningContent
		}
	case ch.Text != nil:
		r.Content = *ch.Text
	default:
		return Response{}, &FaultError{FaultMalformed, fmt.Errorf("sampler: choice has neither message nor text")}
	}
	if w.SystemFingerprint == "fp_ollama" {
		r.Server = ServerOllama
	}
	r.FinishReason = *ch.FinishReason
	r.CompletionTokens = *w.Usage.CompletionTokens
	r.PromptTokens = w.Usage.PromptTokens
	if d := w.Usage.CompletionTokensDetails; d != nil && d.ReasoningTokens > 0 && d.ReasoningTokens <= r.CompletionTokens {
		r.ReasoningTokens = d.ReasoningTokens
	}
	if len(ch.TokenIDs) == r.CompletionTokens && r.CompletionTokens > 0 {
		r.TokenIDs = ch.TokenIDs
		r.PromptTokenIDs = ch.PromptTokenIDs
		if r.PromptTokenIDs == nil {
			r.PromptTokenIDs = w.PromptTokenIDs
		}
	}
	return r, nil
}
