package rewardserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terse-dev/terse/reward"
)

// rsTestGrader reads the last \boxed{...} (no nesting) and compares it with
// the gold answers as strings: enough to test the service, not the grader.
func rsTestGrader(resp string, gold []string) RewardVerdict {
	i := strings.LastIndex(resp, `\boxed{`)
	if i < 0 {
		return RewardVerdict{Reason: "no_answer"}
	}
	rest := resp[i+len(`\boxed{`):]
	j := strings.IndexByte(rest, '}')
	if j < 0 {
		return RewardVerdict{Reason: "unbalanced_box"}
	}
	ans := rest[:j]
	for _, g := range gold {
		if g == ans {
			return RewardVerdict{Correct: true, Reason: "equal_string", Extracted: ans}
		}
	}
	return RewardVerdict{Reason: "not_equal", Extracted: ans}
}

// rsWords counts whitespace-separated words as tokens.
type rsWords struct{}

func (rsWords) Encode(s string) []int32 { return make([]int32, len(strings.Fields(s))) }

func rsTestOptions(shape string) Options {
	return Options{
		Shape:        reward.MustParse(shape),
		Grader:       rsTestGrader,
		Tokenizer:    rsWords{},
		EOS:          []string{"<|im_end|>"},
		RolloutLimit: 20,
		GroupSize:    1,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func rsTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// rsPost posts body (a string, or a value to marshal) and decodes the JSON
// answer into a map.
func rsPost(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	if s, ok := body.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not a JSON object: %q", raw)
	}
	return resp.StatusCode, out
}

func rsFloats(t *testing.T, v any) []float64 {
	t.Helper()
	xs, ok := v.([]any)
	if !ok {
		t.Fatalf("got %T (%v), want a list", v, v)
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x.(float64)
	}
	return out
}

func rsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

const rsP = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"

func TestRewardOpenRLHF(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	long := strings.Repeat("hmm ", 12) + `\boxed{42}<|im_end|>`
	req := map[string]any{
		"query": []string{
			rsP + `so \boxed{42}<|im_end|>`, // 2 words + EOS = 3 tokens, correct: 1
			rsP + `so \boxed{42}`,           // no EOS: truncated: 0
			rsP + long,                      // 13 + 1 = 14 > L_T: 0
			rsP + `so \boxed{41}<|im_end|>`, // wrong: 0
			"<|endoftext|><|endoftext|>" + rsP + `\boxed{42}<|im_end|>`, // left padding: prompt found by search
		},
		"prompts": []string{rsP, rsP, rsP, rsP, rsP},
		"labels":  []any{"42", "42", []string{"x", "42"}, 42, "42"},
	}
	code, out := rsPost(t, ts.URL+"/get_reward", req)
	if code != 200 {
		t.Fatalf("status %d: %v", code, out)
	}
	logs := out["extra_logs"].(map[string]any)
	for _, c := range []struct {
		key  string
		got  any
		want []float64
	}{
		{"rewards", out["rewards"], []float64{1, 0, 0, 0, 1}},
		{"scores", out["scores"], []float64{1, 0, 1, 0, 1}},
		{"correct", logs["correct"], []float64{1, 1, 1, 0, 1}},
		{"solved", logs["solved"], []float64{1, 0, 1, 0, 1}},
		{"tokens", logs["tokens"], []float64{3, 2, 14, 3, 2}},
		{"truncated", logs["truncated"], []float64{0, 1, 0, 0, 0}},
		{"masked", logs["masked"], []float64{0, 0, 0, 0, 0}},
		{"group_complete", logs["group_complete"], []float64{1, 1, 1, 1, 1}},
		{"prompt_found", logs["prompt_found"], []float64{1, 1, 1, 1, 1}},
		{"length_approx", logs["length_approx"], []float64{0, 0, 0, 0, 0}},
	} {
		if got := rsFloats(t, c.got); !rsEqual(got, c.want) {
			t.Errorf("%s = %v, want %v", c.key, got, c.want)
		}
	}

	// One sample per request, bare strings, as recent OpenRLHF may send.
	code, out = rsPost(t, ts.URL+"/", map[string]any{"query": rsP + `\boxed{42}<|im_end|>`, "prompts": rsP, "labels": "42"})
	if code != 200 || !rsEqual(rsFloats(t, out["rewards"]), []float64{1}) {
		t.Errorf("single sample: %d %v", code, out)
	}
	// Empty lists.
	code, out = rsPost(t, ts.URL+"/get_reward", `{"query":[],"prompts":[],"labels":[]}`)
	if code != 200 || len(rsFloats(t, out["rewards"])) != 0 {
		t.Errorf("empty lists: %d %v", code, out)
	}
}

func TestRewardOpenRLHFLimitAndMask(t *testing.T) {
	opts := rsTestOptions("truncation-LC:target=5")
	opts.MaskedReward = -0.5
	_, ts := rsTestServer(t, opts)
	words := func(n int) string { return strings.Repeat("w ", n) }
	code, out := rsPost(t, ts.URL+"/get_reward", map[string]any{
		"query": []string{
			rsP + words(30) + `\boxed{42}<|im_end|>`, // 32 tokens ≥ L_R = 20: truncated, clipped to 20
			rsP + words(6) + `\boxed{42}<|im_end|>`,  // 8 tokens, correct & long: masked
		},
		"prompts": []string{rsP, rsP},
		"labels":  []string{"42", "42"},
	})
	if code != 200 {
		t.Fatalf("status %d: %v", code, out)
	}
	logs := out["extra_logs"].(map[string]any)
	if got := rsFloats(t, out["rewards"]); !rsEqual(got, []float64{0, -0.5}) {
		t.Errorf("rewards = %v, want [0 -0.5]", got)
	}
	if got := rsFloats(t, logs["tokens"]); !rsEqual(got, []float64{20, 8}) {
		t.Errorf("tokens = %v, want [20 8]", got)
	}
	if got := rsFloats(t, logs["truncated"]); !rsEqual(got, []float64{1, 0}) {
		t.Errorf("truncated = %v", got)
	}
	if got := rsFloats(t, logs["masked"]); !rsEqual(got, []float64{0, 1}) {
		t.Errorf("masked = %v", got)
	}
}

func TestRewardMalformed(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.MaxBodyBytes = 1 << 10
	_, ts := rsTestServer(t, opts)
	big := `{"query":["` + strings.Repeat("x", 2000) + `"],"labels":["1"]}`
	for _, tc := range []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"empty body", "/get_reward", "", 400, "empty"},
		{"bad json", "/get_reward", `{"query": [`, 400, "truncated JSON"},
		{"syntax", "/get_reward", `{"query": ]}`, 400, "invalid JSON"},
		{"not an object", "/get_reward", `[1,2]`, 400, "want"},
		{"query number", "/get_reward", `{"query": 5, "labels": ["1"]}`, 400, `"query": got a number, want a list of strings`},
		{"query element", "/get_reward", `{"query": ["a", 3], "labels": ["1","2"]}`, 400, `element 1: got a number`},
		{"missing query", "/get_reward", `{"labels": ["1"]}`, 400, `"query": missing`},
		{"missing labels", "/get_reward", `{"query": ["a"]}`, 400, `"labels": missing`},
		{"label count", "/get_reward", `{"query": ["a","b"], "labels": ["1"]}`, 400, "1 labels for 2 queries"},
		{"prompt count", "/get_reward", `{"query": ["a"], "prompts": ["a","b"], "labels": ["1"]}`, 400, "2 prompts for 1 queries"},
		{"label object", "/get_reward", `{"query": ["a"], "labels": [{"x":1}]}`, 400, `element 0: label object: json: unknown field "x"`},
		{"trailing data", "/get_reward", `{"query": [], "labels": []} {}`, 400, "trailing data"},
		{"oversized", "/get_reward", big, 413, "exceeds 1024 bytes"},
		{"native oversized", "/v1/reward", big, 413, "exceeds 1024 bytes"},
		{"native unknown field", "/v1/reward", `{"groupz": []}`, 400, "unknown field"},
		{"native no groups", "/v1/reward", `{}`, 400, `"groups": missing`},
		{"native unknown shape", "/v1/reward", `{"shape":"trunc","groups":[]}`, 400, "valid: vanilla, truncation"},
		{"native bad param", "/v1/reward", `{"shape":"truncation:len=3","groups":[]}`, 400, `unknown parameter "len"`},
		{"native stateful", "/v1/reward", `{"shape":"adaptive","groups":[]}`, 400, "stateful"},
		{"native tokens type", "/v1/reward", `{"groups":[{"rollouts":[{"tokens":"5","correct":true}]}]}`, 400, `groups[0].rollouts[0].tokens: got JSON string, want an integer`},
		{"native negative tokens", "/v1/reward", `{"groups":[{"rollouts":[{"tokens":-1,"correct":true}]}]}`, 400, "groups[0].rollouts[0].tokens: -1"},
		{"native nothing", "/v1/reward", `{"groups":[{"rollouts":[{"tokens":5}]}]}`, 400, "give response, or tokens and correct"},
		{"native gold type", "/v1/reward", `{"groups":[{"gold":{"a":1},"rollouts":[]}]}`, 400, "gold"},
		{"native limit", "/v1/reward", `{"rollout_limit":-3,"groups":[]}`, 400, "rollout_limit"},
		{"native group field", "/v1/reward", `{"groups":[{"uid":"x","rollouts":[]}]}`, 400, `groups[0]: unknown field "uid"`},
		{"native rollouts type", "/v1/reward", `{"groups":[{"rollouts":{}}]}`, 400, "groups[0].rollouts: got an object"},
		{"native response type", "/v1/reward", `{"groups":[{"rollouts":[{"response":5}]}]}`, 400, "groups[0].rollouts[0].response: got a number"},
		{"native bad escape", "/v1/reward", `{"groups":[{"gold":"1","rollouts":[{"response":"\q"}]}]}`, 400, "invalid JSON string"},
		{"native missing comma", "/v1/reward", `{"groups":[] "shape":"x"}`, 400, "invalid JSON"},
		{"control char", "/get_reward", "{\"query\":[\"a\x01\"],\"labels\":[\"1\"]}", 400, "element 0: invalid JSON string"},
		{"label bool", "/get_reward", `{"query":["a"],"labels":[true]}`, 400, "element 0: got a boolean"},
		{"unterminated string", "/get_reward", `{"query":["abc],"labels":[]}`, 400, "request body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := rsPost(t, ts.URL+tc.path, tc.body)
			msg, _ := out["error"].(string)
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("got %d %q, want %d containing %q", code, msg, tc.code, tc.want)
			}
		})
	}
	// Wrong method and content type.
	resp, err := http.Get(ts.URL + "/get_reward")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /get_reward: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Post(ts.URL+"/get_reward", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d, want 415", resp.StatusCode)
	}
}

