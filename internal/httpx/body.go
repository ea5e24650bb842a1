package httpx

import (
	"bytes"
	"net/http"
)

// ReadBody reads r's body, capped at limit bytes. Over the cap it returns
// the *http.MaxBytesError of http.MaxBytesReader (the caller answers 413)
// and asks the server to close the connection.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

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
