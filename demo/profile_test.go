package demo

import (
	"strings"
	"testing"

	"github.com/terse-dev/terse/rl"
)

// TestDataFingerprint: seeds that share a DataSeed share the difficulty
// profile's key; without one each seed profiles its own pool; and a
// profile without DataSeed keeps the fingerprint it had before the field.
func TestDataFingerprint(t *testing.T) {
	a, b := DefaultProfile(), DefaultProfile()
	a.Seed, b.Seed = 1, 2
	if a.dataFingerprint() != b.dataFingerprint() {
		t.Errorf("shared data seed, different profile keys: %q vs %q", a.dataFingerprint(), b.dataFingerprint())
	}
	if a.fingerprint() == b.fingerprint() {
		t.Error("different training seeds, same run fingerprint")
	}
	a.DataSeed, b.DataSeed = 0, 0
	if a.dataFingerprint() == b.dataFingerprint() {
		t.Error("no data seed: the seeds share a profile key")
	}
	if strings.Contains(a.fingerprint(), "data") {
		t.Errorf("fingerprint without DataSeed names it: %q", a.fingerprint())
	}
	b.Seed = 1
	b.TargetLen++ // the split depends on L_T (pass rates under truncation)
	if a.dataFingerprint() == b.dataFingerprint() {
		t.Error("profile key ignores L_T")
	}
}

// TestKLStatEvery: the demo logs the KL on as few steps as keep the
// rl.FlatMinRecords records the flat-reward detector needs (all of a short
// run), and spares at least half the reference forwards of the default.
func TestKLStatEvery(t *testing.T) {
	for steps := 1; steps <= 400; steps++ {
		p := DefaultProfile()
		p.Steps = steps
		n := klStatEvery(p)
		logged := 0
		for s := 1; s <= steps; s++ {
			if s == 1 || s%n == 0 || s == steps {
				logged++
			}
		}
		if logged < min(steps, rl.FlatMinRecords) || n < 1 || n > 4 {
			t.Fatalf("%d steps: every %d logs %d KL records, want ≥ %d", steps, n, logged, min(steps, rl.FlatMinRecords))
		}
	}
	if n := klStatEvery(DefaultProfile()); n < 2 {
		t.Errorf("default: KL every %d steps", n)
	}
}
