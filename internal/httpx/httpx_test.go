package httpx

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteJSON(t *testing.T) {
	errBody := func(msg string) []byte { return fmt.Appendf(nil, `{"error":%q}`+"\n", msg) }
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusTeapot, map[string]string{"a": "<b>&"}, errBody)
	if rec.Code != http.StatusTeapot || rec.Body.String() != `{"a":"<b>&"}`+"\n" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, math.NaN(), errBody)
	if rec.Code != http.StatusInternalServerError || !strings.HasPrefix(rec.Body.String(), `{"error":"encoding response: json: unsupported value`) {
		t.Errorf("unencodable value: got %d %q", rec.Code, rec.Body.String())
	}
}

func TestReadBody(t *testing.T) {
	for _, c := range []struct {
		body   string
		limit  int64
		tooBig bool
	}{{"{}", 2, false}, {"{} ", 2, true}, {"", 8, false}} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		got, err := ReadBody(rec, r, c.limit)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) != c.tooBig {
			t.Errorf("ReadBody(%q, %d): err %v, want too big %v", c.body, c.limit, err, c.tooBig)
		}
		if !c.tooBig && (err != nil || string(got) != c.body) {
			t.Errorf("ReadBody(%q, %d) = %q, %v", c.body, c.limit, got, err)
		}
	}
}

func TestStatusWriter(t *testing.T) {
	sw := &StatusWriter{ResponseWriter: httptest.NewRecorder()}
	sw.WriteHeader(http.StatusNotFound)
	sw.WriteHeader(http.StatusOK) // superfluous; the first one counts
	if sw.Code != http.StatusNotFound {
		t.Errorf("Code %d, want 404", sw.Code)
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram([]float64{0.1, 1})
	for _, d := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second} {
		h.ObserveDuration(d)
	}
	var b strings.Builder
	WriteMetricHeader(&b, "x_seconds", "Latency.", "histogram")
	h.Write(&b, "x_seconds", `endpoint="a"`)
	want := `# HELP x_seconds Latency.
# TYPE x_seconds histogram
x_seconds_bucket{endpoint="a",le="0.1"} 2
x_seconds_bucket{endpoint="a",le="1"} 3
x_seconds_bucket{endpoint="a",le="+Inf"} 4
x_seconds_sum{endpoint="a"} 2.65
x_seconds_count{endpoint="a"} 4
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestNewServer(t *testing.T) {
	srv := NewServer(t.Context(), http.NotFoundHandler(), time.Minute)
	if srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.IdleTimeout != IdleTimeout || srv.ReadTimeout != time.Minute {
		t.Errorf("timeouts %v %v %v", srv.ReadHeaderTimeout, srv.IdleTimeout, srv.ReadTimeout)
	}
	if ctx := srv.BaseContext(nil); ctx.Done() != nil {
		t.Error("request contexts must not inherit the server context's cancellation")
	}
}
