package modelserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/internal/httpx"
)

// Request bodies. Optional numbers are pointers so that an absent field
// takes its default and an explicit bad value gets a 400. Unknown fields are
// ignored, as vLLM does.

// oaiSamplingFields are the fields /v1/completions and /v1/chat/completions share.
type oaiSamplingFields struct {
	Model               string          `json:"model"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"` // chat's newer name for max_tokens
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int            `json:"top_k"` // vLLM extension; 0 or -1 disables
	MinP                *float64        `json:"min_p"` // vLLM extension; only 0 is supported
	N                   *int            `json:"n"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`           // string or list of strings
	StopTokenIDs        []int64         `json:"stop_token_ids"` // vLLM extension
	IgnoreEOS           bool            `json:"ignore_eos"`     // vLLM extension
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	PresencePenalty   *float64           `json:"presence_penalty"`
	FrequencyPenalty  *float64           `json:"frequency_penalty"`
	RepetitionPenalty *float64           `json:"repetition_penalty"`
	LogitBias         map[string]float64 `json:"logit_bias"`
	MinTokens         *int               `json:"min_tokens"`
	BestOf            *int               `json:"best_of"`
	// ReturnTokensAsTokenIDs writes logprobs tokens as "token_id:<id>" (vLLM).
	ReturnTokensAsTokenIDs bool `json:"return_tokens_as_token_ids"`
	// ReturnTokenIDs adds prompt_token_ids and choices[].token_ids (vLLM).
	ReturnTokenIDs bool `json:"return_token_ids"`
	// The thinking budget fields of vLLM, SGLang, NIM and llama.cpp (thinking.go).
	oaiThinkingFields
}

type oaiCompletionRequest struct {
	oaiSamplingFields
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
	Echo     bool            `json:"echo"`
	Suffix   *string         `json:"suffix"`
	// AddSpecialTokens (vLLM extension, default true): a text prompt gets
	// the tokenizer's BOS when its tokenizer_config sets add_bos_token.
	AddSpecialTokens *bool `json:"add_special_tokens"`
}

