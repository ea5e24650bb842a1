package demo

import "testing"

func TestFindingTransfer(t *testing.T) {
	fams := []string{"lab-arith", "lab-add", "lab-sort"}
	base := spec{noise: 0.02, lenNoise: 0.05, benches: fams}
	for _, tc := range []struct {
		name    string
		trained spec
		want    string
	}{
		{"shorter, as accurate", spec{noise: 0.02, lenFactor: 0.75, lenNoise: 0.05, benches: fams, curve: &twoStage}, Yes},
		{"shorter, more accurate", spec{shift: 0.1, noise: 0.02, lenFactor: 0.75, lenNoise: 0.05, benches: fams, curve: &twoStage}, Yes},
		{"shorter, less accurate", spec{shift: -0.15, noise: 0.02, lenFactor: 0.75, lenNoise: 0.05, benches: fams, curve: &twoStage}, No},
		{"not shorter", spec{noise: 0.02, lenFactor: 1.0, lenNoise: 0.01, benches: fams, curve: &twoStage}, No},
		// One seed (below), too noisy for a band either way.
		{"accuracy within noise", spec{noise: 0.5, lenFactor: 0.75, lenNoise: 0.05, benches: fams, curve: &twoStage}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1, 2)
			if tc.want == Inconclusive {
				w = newWorld(1)
			}
			w.add(baseRun, base).add(Baseline, tc.trained)
			checkVerdict(t, w.decide(findingTransfer), tc.want)
		})
	}
	// No base ladder: inconclusive.
	w := newWorld(1).add(Baseline, spec{benches: fams, curve: &twoStage})
	checkVerdict(t, w.decide(findingTransfer), Inconclusive)
}
