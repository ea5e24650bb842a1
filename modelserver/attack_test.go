package modelserver

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/terse-dev/terse/engine/model"
)

// smallBuffers is a listener whose connections have small kernel send
// buffers, so that a client that does not read blocks the server's writes
// after a few KiB instead of megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// TestAttackStreamNoRead (issue 16 item 4): a streaming client that never
// reads used to pin its connection, its handler and the unsent output for
// ever, --request-timeout notwithstanding: the handler sat in a blocked
// write with no deadline. Now every response has a write deadline (the
// request deadline plus a grace period), so the server closes such a
// connection WriteGrace after the request times out.
func TestAttackStreamNoRead(t *testing.T) {
	tok := oaiTestTokenizer(t)
	s, err := New(Options{Model: oaiTestModel(t, tok, func(c *model.Config) { c.MaxPositionEmbeddings = 1 << 16 }), Tokenizer: tok,
		ModelName: "tiny", MaxN: 8, MaxBatch: 64, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener.Close()
	ts.Listener = smallBuffers{ln}
	var mu sync.Mutex
	closed := map[string]bool{}
	ts.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateClosed || st == http.StateHijacked {
			mu.Lock()
			closed[c.RemoteAddr().String()] = true
			mu.Unlock()
		}
	}
	// An idle keep-alive connection is closed after 1 s: a stream that
	// ended before its writes blocked (a slow machine) is released too.
	// What must not happen is a handler blocked in a write for ever.
	ts.Config.IdleTimeout = time.Second
	ts.Start()
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close(); s.Close() })

	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"prompt":"1","max_tokens":60000,"ignore_eos":true,"stream":true,"n":8}`
	fmt.Fprintf(c, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	// Never read. The server must give up on the connection by itself.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		done := closed[c.LocalAddr().String()]
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still holds a non-reading streaming client 60 s after its 5 s request timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A legitimate request is served meanwhile and after.
	var out map[string]any
	if code := oaiPost(t, ts.URL+"/v1/completions", `{"prompt":"1","max_tokens":4}`, &out); code != 200 {
		t.Errorf("legitimate request: HTTP %d %v", code, out)
	}
}

// TestAttackStopTokenIDs (item 5): stop_token_ids had no size cap and was
// scanned linearly for every generated token, so one request with a
// million ids slowed every request in its batch. Now a list longer than
// MaxStopTokenIDs is a 400 naming the field.
func TestAttackStopTokenIDs(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	var b bytes.Buffer
	b.WriteString(`{"prompt":"1","max_tokens":4,"stop_token_ids":[`)
	for i := range 100000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("5")
	}
	b.WriteString("]}")
	var e oaiTestError
	if code := oaiPost(t, ts.URL+"/v1/completions", b.String(), &e); code != 400 || e.Error.Param == nil || *e.Error.Param != "stop_token_ids" {
		t.Errorf("100000 stop_token_ids: HTTP %d %+v, want 400 naming stop_token_ids", code, e.Error)
	}
	var ok map[string]any
	if code := oaiPost(t, ts.URL+"/v1/completions", `{"prompt":"1","max_tokens":4,"stop_token_ids":[5,6,7]}`, &ok); code != 200 {
		t.Errorf("3 stop_token_ids: HTTP %d %v", code, ok)
	}
}

// TestAttackStopStrings: stop strings are checked against every generated
// token, so their count and total size are capped; a request over either
// cap is a 400 naming "stop", and ordinary stops still work.
func TestAttackStopStrings(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	many := make([]string, 17)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprint("s", i))
	}
	for name, body := range map[string]string{
		"17 strings":      `{"prompt":"1","max_tokens":4,"stop":[` + strings.Join(many, ",") + `]}`,
		"one 1 MB string": `{"prompt":"1","max_tokens":4,"stop":"` + strings.Repeat("x", 1<<20) + `"}`,
		"2 x 3000 bytes":  `{"prompt":"1","max_tokens":4,"stop":["` + strings.Repeat("x", 3000) + `","` + strings.Repeat("y", 3000) + `"]}`,
	} {
		var e oaiTestError
		if code := oaiPost(t, ts.URL+"/v1/completions", body, &e); code != 400 || e.Error.Param == nil || *e.Error.Param != "stop" {
			t.Errorf("%s: HTTP %d %+v, want 400 naming stop", name, code, e.Error)
		}
	}
	var ok map[string]any
	if code := oaiPost(t, ts.URL+"/v1/completions", `{"prompt":"1","max_tokens":4,"stop":["</answer>","\n\n"]}`, &ok); code != 200 {
		t.Errorf("2 short stops: HTTP %d %v", code, ok)
	}
}

// TestErrorsNameFields (item 8): a body of the wrong JSON type was
// reported with Go's type names (serve.oaiCompletionRequest); errors name
// what the user sent and the JSON kind wanted.
func TestErrorsNameFields(t *testing.T) {
	_, ts := oaiTestServer(t, nil)
	for _, c := range []struct{ path, body, want string }{
		{"/v1/completions", `[]`, "request body: got JSON array, want an object"},
		{"/v1/chat/completions", `"hi"`, "request body: got JSON string, want an object"},
		{"/v1/chat/completions", `{"messages":5}`, `field "messages": got JSON number, want a list`},
		{"/v1/completions", `{"prompt":"1","stop_token_ids":"a"}`, `field "stop_token_ids": got JSON string, want a list`},
	} {
		var e oaiTestError
		code := oaiPost(t, ts.URL+c.path, c.body, &e)
		if code != 400 || !strings.Contains(e.Error.Message, c.want) || strings.Contains(e.Error.Message, "oai") || strings.Contains(e.Error.Message, "modelserver.") {
			t.Errorf("%s %s: HTTP %d %q, want 400 with %q and no Go type names", c.path, c.body, code, e.Error.Message, c.want)
		}
	}
	_ = io.Discard
}

// TestAttackLyingContentLength: connections that declare a body of the
// full cap (4 MiB) and send one byte cost 4 MiB each before the fix (the
// buffer was sized from the header); now what they sent.
func TestAttackLyingContentLength(t *testing.T) {
	_, ts := oaiTestServer(t, func(o *Options) { o.MaxBodyBytes = 4 << 20 })
	addr := strings.TrimPrefix(ts.URL, "http://")
	before := heapInUse()
	for range 8 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{", 4<<20)
	}
	time.Sleep(500 * time.Millisecond) // the handlers are reading the bodies
	grown := heapInUse() - before
	t.Logf("heap in use grew by %.1f MiB with 8 connections declaring 4 MiB", float64(grown)/(1<<20))
	if grown > 8<<20 {
		t.Errorf("8 lying connections cost %.0f MiB of heap, want < 8 MiB", float64(grown)/(1<<20))
	}
}

// heapInUse returns the live heap after two full collections.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}
