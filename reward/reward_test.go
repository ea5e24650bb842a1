package reward

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// c, w and tr build rollouts: correct, wrong, truncated (with the grader's
// verdict correct, to check that truncation wins).
func c(n int) Rollout  { return Rollout{Correct: true, Tokens: n} }
func w(n int) Rollout  { return Rollout{Tokens: n} }
func tr(n int) Rollout { return Rollout{Correct: true, Tokens: n, Truncated: true} }

// M is a masked outcome; R a reward.
var M = Outcome{Masked: true}

func R(x float64) Outcome { return Outcome{Reward: x} }

type shapeCase struct {
	name string
	spec string
	g    Group
	want []Outcome
}

func runShapeCases(t *testing.T, cases []shapeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.spec, err)
			}
			in := slices.Clone(tc.g)
			got := s.Rewards(tc.g)
			if !slices.Equal(in, tc.g) {
				t.Errorf("%s modified its group", s)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s: got %d outcomes, want %d", s, len(got), len(tc.want))
			}
			for i := range got {
				if got[i].Masked != tc.want[i].Masked || math.Abs(got[i].Reward-tc.want[i].Reward) > 1e-12 {
					t.Errorf("%s: rollout %d %+v: got %+v, want %+v", s, i, tc.g[i], got[i], tc.want[i])
				}
			}
		})
	}
}

func TestVanilla(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"mixed", "vanilla", Group{c(100), w(100), c(99999)}, []Outcome{R(1), R(0), R(1)}},
		{"truncated correct", "vanilla", Group{tr(16384)}, []Outcome{R(0)}},
		{"empty", "vanilla", Group{}, []Outcome{}},
	})
}

func TestTruncation(t *testing.T) {
	const s = "truncation:target=4096"
	runShapeCases(t, []shapeCase{
		{"at L_T", s, Group{c(4096)}, []Outcome{R(1)}},
		{"over L_T", s, Group{c(4097)}, []Outcome{R(0)}},
		{"wrong short", s, Group{w(10)}, []Outcome{R(0)}},
		{"truncated correct at L_R=L_T", s, Group{tr(4096)}, []Outcome{R(0)}},
		{"all correct", s, Group{c(1), c(4096), c(5000)}, []Outcome{R(1), R(1), R(0)}},
		{"none correct", s, Group{w(1), w(4096), w(5000)}, []Outcome{R(0), R(0), R(0)}},
		{"zero length", s, Group{c(0)}, []Outcome{R(1)}},
	})
}

func TestMasks(t *testing.T) {
	// correct&short, correct&long, incorrect&short, incorrect&long,
	// truncated (correct per grader) at L = L_T: incorrect and long.
	g := Group{c(4096), c(4097), w(100), w(5000), tr(4096)}
	runShapeCases(t, []shapeCase{
		{"truncation", "truncation:target=4096", g, []Outcome{R(1), R(0), R(0), R(0), R(0)}},
		{"-I", "truncation-I:target=4096", g, []Outcome{R(1), R(0), M, M, M}},
		{"-L&C", "truncation-LC:target=4096", g, []Outcome{R(1), M, R(0), R(0), R(0)}},
		{"-L&C-S&I", "truncation-LC-SI:target=4096", g, []Outcome{R(1), M, M, R(0), R(0)}},
		{"-L&C-L&I", "truncation-LC-LI:target=4096", g, []Outcome{R(1), M, R(0), M, M}},
		{"-I all correct", "truncation-I:target=10", Group{c(10), c(11)}, []Outcome{R(1), R(0)}},
		{"-I none correct", "truncation-I:target=10", Group{w(10), w(11)}, []Outcome{M, M}},
	})
}

func TestKimi(t *testing.T) {
	const s = "kimi:alpha=0.4"
	runShapeCases(t, []shapeCase{
		// L_min=100, L_max=300: L̃ = 0, .25, 1, 1.
		{"mixed", s, Group{c(100), w(150), c(300), w(300)}, []Outcome{R(1.2), R(0), R(0.8), R(-0.2)}},
		{"equal lengths", s, Group{c(50), w(50)}, []Outcome{R(1), R(0)}},
		{"group of one", s, Group{c(7)}, []Outcome{R(1)}},
		{"none correct", s, Group{w(100), w(300)}, []Outcome{R(0), R(-0.2)}},
		{"all correct", s, Group{c(100), c(200), c(300)}, []Outcome{R(1.2), R(1), R(0.8)}},
		// The truncated rollout is wrong but still sets L_max.
		{"truncated", s, Group{c(100), tr(500)}, []Outcome{R(1.2), R(-0.2)}},
		{"alpha=1 (k1.5)", "kimi:alpha=1", Group{c(0), c(10)}, []Outcome{R(1.5), R(0.5)}},
		{"empty", s, Group{}, []Outcome{}},
	})
}

