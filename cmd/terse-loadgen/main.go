// Command terse-loadgen measures the terse reward service from a second
// process: sustained requests/s, rollouts/s and latency percentiles at given
// batch sizes (rollouts per request), with realistic responses (2–8k
// characters of reasoning ending in \boxed{}).
//
// Usage:
//
//	terse reward serve --addr 127.0.0.1:8008 --rollout-limit 16384 &
//	terse-loadgen --url http://127.0.0.1:8008 --batch 1,64,1024 --duration 10s
//
// It prints one line per batch size (or a JSON list with --json) and exits 1
// when any request failed.
//
// Attack mode (--attack trickle|lie-length|no-read) measures robustness
// instead: --attackers connections misbehave (trickle a body one byte a
// second, declare a body far larger than they send, or never read a
// streamed answer) while one legitimate client sends a request every 50 ms
// for --duration; it reports how many attackers the server still holds,
// the legitimate requests' status codes and latency, and with --pid the
// server's peak resident memory:
//
//	terse-loadgen --url http://127.0.0.1:8008 --attack trickle --attackers 2000 --duration 10s --pid $(pgrep -n terse)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// options holds the command's flags.
type options struct {
	URL         string
	Protocol    string
	Batches     []int
	Duration    time.Duration
	Concurrency int
	GroupSize   int
	CharsMin    int
	CharsMax    int
	WithTokens  bool
	Variants    int
	Seed        uint64
	JSON        bool
	Attack      attackOptions
}

