package ingest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// checkRelations checks the leaves of every table against every relation between metrics in force
// (SPEC 3.3): relation r at period t when every table it names exists (schemas.InForce), at every
// (country, organization type) that one of those tables names, a cell that no row names being a
// structural zero. A relation that names a previous period does not apply to a cell that is a
// break at t (schemas.ObsBreak on one of its current-period leaves): across a change of source or
// definition the two periods do not measure the same systems. Totals are sums of leaves, so what
// holds for the leaves holds for them. Each leaf that breaks a relation is an error at the place of
// its first row, naming every row involved with its value.
func checkRelations(vocab *schemas.Vocabulary, rels []schemas.Relation, tables []*Table, places [][]place, readers []*inputReader, errs *collector) {
	if len(rels) == 0 || len(tables) == 0 {
		return
	}
	index := map[schemas.TableRef]int{}
	var periods []schemas.Date
	for i, t := range tables {
		index[schemas.TableRef{Period: t.Period, Metric: t.Metric}] = i
		if len(periods) == 0 || periods[len(periods)-1] != t.Period {
			periods = append(periods, t.Period)
		}
	}
	has := func(r schemas.TableRef) bool { _, ok := index[r]; return ok }
	for _, at := range schemas.InForce(rels, periods, has) {
		r := rels[at.Relation]
		terms := make([]int, len(at.Tables)) // table index per term
		for j, ref := range at.Tables {
			terms[j] = index[ref]
		}
		checkRelationAt(vocab, r, at, terms, tables, places, readers, errs)
	}
}

// checkRelationAt checks one relation at one period, walking the leaves of its tables together in
// (Geo, Org) order.
func checkRelationAt(vocab *schemas.Vocabulary, r schemas.Relation, at schemas.RelationAt, terms []int, tables []*Table, places [][]place, readers []*inputReader, errs *collector) {
	next := make([]int, len(terms)) // per term: the next leaf of its table
	values := make([]int64, len(terms))
	found := make([]int, len(terms)) // per term: the leaf at the current key, or -1
	for {
		// The smallest key that any term's table has next.
		key, ok := leafKey{}, false
		for j, ti := range terms {
			if next[j] < len(tables[ti].Leaves) {
				l := tables[ti].Leaves[next[j]]
				k := leafKey{l.Geo, l.Org}
				if !ok || k.less(key) {
					key, ok = k, true
				}
			}
		}
		if !ok {
			return
		}
		brk := false
		for j, ti := range terms {
			found[j], values[j] = -1, 0
			// A term's table may appear twice (a metric and its prev); each term walks its own.
			if next[j] < len(tables[ti].Leaves) {
				l := tables[ti].Leaves[next[j]]
				if (leafKey{l.Geo, l.Org}) == key {
					found[j], values[j] = next[j], l.Value
					next[j]++
					if !r.Terms[j].Prev && l.Flags.Has(schemas.ObsBreak) {
						brk = true
					}
				}
			}
		}
		if brk && r.HasPrev() {
			continue
		}
		if r.Eval(values) {
			continue
		}
		errs.add(relationError(vocab, r, at, key, terms, found, values, tables, places, readers))
	}
}

// leafKey is a leaf's (country, organization type).
type leafKey struct {
	geo schemas.GeoID
	org schemas.OrgID
}

func (k leafKey) less(o leafKey) bool { return k.geo < o.geo || (k.geo == o.geo && k.org < o.org) }

// relationError describes a broken relation at its first row, naming every row involved.
func relationError(vocab *schemas.Vocabulary, r schemas.Relation, at schemas.RelationAt, key leafKey, terms, found []int, values []int64,
	tables []*Table, places [][]place, readers []*inputReader) error {
	var parts []string
	first := place(0)
	have := false
	for j, ti := range terms {
		t := tables[ti]
		name := vocab.Metric(t.Metric).Code
		if r.Terms[j].Prev {
			name = "prev(" + name + ")"
		}
		where := "no row: 0"
		if found[j] >= 0 {
			p := places[ti][found[j]]
			where = readers[p.input()].placeText(p)
			if !have || p < first {
				first, have = p, true
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s = %d (%s)", t.Period, name, values[j], where))
	}
	err := fail(ErrRelation, "%s %s breaks the relation %s (%s): %s",
		vocab.Geo.Node(key.geo).Code, vocab.Org(key.org).Code, strconv.Quote(r.Text), r.Normal(vocab), strings.Join(parts, ", "))
	ir := readers[first.input()]
	if ir.parquet {
		return &Error{File: ir.file, Row: first.at(), Err: err}
	}
	return &Error{File: ir.file, Line: int(first.at()), Column: ir.fileCol[colValue] + 1, Err: err}
}
