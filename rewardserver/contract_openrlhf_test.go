package rewardserver

// Contract tests against OpenRLHF v0.11.0 (commit 3c3be6234e0c, tag
// v0.11.0), read at that commit:
//
//   - openrlhf/utils/agent.py, SingleTurnAgentExecutor.execute and
//     _fetch_rewards_via_http: one rollout per request, body
//     {"query": [q], "prompts": [p], "labels": [l]} with q the decoded
//     prompt+response (special tokens kept), aiohttp ClientTimeout(total=180),
//     _post_request(try_max_times=5) with asyncio.sleep(1) between tries,
//     retrying on any error status (raise_for_status) or exception; it
//     reads "rewards", "scores" (falling back to rewards) and "extra_logs".
//   - openrlhf/trainer/ppo_trainer.py, compute_eval_metrics: the eval
//     rewards are reshaped to (-1, eval n_samples_per_prompt); pass1 is the
//     mean of each row, pass{n} its max.
//   - openrlhf/cli/train_ppo_ray.py: --rollout.n_samples_per_prompt
//     (training) and --eval.n_samples_per_prompt (default 4) differ.
//
// The replay client below sends exactly those bodies and retries the same
// way, with the timeouts scaled down.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// rsOpenRLHFClient replays _post_request of agent.py at 3c3be62: up to
// tries POSTs of the same JSON body, each with a total timeout, sleeping
// between tries, until one answers 2xx.
type rsOpenRLHFClient struct {
	url     string
	timeout time.Duration // 180 s upstream
	tries   int           // 5 upstream
	sleep   time.Duration // 1 s upstream
}

// post sends one rollout as OpenRLHF does and returns the decoded answer
// and the number of tries it took.
func (c rsOpenRLHFClient) post(query, prompt string, label any) (map[string]any, int, error) {
	body, err := json.Marshal(map[string]any{"query": []string{query}, "prompts": []string{prompt}, "labels": []any{label}})
	if err != nil {
		return nil, 0, err
	}
	hc := &http.Client{Timeout: c.timeout}
	var last error
	for try := 1; try <= c.tries; try++ {
		resp, err := hc.Post(c.url, "application/json", bytes.NewReader(body))
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				var out map[string]any
				if err := json.Unmarshal(raw, &out); err != nil {
					return nil, try, err
				}
				return out, try, nil
			}
			last = fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
		} else {
			last = err
		}
		time.Sleep(c.sleep)
	}
	return nil, c.tries, fmt.Errorf("request error for %d times: %v", c.tries, last)
}

// TestContractOpenRLHFRetryAfterTimeout: a rollout's request ends (server
// deadline, under the client's timeout) before its group is complete; the
// client retries the same body. The retry must pick up the kept rollout,
// not join the group a second time, so the group holds exactly the four
// rollouts that were generated. Before, the request got 504, the retry
// added a fifth rollout and the group was scored with a duplicate.
func TestContractOpenRLHFRetryAfterTimeout(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 4
	opts.GroupWait = time.Minute
	opts.RequestTimeout = 500 * time.Millisecond
	s, ts := rsTestServer(t, opts)
	c := rsOpenRLHFClient{url: ts.URL + "/get_reward", timeout: 5 * time.Second, tries: 5, sleep: 50 * time.Millisecond}

	prompt := "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
	// Four correct rollouts of 1..4 words + EOS: lengths 2..5 tokens, so
	// Kimi's L̃ = 0, 1/3, 2/3, 1 and rewards 1.2, 1.0667, 0.9333, 0.8.
	resp := func(k int) string { return prompt + strings.Repeat("w ", k-1) + `\boxed{7}<|im_end|>` }
	type answer struct {
		out   map[string]any
		tries int
		err   error
	}
	first := make(chan answer, 1)
	go func() {
		out, tries, err := c.post(resp(1), prompt, "7")
		first <- answer{out, tries, err}
	}()
	// Wait until the first try has timed out and its rollout is kept.
	for deadline := time.Now().Add(30 * time.Second); s.retries.count() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the timed-out rollout was never kept for a retry")
		}
	}
	var wg sync.WaitGroup
	rest := make([]answer, 3)
	for i := range rest {
		wg.Go(func() {
			out, tries, err := c.post(resp(i+2), prompt, "7")
			rest[i] = answer{out, tries, err}
		})
	}
	wg.Wait()
	a := <-first
	all := append([]answer{a}, rest...)
	want := []float64{1.2, 1 + 0.4*(0.5-1.0/3), 1 + 0.4*(0.5-2.0/3), 0.8}
	for i, x := range all {
		if x.err != nil {
			t.Fatalf("rollout %d: %v", i, x.err)
		}
		got := rsFloats(t, x.out["rewards"])
		if len(got) != 1 || math.Abs(got[0]-want[i]) > 1e-9 {
			t.Errorf("rollout %d: rewards %v, want [%.4f] (a group of exactly 4)", i, got, want[i])
		}
		if gc := rsFloats(t, x.out["extra_logs"].(map[string]any)["group_complete"]); gc[0] != 1 {
			t.Errorf("rollout %d: group_complete %v, want 1", i, gc)
		}
	}
	if a.tries < 2 {
		t.Errorf("the first rollout took %d tries; the test needs a retry", a.tries)
	}
	if n := s.asm.pending(); n != 0 {
		t.Errorf("%d rollouts left waiting (a retry joined its group twice)", n)
	}
}

