package lab

import (
	"testing"

	"github.com/terse-dev/terse/bench"
)

func TestOpen(t *testing.T) {
	ps, isLab, err := Open("lab-train:add:5:2", "", bench.FieldMap{})
	if err != nil || !isLab || len(ps) != 5 || ps[0].Benchmark != "lab-add" {
		t.Fatalf("lab-train: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	ps, isLab, err = Open("lab-sort", "", bench.FieldMap{})
	if err != nil || !isLab || len(ps) == 0 {
		t.Fatalf("lab-sort: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	ps, isLab, err = Open("math500", "", bench.FieldMap{})
	if err != nil || isLab || len(ps) != 500 {
		t.Fatalf("math500: %d problems, lab %v, err %v", len(ps), isLab, err)
	}
	for _, bad := range []string{"lab-train:chess:5", "lab-train:add:x", "lab-train:add:5:-1", "lab-train:add", "no-such-set"} {
		if _, _, err := Open(bad, "", bench.FieldMap{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