// result is the measurement at one batch size.
type result struct {
	Protocol    string  `json:"protocol"`
	Batch       int     `json:"batch"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	ReqPerSec   float64 `json:"requests_per_s"`
	RollPerSec  float64 `json:"rollouts_per_s"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	BodyBytes   int     `json:"body_bytes"`
	FirstError  string  `json:"first_error,omitempty"`
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "terse-loadgen: %v\n", err)
		os.Exit(2)
	}
	if o.Attack.Kind != "" {
		o.Attack.Duration = o.Duration
		r, err := runAttack(context.Background(), o.URL, o.Attack)
		if err != nil {
			fmt.Fprintf(os.Stderr, "terse-loadgen: %v\n", err)
			os.Exit(1)
		}
		if o.JSON {
			json.NewEncoder(os.Stdout).Encode(r)
			return
		}
		fmt.Printf("%-10s %-6s %9s %9s %6s %7s %6s %6s %9s %9s %9s %10s %10s  %s\n",
			"attack", "target", "attackers", "connected", "held", "sockets", "legit", "ok", "base ms", "p50 ms", "max ms", "RSS0 MiB", "peak MiB", "codes")
		fmt.Printf("%-10s %-6s %9d %9d %6d %7d %6d %6d %9.2f %9.2f %9.2f %10.1f %10.1f  %v\n",
			r.Attack, r.Target, r.Attackers, r.Connected, r.HeldAtEnd, r.ServerSockets, r.Legit, r.OK, r.BaselineMs, r.P50ms, r.MaxMs, r.RSSBeforeMiB, r.RSSPeakMiB, r.Codes)
		return
	}
	results, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "terse-loadgen: %v\n", err)
		os.Exit(1)
	}
	if o.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(results)
	} else {
		fmt.Printf("%-9s %6s %4s %9s %7s %10s %12s %8s %8s %8s %8s %10s\n",
			"protocol", "batch", "conc", "requests", "errors", "req/s", "rollouts/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "body KiB")
		for _, r := range results {
			fmt.Printf("%-9s %6d %4d %9d %7d %10.1f %12.0f %8.2f %8.2f %8.2f %8.2f %10.1f\n",
				r.Protocol, r.Batch, r.Concurrency, r.Requests, r.Errors, r.ReqPerSec, r.RollPerSec,
				r.P50ms, r.P90ms, r.P99ms, r.MaxMs, float64(r.BodyBytes)/1024)
		}
	}
	for _, r := range results {
		if r.Errors > 0 {
			fmt.Fprintf(os.Stderr, "terse-loadgen: batch %d: %d failed requests, first: %s\n", r.Batch, r.Errors, r.FirstError)
			os.Exit(1)
		}
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("terse-loadgen", flag.ContinueOnError)
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8008", "base URL of `terse reward serve`")
	fs.StringVar(&o.Protocol, "protocol", "native", "native (POST /v1/reward) or openrlhf (POST /get_reward)")
	batches := fs.String("batch", "1,64,1024", "comma-separated batch sizes (rollouts per request)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measuring time per batch size")
	fs.IntVar(&o.Concurrency, "concurrency", 2, "concurrent clients")
	fs.IntVar(&o.GroupSize, "group-size", 8, "native protocol: rollouts per group within a batch")
	fs.IntVar(&o.CharsMin, "chars-min", 2000, "shortest response in characters")
	fs.IntVar(&o.CharsMax, "chars-max", 8000, "longest response in characters")
	fs.BoolVar(&o.WithTokens, "with-tokens", false, "native protocol: send token counts, so the server does not tokenise")
	fs.IntVar(&o.Variants, "variants", 8, "distinct request bodies per batch size (built before timing)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of the generated responses")
	fs.BoolVar(&o.JSON, "json", false, "print results as JSON")
	fs.StringVar(&o.Attack.Kind, "attack", "", "attack mode: trickle, lie-length or no-read (see the command doc)")
	fs.StringVar(&o.Attack.Target, "target", "reward", "attack mode: the server, reward (terse reward serve) or openai (terse serve)")
	fs.IntVar(&o.Attack.Attackers, "attackers", 1000, "attack mode: misbehaving connections")
	fs.Int64Var(&o.Attack.Declared, "declared", 64<<20, "attack mode lie-length: the Content-Length each attacker declares")
	fs.IntVar(&o.Attack.PID, "pid", 0, "attack mode: the server's process id, to sample its resident memory from /proc")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, b := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil || n < 1 {
			return o, fmt.Errorf("--batch: %q is not a positive integer", b)
		}
		o.Batches = append(o.Batches, n)
	}
	switch {
	case o.Protocol != "native" && o.Protocol != "openrlhf":
		return o, fmt.Errorf("--protocol: %q, want native or openrlhf", o.Protocol)
	case o.Concurrency < 1 || o.GroupSize < 1 || o.Variants < 1:
		return o, errors.New("--concurrency, --group-size and --variants must be at least 1")
	case o.CharsMin < 20 || o.CharsMax < o.CharsMin:
		return o, errors.New("need 20 ≤ --chars-min ≤ --chars-max")
	case o.Duration <= 0:
		return o, errors.New("--duration must be positive")
	case o.Attack.Kind != "" && o.Attack.Kind != attackTrickle && o.Attack.Kind != attackLieLength && o.Attack.Kind != attackNoRead:
		return o, fmt.Errorf("--attack: %q, want trickle, lie-length or no-read", o.Attack.Kind)
	case o.Attack.Target != "reward" && o.Attack.Target != "openai":
		return o, fmt.Errorf("--target: %q, want reward or openai", o.Attack.Target)
	case o.Attack.Kind == attackNoRead && o.Attack.Target != "openai":
		return o, errors.New("--attack no-read needs --target openai (only terse serve streams)")
	case o.Attack.Attackers < 1:
		return o, errors.New("--attackers must be at least 1")
	}
	return o, nil
}