// TestContractOpenRLHFIdenticalRollouts: two live requests with the same
// text are two rollouts (sampling can repeat itself); only a rollout whose
// request has ended is taken for a retry.
func TestContractOpenRLHFIdenticalRollouts(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 2
	opts.GroupWait = time.Minute
	opts.RequestTimeout = 30 * time.Second
	_, ts := rsTestServer(t, opts)
	c := rsOpenRLHFClient{url: ts.URL + "/get_reward", timeout: 40 * time.Second, tries: 1, sleep: 0}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]map[string]any, 2)
	for i := range 2 {
		wg.Go(func() { outs[i], _, errs[i] = c.post(`P: \boxed{1}<|im_end|>`, "P:", "1") })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if gc := rsFloats(t, outs[i]["extra_logs"].(map[string]any)["group_complete"]); gc[0] != 1 {
			t.Errorf("request %d: group_complete %v, want 1 (two identical rollouts make a group of 2)", i, gc)
		}
	}
}

// TestContractOpenRLHFEvalAccuracy: OpenRLHF's evaluation samples another
// number of rollouts per prompt (--eval.n_samples_per_prompt) than
// training and computes pass1 as the mean of the rewards. Labels of an
// evaluation file (`terse data export --eval`) are {"gold", "eval": true}:
// each rollout is scored at once, alone, with reward = accuracy, so pass1
// is the accuracy. Before, such a label was refused, and plain eval labels
// waited for a training-sized group that never filled.
func TestContractOpenRLHFEvalAccuracy(t *testing.T) {
	opts := rsTestOptions("kimi:alpha=0.4")
	opts.GroupSize = 8 // training group size; evaluation sends 2 per prompt
	opts.GroupWait = time.Hour
	opts.RequestTimeout = 20 * time.Second
	opts.RolloutLimit = 5
	_, ts := rsTestServer(t, opts)
	c := rsOpenRLHFClient{url: ts.URL + "/get_reward", timeout: 30 * time.Second, tries: 1}
	type sample struct {
		prompt, query string
		label         any
		acc           float64
	}
	lab := func(g string) any { return map[string]any{"gold": []string{g, g + ".0"}, "eval": true} }
	samples := []sample{
		{"A:", `A: \boxed{1}<|im_end|>`, lab("1"), 1},
		{"A:", `A: \boxed{2}<|im_end|>`, lab("1"), 0},
		{"B:", `B: w w w w w \boxed{3.0}<|im_end|>`, lab("3"), 0}, // correct but truncated (≥ 5 tokens)
		{"B:", `B: w \boxed{3.0}<|im_end|>`, lab("3"), 1},         // an alternative gold
	}
	rewards := make([]float64, len(samples))
	for i, sm := range samples {
		out, _, err := c.post(sm.query, sm.prompt, sm.label)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		rewards[i] = rsFloats(t, out["rewards"])[0]
		if e := rsFloats(t, out["extra_logs"].(map[string]any)["eval"]); e[0] != 1 {
			t.Errorf("sample %d: extra_logs.eval %v, want 1", i, e)
		}
		if rewards[i] != sm.acc {
			t.Errorf("sample %d: reward %v, want accuracy %v", i, rewards[i], sm.acc)
		}
	}
	// compute_eval_metrics: rewards.reshape(-1, 2); pass1 = mean of row means.
	pass1 := ((rewards[0]+rewards[1])/2 + (rewards[2]+rewards[3])/2) / 2
	if pass1 != 0.5 {
		t.Errorf("OpenRLHF's eval pass1 = %v, want the accuracy 0.5", pass1)
	}
}

// TestRewardPerPromptTargetLen: a label's target_len is the prompt's own
// L_T, for the OpenRLHF endpoint and the native one.
func TestRewardPerPromptTargetLen(t *testing.T) {
	opts := rsTestOptions("truncation:target=100")
	_, ts := rsTestServer(t, opts)
	q := `P: w w w \boxed{1}<|im_end|>` // 5 tokens
	for _, tc := range []struct {
		target int
		want   float64
	}{{0, 1}, {10, 1}, {5, 1}, {4, 0}} {
		label := any("1")
		if tc.target > 0 {
			label = map[string]any{"gold": "1", "target_len": tc.target}
		}
		code, out := rsPost(t, ts.URL+"/get_reward", map[string]any{"query": []string{q}, "prompts": []string{"P:"}, "labels": []any{label}})
		if code != 200 || rsFloats(t, out["rewards"])[0] != tc.want {
			t.Errorf("target_len %d: %d %v, want reward %v", tc.target, code, out, tc.want)
		}
		g := map[string]any{"gold": "1", "rollouts": []map[string]any{{"response": `w w w \boxed{1}`, "tokens": 5}}}
		if tc.target > 0 {
			g["target_len"] = tc.target
		}
		code, out = rsPost(t, ts.URL+"/v1/reward", map[string]any{"groups": []any{g}})
		if code != 200 {
			t.Fatalf("native target_len %d: %d %v", tc.target, code, out)
		}
		r := out["groups"].([]any)[0].(map[string]any)["rollouts"].([]any)[0].(map[string]any)["reward"].(float64)
		if r != tc.want {
			t.Errorf("native target_len %d: reward %v, want %v", tc.target, r, tc.want)
		}
	}
	// A shape without a target length refuses a per-prompt one.
	code, out := rsPost(t, ts.URL+"/v1/reward", map[string]any{"shape": "kimi", "groups": []any{
		map[string]any{"gold": "1", "target_len": 5, "rollouts": []map[string]any{{"response": `\boxed{1}`}}}}})
	if code != 400 || !strings.Contains(out["error"].(string), "no target length") {
		t.Errorf("kimi with target_len: %d %v, want 400", code, out)
	}
	code, out = rsPost(t, ts.URL+"/get_reward", map[string]any{"query": []string{q}, "labels": []any{map[string]any{"gold": "1", "target_len": 0}}})
	if code != 400 || !strings.Contains(out["error"].(string), "target_len 0") {
		t.Errorf("target_len 0: %d %v, want 400", code, out)
	}
}
