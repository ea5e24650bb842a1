package demo

import "testing"

func TestFindingTwoStage(t *testing.T) {
	stillFalling := curve{steps: 150, length: expDecay(220, 0, 40), entropy: expDecay(1.2, 0.8, 15), acc: constant(0.6), noise: 0.03}
	accDrops := twoStage
	accDrops.acc = func(t float64) float64 { return ramp(t, 40, 140, 0.6, 0.35) }
	entropyRises := twoStage
	entropyRises.entropy = func(t float64) float64 { return ramp(t, 0, 40, 1, 1.3) }
	short := twoStage
	short.steps = 8
	for _, tc := range []struct {
		name  string
		seeds []uint64
		runs  []curve // per seed
		want  string
	}{
		{"two stages", []uint64{1}, []curve{twoStage}, Yes},
		{"two stages, three seeds", []uint64{1, 2, 3}, []curve{twoStage, twoStage, twoStage}, Yes},
		{"length does not fall", []uint64{1}, []curve{flatRun}, No},
		{"accuracy falls over the plateau", []uint64{1}, []curve{accDrops}, No},
		{"entropy rises in stage I", []uint64{1}, []curve{entropyRises}, No},
		{"length collapses, accuracy falls", []uint64{1}, []curve{collapse}, No},
		{"still falling at the end", []uint64{1}, []curve{stillFalling}, Inconclusive},
		{"seeds disagree", []uint64{1, 2}, []curve{twoStage, flatRun}, Inconclusive},
		{"too few steps", []uint64{1}, []curve{short}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(tc.seeds...)
			var sps []spec
			for i := range tc.runs {
				sps = append(sps, spec{curve: &tc.runs[i]})
			}
			w.addEach(Baseline, sps...)
			checkVerdict(t, w.decide(findingTwoStage), tc.want)
		})
	}
	// A run without step logs is never yes.
	w := newWorld(1).add(Baseline, spec{})
	checkVerdict(t, w.decide(findingTwoStage), Inconclusive)
}
