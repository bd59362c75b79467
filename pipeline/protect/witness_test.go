package protect

import (
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
)

// TestCheckWitness checks that the independent checker accepts a point of the joint system and
// rejects each way a claimed witness can fail to be one. The joint problem: exposed and new systems
// of one country and organization type (5 of each, every cell withheld), under new_systems <=
// exposed_systems; a table of one leaf has every cell equal to it, so moving all its cells by the
// same amount keeps it additive.
func TestCheckWitness(t *testing.T) {
	v := defaultVocab(t)
	exposed, newSys := metricID(t, v, "exposed_systems"), metricID(t, v, "new_systems")
	tables := []*ingest.Table{
		{Period: testPeriod, Metric: exposed, Leaves: parseLeaves(t, v, "DE hospital 5 4")},
		{Period: testPeriod, Metric: newSys, Leaves: parseLeaves(t, v, "DE hospital 5 4")},
	}
	r, err := newRules(ingest.DefaultProtection(), v)
	if err != nil {
		t.Fatal(err)
	}
	lay := newLayout(v)
	b := newBuilder(lay, r, nil)
	coverage := coverageBreaks(lay, tables)
	j := &joint{lay: lay, rules: r}
	for i, tb := range tables {
		p, err := b.makeProblem(tb, coverage[i])
		if err != nil {
			t.Fatal(err)
		}
		ts := newTableState(lay, p)
		for c := range ts.free {
			ts.setFree(int32(c), true)
		}
		j.tables = append(j.tables, ts)
	}
	j.addRelations(v, v.Relations())
	if len(j.occs) != 1 {
		t.Fatalf("%d occurrences of relations, want new_systems <= exposed_systems alone", len(j.occs))
	}
	ti := map[bool]int32{true: 0, false: 1} // exposed first: tables are sorted by metric
	if j.tables[0].p.metric != exposed {
		ti = map[bool]int32{true: 1, false: 0}
	}
	move := func(delta int64, exposedToo bool) witness {
		var w witness
		for _, t := range []int32{0, 1} {
			if t == ti[true] && !exposedToo {
				continue
			}
			for c := range j.tables[t].p.cells {
				w.cells = append(w.cells, cellRef{t, int32(c)})
				w.delta = append(w.delta, delta)
			}
		}
		return w
	}
	leaf := cellRef{ti[false], -1}
	for c, cell := range j.tables[ti[false]].p.cells {
		if lay.isLeaf(cell.key) {
			leaf.cell = int32(c)
		}
	}
	none := cellRef{-1, -1}
	for _, tc := range []struct {
		name  string
		w     witness
		d     direction
		fixed cellRef
		want  string // "" for accepted
		setup func() func()
	}{
		{name: "both tables up", w: move(1, true), d: direction{true, 1}, fixed: none},
		{name: "new systems down", w: move(-5, false), d: direction{false, 5}, fixed: none},
		{name: "new systems above exposed", w: move(1, false), d: direction{true, 1}, fixed: none, want: "breaks the relation"},
		{name: "moved less than the need", w: move(1, true), d: direction{true, 2}, fixed: none, want: "moves the cell by 1, not by 2"},
		{name: "below zero", w: move(-6, false), d: direction{false, 1}, fixed: none, want: "negative"},
		{name: "held cell moves", w: move(1, true), d: direction{true, 1}, fixed: cellRef{ti[true], 0}, want: "single contributor knows"},
		{name: "a leaf without its totals", w: witness{cells: []cellRef{leaf}, delta: []int64{1}}, d: direction{true, 1}, fixed: none, want: "leaves below"},
		{name: "a zero change listed", w: func() witness { w := move(1, true); w.delta[0] = 0; return w }(), d: direction{true, 1}, fixed: none, want: "does not change"},
		{name: "a total without its leaves", w: func() witness { w := move(1, true); w.delta[len(w.delta)-1] = 2; return w }(), d: direction{true, 1}, fixed: none, want: "but its leaves by"},
		{name: "cells out of order", w: func() witness {
			w := move(1, true)
			w.cells[0], w.cells[1] = w.cells[1], w.cells[0]
			return w
		}(), d: direction{true, 1}, fixed: none, want: "out of order"},
		{name: "published cell", w: move(1, true), d: direction{true, 1}, fixed: none, want: "published cell",
			setup: func() func() {
				j.tables[ti[true]].setFree(0, false)
				return func() { j.tables[ti[true]].setFree(0, true) }
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				defer tc.setup()()
			}
			e := leaf
			got := checkWitness(j, tc.w, e, tc.d, tc.fixed)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("checkWitness = %q, want %q", got, tc.want)
			}
		})
	}
}
