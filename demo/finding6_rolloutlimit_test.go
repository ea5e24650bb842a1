package demo

import "testing"

func TestFindingRolloutLimit(t *testing.T) {
	negShort := twoStage
	negShort.lengthNeg = constant(120)
	negLong := twoStage
	negLong.lengthNeg = constant(200)
	negLonger := twoStage
	negLonger.lengthNeg = constant(220)
	long := spec{noise: 0.02, lenNoise: 0.05, curve: &negLong}
	for _, tc := range []struct {
		name  string
		equal spec
		want  string
	}{
		{"shorter at equal accuracy", spec{noise: 0.02, lenFactor: 0.8, lenNoise: 0.05, curve: &negShort}, Yes},
		{"shorter and more accurate", spec{shift: 0.1, noise: 0.02, lenFactor: 0.8, lenNoise: 0.05, curve: &negShort}, Yes},
		{"longer", spec{noise: 0.02, lenFactor: 1.2, lenNoise: 0.05, curve: &negShort}, No},
		{"same length", spec{noise: 0.02, lenFactor: 1, lenNoise: 0.01, curve: &negShort}, No},
		{"shorter but less accurate", spec{shift: -0.15, noise: 0.02, lenFactor: 0.8, lenNoise: 0.05, curve: &negShort}, No},
		{"negatives longer", spec{noise: 0.02, lenFactor: 0.8, lenNoise: 0.05, curve: &negLonger}, No},
		{"length change within noise", spec{noise: 0.02, lenFactor: 1.03, lenNoise: 0.6, curve: &negShort}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1, 2, 3).add(Baseline, tc.equal).add(Unified, long)
			checkVerdict(t, w.decide(findingRolloutLimit), tc.want)
		})
	}
}
