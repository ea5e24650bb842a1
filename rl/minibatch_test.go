package rl

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestSplitmix64Reference(t *testing.T) {
	// First outputs for seed 0 from the reference C implementation.
	g := splitmix64{0}
	for _, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := g.next(); got != want {
			t.Fatalf("splitmix64 %#x, want %#x", got, want)
		}
	}
}

func TestPermutation(t *testing.T) {
	// Expected orders cross-checked with an independent Python port.
	tests := []struct {
		n    int
		seed uint64
		want []int
	}{
		{8, 42, []int{3, 1, 6, 2, 4, 0, 7, 5}},
		{8, 43, []int{4, 7, 2, 6, 1, 3, 5, 0}},
		{4, 42, []int{2, 0, 3, 1}},
		{10, 1, []int{4, 2, 8, 1, 9, 3, 0, 6, 7, 5}},
		{1, 9, []int{0}},
		{0, 9, []int{}},
	}
	for _, tc := range tests {
		if got := Permutation(tc.n, tc.seed); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Permutation(%d, %d) = %v, want %v", tc.n, tc.seed, got, tc.want)
		}
	}
}

func TestSplitMiniBatches(t *testing.T) {
	tests := []struct {
		n, s    int
		seed    uint64
		shuffle bool
		want    [][]int
	}{
		{4, 1, 0, false, [][]int{{0, 1, 2, 3}}},
		{8, 4, 0, false, [][]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}}},
		{7, 3, 0, false, [][]int{{0, 1, 2}, {3, 4}, {5, 6}}},
		{8, 2, 42, true, [][]int{{3, 1, 6, 2}, {4, 0, 7, 5}}},
		{8, 8, 43, true, [][]int{{4}, {7}, {2}, {6}, {1}, {3}, {5}, {0}}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("n%d_S%d_seed%d_%v", tc.n, tc.s, tc.seed, tc.shuffle), func(t *testing.T) {
			got, err := SplitMiniBatches(tc.n, tc.s, tc.seed, tc.shuffle)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range [][2]int{{4, 0}, {3, 4}} {
		if _, err := SplitMiniBatches(bad[0], bad[1], 1, true); err == nil {
			t.Errorf("SplitMiniBatches(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

func TestSplitGroups(t *testing.T) {
	// 4 groups of 2, S = 2, group order Permutation(4, 42) = [2 0 3 1].
	got, err := SplitGroups(4, 2, 2, 42, true)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{4, 5, 0, 1}, {6, 7, 2, 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Every rollout lands in exactly one mini-batch, for many shapes.
	for _, c := range [][3]int{{16, 8, 1}, {16, 8, 2}, {16, 8, 4}, {16, 8, 16}, {5, 3, 2}} {
		mb, err := SplitGroups(c[0], c[1], c[2], 7, true)
		if err != nil {
			t.Fatal(err)
		}
		var all []int
		for _, m := range mb {
			if len(m)%c[1] != 0 {
				t.Errorf("%v: mini-batch of %d rollouts splits a group", c, len(m))
			}
			all = append(all, m...)
		}
		slices.Sort(all)
		for i, v := range all {
			if v != i {
				t.Fatalf("%v: indices %v are not a partition of 0..%d", c, all, c[0]*c[1]-1)
			}
		}
		if len(mb) != c[2] {
			t.Errorf("%v: %d mini-batches", c, len(mb))
		}
	}
	if _, err := SplitGroups(2, 0, 1, 1, false); err == nil {
		t.Error("group size 0 accepted")
	}
}

func TestFilterGroups(t *testing.T) {
	rewards := [][]float64{
		{1, 1, 1},       // all correct: drop
		{0, 0, 0},       // all wrong: drop
		{1, 0, 0},       // keep
		{1, 0, 1},       // masked 0: whole group {1, 0, 1} keeps; unmasked {1, 1} drops
		{0.5, 0.5, 0.4}, // keep
		{1, 0, 0},       // one unmasked: whole group keeps (its 1 is above the mean); unmasked drops
		{0, 1, 0},       // the differing rollout masked: whole group keeps (the unmasked 0s are below the mean); unmasked drops
	}
	masked := [][]bool{nil, nil, nil, {false, true, false}, nil, {false, true, true}, {false, true, false}}
	for i := range masked {
		if masked[i] == nil {
			masked[i] = make([]bool, 3)
		}
	}
	for _, tc := range []struct {
		stats  GroupStats
		masked [][]bool
		want   []int
	}{
		{StatsWholeGroup, masked, []int{2, 3, 4, 5, 6}},
		{StatsUnmasked, masked, []int{2, 4}},
		{StatsWholeGroup, nil, []int{2, 3, 4, 5, 6}},
		{StatsUnmasked, nil, []int{2, 3, 4, 5, 6}},
	} {
		got, err := FilterGroupsWith(rewards, tc.masked, tc.stats)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s, masks %v: kept %v, want %v", tc.stats, tc.masked != nil, got, tc.want)
		}
	}
	if got, _ := FilterGroups(rewards, masked); !reflect.DeepEqual(got, []int{2, 3, 4, 5, 6}) {
		t.Errorf("FilterGroups is not the whole-group default: kept %v", got)
	}
	if _, err := FilterGroups(rewards, masked[:2]); err == nil {
		t.Error("mask rows mismatch accepted")
	}
}
