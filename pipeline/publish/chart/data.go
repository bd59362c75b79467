package chart

import (
	"cmp"
	"slices"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// Limits on what one chart shows, so that it stays readable on a page of a briefing.
const (
	maxRegionLines   = 4  // regions drawn next to the world over time
	maxCountryAreas  = 8  // the latest chart shows countries instead of regions up to this many
	maxMovers        = 10 // countries in the top-movers chart
	maxNamedWithheld = 6  // withheld values named in a caption before "and n more"
)

// cellState is what a table says about one cell: published with a value, withheld, or not in the
// table at all (no submission names it).
type cellState uint8

const (
	cellMissing cellState = iota
	cellPublished
	cellSuppressed
)

// lookup finds the cell (geo, org) of a table, whose cells are sorted by (GeoID, OrgID) as protect
// promises.
func lookup(t *protect.Table, geo schemas.GeoID, org schemas.OrgID) (int64, cellState) {
	v, st, _ := lookupFlags(t, geo, org)
	return v, st
}

// lookupFlags is lookup with the cell's observation flags.
func lookupFlags(t *protect.Table, geo schemas.GeoID, org schemas.OrgID) (int64, cellState, schemas.ObsFlags) {
	i, found := slices.BinarySearchFunc(t.Cells, protect.Cell{Geo: geo, Org: org}, func(a, b protect.Cell) int {
		if c := cmp.Compare(a.Geo, b.Geo); c != 0 {
			return c
		}
		return cmp.Compare(a.Org, b.Org)
	})
	if !found {
		return 0, cellMissing, 0
	}
	if v, ok := t.Cells[i].Value(); ok {
		return v, cellPublished, t.Cells[i].Flags
	}
	return 0, cellSuppressed, t.Cells[i].Flags
}

// metricTables returns the tables of every metric, by MetricID, each in period order (the order of
// protect.Result.Tables).
func metricTables(p *protect.Result) [][]*protect.Table {
	byMetric := make([][]*protect.Table, p.Vocab.NumMetrics())
	for _, t := range p.Tables {
		byMetric[t.Metric] = append(byMetric[t.Metric], t)
	}
	return byMetric
}

// point is one period of a line: its value when published; a point that is not published is a gap.
type point struct {
	Period schemas.Date
	Value  int64
	State  cellState
	// Break is set when the cell is a break in series (obs_status B: its source, definition or the
	// set of cells it adds up differs from the line's previous period): the two values measure
	// different things, so the line is not drawn between them (report.md makes the same call).
	Break bool
}

// line is the series of one area (organization type all) over a metric's periods.
type line struct {
	Geo    schemas.GeoID
	Name   string
	Points []point // one per period of the metric, in period order
}

// segments splits a line at every point that is not published, so that a withheld or missing
// value shows as a gap instead of being bridged or drawn as zero.
func (l line) segments() [][]point {
	var segs [][]point
	var cur []point
	for _, p := range l.Points {
		if p.Break && len(cur) > 0 {
			segs = append(segs, cur)
			cur = nil
		}
		if p.State != cellPublished {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// overTimeLines returns the world and the largest regions (by their latest published value,
// organization type all) over the metric's periods. A region with no published value is left out:
// there would be nothing to draw.
func overTimeLines(vocab *schemas.Vocabulary, tables []*protect.Table) []line {
	geo := vocab.Geo
	seriesOf := func(id schemas.GeoID) line {
		l := line{Geo: id, Name: geo.Node(id).Name}
		for _, t := range tables {
			v, st, flags := lookupFlags(t, id, schemas.OrgAll)
			l.Points = append(l.Points, point{Period: t.Period, Value: v, State: st, Break: flags.Has(schemas.ObsBreak)})
		}
		return l
	}
	lines := []line{seriesOf(geo.WorldID())}
	type ranked struct {
		line   line
		latest int64
	}
	var regions []ranked
	for _, id := range geo.Children(geo.WorldID()) {
		if geo.Node(id).Level != schemas.Region {
			continue
		}
		l := seriesOf(id)
		latest, ok := lastPublished(l)
		if !ok {
			continue
		}
		regions = append(regions, ranked{l, latest})
	}
	slices.SortStableFunc(regions, func(a, b ranked) int { return cmp.Compare(b.latest, a.latest) })
	for i := 0; i < len(regions) && i < maxRegionLines; i++ {
		lines = append(lines, regions[i].line)
	}
	return lines
}

// lastPublished returns the line's last published value.
func lastPublished(l line) (int64, bool) {
	for i := len(l.Points) - 1; i >= 0; i-- {
		if l.Points[i].State == cellPublished {
			return l.Points[i].Value, true
		}
	}
	return 0, false
}

// bar is one bar of a bar chart: a published value, or a withheld one that is not drawn.
type bar struct {
	Value    int64
	Withheld bool
	Missing  bool // the table has no such cell: nothing to draw and nothing to mark
}

// barGroup is one area of the latest chart: one bar per organization type shown.
type barGroup struct {
	Geo  schemas.GeoID
	Name string
	Bars []bar // parallel to latestBars.Orgs
}

// latestBars is the data of the latest chart: areas (regions, or countries when few) by
// organization type in the metric's last period.
type latestBars struct {
	Period    schemas.Date
	Countries bool            // areas are countries, not regions
	Orgs      []schemas.OrgID // organization types with a cell in some area, in display order
	Groups    []barGroup      // largest area (organization type all) first
}

// latestByArea picks the areas of the table's latest period: the world's children (the regions and
// the countries that roll up straight to the world) or, when the table names few countries, the
// countries themselves, so that a small dataset is not shown as one bar per continent.
func latestByArea(vocab *schemas.Vocabulary, t *protect.Table) latestBars {
	geo := vocab.Geo
	var countries, top []schemas.GeoID
	for i, c := range t.Cells {
		if i > 0 && t.Cells[i-1].Geo == c.Geo {
			continue
		}
		node := geo.Node(c.Geo)
		if node.Level == schemas.Country {
			countries = append(countries, c.Geo)
		}
		if c.Geo != geo.WorldID() && node.Parent == geo.WorldID() {
			top = append(top, c.Geo)
		}
	}
	lb := latestBars{Period: t.Period, Countries: len(countries) <= maxCountryAreas}
	areas := top
	if lb.Countries {
		areas = countries
	}
	type ranked struct {
		id    schemas.GeoID
		total int64
		ok    bool
	}
	rankedAreas := make([]ranked, 0, len(areas))
	for _, id := range areas {
		v, st := lookup(t, id, schemas.OrgAll)
		rankedAreas = append(rankedAreas, ranked{id, v, st == cellPublished})
	}
	// Largest published total first; areas whose total is withheld keep GeoID order after them.
	slices.SortStableFunc(rankedAreas, func(a, b ranked) int {
		if a.ok != b.ok {
			if a.ok {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.total, a.total)
	})
	for _, o := range vocab.OrgOrder() {
		for _, a := range rankedAreas {
			if _, st := lookup(t, a.id, o); st != cellMissing {
				lb.Orgs = append(lb.Orgs, o)
				break
			}
		}
	}
	for _, a := range rankedAreas {
		g := barGroup{Geo: a.id, Name: geo.Node(a.id).Name}
		for _, o := range lb.Orgs {
			v, st := lookup(t, a.id, o)
			g.Bars = append(g.Bars, bar{Value: v, Withheld: st == cellSuppressed, Missing: st == cellMissing})
		}
		lb.Groups = append(lb.Groups, g)
	}
	return lb
}

// mover is one country's published change between the metric's last two periods.
type mover struct {
	Geo    schemas.GeoID
	Name   string
	Change int64
}

// movers is the data of the top-movers chart.
type movers struct {
	From, To schemas.Date
	Top      []mover // largest change first (positive to negative); at most maxMovers
	Withheld int     // countries of both periods whose change cannot be derived from published values
	Breaks   int     // countries of both periods whose series breaks: no change is published
}

// topMovers returns the countries (organization type all) with the largest published absolute
// change between the last two tables. A change is derived only when both values are published
// (SPEC 4: everything derived is derived from published values only); a country with a value in one
// period only has no change, and one with a withheld value is counted, not guessed.
func topMovers(vocab *schemas.Vocabulary, prev, last *protect.Table) movers {
	geo := vocab.Geo
	m := movers{From: prev.Period, To: last.Period}
	var all []mover
	for _, c := range last.Cells {
		if c.Org != schemas.OrgAll || geo.Node(c.Geo).Level != schemas.Country {
			continue
		}
		before, prevState := lookup(prev, c.Geo, schemas.OrgAll)
		if prevState == cellMissing {
			continue
		}
		if c.Flags.Has(schemas.ObsBreak) {
			m.Breaks++ // no change across a break in series (SPEC 5)
			continue
		}
		now, ok := c.Value()
		if !ok || prevState != cellPublished {
			m.Withheld++
			continue
		}
		if now == before {
			continue
		}
		all = append(all, mover{Geo: c.Geo, Name: geo.Node(c.Geo).Name, Change: now - before})
	}
	// Largest absolute change first; ties keep GeoID order so the choice never depends on luck.
	slices.SortStableFunc(all, func(a, b mover) int { return cmp.Compare(absInt(b.Change), absInt(a.Change)) })
	m.Top = all[:min(len(all), maxMovers)]
	slices.SortStableFunc(m.Top, func(a, b mover) int { return cmp.Compare(b.Change, a.Change) })
	return m
}

// absInt returns |v| as a uint64, so that the most negative int64 has an absolute value too.
func absInt(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}
