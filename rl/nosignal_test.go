package rl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/terse-dev/terse/reward"
)

// degenerate builds a 100-step run from per-step setters; every field the
// setters leave alone is healthy: length 600 falling to 450, clip ratio
// 0.05, reward 0.3 → 0.6 with within-group std 0.4 and 30% of groups
// tied, grad norm 0.3, entropy 0.6 → 0.4, KL 0 → 0.02, held-out accuracy
// every 10 steps 0.40 → 0.55, all with noise.
func degenerate(seed uint64, set func(t int, s *StepLog, rng *rand.Rand)) []StepLog {
	rng := rand.New(rand.NewPCG(seed, 19))
	noise := func(x, f float64) float64 { return x * (1 + f*(2*rng.Float64()-1)) }
	var out []StepLog
	for t := range 100 {
		tf := float64(t)
		s := NewStepLog(t)
		s.MeanLength = noise(600-1.5*tf, 0.05)
		s.TruncationRate = noise(0.05, 0.5)
		s.MeanReward = noise(0.3+0.003*tf, 0.1)
		s.RewardStd = noise(0.4, 0.2)
		s.ZeroStdFrac = noise(0.3, 0.3)
		s.GradNorm = noise(0.3, 0.3)
		s.Entropy = noise(0.6-0.002*tf, 0.05)
		s.KL = noise(0.0002*tf, 0.2)
		s.PGLoss = 0.02 * (2*rng.Float64() - 1)
		if t%10 == 0 {
			s.Eval = []EvalPoint{{Benchmark: "math", MeanAtK: noise(0.40+0.0015*tf, 0.02)}}
		}
		if set != nil {
			set(t, &s, rng)
		}
		out = append(out, s)
	}
	return out
}

// scatter returns k distinct steps of 0…n−1, drawn with rng.
func scatter(rng *rand.Rand, n, k int) map[int]bool {
	out := map[int]bool{}
	for _, i := range rng.Perm(n)[:k] {
		out[i] = true
	}
	return out
}

func TestNoSignalDetectors(t *testing.T) {
	degenerateKinds := []FindingKind{ZeroAdvantage, LengthCapSaturated, RewardFlat, GradNormZero, EntropyCollapse, RewardHacking}
	tests := []struct {
		name  string
		steps func(seed uint64) []StepLog
		want  map[FindingKind][2]int // kind → onset step range [lo, hi]
	}{
		{"healthy", func(seed uint64) []StepLog { return degenerate(seed, nil) }, nil},
		{
			// The run: 83 of 100 steps with every completion cut at
			// the cap, 87 of 100 with reward_std = 0, scattered.
			"issue example (reward_std, clip ratio)",
			func(seed uint64) []StepLog {
				pick := rand.New(rand.NewPCG(seed, 83))
				clipped, flat := scatter(pick, 100, 83), scatter(pick, 100, 87)
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					// TRL logs no kl when beta = 0 (its default).
					s.MeanLength, s.ZeroStdFrac, s.KL = 1020, math.NaN(), math.NaN()
					if clipped[t] {
						s.TruncationRate, s.MeanLength = 1, 1024
					}
					if flat[t] {
						s.RewardStd, s.MeanReward = 0, 0
					}
				})
			},
			map[FindingKind][2]int{ZeroAdvantage: {0, 30}, LengthCapSaturated: {0, 30}},
		},
		{
			"TRL frac_reward_zero_std ≈ 1 from step 40",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.RewardStd = math.NaN()
					if t >= 40 {
						s.ZeroStdFrac = 1 - 0.03*rng.Float64()
					}
				})
			},
			map[FindingKind][2]int{ZeroAdvantage: {40, 40}},
		},
		{
			"verl advantages all zero from step 30",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.RewardStd, s.ZeroStdFrac, s.AdvAbsMax = math.NaN(), math.NaN(), 1.8
					if t >= 30 {
						s.AdvAbsMax = 0
					}
				})
			},
			map[FindingKind][2]int{ZeroAdvantage: {30, 30}},
		},
		{
			// 7 of every 10 steps tied: below NoSignalShare in every window.
			"zero std on 70% of steps",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					if t%10 < 7 {
						s.RewardStd = 0
					}
				})
			},
			nil,
		},
		{
			"grad norm vanishes at step 60",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					if t >= 60 {
						s.GradNorm = 0
					}
				})
			},
			map[FindingKind][2]int{GradNormZero: {60, 60}},
		},
		{
			"entropy collapses",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.Entropy = 0.6 * math.Exp(-float64(t)/12)
				})
			},
			// 0.6·e^(−t/12) ≤ 0.02 from t = 12·ln 30 ≈ 40.8.
			map[FindingKind][2]int{EntropyCollapse: {41, 41}},
		},
		{
			"reward flat while KL grows",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.MeanReward = 0.5 + 0.02*(2*rng.Float64()-1)
					s.KL = 0.0005 + 0.0005*float64(t)
				})
			},
			// KL first reaches twice its first-quarter median ≈ 0.0065 at step 25.
			map[FindingKind][2]int{RewardFlat: {23, 27}},
		},
		{
			"reward flat, policy still",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.MeanReward = 0.5 + 0.02*(2*rng.Float64()-1)
					s.KL = 0.01 * (1 + 0.2*(2*rng.Float64()-1))
				})
			},
			nil,
		},
		{
			"held-out accuracy falls while reward rises",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					if t%10 == 0 {
						a := 0.40 + 0.004*float64(min(t, 50)) - 0.005*float64(max(0, t-50))
						s.Eval = []EvalPoint{{Benchmark: "math", MeanAtK: a}}
					}
				})
			},
			// Peak 0.60 at step 50; 0.55 at 60 is AccDrop below (within rounding).
			map[FindingKind][2]int{RewardHacking: {60, 70}},
		},
		{
			"held-out accuracy and reward fall together",
			func(seed uint64) []StepLog {
				return degenerate(seed, func(t int, s *StepLog, rng *rand.Rand) {
					s.MeanReward = 0.6 - 0.003*float64(t)
					if t%10 == 0 {
						s.Eval = []EvalPoint{{Benchmark: "math", MeanAtK: 0.6 - 0.003*float64(t)}}
					}
				})
			},
			nil,
		},
	}
	for _, tc := range tests {
		for seed := range uint64(5) {
			d := Diagnose(tc.steps(seed), DiagnoseOptions{})
			for _, k := range degenerateKinds {
				f, got := d.Find(k)
				want, should := tc.want[k]
				switch {
				case got && !should:
					t.Errorf("%s (seed %d): unexpected %s at step %d: %s", tc.name, seed, k, f.Step, f.Summary)
				case !got && should:
					t.Errorf("%s (seed %d): no %s; findings %v", tc.name, seed, k, d.Findings)
				case got && (f.Step < want[0] || f.Step > want[1]):
					t.Errorf("%s (seed %d): %s at step %d, want %d–%d", tc.name, seed, k, f.Step, want[0], want[1])
				case got && (f.Summary == "" || len(f.Evidence) == 0):
					t.Errorf("%s (seed %d): %s without summary or evidence", tc.name, seed, k)
				}
			}
		}
	}
}