type oaiChatRequest struct {
	oaiSamplingFields
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Logprobs             bool            `json:"logprobs"`
	TopLogprobs          *int            `json:"top_logprobs"`
	AddGenerationPrompt  *bool           `json:"add_generation_prompt"`  // vLLM; default true
	ContinueFinalMessage bool            `json:"continue_final_message"` // vLLM
	SeparateReasoning    *bool           `json:"separate_reasoning"`     // SGLang; default: the server's ReasoningParser
	Tools                json.RawMessage `json:"tools"`
	ResponseFormat       *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// oaiError is an OpenAI-style error response.
type oaiError struct {
	status int
	typ    string // "invalid_request_error", …
	msg    string
	param  string // "" → null
	code   string // "" → null
	retry  string // Retry-After header, if any
}

func (e *oaiError) Error() string { return e.msg }

// oaiBad is a 400 invalid_request_error about param.
func oaiBad(param, format string, args ...any) *oaiError {
	return &oaiError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

// oaiParams are a request's validated decoding parameters.
type oaiParams struct {
	temperature float32
	topP        float32
	topK        int
	maxTokens   int // 0: until the context is full
	n           int
	seed        uint64 // choice i uses seed+i
	stops       []string
	stopIDs     []int32 // stop tokens in force (defaults unless ignore_eos, plus stop_token_ids)
}

// oaiMaxStops bounds the stop strings of one request, and MaxStopBytes
// their total length: every generated token's text is checked against
// each of them, so a request with huge stop strings would slow every
// sequence of the batch (vLLM sets no cap; real requests send a few short
// strings).
const (
	oaiMaxStops  = 16
	MaxStopBytes = 4096
)

// params validates the shared fields. maxN is the server's cap on n.
func (f *oaiSamplingFields) params(o *Options) (oaiParams, *oaiError) {
	p := oaiParams{temperature: 1, n: 1}
	finite := func(name string, v *float64, lo, hi float64, loOpen bool) (float64, *oaiError) {
		x := *v
		if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi || (loOpen && x == lo) {
			open := "["
			if loOpen {
				open = "("
			}
			return 0, oaiBad(name, "%s must be in %s%g, %g], got %g", name, open, lo, hi, x)
		}
		return x, nil
	}
	if f.Temperature != nil {
		t, err := finite("temperature", f.Temperature, 0, 100, false)
		if err != nil {
			return p, err
		}
		p.temperature = float32(t)
	}
	if f.TopP != nil {
		t, err := finite("top_p", f.TopP, 0, 1, true)
		if err != nil {
			return p, err
		}
		p.topP = float32(t)
	}
	if f.TopK != nil {
		switch k := *f.TopK; {
		case k == -1 || k == 0:
		case k < -1:
			return p, oaiBad("top_k", "top_k must be -1 or 0 (disabled) or positive, got %d", k)
		default:
			p.topK = k
		}
	}
	if f.MinP != nil && *f.MinP != 0 {
		return p, oaiBad("min_p", "min_p is not supported (only 0); got %g", *f.MinP)
	}
	switch {
	case f.MaxTokens != nil && f.MaxCompletionTokens != nil && *f.MaxTokens != *f.MaxCompletionTokens:
		return p, oaiBad("max_tokens", "max_tokens (%d) and max_completion_tokens (%d) disagree", *f.MaxTokens, *f.MaxCompletionTokens)
	case f.MaxTokens != nil:
		p.maxTokens = *f.MaxTokens
	case f.MaxCompletionTokens != nil:
		p.maxTokens = *f.MaxCompletionTokens
	}
	if (f.MaxTokens != nil || f.MaxCompletionTokens != nil) && p.maxTokens < 1 {
		return p, oaiBad("max_tokens", "max_tokens must be at least 1, got %d", p.maxTokens)
	}
	if f.N != nil {
		p.n = *f.N
		if p.n < 1 || p.n > o.MaxN {
			return p, oaiBad("n", "n must be in [1, %d], got %d", o.MaxN, p.n)
		}
	}
	if f.BestOf != nil && *f.BestOf != p.n {
		return p, oaiBad("best_of", "best_of is not supported (only best_of = n); got %d with n = %d", *f.BestOf, p.n)
	}
	if f.Seed != nil {
		p.seed = uint64(*f.Seed)
	} else {
		p.seed = rand.Uint64()
	}
	for _, pen := range []struct {
		name string
		v    *float64
		none float64
	}{{"presence_penalty", f.PresencePenalty, 0}, {"frequency_penalty", f.FrequencyPenalty, 0}, {"repetition_penalty", f.RepetitionPenalty, 1}} {
		if pen.v != nil && *pen.v != pen.none {
			return p, oaiBad(pen.name, "%s is not supported (only %g); got %g", pen.name, pen.none, *pen.v)
		}
	}
	if len(f.LogitBias) > 0 {
		return p, oaiBad("logit_bias", "logit_bias is not supported")
	}
	if f.MinTokens != nil && *f.MinTokens != 0 {
		return p, oaiBad("min_tokens", "min_tokens is not supported (only 0); got %d", *f.MinTokens)
	}
	stops, err := oaiParseStop(f.Stop)
	if err != nil {
		return p, err
	}
	p.stops = stops
	if !f.IgnoreEOS {
		p.stopIDs = append(p.stopIDs, o.StopTokens...)
	}
	if len(f.StopTokenIDs) > MaxStopTokenIDs {
		return p, oaiBad("stop_token_ids", "stop_token_ids has %d entries, at most %d are accepted", len(f.StopTokenIDs), MaxStopTokenIDs)
	}
	V := o.Model.Config.VocabSize
	for i, id := range f.StopTokenIDs {
		if id < 0 || id >= int64(V) {
			return p, oaiBad("stop_token_ids", "stop_token_ids[%d] = %d is outside the vocabulary [0, %d)", i, id, V)
		}
		p.stopIDs = append(p.stopIDs, int32(id))
	}
	return p, nil
}

// oaiParseStop reads "stop": null, a string or a list of strings.
func oaiParseStop(raw json.RawMessage) ([]string, *oaiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	var list []string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, oaiBad("stop", "stop must be a string or a list of strings")
	}
	if len(list) > oaiMaxStops {
		return nil, oaiBad("stop", "at most %d stop strings, got %d", oaiMaxStops, len(list))
	}
	total := 0
	for i, s := range list {
		if s == "" {
			return nil, oaiBad("stop", "stop[%d] is empty", i)
		}
		total += len(s)
	}
	if total > MaxStopBytes {
		return nil, oaiBad("stop", "stop strings total %d bytes, at most %d are accepted", total, MaxStopBytes)
	}
	return list, nil
}

// oaiParsePrompts reads the completions "prompt": a string, a list of
// strings, a list of token ids or a list of such lists. Text prompts are
// encoded as vLLM does (vllm/entrypoints/openai/completion/protocol.py,
// commit d5dba2d7: add_special_tokens defaults to true): with special
// tokens, so BOS first when the tokenizer_config sets add_bos_token
// (DeepSeek-R1-Distill); token-id prompts are taken as they are.
func oaiParsePrompts(raw json.RawMessage, tok tokenizer.Tokenizer, addSpecial bool) ([][]int32, *oaiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, oaiBad("prompt", "prompt is required")
	}
	encode := tok.Encode
	if addSpecial {
		sp := tok.Special()
		encode = func(s string) []int32 { return sp.WithBOS(tok.Encode(s)) }
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return [][]int32{encode(s)}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err == nil && len(ss) > 0 {
		out := make([][]int32, len(ss))
		for i, x := range ss {
			out[i] = encode(x)
		}
		return out, nil
	}
	var ids []int32
	if err := json.Unmarshal(raw, &ids); err == nil && len(ids) > 0 {
		return [][]int32{ids}, nil
	}
	var idss [][]int32
	if err := json.Unmarshal(raw, &idss); err == nil && len(idss) > 0 {
		return idss, nil
	}
	return nil, oaiBad("prompt", "prompt must be a string, a non-empty list of strings, a list of token ids or a list of such lists")
}

// oaiContent flattens a chat message's content: a string, null, or a list
// of {"type":"text","text":…} parts.
func oaiContent(raw json.RawMessage, param string) (string, *oaiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", oaiBad(param, "%s must be a string or a list of content parts", param)
	}
	var b strings.Builder
	for i, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", oaiBad(param, "%s[%d]: only {\"type\":\"text\",\"text\":…} parts are supported, got type %q", param, i, p.Type)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// oaiJSONPath drops the Go names of embedded structs (oaiSamplingFields,
// …) from encoding/json's dotted field path, leaving the JSON keys.
func oaiJSONPath(field string) string {
	var keys []string
	for _, k := range strings.Split(field, ".") {
		if !strings.HasPrefix(k, "oai") {
			keys = append(keys, k)
		}
	}
	return strings.Join(keys, ".")
}

// MaxStopTokenIDs caps a request's stop_token_ids: each generated token
// is checked against them, so a huge list would slow every sequence of
// the batch (vLLM sets no cap; real models need a handful).
const MaxStopTokenIDs = 1024

// oaiDecodeJSON decodes body into v, naming the offending field on a type
// error and the JSON kind it wants (never a Go type name).
func oaiDecodeJSON(body []byte, v any) *oaiError {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return oaiBad("", "request body: got JSON %s, want %s", te.Value, httpx.JSONKind(te.Type))
	case errors.As(err, &te):
		field := oaiJSONPath(te.Field)
		return oaiBad(field, "field %q: got JSON %s, want %s", field, te.Value, httpx.JSONKind(te.Type))
	case errors.As(err, &se):
		return oaiBad("", "malformed JSON at byte %d: %v", se.Offset, err)
	default:
		return oaiBad("", "malformed JSON: %v", err)
	}
}

