// Package fakeserver is an in-process OpenAI-compatible server for tests:
// it answers /v1/chat/completions and /v1/completions deterministically
// from the request (so a test knows each sample's length and answer) and
// can inject faults: 5xx bursts, 429 with Retry-After, hung responses,
// connections reset mid-body, truncated JSON, missing choices, and
// implausible answers (a lying server: negative or oversized token counts,
// a null or unknown finish_reason, no usage block).
package fakeserver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the server does to one request.
type Fault int

// Faults the server can inject.
const (
	None Fault = iota
	Status500
	Status429 // with Retry-After: 0.01 (10 ms)
	Hang      // never answers (until the client gives up)
	Reset     // writes half the body, then resets the connection
	Truncated // 200 with a JSON body cut in half
	NoChoices // 200 with "choices": []
	Status400 // a permanent error

	// Implausible answers: 200 with a well-formed body that cannot be true.
	LieNegativeTokens // usage.completion_tokens = -5
	LieHugeTokens     // usage.completion_tokens = 10^9, whatever max_tokens
	LieFinishNull     // finish_reason null
	LieFinishEOS      // finish_reason "eos" (neither stop nor length)
	LieNoUsage        // no usage block
)

// Request is the part of a request body the fake reads.
type Request struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Prompt               *string `json:"prompt"`
	MaxTokens            int     `json:"max_tokens"`
	Seed                 int64   `json:"seed"`
	N                    int     `json:"n"`
	TopK                 int     `json:"top_k"`
	ContinueFinalMessage bool    `json:"continue_final_message"`
}

// Text is the user message (chat) or the prompt (completions).
func (r *Request) Text() string {
	if r.Prompt != nil {
		return *r.Prompt
	}
	for _, m := range r.Messages {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

// Answer decides a completion: its text, reasoning (returned separately
// when Reasoning is true on the server) and length in tokens before the
// budget cut. The default answers "\boxed{seed}" in 10·(seed%7+1) tokens.
type Answer func(r *Request) (reasoning, content string, tokens int)

// Server is the fake.
type Server struct {
	*httptest.Server
	// Faults, when set, picks the fault of request number i (0-based).
	Faults func(i int64) Fault
	// Answer, when set, replaces the default answer.
	Answer Answer
	// Reasoning returns the reasoning as message.reasoning_content (as vLLM
	// with a reasoning parser does) instead of inside <think> tags.
	Reasoning bool
	// OpenInPrompt leaves out the opening <think> tag, as when the prompt
	// or prefill already ends with <think>.
	OpenInPrompt bool

	requests atomic.Int64
	mu       sync.Mutex
	seen     []Request
}

// New starts a fake server.
func New() *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Requests returns how many requests arrived.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Seen returns copies of the request bodies that arrived.
func (s *Server) Seen() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

// DefaultAnswer answers \boxed{seed} after some thinking, seed%7+1 tens
// of tokens long.
func DefaultAnswer(r *Request) (string, string, int) {
	return "let me think", fmt.Sprintf("The answer is \\boxed{%d}.", r.Seed), 10 * int(r.Seed%7+1)
}

func (s *Server) handle(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodPost { // e.g. sampler's GET /api/version probe: not a sample
		http.NotFound(w, hr)
		return
	}
	i := s.requests.Add(1) - 1
	var req Request
	if err := json.NewDecoder(hr.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.seen = append(s.seen, req)
	s.mu.Unlock()
	f := None
	if s.Faults != nil {
		f = s.Faults(i)
	}
	switch f {
	case Status500:
		http.Error(w, "overloaded", http.StatusInternalServerError)
		return
	case Status429:
		w.Header().Set("Retry-After", "0.01")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case Status400:
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	case Hang:
		select {
		case <-hr.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	ans := s.Answer
	if ans == nil {
		ans = DefaultAnswer
	}
	reasoning, content, n := ans(&req)
	finish := "stop"
	if n > req.MaxTokens {
		n, finish = req.MaxTokens, "length"
		content = "" // cut inside the thinking
	}
	type msg struct {
		Content          string  `json:"content"`
		ReasoningContent *string `json:"reasoning_content,omitempty"`
	}
	choice := map[string]any{"index": 0, "finish_reason": finish}
	full := content
	if !s.Reasoning {
		open := "<think>"
		if s.OpenInPrompt {
			open = ""
		}
		full = open + reasoning + "</think>" + content
		if finish == "length" {
			full = open + reasoning
		}
	}
	if req.Prompt != nil {
		choice["text"] = full
	} else if s.Reasoning {
		choice["message"] = msg{Content: content, ReasoningContent: &reasoning}
	} else {
		choice["message"] = msg{Content: full}
	}
	body := map[string]any{
		"id": "x", "object": "chat.completion", "model": req.Model,
		"choices": []any{choice},
		"usage":   map[string]int{"prompt_tokens": len(strings.Fields(req.Text())), "completion_tokens": n, "total_tokens": n},
	}
	switch f {
	case NoChoices:
		body["choices"] = []any{}
	case LieNegativeTokens:
		body["usage"] = map[string]int{"completion_tokens": -5}
	case LieHugeTokens:
		body["usage"] = map[string]int{"completion_tokens": 1_000_000_000}
	case LieFinishNull:
		choice["finish_reason"] = nil
	case LieFinishEOS:
		choice["finish_reason"] = "eos"
	case LieNoUsage:
		delete(body, "usage")
	}
	b, _ := json.Marshal(body)
	switch f {
	case Truncated:
		b = b[:len(b)/2]
	case Reset:
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST instead of FIN
				}
				c.Close()
			}
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
