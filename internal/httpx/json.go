package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// WriteJSON writes v as a JSON response (one line, HTML characters left
// unescaped) with status code. If v cannot be encoded it writes status 500
// and errBody(msg) instead, msg saying why; errBody gives the server's own
// error shape.
func WriteJSON(w http.ResponseWriter, code int, v any, errBody func(msg string) []byte) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		buf.Write(errBody("encoding response: " + err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
