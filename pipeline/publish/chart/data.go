package chart

import (
	"cmp"
	"slices"

	"gonum.org/v1/plot/plotter"

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
	// Estimated is set when the cell is an estimate or illustrative allocation (the dataset marks
	// its input so): the point is drawn hollow, not like a measurement.
	Estimated bool
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

// breakMarks returns where the line's break signs go: in the gap before every published point that
// breaks, halfway to the previous published point (at the height between the two), or just before
// the point when none precedes it in the chart.
func (l line) breakMarks() plotter.XYs {
	var marks plotter.XYs
	for i, p := range l.Points {
		if !p.Break || p.State != cellPublished || i == 0 {
			continue
		}
		x, y := float64(p.Period), float64(p.Value)
		prev := -1
		for j := i - 1; j >= 0; j-- {
			if l.Points[j].State == cellPublished {
				prev = j
				break
			}
		}
		if prev >= 0 {
			q := l.Points[prev]
			x, y = (x+float64(q.Period))/2, (y+float64(q.Value))/2
		} else {
			x -= (x - float64(l.Points[i-1].Period)) / 4
		}
		marks = append(marks, plotter.XY{X: x, Y: y})
	}
	return marks
}

// overTimeLines returns the world and the largest regions (by their latest published value,
// organization type all) over the metric's periods. A region with no published value is left out:
// there would be nothing to draw.
func overTimeLines(vocab *schemas.Vocabulary, tables []*protect.Table) []line {
	geo := vocab.Geo
	seriesOf := func(id schemas.GeoID) line { return seriesLine(vocab, tables, id) }
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

// seriesLine returns the series of one area (organization type all) over the tables' periods.
func seriesLine(vocab *schemas.Vocabulary, tables []*protect.Table, id schemas.GeoID) line {
	l := line{Geo: id, Name: vocab.Geo.Node(id).Name}
	for _, t := range tables {
		v, st, flags := lookupFlags(t, id, schemas.OrgAll)
		l.Points = append(l.Points, point{Period: t.Period, Value: v, State: st,
			Break: flags.Has(schemas.ObsBreak), Estimated: flags.Has(schemas.ObsEstimated)})
	}
	return l
}

// countryLines returns a country's series and its sub-region's over the tables' periods; a country
// that the M49 hierarchy puts in no sub-region (TW) has its own line only.
func countryLines(vocab *schemas.Vocabulary, tables []*protect.Table, country schemas.GeoID) []line {
	lines := []line{seriesLine(vocab, tables, country)}
	if parent := vocab.Geo.Node(country).Parent; vocab.Geo.Node(parent).Level == schemas.SubRegion {
		lines = append(lines, seriesLine(vocab, tables, parent))
	}
	return lines
}

// CountriesCovered returns the countries that the table covers: those with a cell over all
// organization types, published or suppressed (a submission names them), in GeoID order.
func CountriesCovered(vocab *schemas.Vocabulary, t *protect.Table) []schemas.GeoID {
	var out []schemas.GeoID
	for _, c := range t.Cells {
		if c.Org == schemas.OrgAll && vocab.Geo.Node(c.Geo).Level == schemas.Country {
			out = append(out, c.Geo)
		}
	}
	return out
}

// WidestCoverage returns, of one metric's tables in period order, the most recent one that covers
// the most countries: the period whose world total adds up the most of the world. It returns nil
// when there are no tables.
func WidestCoverage(vocab *schemas.Vocabulary, tables []*protect.Table) *protect.Table {
	var best *protect.Table
	most := -1
	for _, t := range tables {
		if n := len(CountriesCovered(vocab, t)); n >= most {
			best, most = t, n
		}
	}
	return best
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
	Value     int64
	Withheld  bool
	Missing   bool // the table has no such cell: nothing to draw and nothing to mark
	Estimated bool // an estimate or illustrative allocation (obs_status E): hatched
	Break     bool // a break in series (obs_status B): its value is labelled B
}

// barOf is the bar of the cell (geo, org) of a table.
func barOf(t *protect.Table, geo schemas.GeoID, org schemas.OrgID) bar {
	v, st, flags := lookupFlags(t, geo, org)
	return bar{Value: v, Withheld: st == cellSuppressed, Missing: st == cellMissing,
		Estimated: flags.Has(schemas.ObsEstimated), Break: flags.Has(schemas.ObsBreak)}
}

// barGroup is one area of the latest chart: its total over all types, then one bar per
// organization type shown.
type barGroup struct {
	Geo  schemas.GeoID
	Name string
	Bars []bar // parallel to latestBars.Orgs
}

// latestBars is the data of a chart of one period by area: areas (regions, or countries when few)
// by organization type, each with its published total over all types.
type latestBars struct {
	Period    schemas.Date
	Countries bool            // areas are countries, not regions
	Orgs      []schemas.OrgID // schemas.OrgAll, then the organization types with a cell in some area, in display order
	Groups    []barGroup      // largest area (organization type all) first
	// Unplaced are the countries of the table that the M49 hierarchy puts in no region (TW), which a
	// chart by region leaves out rather than draw among the regions.
	Unplaced []string
}

// latestByArea picks the areas of one period: the regions or, when the table names few countries,
// the countries themselves, so that a small dataset is not shown as one bar per continent. A
// country with no region (it rolls up straight to the world) is not a region, and is named in
// Unplaced instead of being drawn among them.
func latestByArea(vocab *schemas.Vocabulary, t *protect.Table) latestBars {
	geo := vocab.Geo
	var countries, regions []schemas.GeoID
	var unplaced []string
	for i, c := range t.Cells {
		if i > 0 && t.Cells[i-1].Geo == c.Geo {
			continue
		}
		node := geo.Node(c.Geo)
		switch {
		case node.Level == schemas.Region:
			regions = append(regions, c.Geo)
		case node.Level == schemas.Country:
			countries = append(countries, c.Geo)
			if node.Parent == geo.WorldID() {
				unplaced = append(unplaced, node.Name)
			}
		}
	}
	lb := latestBars{Period: t.Period, Countries: len(countries) <= maxCountryAreas}
	areas := regions
	if lb.Countries {
		areas = countries
	} else {
		lb.Unplaced = unplaced
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
	lb.Orgs = []schemas.OrgID{schemas.OrgAll}
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
			g.Bars = append(g.Bars, barOf(t, a.id, o))
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
	// Estimated is set when either value is an estimate or illustrative allocation: so is the change.
	Estimated bool
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
		before, prevState, prevFlags := lookupFlags(prev, c.Geo, schemas.OrgAll)
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
		all = append(all, mover{Geo: c.Geo, Name: geo.Node(c.Geo).Name, Change: now - before,
			Estimated: c.Flags.Has(schemas.ObsEstimated) || prevFlags.Has(schemas.ObsEstimated)})
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
