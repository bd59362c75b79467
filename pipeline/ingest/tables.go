package ingest

import (
	"fmt"
	"sort"

	"github.com/exposure-research/exposure/schemas"
)

// tableKey names one table: a (period, metric).
type tableKey struct {
	period schemas.Date
	metric schemas.MetricID
}

// place is where a row was read, packed into 64 bits so that a leaf costs 8 more bytes, not a
// string: the input's index in dataset.yaml in the high half, the line (CSV) or row (Parquet) in the
// low half. Ascending places are in reading order.
type place uint64

func makePlace(input int, at int64) place { return place(uint64(input)<<32 | uint64(uint32(at))) }
func (p place) input() int                { return int(p >> 32) }
func (p place) at() int64                 { return int64(uint32(p)) }

// maxPlace is the largest line or row number a place holds.
const maxPlace = 1<<32 - 1

// tableBuilder collects the leaves of one table as rows arrive, with the place of each, in two
// parallel slices (48 bytes a leaf) so that ten million rows fit well inside a gigabyte.
type tableBuilder struct {
	key    tableKey
	leaves []Leaf
	places []place
	full   bool // a row was refused because the table held maxCells leaves
}

// The sort order of a table's leaves: (Geo, Org), then reading order, so that of several rows of one
// cell the first read comes first and the result does not depend on the sort algorithm.
func (t *tableBuilder) Len() int { return len(t.leaves) }
func (t *tableBuilder) Less(i, j int) bool {
	a, b := &t.leaves[i], &t.leaves[j]
	if a.Geo != b.Geo {
		return a.Geo < b.Geo
	}
	if a.Org != b.Org {
		return a.Org < b.Org
	}
	return t.places[i] < t.places[j]
}
func (t *tableBuilder) Swap(i, j int) {
	t.leaves[i], t.leaves[j] = t.leaves[j], t.leaves[i]
	t.places[i], t.places[j] = t.places[j], t.places[i]
}

// builder gathers the leaves of every table of a dataset.
type builder struct {
	tables   map[tableKey]*tableBuilder
	last     *tableBuilder // rows of one table tend to come together
	maxCells int64         // leaves one table may hold (limits.max_cells_per_table)
}

// newBuilder returns an empty builder whose tables hold at most maxCells leaves each.
func newBuilder(maxCells int64) *builder {
	return &builder{tables: map[tableKey]*tableBuilder{}, maxCells: maxCells}
}

// add adds a row's leaf to its table. When the table already holds maxCells leaves the row is
// refused, so that memory stays bounded: ok is false, and first says whether it is the first row
// refused for that table, which is the one to report.
func (b *builder) add(row *cellRow, at place) (ok, first bool) {
	key := tableKey{row.period, row.metric}
	t := b.last
	if t == nil || t.key != key {
		t = b.tables[key]
		if t == nil {
			t = &tableBuilder{key: key}
			b.tables[key] = t
		}
		b.last = t
	}
	if int64(len(t.leaves)) >= b.maxCells {
		first = !t.full
		t.full = true
		return false, first
	}
	t.leaves = append(t.leaves, Leaf{
		Geo: row.geo, Org: row.org, Input: uint16(at.input()), Value: row.value, Contributors: row.contributors,
		Largest: row.largest, SecondLargest: row.secondLargest,
	})
	t.places = append(t.places, at)
	return true, false
}

// finish sorts every table, reports each cell that appears more than once (SPEC 3.1: the same
// (period, country, org_type, metric) twice in the dataset) through dupError, with the place of the
// repeated row, the place where the cell was first read and the cell, and returns the tables sorted
// by period then metric, with the place of each leaf (parallel to the tables and their leaves). The
// builder is empty afterwards.
func (b *builder) finish(vocab *schemas.Vocabulary, dupError func(at, first place, cell string) error, errs *collector) ([]*Table, [][]place) {
	keys := make([]tableKey, 0, len(b.tables))
	for k := range b.tables {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].period != keys[j].period {
			return keys[i].period < keys[j].period
		}
		return keys[i].metric < keys[j].metric
	})
	type dup struct {
		at, first place
		cell      string
	}
	var dups []dup
	tables := make([]*Table, 0, len(keys))
	places := make([][]place, 0, len(keys))
	for _, k := range keys {
		tb := b.tables[k]
		sort.Sort(tb)
		leaves := tb.leaves[:0]
		for i := range tb.leaves {
			n := len(leaves)
			if n > 0 && leaves[n-1].Geo == tb.leaves[i].Geo && leaves[n-1].Org == tb.leaves[i].Org {
				// A repeated row sorts after the first row of its cell, which stays; the places
				// of the kept leaves are compacted alongside them.
				dups = append(dups, dup{tb.places[i], tb.places[n-1], cellText(vocab, k, tb.leaves[i])})
				continue
			}
			leaves = append(leaves, tb.leaves[i])
			tb.places[n] = tb.places[i]
		}
		tables = append(tables, &Table{Period: k.period, Metric: k.metric, Leaves: leaves[:len(leaves):len(leaves)]})
		places = append(places, tb.places[:len(leaves)])
		delete(b.tables, k)
	}
	b.last = nil
	// Report in the reading order of the repeated rows, however the tables were laid out.
	sort.Slice(dups, func(i, j int) bool { return dups[i].at < dups[j].at })
	for _, d := range dups {
		errs.add(dupError(d.at, d.first, d.cell))
	}
	return tables, places
}

// cellText names a cell for a duplicate message.
func cellText(vocab *schemas.Vocabulary, k tableKey, l Leaf) string {
	return fmt.Sprintf("(%s, %s, %s, %s)", k.period, vocab.Geo.Node(l.Geo).Code, vocab.Org(l.Org).Code, vocab.Metric(k.metric).Code)
}