// run measures each batch size in turn.
func run(ctx context.Context, o options) ([]result, error) {
	client := &http.Client{
		Timeout:   5 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, DisableCompression: true},
	}
	resp, err := client.Get(strings.TrimRight(o.URL, "/") + "/healthz")
	if err != nil {
		return nil, fmt.Errorf("reaching the service: %w", err)
	}
	resp.Body.Close()
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	var out []result
	for _, batch := range o.Batches {
		bodies := make([][]byte, o.Variants)
		for i := range bodies {
			bodies[i] = buildBody(rng, o, batch)
		}
		r, err := measure(ctx, client, o, batch, bodies)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// measure sends requests from o.Concurrency clients for o.Duration.
func measure(ctx context.Context, client *http.Client, o options, batch int, bodies [][]byte) (result, error) {
	path := "/v1/reward"
	if o.Protocol == "openrlhf" {
		path = "/get_reward"
	}
	url := strings.TrimRight(o.URL, "/") + path
	// One warm-up request per client.
	for range o.Concurrency {
		if _, err := send(ctx, client, url, bodies[0]); err != nil {
			return result{}, fmt.Errorf("batch %d warm-up: %w", batch, err)
		}
	}
	var (
		mu       sync.Mutex
		lat      []time.Duration
		nErr     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(o.Duration)
	for c := range o.Concurrency {
		wg.Go(func() {
			for i := c; time.Now().Before(deadline); i += o.Concurrency {
				d, err := send(ctx, client, url, bodies[i%len(bodies)])
				mu.Lock()
				if err != nil {
					nErr++
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := min(len(lat)-1, int(p*float64(len(lat))))
		return float64(lat[i].Microseconds()) / 1000
	}
	n := len(lat)
	return result{
		Protocol: o.Protocol, Batch: batch, Concurrency: o.Concurrency, Requests: n + nErr, Errors: nErr,
		Seconds: el, ReqPerSec: float64(n) / el, RollPerSec: float64(n*batch) / el,
		P50ms: q(0.50), P90ms: q(0.90), P99ms: q(0.99), MaxMs: q(1), BodyBytes: len(bodies[0]), FirstError: firstErr,
	}, nil
}

// send posts one body and returns its latency; a non-200 answer is an error.
func send(ctx context.Context, client *http.Client, url string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	t := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return d, nil
}

// words are the filler of generated reasoning.
var words = strings.Fields(`Let me think about this step by step. We have the equation so we can
substitute and simplify. Wait, let me double-check the arithmetic: the sum of the roots is
\frac{b}{a} and the product is \frac{c}{a}. Then x^2 + 2x + 1 = (x+1)^2, hence x = -1.
Alternatively, consider the case n = 3, which gives 27. Hmm, that does not match; recompute
\sqrt{16} = 4 and 4 \cdot 7 = 28. So the total is 28 modulo 1000. Therefore the answer follows.`)

// response returns a reasoning text of about n characters ending in
// \boxed{ans}, as a reasoning model writes it.
func response(rng *rand.Rand, n int, ans int) string {
	var b strings.Builder
	b.WriteString("<think>\n")
	for b.Len() < n-40 {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(12) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	fmt.Fprintf(&b, "\n</think>\n\nThe answer is $\\boxed{%d}$.", ans)
	return b.String()
}

// buildBody builds one request of batch rollouts; about half are correct.
func buildBody(rng *rand.Rand, o options, batch int) []byte {
	const prompt = "<|im_start|>user\nSolve the problem. Put the final answer in \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"
	gold := 28
	resp := func() (string, int) {
		n := o.CharsMin + rng.IntN(o.CharsMax-o.CharsMin+1)
		ans := gold + rng.IntN(2)
		return response(rng, n, ans), n
	}
	var v any
	if o.Protocol == "openrlhf" {
		q := make([]string, batch)
		p := make([]string, batch)
		l := make([]string, batch)
		for i := range q {
			r, _ := resp()
			q[i], p[i], l[i] = prompt+r+"<|im_end|>", prompt, strconv.Itoa(gold)
		}
		v = map[string]any{"query": q, "prompts": p, "labels": l}
	} else {
		type rollout struct {
			Response string `json:"response"`
			Tokens   *int   `json:"tokens,omitempty"`
		}
		type group struct {
			ID       string    `json:"id"`
			Gold     string    `json:"gold"`
			Rollouts []rollout `json:"rollouts"`
		}
		var groups []group
		for i := 0; i < batch; i += o.GroupSize {
			g := group{ID: fmt.Sprintf("p%d", i/o.GroupSize), Gold: strconv.Itoa(gold)}
			for range min(o.GroupSize, batch-i) {
				r, n := resp()
				ro := rollout{Response: r}
				if o.WithTokens {
					t := n / 4
					ro.Tokens = &t
				}
				g.Rollouts = append(g.Rollouts, ro)
			}
			groups = append(groups, g)
		}
		v = map[string]any{"groups": groups}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain strings and ints always marshal
	}
	return b
}
