package demo

import "testing"

func TestFindingDifficulty(t *testing.T) {
	for _, tc := range []struct {
		name             string
		easy, hard, full spec
		want             string
	}{
		{"Hard collapses, Easy matches Full",
			spec{noise: 0.02, curve: &twoStage}, spec{shift: -0.2, noise: 0.05, curve: &collapse}, spec{noise: 0.02, curve: &twoStage}, Yes},
		{"Easy beats Full", spec{shift: 0.1, noise: 0.02, curve: &twoStage}, spec{shift: -0.2, noise: 0.05, curve: &collapse}, spec{noise: 0.02, curve: &twoStage}, Yes},
		{"Hard-only better and stable (the lab's old result)",
			spec{noise: 0.02, curve: &twoStage}, spec{shift: 0.1, noise: 0.05, curve: &twoStage}, spec{shift: 0.15, noise: 0.02, curve: &twoStage}, No},
		{"Full beats Easy", spec{noise: 0.02, curve: &twoStage}, spec{shift: -0.2, noise: 0.05, curve: &collapse}, spec{shift: 0.15, noise: 0.02, curve: &twoStage}, No},
		{"Hard's loss within noise", spec{noise: 0.02, curve: &twoStage}, spec{noise: 0.4, curve: &collapse}, spec{noise: 0.02, curve: &twoStage}, Inconclusive},
		{"Easy unstable too", spec{noise: 0.02, curve: &collapse}, spec{shift: -0.2, noise: 0.05, curve: &collapse}, spec{noise: 0.02, curve: &twoStage}, Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1, 2).add(Baseline, tc.easy).add(runHard, tc.hard).add(runFull, tc.full)
			checkVerdict(t, w.decide(findingDifficulty), tc.want)
		})
	}
}
