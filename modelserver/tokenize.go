package modelserver

import (
	"context"
	"encoding/json"
	"net/http"
)

// /tokenize and /detokenize, in vLLM's shapes
// (vllm/entrypoints/serve/tokenize/protocol.py, commit 030ea52e), served
// at the root (as vLLM) and under /v1 (as SGLang):
//
//	POST /tokenize   {"model", "prompt", "add_special_tokens"} → {"count", "max_model_len", "tokens"}
//	POST /detokenize {"model", "tokens"} → {"prompt"}
//
// add_special_tokens (default true, as vLLM's TokenizeCompletionRequest)
// prepends BOS when the tokenizer_config sets add_bos_token
// (DeepSeek-R1-Distill), as /v1/completions does; eval/force sends false
// and cuts stored thinking at exact token counts through them.

type oaiTokenizeRequest struct {
	Model            string          `json:"model"`
	Prompt           *string         `json:"prompt"`
	Messages         json.RawMessage `json:"messages"`
	AddSpecialTokens *bool           `json:"add_special_tokens"`
}

type oaiTokenizeResponse struct {
	Count       int     `json:"count"`
	MaxModelLen int     `json:"max_model_len"`
	Tokens      []int32 `json:"tokens"`
}

type oaiDetokenizeRequest struct {
	Model  string  `json:"model"`
	Tokens []int64 `json:"tokens"`
}

func (s *Server) handleTokenize(ctx context.Context, w http.ResponseWriter, body []byte) (any, *oaiError) {
	var req oaiTokenizeRequest
	if e := oaiDecodeJSON(body, &req); e != nil {
		return nil, e
	}
	if e := s.checkModel(req.Model); e != nil {
		return nil, e
	}
	if req.Prompt == nil {
		if len(req.Messages) > 0 {
			return nil, oaiBad("messages", "tokenizing chat messages is not supported; send the rendered text as prompt")
		}
		return nil, oaiBad("prompt", "prompt is required")
	}
	ids := s.opts.Tokenizer.Encode(*req.Prompt)
	if req.AddSpecialTokens == nil || *req.AddSpecialTokens {
		ids = s.opts.Tokenizer.Special().WithBOS(ids)
	}
	if ids == nil {
		ids = []int32{}
	}
	return oaiTokenizeResponse{Count: len(ids), MaxModelLen: s.opts.Model.Config.MaxPositionEmbeddings, Tokens: ids}, nil
}

func (s *Server) handleDetokenize(ctx context.Context, w http.ResponseWriter, body []byte) (any, *oaiError) {
	var req oaiDetokenizeRequest
	if e := oaiDecodeJSON(body, &req); e != nil {
		return nil, e
	}
	if e := s.checkModel(req.Model); e != nil {
		return nil, e
	}
	ids := make([]int32, len(req.Tokens))
	for i, id := range req.Tokens {
		if id < 0 || id >= int64(s.opts.Tokenizer.VocabSize()) {
			return nil, oaiBad("tokens", "tokens[%d] = %d is outside the vocabulary [0, %d)", i, id, s.opts.Tokenizer.VocabSize())
		}
		ids[i] = int32(id)
	}
	return map[string]string{"prompt": s.opts.Tokenizer.Decode(ids)}, nil
}