func TestRewardNative(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	body := `{"groups":[
		{"id":"u1","gold":"42","rollouts":[
			{"response":"so \\boxed{42}<|im_end|>"},
			{"response":"so so so \\boxed{42}","truncated":true},
			{"response":"so \\boxed{7}"},
			{"tokens":11,"correct":true},
			{"tokens":25,"correct":true}
		]},
		{"id":"u2","gold":["1/2","0.5"],"rollouts":[{"response":"\\boxed{0.5}","tokens":4}]},
		{"id":"empty","rollouts":[]}
	]}`
	code, out := rsPost(t, ts.URL+"/v1/reward", body)
	if code != 200 {
		t.Fatalf("status %d: %v", code, out)
	}
	var resp RewardResponse
	b, _ := json.Marshal(out)
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	want := []RewardResponseGroup{
		{ID: "u1", Rollouts: []RewardResponseRollout{
			{Reward: 1, Correct: true, Reason: "equal_string", Extracted: "42", Tokens: 3},
			{Reward: 0, Correct: true, Reason: "equal_string", Extracted: "42", Tokens: 4, Truncated: true},
			{Reward: 0, Correct: false, Reason: "not_equal", Extracted: "7", Tokens: 2},
			{Reward: 0, Correct: true, Reason: "provided", Tokens: 11},
			{Reward: 0, Correct: true, Reason: "provided", Tokens: 20, Truncated: true},
		}},
		{ID: "u2", Rollouts: []RewardResponseRollout{{Reward: 1, Correct: true, Reason: "equal_string", Extracted: "0.5", Tokens: 4}}},
		{ID: "empty", Rollouts: []RewardResponseRollout{}},
	}
	if resp.Shape != "truncation:target=10" || len(resp.Groups) != len(want) {
		t.Fatalf("got %+v", resp)
	}
	for gi := range want {
		if fmt.Sprint(resp.Groups[gi]) != fmt.Sprint(want[gi]) {
			t.Errorf("group %d:\n got %+v\nwant %+v", gi, resp.Groups[gi], want[gi])
		}
	}

	// Shape override: Kimi over lengths 100, 200, 300 (α = 0.4).
	code, out = rsPost(t, ts.URL+"/v1/reward", `{"shape":"kimi","rollout_limit":0,"groups":[{"rollouts":[
		{"tokens":100,"correct":true},{"tokens":200,"correct":false},{"tokens":300,"correct":true}]}]}`)
	if code != 200 || out["shape"] != "kimi:alpha=0.4" {
		t.Fatalf("kimi: %d %v", code, out)
	}
	var got []float64
	for _, r := range out["groups"].([]any)[0].(map[string]any)["rollouts"].([]any) {
		got = append(got, r.(map[string]any)["reward"].(float64))
	}
	if !rsEqual(got, []float64{1.2, 0, 0.8}) {
		t.Errorf("kimi rewards = %v, want [1.2 0 0.8]", got)
	}
}

