package data

import (
	"fmt"
	"slices"
	"testing"
)

// pool returns 40 records: sources s0..s3 (s3 small), levels 1..2, and
// pass rates c/4 with c = i mod 5.
func pool() []Record {
	var recs []Record
	for i := range 40 {
		src := fmt.Sprintf("s%d", i%3)
		if i%10 == 9 {
			src = "s3"
		}
		lens := []int{}
		for j := range i % 5 {
			lens = append(lens, 10*(j+1))
		}
		recs = append(recs, rec(fmt.Sprintf("p%02d", i), src, 1+i%2, 4, lens...))
	}
	return recs
}

func ids(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestSelectFilters(t *testing.T) {
	recs := pool()
	tests := []struct {
		name string
		o    SelectOptions
		keep func(r Record) bool
	}{
		{"all", SelectOptions{}, func(r Record) bool { return true }},
		{"easy", SelectOptions{Easy: true}, func(r Record) bool { return r.PassRate > 0.5 }},
		{"hard", SelectOptions{Hard: true}, func(r Record) bool { return r.PassRate <= 0.5 }},
		{"hard at 0.25", SelectOptions{Hard: true, Threshold: 0.25}, func(r Record) bool { return r.PassRate <= 0.25 }},
		{"band", SelectOptions{MinPass: 0.25, MaxPass: 0.75}, func(r Record) bool { return r.PassRate >= 0.25 && r.PassRate <= 0.75 }},
		{"no never", SelectOptions{ExcludeNeverSolved: true}, func(r Record) bool { return r.Correct > 0 }},
		{"hard no never", SelectOptions{Hard: true, ExcludeNeverSolved: true}, func(r Record) bool { return r.Correct > 0 && r.PassRate <= 0.5 }},
		{"easy no all", SelectOptions{Easy: true, ExcludeAllSolved: true}, func(r Record) bool { return r.PassRate == 0.75 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(recs, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range recs {
				if tc.keep(r) {
					want = append(want, r.ID)
				}
			}
			if !slices.Equal(ids(got), want) {
				t.Errorf("got %v\nwant %v", ids(got), want)
			}
		})
	}
}

func TestSelectSize(t *testing.T) {
	recs := pool()
	a, _ := Select(recs, SelectOptions{Size: 10, Seed: 1})
	b, _ := Select(recs, SelectOptions{Size: 10, Seed: 1})
	c, _ := Select(recs, SelectOptions{Size: 10, Seed: 2})
	if len(a) != 10 || !slices.Equal(ids(a), ids(b)) {
		t.Fatalf("same seed gave %v and %v", ids(a), ids(b))
	}
	if slices.Equal(ids(a), ids(c)) {
		t.Errorf("seeds 1 and 2 chose the same sample %v", ids(a))
	}
	if !slices.IsSorted(ids(a)) {
		t.Errorf("sample not in original order: %v", ids(a))
	}
	all, _ := Select(recs, SelectOptions{Size: 100})
	if len(all) != len(recs) {
		t.Errorf("size above the pool: got %d, want %d", len(all), len(recs))
	}
}

func TestSelectBalance(t *testing.T) {
	recs := pool() // sources: s0 12, s1 12, s2 12, s3 4 (i%10 == 9)
	count := func(rs []Record, key func(Record) string) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			m[key(r)]++
		}
		return m
	}
	src := func(r Record) string { return r.Source }
	got, err := Select(recs, SelectOptions{Size: 22, Balance: BalanceSource, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// s3 has only 4, so the other 18 are shared by s0, s1, s2.
	if m := count(got, src); len(got) != 22 || m["s3"] != 4 || m["s0"] != 6 || m["s1"] != 6 || m["s2"] != 6 {
		t.Errorf("balanced by source: %d prompts, %v", len(got), m)
	}
	got, _ = Select(recs, SelectOptions{Balance: BalanceSource})
	if m := count(got, src); len(got) != 16 || m["s0"] != 4 || m["s3"] != 4 {
		t.Errorf("balance with no size should cut every source to 4: %v", m)
	}
	got, _ = Select(recs, SelectOptions{Size: 9, Balance: BalanceLevel, Easy: true})
	m := count(got, func(r Record) string { return fmt.Sprint(r.Level) })
	if len(got) != 9 || m["1"] < 4 || m["2"] < 4 {
		t.Errorf("balanced by level: %d, %v", len(got), m)
	}
	for _, r := range got {
		if r.PassRate <= 0.5 {
			t.Errorf("balance ignored the Easy filter: %s has pass rate %g", r.ID, r.PassRate)
		}
	}
}

func TestSelectInvalid(t *testing.T) {
	for _, o := range []SelectOptions{
		{Easy: true, Hard: true},
		{MinPass: 0.8, MaxPass: 0.2},
		{MaxPass: 1.5},
		{Size: -1},
		{Balance: "colour"},
		{Threshold: 1},
	} {
		if _, err := Select(pool(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
