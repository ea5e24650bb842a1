package force

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Tokenizer counts and cuts text with the serving model's own tokenizer.
// Cuts are token-exact only when they use the tokenizer that generated the
// rollouts, so terse asks the server rather than estimating from characters.
type Tokenizer interface {
	// Tokenize returns the token ids of text, without special tokens.
	Tokenize(ctx context.Context, model, text string) ([]int, error)
	// Detokenize returns the text of ids.
	Detokenize(ctx context.Context, model string, ids []int) (string, error)
}

// ErrNoTokenize is returned when a server has no tokenize endpoint. The
// only other token-exact cut is by the token ids a rollout stored (terse
// eval --store-token-ids) with the closing message given as ids
// (Options.ClosingIDs); Run falls back to it when every rollout has them,
// and never to a character estimate.
var ErrNoTokenize = errors.New("force: server has no /tokenize endpoint (vLLM, SGLang and terse serve have one); forced and prefix modes need the server's tokenizer to cut the thinking at an exact token count, unless the rollouts store their token ids (sample with --store-token-ids) and the closing message is given as ids (--closing-ids, --think-end-id)")

// ServerTokenizer calls a server's /tokenize and /detokenize endpoints.
// Request and response shapes (checked against the servers' source):
//
//	vLLM   vllm/entrypoints/serve/tokenize/protocol.py (commit 030ea52e):
//	       POST /tokenize   {"model", "prompt", "add_special_tokens"} → {"count", "max_model_len", "tokens"}
//	       POST /detokenize {"model", "tokens"} → {"prompt"}
//	SGLang python/sglang/srt/entrypoints/openai/serving_tokenize.py (commit 0351c1fa):
//	       POST /v1/tokenize   {"model", "prompt", "add_special_tokens"} → {"tokens", "count", "max_model_len"}
//	       POST /v1/detokenize {"model", "tokens"} → {"text"}
//
// The endpoint is tried at the server root first (vLLM), then under /v1
// (SGLang); the first path that answers is kept.
type ServerTokenizer struct {
	// Base is the server URL, with or without a trailing /v1.
	Base string
	// APIKey, if set, is sent as a bearer token.
	APIKey string
	// HTTP is the client [http.DefaultClient].
	HTTP *http.Client

	mu     sync.Mutex
	prefix string // "" (root) or "/v1", once known
	known  bool
}

// root returns the server URL without /v1.
func (t *ServerTokenizer) root() string {
	b := strings.TrimRight(strings.TrimSpace(t.Base), "/")
	return strings.TrimSuffix(b, "/v1")
}

// post sends body to path under the known prefix, or tries both.
func (t *ServerTokenizer) post(ctx context.Context, path string, body, out any) error {
	t.mu.Lock()
	prefixes := []string{"", "/v1"}
	if t.known {
		prefixes = []string{t.prefix}
	}
	t.mu.Unlock()
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("force: encode %s request: %w", path, err)
	}
	for _, p := range prefixes {
		status, resp, err := t.do(ctx, t.root()+p+path, data)
		if err != nil {
			return err
		}
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			continue
		}
		if status != http.StatusOK {
			return fmt.Errorf("force: POST %s%s: HTTP %d: %s", p, path, status, snippet(resp))
		}
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("force: decode %s%s response: %w", p, path, err)
		}
		t.mu.Lock()
		t.prefix, t.known = p, true
		t.mu.Unlock()
		return nil
	}
	return ErrNoTokenize
}

func (t *ServerTokenizer) do(ctx context.Context, url string, data []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return 0, nil, fmt.Errorf("force: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if t.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.APIKey)
	}
	c := t.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("force: POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("force: read %s: %w", url, err)
	}
	return resp.StatusCode, b, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Tokenize implements Tokenizer.
func (t *ServerTokenizer) Tokenize(ctx context.Context, model, text string) ([]int, error) {
	var out struct {
		Tokens *[]int `json:"tokens"`
		Count  *int   `json:"count"`
	}
	no := false
	err := t.post(ctx, "/tokenize", struct {
		Model            string `json:"model,omitempty"`
		Prompt           string `json:"prompt"`
		AddSpecialTokens *bool  `json:"add_special_tokens"`
	}{model, text, &no}, &out)
	if err != nil {
		return nil, err
	}
	if out.Tokens == nil {
		return nil, fmt.Errorf("force: /tokenize response has no \"tokens\"")
	}
	if out.Count != nil && *out.Count != len(*out.Tokens) {
		return nil, fmt.Errorf("force: /tokenize response: count %d but %d tokens", *out.Count, len(*out.Tokens))
	}
	return *out.Tokens, nil
}

// Detokenize implements Tokenizer.
func (t *ServerTokenizer) Detokenize(ctx context.Context, model string, ids []int) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	var out struct {
		Prompt *string `json:"prompt"` // vLLM
		Text   *string `json:"text"`   // SGLang
	}
	err := t.post(ctx, "/detokenize", struct {
		Model  string `json:"model,omitempty"`
		Tokens []int  `json:"tokens"`
	}{model, ids}, &out)
	if err != nil {
		return "", err
	}
	switch {
	case out.Prompt != nil:
		return *out.Prompt, nil
	case out.Text != nil:
		return *out.Text, nil
	}
	return "", fmt.Errorf("force: /detokenize response has neither \"prompt\" (vLLM) nor \"text\" (SGLang)")
}
