package trend

import (
	"cmp"
	"slices"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// seriesCursor is what the per-cell trends remember of one series between tables: the period in which
// the series was last seen, its value there if published, and its base, the value at its first
// published period, with whether a break has come since.
type seriesCursor struct {
	prevPeriod    schemas.Date
	prevValue     int64
	prevSources   protect.SourceSet
	base          int64
	seen          bool
	prevPublished bool
	hasBase       bool
	brokenBase    bool // a break came after the base: no later index compares with it
}

// trends produces the per-cell trend rows table by table, in the published order. It keeps one
// cursor per series of the metrics seen so far and the ranks of one table, so its memory does not
// grow with the number of periods.
func (lay *layout) trends(yield func(TrendRow) error) error {
	cursors := make([][]seriesCursor, len(lay.byMetric))
	world := make([]protect.Cell, lay.numOrgs)
	hasWorld := make([]bool, lay.numOrgs)
	var rk ranker
	worldID := lay.p.Vocab.Geo.WorldID()
	for ti, t := range lay.p.Tables {
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
		ranks := rk.rank(lay, t, &lay.bounds[ti])
		for i, c := range t.Cells {
			s := &cur[lay.slot(c)]
			value, published := c.Value()
			brk := c.Flags.Has(schemas.ObsBreak)
			if brk && s.hasBase {
				s.brokenBase = true
			}
			if published && !s.hasBase {
				// The index is 100 at the series' first published period, wherever that falls.
				s.hasBase, s.base = true, value
			}
			if s.seen {
				row := TrendRow{
					CellKey:     CellKey{Period: t.Period, Metric: t.Metric, Geo: c.Geo, Org: c.Org},
					Suppressed:  !published,
					Flags:       c.Flags,
					Sources:     c.Sources,
					PrevPeriod:  s.prevPeriod,
					PrevSources: s.prevSources,
					Rank:        ranks[i],
				}
				if published {
					row.Value = Some(value)
				}
				if s.prevPublished {
					row.PrevValue = Some(s.prevValue)
					// A change across a break compares different things (SPEC 5): none is published.
					if published && !brk {
						row.AbsChange = Some(value - s.prevValue)
						if s.prevValue > 0 {
							row.PctChange = Some(100 * float64(value-s.prevValue) / float64(s.prevValue))
						}
					}
				}
				// The index of a break is null too, even at a base set there: the row says its figure
				// is not comparable with what came before.
				if published && s.hasBase && s.base > 0 && !s.brokenBase && !brk {
					row.IndexBase100 = Some(100 * float64(value) / float64(s.base))
				}
				if w, ok := world[c.Org].Value(); published && hasWorld[c.Org] && ok && w > 0 {
					row.ShareOfWorld = Some(100 * float64(value) / float64(w))
				}
				if err := yield(row); err != nil {
					return err
				}
			}
			s.seen, s.prevPeriod, s.prevPublished, s.prevValue, s.prevSources = true, t.Period, published, value, c.Sources
		}
	}
	return nil
}

// ranker computes the provable ranks of one table at a time, reusing its buffers.
type ranker struct {
	ranks   []Null[int64]
	entries []rankEntry
	lows    []int64
	highs   []int64
}

// rankEntry is a cell of a table, keyed for ranking among the cells of its level and organization
// type: a published value, or a suppressed cell's interval.
type rankEntry struct {
	group     int // level*orgs + org
	published bool
	value     int64 // published value, or the interval's lower end
	hi        int64 // the interval's upper end (unboundedHi when open)
	cell      int   // index in the table's cells
}

// rank returns, for every cell of t, its competition rank ("1224" ranking: ties share the lower
// rank) among the cells of the same level and organization type, published or suppressed, the
// largest value first: 1 + the number of cells whose value is larger. A published cell's rank is
// given only when every suppressed cell of its group provably lies above it (its interval's lower
// end is larger) or provably not above it (its upper end is at most the value); otherwise the rank
// depends on a withheld figure and is null (SPEC 4). A suppressed cell has no rank.
func (rk *ranker) rank(lay *layout, t *protect.Table, bounds *cellBounds) []Null[int64] {
	rk.ranks = slices.Grow(rk.ranks[:0], len(t.Cells))[:len(t.Cells)]
	clear(rk.ranks)
	rk.entries = rk.entries[:0]
	for i, c := range t.Cells {
		e := rankEntry{group: int(lay.levels[c.Geo])*lay.numOrgs + int(c.Org), cell: i}
		if v, ok := c.Value(); ok {
			e.published, e.value = true, v
		} else {
			e.value, e.hi = bounds.interval(i)
		}
		rk.entries = append(rk.entries, e)
	}
	slices.SortFunc(rk.entries, func(a, b rankEntry) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		if a.published != b.published {
			if a.published {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.value, a.value)
	})
	for start := 0; start < len(rk.entries); {
		end := start
		for end < len(rk.entries) && rk.entries[end].group == rk.entries[start].group {
			end++
		}
		group := rk.entries[start:end]
		pub := 0 // published entries first, largest first
		for pub < len(group) && group[pub].published {
			pub++
		}
		supp := group[pub:]
		rk.lows, rk.highs = rk.lows[:0], rk.highs[:0]
		for _, e := range supp {
			rk.lows = append(rk.lows, e.value)
			rk.highs = append(rk.highs, e.hi)
		}
		slices.Sort(rk.lows)
		slices.Sort(rk.highs)
		var larger int64 // published values larger than the current one
		for i, e := range group[:pub] {
			if i > 0 && e.value != group[i-1].value {
				larger = int64(i)
			}
			// Suppressed cells provably above: lower end > value; provably not above: upper end <= value.
			above := len(rk.lows) - upperBound(rk.lows, e.value)
			notAbove := upperBound(rk.highs, e.value)
			if above+notAbove == len(supp) {
				rk.ranks[e.cell] = Some(1 + larger + int64(above))
			}
		}
		start = end
	}
	return rk.ranks
}

// upperBound returns the number of values of the ascending a that are at most v.
func upperBound(a []int64, v int64) int {
	i, _ := slices.BinarySearchFunc(a, v, func(x, v int64) int {
		if x <= v {
			return -1
		}
		return 1
	})
	return i
}
