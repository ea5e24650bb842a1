package lab

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/terse-dev/terse/bench"
)

// Split sizes. A question's split is decided by hashing it into splitBuckets
// buckets; bucket 0 is the test split, every other bucket the train split, so
// the two are disjoint by construction.
const (
	splitBuckets = 10
	// AllFamilies names every family at once in TrainSplit.
	AllFamilies = "all"
	// TestPerLevel is the number of test problems per level in a registered
	// lab benchmark (5 levels, so 150 problems per benchmark).
	TestPerLevel = 30
	// TestSeed is the seed of the registered lab benchmarks.
	TestSeed = 1
	// benchPrefix starts every lab benchmark name.
	benchPrefix = "lab-"
)

// IsTest reports whether a question of a family belongs to the test split.
func IsTest(familyName, question string) bool {
	h := fnv.New64a()
	h.Write([]byte(familyName))
	h.Write([]byte{0})
	h.Write([]byte(question))
	return h.Sum64()%splitBuckets == 0
}

func toProblem(t Task, id, split string) bench.Problem {
	p := bench.Problem{
		ID:        id,
		Benchmark: benchPrefix + t.Family,
		Question:  t.Question,
		Gold:      []string{t.Answer},
		Level:     t.Level,
		Meta:      map[string]any{"family": t.Family, "split": split},
	}
	if sol, err := Concise(p); err == nil {
		p.Solution = sol
	}
	return p
}

// TestSplit returns perLevel distinct test problems of each level
// MinLevel..MaxLevel, in level order, deterministic for a seed.
func TestSplit(familyName string, perLevel int, seed uint64) ([]bench.Problem, error) {
	if _, err := lookup(familyName); err != nil {
		return nil, err
	}
	if perLevel < 1 {
		return nil, fmt.Errorf("lab: test split of %s: perLevel %d, want >= 1", familyName, perLevel)
	}
	var out []bench.Problem
	for level := MinLevel; level <= MaxLevel; level++ {
		rng := newRNG(seed, "test", familyName, fmt.Sprint(level))
		seen := map[string]bool{}
		for tries := 0; len(seen) < perLevel; tries++ {
			if tries > 200*perLevel+10000 {
				return nil, fmt.Errorf("lab: test split of %s level %d: found only %d distinct test problems, want %d", familyName, level, len(seen), perLevel)
			}
			t, err := Generate(familyName, level, rng)
			if err != nil {
				return nil, err
			}
			if seen[t.Question] || !IsTest(familyName, t.Question) {
				continue
			}
			seen[t.Question] = true
			out = append(out, toProblem(t, fmt.Sprintf("lab-%s-L%d-%03d", familyName, level, len(seen)), "test"))
		}
	}
	return out, nil
}

// TrainSplit returns n training problems of a family (or AllFamilies, which
// cycles through Families()), with levels uniform over MinLevel..MaxLevel,
// none of them in the test split. Repeats are possible, as in any sampler.
func TrainSplit(familyName string, n int, seed uint64) ([]bench.Problem, error) {
	var levels []int
	for l := MinLevel; l <= MaxLevel; l++ {
		levels = append(levels, l)
	}
	return TrainSplitLevels(familyName, levels, n, seed)
}

// TrainSplitLevels is TrainSplit restricted to the given levels.
func TrainSplitLevels(familyName string, levels []int, n int, seed uint64) ([]bench.Problem, error) {
	fams := []string{familyName}
	if familyName == AllFamilies {
		fams = Families()
	}
	for _, f := range fams {
		if _, err := lookup(f); err != nil {
			return nil, err
		}
	}
	if len(levels) == 0 {
		return nil, fmt.Errorf("lab: train split of %s: no levels", familyName)
	}
	for _, l := range levels {
		if l < MinLevel || l > MaxLevel {
			return nil, fmt.Errorf("lab: train split of %s: %w: %d", familyName, ErrLevel, l)
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("lab: train split of %s: n %d, want >= 0", familyName, n)
	}
	next := trainStream(fams, levels, newRNG(seed, "train", familyName))
	out := make([]bench.Problem, 0, n)
	for len(out) < n {
		p, err := next()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// trainStream returns an endless generator of training problems: families
// in turn, levels drawn uniformly from levels, test-split questions skipped.
// Families and levels must already be valid.
func trainStream(fams []string, levels []int, rng *rand.Rand) func() (bench.Problem, error) {
	i := 0
	return func() (bench.Problem, error) {
		for {
			f := fams[i%len(fams)]
			t, err := Generate(f, levels[rng.IntN(len(levels))], rng)
			if err != nil {
				return bench.Problem{}, err
			}
			if IsTest(f, t.Question) {
				continue
			}
			p := toProblem(t, fmt.Sprintf("lab-%s-train-%06d", f, i), "train")
			i++
			return p, nil
		}
	}
}

// BenchmarkNames returns the registered lab benchmarks: "lab-" + family.
func BenchmarkNames() []string {
	var names []string
	for _, f := range Families() {
		names = append(names, benchPrefix+f)
	}
	return names
}

// Benchmark returns the test problems of a registered lab benchmark
// (TestPerLevel per level, seed TestSeed), and false for an unknown name.
// Level plays the role of MATH's level.
func Benchmark(name string) ([]bench.Problem, bool) {
	if !slices.Contains(BenchmarkNames(), name) {
		return nil, false
	}
	ps, err := TestSplit(strings.TrimPrefix(name, benchPrefix), TestPerLevel, TestSeed)
	if err != nil {
		// Unreachable for a registered name: TestSplit is deterministic and tested.
		return nil, false
	}
	return ps, true
}

// Budgets returns the lab's token-budget ladder, the counterpart of the
// paper's 2k–32k (PAPER.md §2).
func Budgets() []int { return []int{64, 128, 256, 512, 1024} }