func TestLaser(t *testing.T) {
	const s = "laser:target=4096,alpha=0.4"
	runShapeCases(t, []shapeCase{
		{"short correct", s, Group{c(4095)}, []Outcome{R(1.4)}},
		{"at L_T (strict <)", s, Group{c(4096)}, []Outcome{R(1)}},
		{"long correct", s, Group{c(9000)}, []Outcome{R(1)}},
		{"wrong", s, Group{w(10), w(9000)}, []Outcome{R(0), R(0)}},
		{"truncated correct", s, Group{tr(4096)}, []Outcome{R(0)}},
	})
}

func TestLaserD(t *testing.T) {
	const s = "laser-d:target=4096,alpha=0.4"
	runShapeCases(t, []shapeCase{
		{"short correct", s, Group{c(4095)}, []Outcome{R(1.4)}},
		{"correct at L_T", s, Group{c(4096)}, []Outcome{R(1)}},
		{"wrong short", s, Group{w(4095)}, []Outcome{R(0)}},
		{"wrong at L_T", s, Group{w(4096)}, []Outcome{R(0.4)}},
		{"truncated correct is wrong and long", s, Group{tr(4096), tr(16384)}, []Outcome{R(0.4), R(0.4)}},
	})
}

func TestDAPOOverlong(t *testing.T) {
	const s = "dapo-overlong:max=20480,cache=4096"
	runShapeCases(t, []shapeCase{
		{"below soft start", s, Group{c(16384), w(16384)}, []Outcome{R(1), R(-1)}},
		{"half-way", s, Group{c(18432)}, []Outcome{R(0.5)}},
		{"at L_max", s, Group{w(20480)}, []Outcome{R(-2)}},
		{"over L_max", s, Group{c(20481)}, []Outcome{R(0)}},
		{"truncated correct", s, Group{tr(20480)}, []Outcome{R(-2)}},
		{"0/1 base", s + ",wrong=0", Group{w(100), c(100)}, []Outcome{R(0), R(1)}},
	})
}

func TestL1(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{"exact at target", "l1-exact:target=4096", Group{c(4096)}, []Outcome{R(1)}},
		{"exact over", "l1-exact:target=4096", Group{c(5096)}, []Outcome{R(0.7)}},
		{"exact wrong under", "l1-exact:target=4096", Group{w(3096)}, []Outcome{R(-0.3)}},
		{"max at target", "l1-max:target=4096", Group{c(4096)}, []Outcome{R(0.5)}},
		{"max clipped high", "l1-max:target=4096", Group{c(2096)}, []Outcome{R(1)}},
		{"max over", "l1-max:target=4096", Group{c(5096)}, []Outcome{R(0.2)}},
		{"max clipped low", "l1-max:target=4096", Group{c(10000)}, []Outcome{R(0)}},
		{"max wrong", "l1-max:target=4096", Group{w(100), tr(100)}, []Outcome{R(0), R(0)}},
	})
}

func TestCosine(t *testing.T) {
	const s = "cosine:max=16384"
	runShapeCases(t, []shapeCase{
		{"correct", s, Group{c(0), c(8192), c(16384)}, []Outcome{R(2), R(1.5), R(1)}},
		{"wrong", s, Group{w(0), w(8192), w(16384)}, []Outcome{R(-10), R(-5), R(0)}},
		{"exceed", s, Group{c(16385), tr(100)}, []Outcome{R(-10), R(-10)}},
	})
}

func TestAroraZanette(t *testing.T) {
	const s = "arora-zanette:alpha=0.1"
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	runShapeCases(t, []shapeCase{
		// Correct lengths 100, 300: μ = 200, s = 100, z = ∓1.
		{"mixed", s, Group{c(100), c(300), w(50)}, []Outcome{R(1 - 0.1*sig(-1)), R(1 - 0.1*sig(1)), R(0)}},
		{"one correct", s, Group{c(100), w(50)}, []Outcome{R(0.95), R(0)}},
		{"equal lengths", s, Group{c(100), c(100)}, []Outcome{R(0.95), R(0.95)}},
		{"none correct", s, Group{w(100), tr(300)}, []Outcome{R(0), R(0)}},
		{"empty", s, Group{}, []Outcome{}},
	})
}

