package rewardserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The attacks of issue 16 on the reward service, each performed by a
// client in the test against a server listening on loopback (Serve, the
// production path). Memory is measured as the Go heap in use after a
// collection (runtime.MemStats.HeapInuse) with wide margins; no assertion
// depends on how fast the machine is.

// rsServe starts s.Serve on a loopback listener and returns its address;
// the server stops when the test ends.
func rsServe(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, ln.Addr().String()
}

// heapInUse returns the live heap after two full collections.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// rsDialAll opens n connections to addr, each sending head; they are
// closed when the test ends.
func rsDialAll(t *testing.T, addr string, n int, head string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// rsStatus reads the status line of the answer on c (waiting at most d).
func rsStatus(c net.Conn, d time.Duration) string {
	c.SetReadDeadline(time.Now().Add(d))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "no answer: " + err.Error()
	}
	return strings.TrimSpace(line)
}

const rsLegit = `{"groups":[{"gold":"42","rollouts":[{"response":"\\boxed{42}<|im_end|>"}]}]}`

// TestAttackLyingContentLength (item 1): the body buffer was pre-sized
// from Content-Length, so connections that declare 32 MiB and send one
// byte cost 32 MiB each (8 of them: 256 MiB of heap). Now a declared
// length over the cap is refused with 413 before any body byte is read,
// and one under the cap costs only what actually arrives.
func TestAttackLyingContentLength(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.MaxBodyBytes = 64 << 20
	_, addr := rsServe(t, opts)

	over := rsDialAll(t, addr, 1, fmt.Sprintf("POST /v1/reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 100<<20))
	if got := rsStatus(over[0], 20*time.Second); !strings.Contains(got, " 413 ") {
		t.Errorf("declared 100 MiB over a 64 MiB cap: got %q, want 413 at once", got)
	}

	before := heapInUse()
	rsDialAll(t, addr, 8, fmt.Sprintf("POST /v1/reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 32<<20))
	time.Sleep(500 * time.Millisecond) // the handlers are reading the bodies
	grown := heapInUse() - before
	t.Logf("heap in use grew by %.1f MiB with 8 connections declaring 32 MiB", float64(grown)/(1<<20))
	if grown > 16<<20 {
		t.Errorf("8 lying connections cost %.0f MiB of heap, want < 16 MiB (what they sent is 8 bytes)", float64(grown)/(1<<20))
	}
}

// TestAttackTrickle (item 2): connections that trickle their body took an
// in-flight slot before the body arrived, so MaxInFlight tricklers locked
// every legitimate request out with 429. Now the slot is taken once the
// body is in, and body reading has its own deadline (408).
func TestAttackTrickle(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.MaxInFlight = 8
	_, addr := rsServe(t, opts)
	conns := rsDialAll(t, addr, 64, "POST /v1/reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{")
	time.Sleep(300 * time.Millisecond) // every trickler is inside its handler
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 5 {
		resp, err := client.Post("http://"+addr+"/v1/reward", "application/json", strings.NewReader(rsLegit))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("legitimate request %d with 64 tricklers open: HTTP %d %s", i, resp.StatusCode, b)
		}
	}
	_ = conns
}

// TestAttackTrickleBodyDeadline: a trickler is answered 408 once the body
// deadline passes, whatever the request deadline.
func TestAttackTrickleBodyDeadline(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.BodyTimeout = 300 * time.Millisecond
	_, addr := rsServe(t, opts)
	c := rsDialAll(t, addr, 1, "POST /v1/reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{")[0]
	var stop atomic.Bool
	go func() {
		for !stop.Load() {
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	defer stop.Store(true)
	if got := rsStatus(c, 30*time.Second); !strings.Contains(got, " 408 ") {
		t.Errorf("trickler: got %q, want 408 after the 300 ms body deadline", got)
	}
}

// TestAttackGroupMemory (item 6): rollouts of groups that never complete
// were held until --group-wait with no bound on their memory. Now they
// count against MaxPendingBytes and requests beyond it are refused (503).
func TestAttackGroupMemory(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 8
	opts.GroupWait = 30 * time.Second
	opts.RequestTimeout = time.Minute
	opts.MaxPendingBytes = 2 << 20
	s, addr := rsServe(t, opts)
	const n, size = 32, 512 << 10
	before := heapInUse()
	var refused atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 2 * time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); wg.Wait() }()
	for i := range n {
		wg.Go(func() {
			prompt := fmt.Sprintf("P%d:", i)
			body := fmt.Sprintf(`{"query":[%q],"prompts":[%q],"labels":["42"]}`, prompt+strings.Repeat("x ", size/2)+`\boxed{42}<|im_end|>`, prompt)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/get_reward", strings.NewReader(body))
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
				refused.Add(1)
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for s.asm.pending()+int(refused.Load()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	grown := heapInUse() - before
	t.Logf("%d rollouts of %d KiB: %d held, %d refused; heap in use grew by %.1f MiB", n, size>>10, s.asm.pending(), refused.Load(), float64(grown)/(1<<20))
	if grown > 12<<20 {
		t.Errorf("incomplete groups hold %.0f MiB of heap, want < 12 MiB with a 2 MiB budget", float64(grown)/(1<<20))
	}
	if refused.Load() == 0 {
		t.Error("no request was refused beyond the group memory budget")
	}
}

// TestAttackNonFiniteShape (item 7): shape parameters that make a reward
// infinite gave a 500 and turned the Prometheus reward sum into NaN for
// good. Now they are a 400 naming the shape, and the metrics stay finite.
func TestAttackNonFiniteShape(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	for _, shape := range []string{"cosine:c0=1e308,cl=-1e308", "l1-exact:target=1,alpha=1e308", "shorterbetter:beta=1e308"} {
		body := fmt.Sprintf(`{"shape":%q,"groups":[{"gold":"42","rollouts":[{"response":"a b c \\boxed{42}<|im_end|>"},{"response":"a b c d e f g \\boxed{41}<|im_end|>"}]}]}`, shape)
		code, out := rsPost(t, ts.URL+"/v1/reward", body)
		if msg := fmt.Sprint(out["error"]); code != http.StatusBadRequest || !strings.Contains(msg, "shape") || !strings.Contains(msg, "finite") {
			t.Errorf("%s: HTTP %d %v, want 400 about the shape's non-finite rewards", shape, code, out)
		}
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "terse_reward_reward_sum "); ok {
			if x, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("metrics: terse_reward_reward_sum %s, want a finite number", v)
			}
		}
	}
	opts := rsTestOptions("cosine:c0=1e308,cl=-1e308")
	if _, err := New(opts); err == nil {
		t.Error("New accepted a server shape with non-finite rewards")
	}
}

// TestOpenRLHFIgnoredFieldsValidated (item 8): invalid JSON in a field the
// OpenRLHF endpoint ignores is still invalid JSON: 400.
func TestOpenRLHFIgnoredFieldsValidated(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	code, out := rsPost(t, ts.URL+"/get_reward", `{"query":["P: \\boxed{42}<|im_end|>"],"prompts":["P:"],"labels":["42"],"extra":{"a":tru}}`)
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["error"]), "extra") {
		t.Errorf("HTTP %d %v, want 400 naming the field extra", code, out)
	}
}

// TestErrorsNameNoGoTypes (item 8): a body of the wrong JSON type is
// explained in JSON terms, never with Go type names.
func TestErrorsNameNoGoTypes(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	for _, c := range []struct{ path, body, want string }{
		{"/v1/reward", `[]`, "request body: got JSON array, want an object"},
		{"/get_reward", `"x"`, "request body: got JSON string, want an object"},
	} {
		code, out := rsPost(t, ts.URL+c.path, c.body)
		msg := fmt.Sprint(out["error"])
		if code != http.StatusBadRequest || !strings.Contains(msg, c.want) || strings.Contains(msg, "rewardserver.") || strings.Contains(msg, "rs") && strings.Contains(msg, "Request") {
			t.Errorf("%s %s: HTTP %d %q, want 400 with %q", c.path, c.body, code, msg, c.want)
		}
	}
}

// TestAttackHeldRetryCharged: a rollout whose request timed out is kept
// for the client's retry (dedup.go). It used to leave the group-assembly
// budget when its request ended, so timed-out requests could park
// rollouts without limit; now it stays charged until its group is scored
// (or it is adopted, or expires), and a request that does not fit beside
// it is refused.
func TestAttackHeldRetryCharged(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 2
	opts.GroupWait = time.Minute
	opts.RequestTimeout = 200 * time.Millisecond
	opts.MaxPendingBytes = 64 << 10
	s, ts := rsTestServer(t, opts)
	post := func(prompt, query string) int {
		body, _ := json.Marshal(map[string]any{"query": []string{query}, "prompts": []string{prompt}, "labels": []string{"7"}})
		resp, err := http.Post(ts.URL+"/get_reward", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// 20 KiB of response: a charge of about 40 KiB, held past its request.
	bigPrompt := "A:"
	if code := post(bigPrompt, bigPrompt+strings.Repeat("w ", 10<<10)+`\boxed{7}<|im_end|>`); code != http.StatusServiceUnavailable {
		t.Fatalf("first rollout: HTTP %d, want 503 (group incomplete at the deadline)", code)
	}
	if s.retries.count() != 1 {
		t.Fatalf("%d rollouts kept for a retry, want 1", s.retries.count())
	}
	if held := s.pending.held(); held < 40<<10 {
		t.Fatalf("budget holds %d bytes with a 20 KiB rollout kept for a retry, want ≥ %d", held, 40<<10)
	}
	// Another prompt's 20 KiB rollout does not fit beside it.
	if code := post("B:", "B:"+strings.Repeat("w ", 10<<10)+`\boxed{7}<|im_end|>`); code != http.StatusServiceUnavailable {
		t.Errorf("second large rollout: HTTP %d, want 503 (budget full)", code)
	}
	// The group of A completes: the kept rollout is scored and its charge
	// returned.
	done := make(chan int, 1)
	go func() { done <- post(bigPrompt, bigPrompt+`\boxed{7}<|im_end|>`) }()
	if code := <-done; code != http.StatusOK {
		t.Errorf("second rollout of A: HTTP %d, want 200", code)
	}
	for deadline := time.Now().Add(10 * time.Second); s.pending.held() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("budget still holds %d bytes after the group was scored", s.pending.held())
		}
	}
}