// specs builds the sequences of prompts × n choices; choice j of every prompt
// uses seed p.seed+j. It checks each prompt against the context.
func (p *oaiParams) specs(prompts [][]int32, o *Options, tok tokenizer.Tokenizer) ([]oaiSeqSpec, *oaiError) {
	ctxLen := o.Model.Config.MaxPositionEmbeddings
	if len(prompts)*p.n > o.MaxBatch {
		return nil, oaiBad("n", "%d prompts × n = %d sequences exceed the batch limit %d", len(prompts), p.n, o.MaxBatch)
	}
	var specs []oaiSeqSpec
	for i, pr := range prompts {
		param := "prompt"
		if len(pr) == 0 {
			return nil, oaiBad(param, "prompt %d is empty (after tokenisation)", i)
		}
		for _, id := range pr {
			if id < 0 || int(id) >= o.Model.Config.VocabSize {
				return nil, oaiBad(param, "prompt %d: token id %d is outside the vocabulary [0, %d)", i, id, o.Model.Config.VocabSize)
			}
		}
		room := ctxLen - len(pr)
		if room < 1 {
			return nil, oaiBad(param, "prompt %d has %d tokens; the model's context is %d tokens, leaving no room to generate", i, len(pr), ctxLen)
		}
		maxNew := room
		if p.maxTokens > 0 {
			maxNew = min(p.maxTokens, room)
		}
		for j := range p.n {
			opts := model.SampleOptions{
				Temperature: p.temperature, TopP: p.topP, TopK: p.topK,
				Seed: p.seed + uint64(j), MaxNewTokens: maxNew, StopTokens: p.stopIDs,
			}
			if len(p.stops) > 0 {
				opts.Stop = oaiStopFunc(tok, p.stops)
			}
			specs = append(specs, oaiSeqSpec{prompt: pr, opts: opts})
		}
	}
	return specs, nil
}

// oaiStopFunc returns a SampleOptions.Stop that fires when a stop string
// ends in the newest token. Every token decodes to at least one byte, so the
// last maxLen+1 tokens hold any occurrence ending there; only they are
// decoded, keeping each check O(maxLen).
func oaiStopFunc(tok tokenizer.Tokenizer, stops []string) func([]int32) bool {
	maxLen := 0
	for _, s := range stops {
		maxLen = max(maxLen, len(s))
	}
	return func(ts []int32) bool {
		tail := tok.Decode(ts[max(0, len(ts)-maxLen-1):])
		for _, s := range stops {
			if strings.Contains(tail, s) {
				return true
			}
		}
		return false
	}
}
