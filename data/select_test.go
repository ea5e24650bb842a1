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

// with returns DefaultSelectOptions changed by f.
func with(f func(o *SelectOptions)) SelectOptions {
	o := DefaultSelectOptions()
	f(&o)
	return o
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
		{"all", DefaultSelectOptions(), func(r Record) bool { return true }},
		{"easy", with(func(o *SelectOptions) { o.Easy = true }), func(r Record) bool { return r.PassRate > 0.5 }},
		{"hard", with(func(o *SelectOptions) { o.Hard = true }), func(r Record) bool { return r.PassRate <= 0.5 }},
		{"hard at 0.25", with(func(o *SelectOptions) { o.Hard, o.Threshold = true, 0.25 }), func(r Record) bool { return r.PassRate <= 0.25 }},
		{"band", with(func(o *SelectOptions) { o.MinPass, o.MaxPass = 0.25, 0.75 }), func(r Record) bool { return r.PassRate >= 0.25 && r.PassRate <= 0.75 }},
		{"easy at 0", with(func(o *SelectOptions) { o.Easy, o.Threshold = true, 0 }), func(r Record) bool { return r.Correct > 0 }},
		{"never only", with(func(o *SelectOptions) { o.MaxPass = 0 }), func(r Record) bool { return r.Correct == 0 }},
		{"no never", with(func(o *SelectOptions) { o.ExcludeNeverSolved = true }), func(r Record) bool { return r.Correct > 0 }},
		{"hard no never", with(func(o *SelectOptions) { o.Hard, o.ExcludeNeverSolved = true, true }), func(r Record) bool { return r.Correct > 0 && r.PassRate <= 0.5 }},
		{"easy no all", with(func(o *SelectOptions) { o.Easy, o.ExcludeAllSolved = true, true }), func(r Record) bool { return r.PassRate == 0.75 }},
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
	a, _ := Select(recs, with(func(o *SelectOptions) { o.Size, o.Seed = 10, 1 }))
	b, _ := Select(recs, with(func(o *SelectOptions) { o.Size, o.Seed = 10, 1 }))
	c, _ := Select(recs, with(func(o *SelectOptions) { o.Size, o.Seed = 10, 2 }))
	if len(a) != 10 || !slices.Equal(ids(a), ids(b)) {
		t.Fatalf("same seed gave %v and %v", ids(a), ids(b))
	}
	if slices.Equal(ids(a), ids(c)) {
		t.Errorf("seeds 1 and 2 chose the same sample %v", ids(a))
	}
	if !slices.IsSorted(ids(a)) {
		t.Errorf("sample not in original order: %v", ids(a))
	}
	all, _ := Select(recs, with(func(o *SelectOptions) { o.Size = 100 }))
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
	got, err := Select(recs, with(func(o *SelectOptions) { o.Size, o.Balance, o.Seed = 22, BalanceSource, 3 }))
	if err != nil {
		t.Fatal(err)
	}
	// s3 has only 4, so the other 18 are shared by s0, s1, s2.
	if m := count(got, src); len(got) != 22 || m["s3"] != 4 || m["s0"] != 6 || m["s1"] != 6 || m["s2"] != 6 {
		t.Errorf("balanced by source: %d prompts, %v", len(got), m)
	}
	got, _ = Select(recs, with(func(o *SelectOptions) { o.Balance = BalanceSource }))
	if m := count(got, src); len(got) != 16 || m["s0"] != 4 || m["s3"] != 4 {
		t.Errorf("balance with no size should cut every source to 4: %v", m)
	}
	got, _ = Select(recs, with(func(o *SelectOptions) { o.Size, o.Balance, o.Easy = 9, BalanceLevel, true }))
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
