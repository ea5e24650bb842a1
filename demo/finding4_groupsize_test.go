package demo

import "testing"

func TestFindingGroupSize(t *testing.T) {
	// N = 4 (smallest), 8 (the baseline), 16 (largest) in DefaultProfile.
	slow := curve{steps: 60, length: expDecay(220, 110, 40), entropy: constant(1), acc: constant(0.6), noise: 0.02}
	fast := curve{steps: 60, length: expDecay(220, 110, 8), entropy: constant(1), acc: constant(0.6), noise: 0.02}
	for _, tc := range []struct {
		name         string
		small, large spec
		want         string
	}{
		{"faster, higher Mean@k, same Pass@k", spec{noise: 0.02, passShift: ptr(0), curve: &slow}, spec{shift: 0.12, noise: 0.02, passShift: ptr(0), curve: &fast}, Yes},
		{"larger N adapts slower", spec{noise: 0.02, passShift: ptr(0), curve: &fast}, spec{shift: 0.12, noise: 0.02, passShift: ptr(0), curve: &slow}, No},
		{"Pass@k moves far", spec{noise: 0.02, passShift: ptr(0), curve: &slow}, spec{shift: 0.12, noise: 0.02, passShift: ptr(0.2), curve: &fast}, No},
		{"equal Mean@k is not higher", spec{noise: 0.02, passShift: ptr(0), curve: &slow}, spec{noise: 0.02, passShift: ptr(0), curve: &fast}, No},
		{"Mean@k gain within noise", spec{noise: 0.4, passShift: ptr(0), curve: &slow}, spec{shift: 0.03, noise: 0.4, passShift: ptr(0), curve: &fast}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1)
			w.add(groupRun(w.p, 4), tc.small).add(Baseline, spec{noise: 0.02, curve: &twoStage}).add(groupRun(w.p, 16), tc.large)
			checkVerdict(t, w.decide(findingGroupSize), tc.want)
		})
	}
}