func TestShorterBetter(t *testing.T) {
	const s = "shorterbetter:alpha=2,beta=0.001"
	runShapeCases(t, []shapeCase{
		{"SOL = shortest correct", s, Group{c(100), c(300), w(500), w(50)}, []Outcome{R(2), R(1.8), R(-0.4), R(-0.05)}},
		{"none correct: SOL = mean", s, Group{w(100), w(300)}, []Outcome{R(-0.1), R(-0.1)}},
		{"empty", s, Group{}, []Outcome{}},
	})
}

func TestALP(t *testing.T) {
	const s = "alp:beta=1,norm=16384"
	runShapeCases(t, []shapeCase{
		// p_solved = 0.5: weight 0.5/16384 per token.
		{"half solved", s, Group{c(1024), c(2048), w(4096), w(8192)}, []Outcome{R(0.96875), R(0.9375), R(-0.125), R(-0.25)}},
		// p_solved = 0 → max(0, 1/K) = 0.25.
		{"none solved", s, Group{w(16384), w(0), w(0), tr(16384)}, []Outcome{R(-0.25), R(0), R(0), R(-0.25)}},
		{"all solved", s, Group{c(16384), c(0)}, []Outcome{R(0), R(1)}},
	})
}

func TestAdaptiveTarget(t *testing.T) {
	a := NewAdaptiveTarget(4096, 0.9, 1)
	if got := a.Rewards(Group{c(4096), c(4097)}); got[0].Reward != 1 || got[1].Reward != 0 {
		t.Fatalf("initial L_T: got %+v", got)
	}
	// Correct lengths 100..1000: h = 9·0.9 = 8.1 → 900 + 0.1·100 = 910.
	var g Group
	for i := 1; i <= 10; i++ {
		g = append(g, c(100*i))
	}
	g = append(g, w(50000), tr(60000))
	a.Observe(g)
	if got := a.TargetLen(); got != 4096 {
		t.Fatalf("L_T moved before Update: %d", got)
	}
	a.Update()
	if got := a.TargetLen(); got != 910 {
		t.Fatalf("after step 1: L_T = %d, want 910", got)
	}
	if got := a.Rewards(Group{c(910), c(911)}); got[0].Reward != 1 || got[1].Reward != 0 {
		t.Errorf("L_T = 910: got %+v", got)
	}
	// A step with no correct rollout keeps L_T.
	a.Observe(Group{w(10)})
	a.Update()
	if got := a.TargetLen(); got != 910 {
		t.Errorf("empty step: L_T = %d, want 910", got)
	}

	// Window of 2 steps: after step 3 it covers {300, 400, 1000}:
	// h = 2·0.9 = 1.8 → 400 + 0.8·600 = 880.
	b := NewAdaptiveTarget(4096, 0.9, 2)
	for _, step := range []Group{{c(100), c(200)}, {c(300), c(400)}, {c(1000)}} {
		b.Observe(step)
		b.Update()
	}
	if got := b.TargetLen(); got != 880 {
		t.Errorf("window 2: L_T = %d, want 880", got)
	}
	var _ Stateful = b

	// A copy restored from b's state continues exactly as b does.
	st, err := b.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	r := NewAdaptiveTarget(4096, 0.9, 2)
	if err := r.UnmarshalState(st); err != nil {
		t.Fatalf("UnmarshalState(%s): %v", st, err)
	}
	for _, a := range []*AdaptiveTarget{b, r} {
		a.Observe(Group{c(50), c(60)})
		a.Update()
	}
	// Window now {1000} ∪ {50, 60}: h = 1.8 → 60 + 0.8·940 = 812.
	if b.TargetLen() != 812 || r.TargetLen() != 812 {
		t.Errorf("after restore: L_T = %d (original %d), want 812", r.TargetLen(), b.TargetLen())
	}
	for _, bad := range []string{`{"target":0,"past":[]}`, `{"target":5,"past":[[1],[2],[3]]}`, `not json`} {
		if err := NewAdaptiveTarget(4096, 0.9, 2).UnmarshalState([]byte(bad)); err == nil {
			t.Errorf("UnmarshalState(%s) accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"truncation", "truncation:target=4096"},
		{" Truncation-lc : target = 100 ", "truncation-LC:target=100"},
		{"laser-d", "laser-d:target=4096,alpha=0.4"},
		{"laser-d:alpha=0.2,target=8192", "laser-d:target=8192,alpha=0.2"},
		{"kimi", "kimi:alpha=0.4"},
		{"adaptive:window=4", "adaptive:target=4096,p=0.9,window=4"},
		{"dapo-overlong:wrong=0", "dapo-overlong:max=20480,cache=4096,wrong=0"},
		{"vanilla:", "vanilla"},
	} {
		s, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if s.String() != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.spec, s.String(), tc.want)
		}
	}
	// Every name round-trips through String.
	for _, n := range Names() {
		s := MustParse(n)
		if s.Name() != n {
			t.Errorf("Parse(%q).Name() = %q", n, s.Name())
		}
		if s2 := MustParse(s.String()); s2.String() != s.String() {
			t.Errorf("round trip %q → %q", s.String(), s2.String())
		}
		if !strings.Contains(Help(), n) {
			t.Errorf("Help() lacks %q", n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ spec, wantErr string }{
		{"trunc", "valid: vanilla, truncation,"},
		{"", "unknown shape"},
		{"truncation:len=4096", `unknown parameter "len" (valid: target)`},
		{"vanilla:target=1", "(valid: none)"},
		{"truncation:target=4096.5", "whole number"},
		{"truncation:target=0", "whole number > 0"},
		{"truncation:target", "want key=value"},
		{"truncation:target=abc", "finite number"},
		{"kimi:alpha=-1", "want ≥ 0"},
		{"kimi:alpha=NaN", "finite number"},
		{"laser:target=1,target=2", "given twice"},
		{"adaptive:p=1.5", "want in (0, 1]"},
		{"dapo-overlong:max=100,cache=200", "exceeds max"},
		{"arora-zanette:alpha=2", "want in [0, 1]"},
	} {
		_, err := Parse(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Parse(%q) error = %v, want containing %q", tc.spec, err, tc.wantErr)
		}
	}
	if _, err := Parse("nope"); !errors.Is(err, ErrUnknownShape) {
		t.Errorf("Parse(nope) = %v, want ErrUnknownShape", err)
	}
	// Negative reward levels are allowed where they are levels.
	if _, err := Parse("cosine:w0=-5,exceed=-1"); err != nil {
		t.Errorf("cosine with negative levels: %v", err)
	}
}

func TestGroupRelative(t *testing.T) {
	want := map[string]bool{"kimi": true, "arora-zanette": true, "shorterbetter": true, "alp": true}
	for _, n := range Names() {
		if got := GroupRelative(MustParse(n)); got != want[n] {
			t.Errorf("GroupRelative(%s) = %v, want %v", n, got, want[n])
		}
	}
}

// TestInvariants checks every shape on random groups: one finite outcome per
// rollout, masked outcomes carry reward 0, and permuting the group permutes
// the outcomes.
func TestInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range Names() {
		s := MustParse(n)
		for trial := range 200 {
			g := make(Group, rng.IntN(9))
			for i := range g {
				g[i] = Rollout{Correct: rng.IntN(2) == 0, Tokens: rng.IntN(25000), Truncated: rng.IntN(5) == 0}
			}
			out := s.Rewards(g)
			if len(out) != len(g) {
				t.Fatalf("%s trial %d: %d outcomes for %d rollouts", n, trial, len(out), len(g))
			}
			perm := rng.Perm(len(g))
			pg := make(Group, len(g))
			for i, j := range perm {
				pg[i] = g[j]
			}
			pout := s.Rewards(pg)
			for i, o := range out {
				if math.IsNaN(o.Reward) || math.IsInf(o.Reward, 0) || (o.Masked && o.Reward != 0) {
					t.Fatalf("%s trial %d: rollout %+v → %+v", n, trial, g[i], o)
				}
			}
			for i, j := range perm {
				if math.Abs(pout[i].Reward-out[j].Reward) > 1e-12 || pout[i].Masked != out[j].Masked {
					t.Fatalf("%s trial %d: not permutation-equivariant", n, trial)
				}
			}
		}
	}
}
