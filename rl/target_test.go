package rl

import (
	"errors"
	"testing"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/reward"
)

func TestPromptShape(t *testing.T) {
	g := reward.Group{{Correct: true, Tokens: 30}, {Correct: true, Tokens: 80}}
	base := reward.MustParse("truncation:target=100")
	p := bench.Problem{Benchmark: "b", ID: "1"}
	s, err := promptShape(base, p)
	if err != nil || s.String() != base.String() {
		t.Fatalf("no target_len: %v %v", s, err)
	}
	p.Meta = map[string]any{"target_len": float64(50)} // as decoded from JSONL
	s, err = promptShape(base, p)
	if err != nil {
		t.Fatal(err)
	}
	if out := s.Rewards(g); out[0].Reward != 1 || out[1].Reward != 0 {
		t.Errorf("target_len 50: outcomes %v, want [1 0]", out)
	}
	if _, err := promptShape(reward.MustParse("kimi"), p); !errors.Is(err, reward.ErrNoTargetLen) {
		t.Errorf("kimi with target_len: %v, want ErrNoTargetLen", err)
	}
	for _, bad := range []any{0.0, -3.0, 2.5, "100"} {
		p.Meta["target_len"] = bad
		if _, err := promptShape(base, p); err == nil {
			t.Errorf("target_len %v accepted", bad)
		}
	}
}
