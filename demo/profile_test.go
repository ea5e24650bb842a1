package demo

import (
	"strings"
	"testing"
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
