package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/terse-dev/terse/engine/tokenizer"
)

// Streaming (stream: true) sends Server-Sent Events: one JSON chunk per
// choice and decode step with the new text, a last chunk per choice with its
// finish_reason, an optional usage chunk (stream_options.include_usage) and
// "data: [DONE]". Text that could still become a stop string or a partial
// </think> or UTF-8 character is held back, so the deltas of a choice add up
// to exactly the text (and reasoning) a non-streaming request returns.

// oaiDelta is the new text of one choice.
type oaiDelta struct {
	i                  int
	reasoning, content string
	first              bool       // the choice's first chunk
	final              *oaiOutput // set on the choice's last chunk
}

// oaiChoiceStream tracks what one choice has sent.
type oaiChoiceStream struct {
	mode         int // 0 undecided, 1 content only, 2 reasoning then content
	sentR, sentC int // bytes of reasoning and content sent
	started      bool
	done         bool
}

// oaiSafePrefix returns the part of raw that can be sent now: up to the
// first stop string if one occurred; otherwise all of raw except a suffix
// that may still grow into a stop string or a marker (a proper prefix of
// one), and except a trailing incomplete character.
func oaiSafePrefix(raw string, stops, markers []string) string {
	cut := -1
	for _, st := range stops {
		if i := strings.Index(raw, st); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		return raw[:cut]
	}
	safe := len(raw)
	for _, group := range [][]string{stops, markers} {
		for _, m := range group {
			for k := min(len(m)-1, len(raw)); k > 0; k-- {
				if strings.HasSuffix(raw, m[:k]) {
					safe = min(safe, len(raw)-k)
					break
				}
			}
		}
	}
	for safe > 0 {
		r, size := utf8.DecodeLastRuneInString(raw[:safe])
		if r != utf8.RuneError {
			break
		}
		safe -= size // an invalid byte or U+FFFD: maybe half a character
	}
	return raw[:safe]
}

// runStream drives a streaming job: it writes the SSE headers, then calls
// chunk for every choice's new text until all choices finished, then tail
// (usage) and [DONE]. Errors after the headers are sent as an error event.
func (s *Server) runStream(ctx context.Context, w http.ResponseWriter, job *oaiJob, p *oaiParams,
	split, thinkOpen bool, chunk func(oaiDelta) any, tail func(outs []oaiOutput) any) {
	flusher, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	send := func(v any) {
		buf.Reset()
		buf.WriteString("data: ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // response structs always encode
		buf.WriteString("\n")
		_, _ = w.Write(buf.Bytes())
	}
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	var markers []string
	if split {
		markers = []string{tokenizer.ThinkEnd}
	}
	choices := make([]oaiChoiceStream, len(job.specs))
	outs := make([]oaiOutput, len(job.specs))
	tok := s.opts.Tokenizer
	for {
		var jobErr *oaiError
		final := false
		select {
		case <-job.stream.notify:
		case err := <-job.done:
			final, jobErr = true, s.jobError(err)
		case <-ctx.Done():
			final, jobErr = true, s.jobError(ctx.Err())
		case <-s.schedDone:
			select {
			case err := <-job.done:
				final, jobErr = true, s.jobError(err)
			default:
				final, jobErr = true, oaiUnavailable()
			}
		}
		if jobErr != nil {
			s.opts.Logger.Info("openai stream failed", "status", jobErr.status, "err", jobErr.msg)
			send(map[string]any{"error": map[string]any{"message": jobErr.msg, "type": jobErr.typ, "param": nil, "code": jobErr.status}})
			_, _ = w.Write([]byte("data: [DONE]\n\n"))
			flush()
			return
		}
		toks := job.stream.snapshot()
		for i := range choices {
			c := &choices[i]
			if c.done {
				continue
			}
			var text string
			var out *oaiOutput
			if final {
				outs[i] = s.output(job.out[i], p)
				out, text = &outs[i], outs[i].text
			} else {
				ts := toks[i]
				if n := len(ts); n > 0 && slices.Contains(p.stopIDs, ts[n-1]) {
					ts = ts[:n-1] // the choice is finishing; its stop token is not text
				}
				raw := tok.Decode(ts)
				text = oaiSafePrefix(raw, p.stops, markers)
				if c.mode == 0 && split && strings.HasPrefix(tokenizer.ThinkStart, raw) {
					text = "" // too short to tell whether the output opens with <think>
				}
				if c.mode == 0 && text != "" {
					c.mode = 1
					if split && (thinkOpen || strings.HasPrefix(raw, tokenizer.ThinkStart)) {
						c.mode = 2
					}
				}
			}
			if c.mode == 0 && final {
				c.mode = 1
				if split && (thinkOpen || strings.HasPrefix(text, tokenizer.ThinkStart)) {
					c.mode = 2
				}
			}
			r, content := "", text
			if c.mode == 2 {
				r, content, _ = oaiSplitReasoning(text, true)
			}
			d := oaiDelta{i: i, first: !c.started, final: out}
			if len(r) > c.sentR {
				d.reasoning = r[c.sentR:]
			}
			if len(content) > c.sentC {
				d.content = content[c.sentC:]
			}
			if d.reasoning == "" && d.content == "" && !d.first && d.final == nil {
				continue
			}
			c.sentR, c.sentC = max(c.sentR, len(r)), max(c.sentC, len(content))
			c.started, c.done = true, final
			send(chunk(d))
		}
		if final {
			if t := tail(outs); t != nil {
				send(t)
			}
			_, _ = w.Write([]byte("data: [DONE]\n\n"))
			flush()
			return
		}
		flush()
	}
}

type oaiCompletionChunkChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
	StopReason   any     `json:"stop_reason"`
}

