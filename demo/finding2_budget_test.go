package demo

import "testing"

func TestFindingBudget(t *testing.T) {
	// Budgets 64 … 1024 (DefaultProfile).
	paper := map[int]float64{64: 0.15, 128: -0.1, 256: -0.1, 512: -0.15, 1024: -0.2}
	everywhere := map[int]float64{64: 0.2, 128: 0.2, 256: 0.2, 512: 0.2, 1024: 0.2}
	noisyAtSmallest := map[int]float64{64: 0.0, 128: -0.2, 256: -0.2, 512: -0.2, 1024: -0.2}
	floorAtSmallest := map[int]float64{64: -1, 128: -0.1, 256: -0.1, 512: -0.15, 1024: -0.2}
	tied := spec{noise: 0.02}
	for _, tc := range []struct {
		name  string
		seeds []uint64
		kimi  spec
		other spec
		want  string
	}{
		{"paper's pattern", []uint64{1}, spec{shiftAt: paper, noise: 0.05}, tied, Yes},
		{"paper's pattern, three seeds", []uint64{1, 2, 3}, spec{shiftAt: paper, noise: 0.05}, tied, Yes},
		{"Kimi best everywhere", []uint64{1}, spec{shiftAt: everywhere, noise: 0.05}, tied, No},
		{"Kimi tied at the smallest budget", []uint64{1}, spec{shiftAt: map[int]float64{64: 0, 1024: -0.2}, noise: 0.02}, tied, No},
		{"Kimi's lead at the smallest budget within noise", []uint64{1}, spec{shiftAt: noisyAtSmallest, noise: 0.4}, tied, Inconclusive},
		{"nobody answers at the smallest budget", []uint64{1}, spec{shiftAt: floorAtSmallest, noise: 0.05}, spec{shiftAt: map[int]float64{64: -1}, noise: 0.02}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(tc.seeds...)
			w.add(Unified, tc.other).add(runKimi, tc.kimi).add(runLaser, tc.other).add(runLaserD, tc.other)
			checkVerdict(t, w.decide(findingBudget), tc.want)
		})
	}
	// Clause (c) alone: Laser beats truncation over the ladder, so truncation
	// is not the most balanced, whatever Kimi does.
	w := newWorld(1).add(Unified, tied).add(runKimi, spec{shiftAt: paper, noise: 0.05}).add(runLaser, spec{shift: 0.15, shiftAt: map[int]float64{64: 0}, noise: 0.02}).add(runLaserD, tied)
	v := w.decide(findingBudget)
	if c := v.Clauses[2]; c.Reproduced != No {
		t.Errorf("Laser more balanced than truncation: clause (c) %s: %s", c.Reproduced, c.Evidence)
	}
}
