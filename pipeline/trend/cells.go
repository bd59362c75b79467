package trend

import (
	"cmp"
	"slices"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// seriesCursor is what the per-cell trends remember of one series between tables: the period in which
// the series was last seen, its value there if published, and its base, the value at its first
// published period.
type seriesCursor struct {
	prevPeriod    schemas.Date
	prevValue     int64
	base          int64
	seen          bool
	prevPublished bool
	hasBase       bool
}

// rankEntry is a published cell of a table, keyed for ranking among the cells of its level and
// organization type.
type rankEntry struct {
	group int // level*orgs + org
	value int64
	cell  int // index in the table's cells
}

// trends produces the per-cell trend rows table by table, in the published order. It keeps one
// cursor per series of the metrics seen so far and the ranks of one table, so its memory does not
// grow with the number of periods.
func (lay *layout) trends(yield func(TrendRow) error) error {
	cursors := make([][]seriesCursor, len(lay.byMetric))
	world := make([]protect.Cell, lay.numOrgs)
	hasWorld := make([]bool, lay.numOrgs)
	var ranks []int64
	var entries []rankEntry
	worldID := lay.p.Vocab.Geo.WorldID()
	for _, t := range lay.p.Tables {
		if cursors[t.Metric] == nil {
			cursors[t.Metric] = make([]seriesCursor, lay.slots())
		}
		cur := cursors[t.Metric]
		clear(hasWorld)
		for _, c := range t.Cells {
			if c.Geo == worldID {
				world[c.Org], hasWorld[c.Org] = c, true
			}
		}
		ranks, entries = lay.rank(t, ranks, entries)
		for i, c := range t.Cells {
			s := &cur[lay.slot(c)]
			value, published := c.Value()
			if published && !s.hasBase {
				// The index is 100 at the series' first published period, wherever that falls.
				s.hasBase, s.base = true, value
			}
			if s.seen {
				row := TrendRow{
					CellKey:    CellKey{Period: t.Period, Metric: t.Metric, Geo: c.Geo, Org: c.Org},
					PrevPeriod: s.prevPeriod,
				}
				if published {
					row.Value = Some(value)
					row.Rank = Some(ranks[i])
				}
				if s.prevPublished {
					row.PrevValue = Some(s.prevValue)
					if published {
						row.AbsChange = Some(value - s.prevValue)
						if s.prevValue > 0 {
							row.PctChange = Some(100 * float64(value-s.prevValue) / float64(s.prevValue))
						}
					}
				}
				if published && s.hasBase && s.base > 0 {
					row.IndexBase100 = Some(100 * float64(value) / float64(s.base))
				}
				if w, ok := world[c.Org].Value(); published && hasWorld[c.Org] && ok && w > 0 {
					row.ShareOfWorld = Some(100 * float64(value) / float64(w))
				}
				if err := yield(row); err != nil {
					return err
				}
			}
			s.seen, s.prevPeriod, s.prevPublished, s.prevValue = true, t.Period, published, value
		}
	}
	return nil
}

// rank returns, for every cell of t, its competition rank ("1224" ranking: ties share the lower rank)
// among the published cells of the same level and organization type, the largest value first. A
// suppressed cell gets no rank and takes no place in the ranking of the others. The buffers are
// reused from table to table.
func (lay *layout) rank(t *protect.Table, ranks []int64, entries []rankEntry) ([]int64, []rankEntry) {
	ranks = slices.Grow(ranks[:0], len(t.Cells))[:len(t.Cells)]
	entries = entries[:0]
	for i, c := range t.Cells {
		if v, ok := c.Value(); ok {
			entries = append(entries, rankEntry{group: int(lay.levels[c.Geo])*lay.numOrgs + int(c.Org), value: v, cell: i})
		}
	}
	slices.SortFunc(entries, func(a, b rankEntry) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		return cmp.Compare(b.value, a.value)
	})
	var rank int64
	start := 0 // index of the first entry of the current group
	for i, e := range entries {
		switch {
		case i == 0 || e.group != entries[i-1].group:
			start, rank = i, 1
		case e.value != entries[i-1].value:
			rank = int64(i - start + 1)
		}
		ranks[e.cell] = rank
	}
	return ranks, entries
}