type oaiChatDelta struct {
	Role             string  `json:"role,omitempty"`
	Content          *string `json:"content,omitempty"`
	Reasoning        *string `json:"reasoning,omitempty"`         // current vLLM (see oaiChatMessage)
	ReasoningContent *string `json:"reasoning_content,omitempty"` // SGLang, DeepSeek, vLLM before Jan 2026
}

type oaiChatChunkChoice struct {
	Index        int          `json:"index"`
	Delta        oaiChatDelta `json:"delta"`
	Logprobs     any          `json:"logprobs"`
	FinishReason *string      `json:"finish_reason"`
	StopReason   any          `json:"stop_reason"`
}

type oaiChunk struct {
	ID      string    `json:"id"`
	Object  string    `json:"object"`
	Created int64     `json:"created"`
	Model   string    `json:"model"`
	Choices any       `json:"choices"`
	Usage   *oaiUsage `json:"usage,omitempty"`
}

// oaiStreamUsage builds the usage of finished outputs.
func oaiStreamUsage(prompt int, outs []oaiOutput) *oaiUsage {
	u := &oaiUsage{PromptTokens: prompt}
	for _, o := range outs {
		u.CompletionTokens += len(o.tokens)
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

func (s *Server) streamCompletions(ctx context.Context, w http.ResponseWriter, req *oaiCompletionRequest, p *oaiParams, prompts [][]int32, specs []oaiSeqSpec) *oaiError {
	if req.Logprobs != nil {
		return oaiBad("logprobs", "logprobs are not supported with stream: true")
	}
	job, e := s.submit(ctx, specs, true)
	if e != nil {
		return e
	}
	id, created := oaiID("cmpl-"), time.Now().Unix()
	promptTokens := 0
	for _, pr := range prompts {
		promptTokens += len(pr)
	}
	s.runStream(ctx, w, job, p, false, false, func(d oaiDelta) any {
		c := oaiCompletionChunkChoice{Index: d.i, Text: d.content}
		if d.final != nil {
			c.FinishReason, c.StopReason = &d.final.finish, d.final.stopReason
		}
		return oaiChunk{ID: id, Object: "text_completion", Created: created, Model: s.opts.ModelName, Choices: []oaiCompletionChunkChoice{c}}
	}, func(outs []oaiOutput) any {
		if req.StreamOptions == nil || !req.StreamOptions.IncludeUsage {
			return nil
		}
		return oaiChunk{ID: id, Object: "text_completion", Created: created, Model: s.opts.ModelName,
			Choices: []oaiCompletionChunkChoice{}, Usage: s.withReasoning(oaiStreamUsage(promptTokens, outs), outs, func(i int) bool {
				return promptThinkOpen(prompts[i/p.n], s.opts.Tokenizer.Special())
			})}
	})
	return nil
}

func (s *Server) streamChat(ctx context.Context, w http.ResponseWriter, req *oaiChatRequest, p *oaiParams, prompt []int32, specs []oaiSeqSpec, split, thinkOpen bool) *oaiError {
	if req.Logprobs {
		return oaiBad("logprobs", "logprobs are not supported with stream: true")
	}
	job, e := s.submit(ctx, specs, true)
	if e != nil {
		return e
	}
	id, created := oaiID("chatcmpl-"), time.Now().Unix()
	s.runStream(ctx, w, job, p, split, thinkOpen, func(d oaiDelta) any {
		c := oaiChatChunkChoice{Index: d.i}
		if d.first {
			c.Delta.Role = "assistant"
		}
		if d.content != "" || (d.first && d.reasoning == "") {
			c.Delta.Content = &d.content
		}
		if d.reasoning != "" {
			c.Delta.Reasoning, c.Delta.ReasoningContent = &d.reasoning, &d.reasoning
		}
		if d.final != nil {
			c.FinishReason, c.StopReason = &d.final.finish, d.final.stopReason
		}
		return oaiChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.opts.ModelName, Choices: []oaiChatChunkChoice{c}}
	}, func(outs []oaiOutput) any {
		if req.StreamOptions == nil || !req.StreamOptions.IncludeUsage {
			return nil
		}
		return oaiChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.opts.ModelName,
			Choices: []oaiChatChunkChoice{}, Usage: s.withReasoning(oaiStreamUsage(len(prompt), outs), outs, func(int) bool {
				return thinkOpen || promptThinkOpen(prompt, s.opts.Tokenizer.Special())
			})}
	})
	return nil
}
