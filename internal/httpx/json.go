package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
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

// JSONKind names the JSON value a Go type decodes from ("an object", "a
// list", "a string", "an integer", "a number", "a boolean"), for error
// messages that must name what a client sent and wanted in JSON terms,
// never Go type names (encoding/json's UnmarshalTypeError.Type).
func JSONKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another JSON type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another JSON type"
}