func TestSustained(t *testing.T) {
	b := func(s string) []bool {
		out := make([]bool, len(s))
		for i, c := range s {
			out[i] = c == '1'
		}
		return out
	}
	tests := []struct {
		cond         string
		first, count int
	}{
		{"0000011111111111", 5, 11},
		{"0101010101010101", -1, 8},
		{"1111", -1, 4},                 // fewer than NoSignalMinRecords
		{"11111", 0, 5},                 // a short log: the whole log is the window
		{"0011111111011111", 2, 13},     // one healthy step in ten does not hide it
		{"110111111100000000", 0, 9},    // 8 of the first 10
		{"1101101101101101101", -1, 13}, // 2 of 3: never 8 of 10, never all of the tail
		{"0000000011111", 8, 5},         // the last 5 records all hold: a run that has just died
		{"000000000000001111", -1, 4},   // but not the last 4
	}
	for _, tc := range tests {
		first, count := sustained(b(tc.cond))
		if first != tc.first || count != tc.count {
			t.Errorf("sustained(%s) = %d, %d; want %d, %d", tc.cond, first, count, tc.first, tc.count)
		}
	}
}

func TestRolloutStatsRewardSpread(t *testing.T) {
	groups := [][]float64{{1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 1, 0}}
	var gs []reward.Group
	var os [][]reward.Outcome
	for _, g := range groups {
		var grp reward.Group
		var out []reward.Outcome
		for _, r := range g {
			grp = append(grp, reward.Rollout{Tokens: 10, Correct: r > 0})
			out = append(out, reward.Outcome{Reward: r})
		}
		gs, os = append(gs, grp), append(os, out)
	}
	s := NewStepLog(1)
	if err := RolloutStats(&s, gs, os); err != nil {
		t.Fatal(err)
	}
	// Group 3: mean 0.5, sample std sqrt(4·0.25/3).
	if wantStd := math.Sqrt(1.0/3) / 3; math.Abs(s.RewardStd-wantStd) > 1e-12 || math.Abs(s.ZeroStdFrac-2.0/3) > 1e-12 {
		t.Errorf("reward_std %v zero_std_frac %v, want %v and 2/3", s.RewardStd, s.ZeroStdFrac, wantStd)
	}
}
