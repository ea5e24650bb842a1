package demo

import "testing"

// TestSeedRule: the rule across seeds (SeedRule) on finding 8. Pooling
// three seeds decides what no single seed can; seeds whose effects point
// different ways stay inconclusive even when the pooled mean is far from 0
// (seed-level standard error, sign agreement);
// seeds that all contradict the claim give no.
func TestSeedRule(t *testing.T) {
	base := spec{noise: 0.02, lenNoise: 0.03}
	shorter := spec{noise: 0.02, lenFactor: 0.7, lenNoise: 0.03}
	t.Run("pooling decides what one seed cannot", func(t *testing.T) {
		// Each seed's Mean@k equals the base model's on average, but its
		// per-problem differences swing ±0.25 (pattern varying by seed):
		// one seed's 90% band is wider than ±0.05, the pooled one not.
		w := newWorld(1, 2, 3).add(baseRun, base).add(Baseline, spec{lenFactor: 0.7, lenNoise: 0.03})
		_, lg := ladderEnds(w.p)
		for s, r := range w.seeds {
			b := r.Base.Final[0].Budgets[len(w.p.Budgets)-1].PerProblem
			tr := r.run(Baseline).Final[0].Budgets[len(w.p.Budgets)-1]
			if tr.Budget != lg {
				t.Fatal("fixture: not the largest budget")
			}
			for i := range tr.PerProblem {
				sign := 1.0
				if (i/(s+1))%2 == 1 {
					sign = -1
				}
				tr.PerProblem[i] = b[i] + sign*0.25
			}
		}
		for _, r := range w.seeds {
			v := findingRecipe(w.p).decide(r)
			if v.Reproduced != Inconclusive {
				t.Errorf("seed %d alone: %s, want inconclusive (band too wide): %s", r.Profile.Seed, v.Reproduced, v.Evidence)
			}
		}
		checkVerdict(t, w.decide(findingRecipe), Yes)
		sf := combineSeeds(w.seeds)[7]
		if sf.Name != "summary" || sf.Reproduced != Yes || sf.Verdict.Seeds != 3 || len(sf.PerSeed) != 3 {
			t.Errorf("combineSeeds: %+v", sf)
		}
	})
	t.Run("seeds point different ways", func(t *testing.T) {
		w := newWorld(1, 2, 3).add(baseRun, base)
		w.addEach(Baseline,
			spec{shift: 0.25, noise: 0.02, lenFactor: 0.7, lenNoise: 0.03},
			spec{shift: 0.2, noise: 0.02, lenFactor: 0.7, lenNoise: 0.03},
			spec{shift: -0.12, noise: 0.02, lenFactor: 0.7, lenNoise: 0.03})
		// The pooled Mean@k gain (+0.11) is far from 0, but the seeds'
		// spread widens its band (seed-level standard error) past 0.
		v := w.decide(findingRecipe)
		checkVerdict(t, v, Inconclusive)
		if v.Clauses[1].Reproduced != Inconclusive {
			t.Errorf("clause (b): %s", v.Clauses[1].Evidence)
		}
		// A seed that lengthens blocks "shorter" (sign agreement).
		w = newWorld(1, 2, 3).add(baseRun, base)
		w.addEach(Baseline,
			spec{noise: 0.02, lenFactor: 0.6, lenNoise: 0.03},
			spec{noise: 0.02, lenFactor: 0.6, lenNoise: 0.03},
			spec{noise: 0.02, lenFactor: 1.2, lenNoise: 0.03})
		checkVerdict(t, w.decide(findingRecipe), Inconclusive)
	})
	t.Run("every seed contradicts", func(t *testing.T) {
		w := newWorld(1, 2, 3).add(baseRun, base).add(Baseline, spec{shift: -0.2, noise: 0.02, lenFactor: 0.7, lenNoise: 0.03})
		checkVerdict(t, w.decide(findingRecipe), No)
	})
	t.Run("a seed without the finding's runs", func(t *testing.T) {
		w := newWorld(1, 2).add(baseRun, base).add(Baseline, shorter)
		w.seeds[1].Runs = nil
		sf := combineSeeds(w.seeds)[7]
		if sf.Reproduced != Inconclusive || sf.PerSeed[1] != Inconclusive {
			t.Errorf("missing runs in seed 2: %s, per seed %v", sf.Reproduced, sf.PerSeed)
		}
	})
}
