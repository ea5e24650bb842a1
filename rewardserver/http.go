package rewardserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/terse-dev/terse/internal/httpx"
)

// rsError is a request error with its HTTP status.
type rsError struct {
	code int
	msg  string
}

func (e *rsError) Error() string { return e.msg }

func rsBad(format string, args ...any) *rsError {
	return &rsError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// rsWriteJSON writes v as a JSON response with status code.
func rsWriteJSON(w http.ResponseWriter, code int, v any) {
	httpx.WriteJSON(w, code, v, func(msg string) []byte { return fmt.Appendf(nil, `{"error":%q}`+"\n", msg) })
}

// rsWriteError writes {"error": msg} with code.
func rsWriteError(w http.ResponseWriter, code int, msg string) {
	rsWriteJSON(w, code, map[string]string{"error": msg})
}

// rsReadBody reads the capped request body (413 when over limit).
func rsReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *rsError) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, &rsError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q, want application/json", ct)}
	}
	body, err := httpx.ReadBody(w, r, limit)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, &rsError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes (--max-body-bytes)", mbe.Limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &rsError{http.StatusRequestTimeout, "reading request body: deadline exceeded (--body-timeout)"}
	case err != nil:
		return nil, rsBad("reading request body: %v", err)
	case len(bytes.TrimSpace(body)) == 0:
		return nil, rsBad("request body: empty, want a JSON object")
	}
	return body, nil
}

// rsStdError decodes body with encoding/json into v to explain why the fast
// splitters rejected it.
func rsStdError(body []byte, v any) *rsError {
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&json.RawMessage{}) != io.EOF {
			return rsBad("request body: trailing data after the JSON value")
		}
		return rsBad("request body: malformed JSON")
	}
	return rsJSONError(err, "request body")
}

// rsJSONError turns an encoding/json error about the value at path into a
// clear client error.
func rsJSONError(err error, path string) *rsError {
	var (
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return rsBad("%s: invalid JSON at byte %d: %v", path, se.Offset, err)
	case errors.As(err, &ute) && ute.Field != "":
		return rsBad("%s: field %q: got JSON %s, want %s", path, ute.Field, ute.Value, httpx.JSONKind(ute.Type))
	case errors.As(err, &ute):
		return rsBad("%s: got JSON %s, want %s", path, ute.Value, httpx.JSONKind(ute.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return rsBad("%s: truncated JSON", path)
	}
	return rsBad("%s: %v", path, err)
}

// rsScalar decodes a small JSON value (number, bool, short string, list of
// strings) at path into v.
func rsScalar(raw []byte, v any, path string) *rsError {
	if err := json.Unmarshal(raw, v); err != nil {
		return rsJSONError(err, path)
	}
	return nil
}

// instrument wraps a scoring handler: the capped body read under its own
// deadline (BodyTimeout, 408 after), then the concurrency limit (429 when
// full), the request deadline, request count and latency metrics, and
// error responses. The in-flight slot is taken only once the body is in:
// a client trickling its body holds a connection and what it has sent so
// far, never a slot that a legitimate request needs.
func (s *Server) instrument(endpoint string, h func(w http.ResponseWriter, r *http.Request, body []byte) *rsError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &httpx.StatusWriter{ResponseWriter: w}
		defer func() {
			code := sw.Code
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.request(endpoint, code, time.Since(start))
		}()
		// Deadlines: errors only mean the writer cannot set them.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(start.Add(s.opts.BodyTimeout))
		body, e := rsReadBody(sw, r, s.opts.MaxBodyBytes)
		if e != nil {
			rsWriteError(sw, e.code, e.msg)
			return
		}
		select {
		case s.inflight <- struct{}{}:
			defer func() { <-s.inflight }()
		default:
			sw.Header().Set("Retry-After", "1")
			rsWriteError(sw, http.StatusTooManyRequests,
				fmt.Sprintf("overloaded: %d requests in flight (--max-in-flight)", cap(s.inflight)))
			return
		}
		s.metrics.inFlight(1)
		defer s.metrics.inFlight(-1)
		// The body is in: from now on a read deadline would only cut the
		// server's check for a vanished client, so it follows the request's.
		deadline := time.Now().Add(s.opts.RequestTimeout)
		_ = rc.SetReadDeadline(deadline.Add(10 * time.Second))
		_ = rc.SetWriteDeadline(deadline.Add(10 * time.Second))
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		if e := h(sw, r.WithContext(ctx), body); e != nil {
			if e.code >= 500 {
				s.opts.Logger.Warn("reward request failed", "endpoint", endpoint, "code", e.code, "err", e.msg)
			}
			rsWriteError(sw, e.code, e.msg)
		}
	}
}

// rsCtxError maps a context error during scoring to a response.
func rsCtxError(err error, what string) *rsError {
	if errors.Is(err, context.DeadlineExceeded) {
		return &rsError{http.StatusGatewayTimeout, what + ": request deadline exceeded (--request-timeout)"}
	}
	return &rsError{http.StatusServiceUnavailable, what + ": " + err.Error()}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := map[string]any{
		"status":         "ok",
		"shape":          s.opts.Shape.String(),
		"group_size":     s.opts.GroupSize,
		"rollout_limit":  s.opts.RolloutLimit,
		"length_approx":  s.lengthApprox(),
		"pending_groups": s.asm.pending(),
		"pending_bytes":  s.pending.held(),
	}
	if a, ok := s.opts.Shape.(interface{ TargetLen() int }); ok {
		h["target_len"] = a.TargetLen() // L_T in force (adaptive)
	}
	rsWriteJSON(w, http.StatusOK, h)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", httpx.MetricsContentType)
	s.metrics.write(w, s.asm.pending(), s.pending.held())
}
