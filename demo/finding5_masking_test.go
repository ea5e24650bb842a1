package demo

import "testing"

func TestFindingMasking(t *testing.T) {
	long := twoStage
	long.steps = TrapOnsetSteps
	trap := spec{noise: 0.02, curve: &collapse}
	calm := spec{noise: 0.02, curve: &twoStage}
	calmLong := spec{noise: 0.02, curve: &long}
	longer := spec{noise: 0.02, lenFactor: 1.3, lenNoise: 0.05, curve: &twoStage}
	lcGood := spec{shift: 0.12, noise: 0.02, lenFactor: 1.2, lenNoise: 0.05, curve: &twoStage}
	for _, tc := range []struct {
		name                      string
		trunc, mi, lc, lcsi, lcli spec
		want                      string
	}{
		{"paper's pattern", calm, trap, lcGood, trap, longer, Yes},
		{"truncation trapped too", trap, trap, lcGood, trap, longer, No},
		{"−L&C longer but only as accurate", calm, trap, spec{noise: 0.02, lenFactor: 1.2, lenNoise: 0.05, curve: &twoStage}, trap, longer, No},
		{"−L&C−L&I ends shorter", calm, trap, lcGood, trap, spec{noise: 0.02, lenFactor: 0.7, lenNoise: 0.05, curve: &twoStage}, No},
		{"no trap after 400 steps", calmLong, calmLong, spec{shift: 0.12, noise: 0.02, lenFactor: 1.2, lenNoise: 0.05, curve: &long}, calmLong, spec{noise: 0.02, lenFactor: 1.3, lenNoise: 0.05, curve: &long}, No},
		{"no trap yet (150 steps)", calm, calm, lcGood, calm, longer, Inconclusive},
		{"only −I trapped", calm, trap, lcGood, calm, longer, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1, 2)
			w.add(Unified, tc.trunc).add(runMaskI, tc.mi).add(runMaskLC, tc.lc).add(runMaskLCSI, tc.lcsi).add(runMaskLCLI, tc.lcli)
			checkVerdict(t, w.decide(findingMasking), tc.want)
		})
	}
	// Zero lengths are degenerate: clause (b) cannot be yes.
	w := newWorld(1)
	w.add(Unified, spec{noise: 0.02, zeroLength: true, curve: &twoStage}).add(runMaskI, trap).add(runMaskLC, lcGood).add(runMaskLCSI, trap).add(runMaskLCLI, longer)
	if v := w.decide(findingMasking); v.Reproduced == Yes || v.Clauses[1].Reproduced != Inconclusive {
		t.Errorf("zero lengths: %s, clause (b) %s", v.Reproduced, v.Clauses[1].Reproduced)
	}
}
