package sampler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Server kinds the client knows to ignore some settings.
const (
	// ServerOllama is Ollama's OpenAI-compatible endpoint. Its request
	// types (openai/openai.go, ChatCompletionRequest and CompletionRequest,
	// ollama/ollama at 00988753) have no top_k and no
	// continue_final_message / add_generation_prompt: top_k is dropped, and
	// a final assistant message is not continued as a prefill. It answers
	// with system_fingerprint "fp_ollama" and serves GET /api/version.
	ServerOllama = "ollama"
)

// ErrUnsupported reports a request setting that the server is known to
// ignore: the sample would not be drawn with the settings recorded for it.
var ErrUnsupported = errors.New("sampler: the server ignores a setting of this request")

// Unsupported lists the settings of req that a server of the given kind
// ignores ("top_k", "prefill"); nil when it honours them all or the kind is
// unknown.
func Unsupported(kind string, req Request) []string {
	if kind != ServerOllama {
		return nil
	}
	var out []string
	if req.TopK > 0 {
		out = append(out, "top_k")
	}
	if req.Prefill != "" && req.API == APIChat {
		out = append(out, "prefill")
	}
	return out
}

// unsupportedError explains what a server of kind at endpoint would ignore.
func unsupportedError(kind, endpoint string, req Request, what []string) error {
	return fmt.Errorf("%w: %s is %s, whose OpenAI-compatible API ignores %s (this request sets top_k=%d, prefill=%q); "+
		"drop those settings (--top-k 0, no --prefill or the completions API) or serve the model with vLLM, SGLang, llama.cpp or terse serve",
		ErrUnsupported, endpoint, kind, strings.Join(what, " and "), req.TopK, req.Prefill)
}

// Probe asks every endpoint which server it is, for the settings that
// server ignores (Unsupported): Ollama answers GET /api/version with its
// version. It returns the kind per endpoint ("" when not recognised, or
// when the endpoint cannot be reached: the sampling requests report that).
func (c *Client) Probe(ctx context.Context) []string {
	kinds := make([]string, len(c.endpoints))
	for i, ep := range c.endpoints {
		root := strings.TrimSuffix(ep.base, "/v1")
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+"/api/version", nil)
		if err != nil {
			continue
		}
		if c.opts.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			continue
		}
		var v struct {
			Version *string `json:"version"`
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && json.Unmarshal(data, &v) == nil && v.Version != nil {
			kinds[i] = ServerOllama
		}
	}
	return kinds
}

// CheckSettings probes the endpoints (Probe) and returns an ErrUnsupported
// error naming the first endpoint that would ignore a setting of req.
func (c *Client) CheckSettings(ctx context.Context, req Request) error {
	for i, kind := range c.Probe(ctx) {
		if what := Unsupported(kind, req); len(what) > 0 {
			return unsupportedError(kind, c.endpoints[i].base, req, what)
		}
	}
	return nil
}