// TestRewardGroupAssembly sends the rollouts of 16 prompts from concurrent
// single-sample clients, in shuffled order,, as recent OpenRLHF does, and checks that each
// answer carries the reward of its full group.
func TestRewardGroupAssembly(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 4
	opts.RolloutLimit = 0
	s, ts := rsTestServer(t, opts)
	type sample struct {
		prompt string
		words  int
		answer string
	}
	var samples []sample
	var prompts []string
	for p := range 16 {
		prompts = append(prompts, fmt.Sprintf("P%d:", p))
	}
	for _, p := range prompts {
		for i, w := range []int{3, 9, 5, 7} {
			ans := "42"
			if i%2 == 1 {
				ans = "0"
			}
			samples = append(samples, sample{p, w, ans})
		}
	}
	// Expected: Kimi on each prompt's group; tokens = words + 1 (\boxed) + 1 (EOS).
	want := map[string]float64{}
	for _, p := range prompts {
		var g reward.Group
		var idx []int
		for i, sm := range samples {
			if sm.prompt == p {
				g = append(g, reward.Rollout{Correct: sm.answer == "42", Tokens: sm.words + 2})
				idx = append(idx, i)
			}
		}
		for k, o := range (reward.Kimi{Alpha: 0.4}).Rewards(g) {
			want[fmt.Sprint(idx[k])] = o.Reward
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(samples))
	for i, sm := range samples {
		wg.Go(func() {
			time.Sleep(time.Duration((i*7)%13) * time.Millisecond)
			q := sm.prompt + strings.Repeat(" w", sm.words) + ` \boxed{` + sm.answer + `}<|im_end|>`
			b, _ := json.Marshal(map[string]any{"query": []string{q}, "prompts": []string{sm.prompt}, "labels": []string{"42"}})
			resp, err := http.Post(ts.URL+"/get_reward", "application/json", bytes.NewReader(b))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var out rsOpenRLHFResponse
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				errs <- err
				return
			}
			if len(out.Rewards) != 1 || math.Abs(out.Rewards[0]-want[fmt.Sprint(i)]) > 1e-9 || out.ExtraLogs["group_complete"][0] != 1 {
				errs <- fmt.Errorf("sample %d: got %+v, want reward %v in a complete group", i, out, want[fmt.Sprint(i)])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.asm.pending(); n != 0 {
		t.Errorf("%d rollouts still pending", n)
	}
}

func TestRewardGroupDeadline(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 4
	opts.GroupWait = 50 * time.Millisecond
	_, ts := rsTestServer(t, opts)
	// A lone wrong rollout: Kimi on a group of one gives I(correct) = 0; a
	// lone correct one 1.
	code, out := rsPost(t, ts.URL+"/get_reward", map[string]any{
		"query": []string{"P: \\boxed{1}<|im_end|>", "P: a b c \\boxed{42}<|im_end|>"}, "prompts": []string{"P:", "P:"}, "labels": []string{"42", "42"}})
	if code != 200 {
		t.Fatalf("status %d: %v", code, out)
	}
	// Both rollouts joined one partial group of two: L̃ = 0 and 1.
	if got := rsFloats(t, out["rewards"]); !rsEqual(got, []float64{0, 0.8}) {
		t.Errorf("rewards = %v, want [0 0.8]", got)
	}
	if got := rsFloats(t, out["extra_logs"].(map[string]any)["group_complete"]); !rsEqual(got, []float64{0, 0}) {
		t.Errorf("group_complete = %v, want zeros", got)
	}
	// Prompts are required to group.
	code, out = rsPost(t, ts.URL+"/get_reward", `{"query":["x"],"labels":["1"]}`)
	if code != 400 || !strings.Contains(out["error"].(string), "prompts") {
		t.Errorf("no prompts: %d %v", code, out)
	}
}

// rsBlockingGrader blocks every call until release is closed.
func rsBlockingGrader(entered chan<- struct{}, release <-chan struct{}) RewardGrader {
	return func(resp string, gold []string) RewardVerdict {
		entered <- struct{}{}
		<-release
		return rsTestGrader(resp, gold)
	}
}

func TestRewardOverload(t *testing.T) {
	entered, release := make(chan struct{}, 10), make(chan struct{})
	opts := rsTestOptions("truncation:target=10")
	opts.MaxInFlight = 1
	opts.Grader = rsBlockingGrader(entered, release)
	_, ts := rsTestServer(t, opts)
	body := `{"query":["\\boxed{1}<|im_end|>"],"labels":["1"]}`
	first := make(chan int)
	go func() {
		code, _ := rsPost(t, ts.URL+"/get_reward", body)
		first <- code
	}()
	<-entered
	code, out := rsPost(t, ts.URL+"/get_reward", body)
	if code != http.StatusTooManyRequests || !strings.Contains(out["error"].(string), "overloaded") {
		t.Errorf("second request: %d %v, want 429", code, out)
	}
	close(release)
	if code := <-first; code != 200 {
		t.Errorf("first request: %d, want 200", code)
	}
}

func TestRewardRequestTimeout(t *testing.T) {
	entered, release := make(chan struct{}, 10), make(chan struct{})
	opts := rsTestOptions("truncation:target=10")
	opts.Workers = 1
	opts.RequestTimeout = 100 * time.Millisecond
	opts.GroupWait = 50 * time.Millisecond
	opts.Grader = rsBlockingGrader(entered, release)
	_, ts := rsTestServer(t, opts)
	defer close(release)
	code, out := rsPost(t, ts.URL+"/get_reward", `{"query":["\\boxed{1}","\\boxed{2}"],"labels":["1","2"]}`)
	if code != http.StatusGatewayTimeout || !strings.Contains(out["error"].(string), "deadline") {
		t.Errorf("got %d %v, want 504", code, out)
	}
}

// TestRewardShutdown checks that a graceful shutdown scores the partial
// group a request is waiting in and lets it finish.
func TestRewardShutdown(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 8
	opts.GroupWait = time.Minute
	opts.RequestTimeout = 2 * time.Minute
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/get_reward"
	answer := make(chan []float64, 1)
	go func() {
		code, out := rsPost(t, url, `{"query":["P: \\boxed{42}<|im_end|>"],"prompts":["P:"],"labels":["42"]}`)
		if code != 200 {
			t.Errorf("status %d: %v", code, out)
			answer <- nil
			return
		}
		answer <- rsFloats(t, out["rewards"])
	}()
	for s.asm.pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if got := <-answer; !rsEqual(got, []float64{1}) {
		t.Errorf("rewards = %v, want [1]", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Post(url, "application/json", strings.NewReader("{}")); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestRewardHealthAndMetrics(t *testing.T) {
	_, ts := rsTestServer(t, rsTestOptions("truncation:target=10"))
	rsPost(t, ts.URL+"/get_reward", `{"query":["\\boxed{1}<|im_end|>","\\boxed{2}"],"labels":["1","1"]}`)
	rsPost(t, ts.URL+"/get_reward", `{"query":`)
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h["status"] != "ok" || h["shape"] != "truncation:target=10" {
		t.Errorf("healthz = %v", h)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`terse_reward_requests_total{endpoint="openrlhf",code="200"} 1`,
		`terse_reward_requests_total{endpoint="openrlhf",code="400"} 1`,
		`terse_reward_request_duration_seconds_bucket{endpoint="openrlhf",le="+Inf"} 2`,
		`terse_reward_request_duration_seconds_count{endpoint="openrlhf"} 2`,
		"terse_reward_rollouts_total 2",
		"terse_reward_truncated_total 1",
		"terse_reward_solved_total 1",
		"terse_reward_reward_sum 1",
		`terse_reward_grades_total{reason="equal_string"} 1`,
		`terse_reward_grades_total{reason="not_equal"} 1`,
		"# TYPE terse_reward_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRewardAdaptiveStep(t *testing.T) {
	a := reward.NewAdaptiveTarget(4096, 0.9, 1)
	r := rsNewShape(a, 3)
	r.rewards(reward.Group{{Correct: true, Tokens: 100}, {Correct: true, Tokens: 200}})
	if a.TargetLen() != 4096 {
		t.Fatalf("updated before a full step: %d", a.TargetLen())
	}
	r.rewards(reward.Group{{Correct: true, Tokens: 300}})
	// Step of 3 rollouts: P90 of {100, 200, 300} = 200 + 0.8·100 = 280.
	if a.TargetLen() != 280 {
		t.Errorf("L_T = %d, want 280", a.TargetLen())
	}
}

// TestRewardStateFile: with --state, a restarted service continues the
// adaptive L_T where the previous one left it, /healthz reports it, and a
// corrupt state file or a stateless shape with a state file is refused.
func TestRewardStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	start := func() (*Server, reward.Stateful) {
		t.Helper()
		a := reward.NewAdaptiveTarget(4096, 0.9, 1)
		s, err := New(Options{Shape: a, AdaptiveStep: 3, StateFile: path})
		if err != nil {
			t.Fatal(err)
		}
		return s, a
	}
	s, _ := start()
	s.shape.rewards(reward.Group{{Correct: true, Tokens: 100}, {Correct: true, Tokens: 200}, {Correct: true, Tokens: 300}})
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file after a step: %v", err)
	}
	s2, a2 := start() // the restart
	if got := a2.(*reward.AdaptiveTarget).TargetLen(); got != 280 {
		t.Fatalf("restarted L_T = %d, want 280 (P90 of 100, 200, 300)", got)
	}
	ts := httptest.NewServer(s2.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h["target_len"] != 280.0 {
		t.Errorf("/healthz target_len = %v, want 280", h["target_len"])
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Shape: reward.NewAdaptiveTarget(4096, 0.9, 1), StateFile: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt state file: %v", err)
	}
	if _, err := New(Options{Shape: reward.Truncation{TargetLen: 10}, StateFile: path}); err == nil {
		t.Error("a state file for a stateless shape was accepted")
	}
}

func TestRewardOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{GroupSize: -1},
		{GroupWait: -time.Second},
		{RolloutLimit: -1},
		{Workers: -2},
		{EOS: []string{""}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted invalid options", o)
		}
	}
}

// TestRewardDefaultGrader runs the service with terse's real grader.
func TestRewardDefaultGrader(t *testing.T) {
	opts := rsTestOptions("truncation:target=4096")
	opts.Grader = nil
	opts.Tokenizer = nil
	_, ts := rsTestServer(t, opts)
	code, out := rsPost(t, ts.URL+"/get_reward", map[string]any{
		"query":  []string{`The answer is \boxed{\frac{1}{2}}.<|im_end|>`, `The answer is \boxed{3}.<|im_end|>`},
		"labels": []string{"1/2", "1/2"},
	})
	if code != 200 {
		t.Fatalf("status %d: %v", code, out)
	}
	logs := out["extra_logs"].(map[string]any)
	if got := rsFloats(t, logs["correct"]); !rsEqual(got, []float64{1, 0}) {
		t.Errorf("correct = %v, want [1 0]", got)
	}
	// ⌈34/4⌉ + 1 = 10 and ⌈24/4⌉ + 1 = 7 approximate tokens.
	if got := rsFloats(t, logs["tokens"]); !rsEqual(got, []float64{10, 7}) {
		t.Errorf("tokens = %v, want [10 7]", got)
	}
	if got := rsFloats(t, logs["length_approx"]); !rsEqual(got, []float64{1, 1}) {
		t.Errorf("length_approx = %v", got)
	}
}

// TestRewardSlowBody checks that a client that never finishes its body is
// cut off at the request deadline.
func TestRewardSlowBody(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.BodyTimeout = 200 * time.Millisecond
	_, ts := rsTestServer(t, opts)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(b), "HTTP/1.1 408") || !strings.Contains(string(b), "deadline") {
		t.Errorf("got %q, want a 408 answer", b)
	}
}
