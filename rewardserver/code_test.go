package rewardserver

import (
	"testing"

	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/internal/codetest"
)

// TestCodeRewardGrader: through POST /v1/reward, a group whose gold is a
// test suite is graded by running each response's program in the sandbox,
// and the verdict is the truncation reward's correctness; a math group in
// the same request is graded as math.
func TestCodeRewardGrader(t *testing.T) {
	cg := codetest.Grader(t, codegrade.Options{})
	opts := rsTestOptions("truncation:target=15")
	opts.Grader = CodeRewardGrader(grade.DefaultOptions(), func() *codegrade.Grader { return cg })
	_, ts := rsTestServer(t, opts)
	// LiveCodeBench's input_output JSON (get_evaluation_sample).
	label := `{"inputs": ["1 2\n", "40 2\n"], "outputs": ["3\n", "42\n"], "fn_name": null}`
	right := "<think>add them</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
	wrong := "```python\nprint(3)\n```"
	body := map[string]any{"groups": []any{
		map[string]any{"id": "code", "gold": label, "rollouts": []any{
			map[string]any{"response": right, "tokens": 10},
			map[string]any{"response": right, "tokens": 18}, // correct but longer than L_T
			map[string]any{"response": wrong, "tokens": 5},
			map[string]any{"response": "no code here", "tokens": 3},
		}},
		map[string]any{"id": "math", "gold": "42", "rollouts": []any{map[string]any{"response": `\boxed{42}`, "tokens": 4}}},
	}}
	code, m := rsPost(t, ts.URL+"/v1/reward", body)
	if code != 200 {
		t.Fatalf("status %d: %v", code, m)
	}
	groups := m["groups"].([]any)
	type want struct {
		reward float64
		reason string
	}
	wants := [][]want{{{1, "passed"}, {0, "passed"}, {0, "wrong_answer"}, {0, "no_code"}}, {{1, "equal_string"}}}
	for gi, g := range groups {
		for ri, r := range g.(map[string]any)["rollouts"].([]any) {
			got := r.(map[string]any)
			w := wants[gi][ri]
			if got["reward"].(float64) != w.reward || got["reason"] != w.reason {
				t.Errorf("group %d rollout %d: reward %v reason %v, want %v %s", gi, ri, got["reward"], got["reason"], w.reward, w.reason)
			}
		}
	}
}
