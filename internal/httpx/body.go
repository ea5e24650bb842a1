package httpx

import (
	"bytes"
	"net/http"
)

// ReadBody reads r's body, capped at limit bytes. Over the cap it returns
// an *http.MaxBytesError (the caller answers 413) and asks the server to
// close the connection. A declared Content-Length over the cap is refused
// before a byte of the body is read. The buffer grows with what arrives,
// never sized from the header beyond preSize bytes: a client that
// declares 64 MiB and sends one byte costs about what it sent, not 64 MiB.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, &http.MaxBytesError{Limit: limit}
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(min(n, preSize)) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// preSize is the most ReadBody allocates on a Content-Length's word alone.
const preSize = 64 << 10

// StatusWriter records the first status code written through it (0 until
// then).
type StatusWriter struct {
	http.ResponseWriter
	Code int
}

// WriteHeader records code and passes it on.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Code == 0 {
		w.Code = code
	}
	w.ResponseWriter.WriteHeader(code)
}
