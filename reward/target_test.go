package reward

import (
	"errors"
	"testing"
)

func TestWithTargetLen(t *testing.T) {
	g := Group{{Correct: true, Tokens: 50}, {Correct: true, Tokens: 150}}
	for _, spec := range []string{"truncation:target=100", "laser:target=100,alpha=0.5", "truncation-LC:target=100"} {
		s := MustParse(spec)
		short, err := WithTargetLen(s, 40)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		long, err := WithTargetLen(s, 200)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		a, b := short.Rewards(g), long.Rewards(g)
		if a[0] == b[0] && a[1] == b[1] {
			t.Errorf("%s: L_T 40 and 200 give the same outcomes %v", spec, a)
		}
		if s.String() != MustParse(spec).String() {
			t.Errorf("%s: the original shape changed to %s", spec, s)
		}
	}
	if got, _ := WithTargetLen(MustParse("truncation:target=100"), 40); got.String() != MustParse("truncation:target=40").String() {
		t.Errorf("WithTargetLen(truncation, 40) = %s", got)
	}
	for _, spec := range []string{"vanilla", "kimi", "adaptive"} {
		if _, err := WithTargetLen(MustParse(spec), 40); !errors.Is(err, ErrNoTargetLen) {
			t.Errorf("%s: %v, want ErrNoTargetLen", spec, err)
		}
	}
	if _, err := WithTargetLen(MustParse("truncation"), 0); err == nil {
		t.Error("target_len 0 accepted")
	}
}
