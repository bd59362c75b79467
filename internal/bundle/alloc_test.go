package main

import (
	"reflect"
	"testing"
)

func TestAllocate(t *testing.T) {
	cases := []struct {
		name  string
		total int64
		keys  []int64
		caps  []int64
		want  []int64
	}{
		{"exact proportions", 100, []int64{1, 3}, nil, []int64{25, 75}},
		{"largest remainder", 10, []int64{1, 1, 1}, nil, []int64{4, 3, 3}},
		{"remainders decide over order", 7, []int64{1, 2}, nil, []int64{2, 5}},
		{"equal remainders go to the larger key", 3, []int64{1, 3, 2}, nil, []int64{0, 2, 1}},
		{"zero keys get nothing", 5, []int64{0, 1, 0}, nil, []int64{0, 5, 0}},
		{"zero total", 0, []int64{1, 2}, nil, []int64{0, 0}},
		{"cap hands the excess on", 10, []int64{1, 1}, []int64{2, 100}, []int64{2, 8}},
		{"zero cap", 4, []int64{5, 1}, []int64{0, 10}, []int64{0, 4}},
		{"no overflow on large products", 1_193_404_000, []int64{786_000_000, 407_404_000}, nil, []int64{786_000_000, 407_404_000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := allocate(tc.total, tc.keys, tc.caps)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("allocate(%d, %v, %v) = %v, want %v", tc.total, tc.keys, tc.caps, got, tc.want)
			}
		})
	}
}

func TestAllocateRefuses(t *testing.T) {
	cases := []struct {
		name  string
		total int64
		keys  []int64
		caps  []int64
	}{
		{"negative total", -1, []int64{1}, nil},
		{"no positive key", 3, []int64{0, 0}, nil},
		{"caps too small", 10, []int64{1, 1}, []int64{2, 3}},
		{"negative key", 3, []int64{-1, 2}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := allocate(tc.total, tc.keys, tc.caps); err == nil {
				t.Errorf("allocate = %v, want an error", got)
			}
		})
	}
}

func TestSplitSystems(t *testing.T) {
	shares := make([]int64, len(orgShares))
	for i, o := range orgShares {
		shares[i] = o.Share
	}
	// Vocabulary order: hospital, clinic, radiology_provider, imaging_center, research, government,
	// other, unknown; shares 15 20 30 20 4 3 3 5.
	cases := []struct {
		name  string
		total int64
		want  []int64
	}{
		{"one system goes to the largest share", 1, []int64{0, 0, 1, 0, 0, 0, 0, 0}},
		{"five systems stay in one leaf", 5, []int64{0, 0, 5, 0, 0, 0, 0, 0}},
		{"eight systems in two leaves of at least 3", 8, []int64{0, 3, 5, 0, 0, 0, 0, 0}},
		{"many systems use every type", 187, []int64{28, 37, 56, 37, 8, 6, 6, 9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitSystems(tc.total, shares)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitSystems(%d) = %v, want %v", tc.total, got, tc.want)
			}
		})
	}
}

func TestSplitFlows(t *testing.T) {
	// Three organization types are enough to show the rule; the function takes any number.
	cases := []struct {
		name          string
		before, after []int64
		newTotal      int64
		wantNew       []int64
		wantOffline   []int64
	}{
		{"growth only", []int64{0, 0, 3}, []int64{0, 0, 5}, 2, []int64{0, 0, 2}, []int64{0, 0, 0}},
		{"turnover in proportion to kept systems", []int64{3, 0, 6}, []int64{3, 0, 6}, 3, []int64{1, 0, 2}, []int64{1, 0, 2}},
		{"a newcomer has every system new", nil, []int64{0, 0, 4}, 4, []int64{0, 0, 4}, []int64{0, 0, 0}},
		{"every system offline, type by type", []int64{2, 0, 5}, []int64{0, 0, 0}, 0, []int64{0, 0, 0}, []int64{2, 0, 5}},
		{"systems moving between types", []int64{3, 0, 4}, []int64{0, 3, 4}, 3, []int64{0, 3, 0}, []int64{3, 0, 0}},
		{"every kept system replaced", []int64{2, 3, 0}, []int64{2, 4, 0}, 6, []int64{2, 4, 0}, []int64{2, 3, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotNew, gotOffline, err := splitFlows(tc.before, tc.after, tc.newTotal)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotNew, tc.wantNew) || !reflect.DeepEqual(gotOffline, tc.wantOffline) {
				t.Errorf("splitFlows(%v, %v, %d) = %v, %v, want %v, %v", tc.before, tc.after, tc.newTotal, gotNew, gotOffline, tc.wantNew, tc.wantOffline)
			}
		})
	}
}

func TestSplitFlowsRefuses(t *testing.T) {
	cases := []struct {
		name          string
		before, after []int64
		newTotal      int64
	}{
		{"fewer new systems than the increases", []int64{1, 0}, []int64{3, 0}, 1},
		{"more turnover than kept systems", []int64{2, 1}, []int64{1, 1}, 3},
		{"a newcomer with systems not new", nil, []int64{2, 0}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n, o, err := splitFlows(tc.before, tc.after, tc.newTotal); err == nil {
				t.Errorf("splitFlows = %v, %v, want an error", n, o)
			}
		})
	}
}
