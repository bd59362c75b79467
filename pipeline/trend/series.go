package trend

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// seriesScratch holds the buffers that the statistics of one series use, reused from series to
// series.
type seriesScratch struct {
	years  []float64
	y      []float64
	sen    slopeWork
	sorted []int64
	ranks  []int64
	order  []int
	dates  []schemas.Date // a comparison's common periods, with the two values of each
	num    []int64
	den    []int64
}

// seriesData is the published values of the last segment of every series of one metric, grouped by
// series slot (compressed rows): the values of slot s are dates[offsets[s]:offsets[s+1]].
type seriesData struct {
	seen     []bool
	segStart []schemas.Date
	breaks   []int64
	flags    []schemas.ObsFlags
	offsets  []int
	dates    []schemas.Date
	values   []int64
}

// computeSeries returns one row per series that appears in any table, published or not, sorted by
// metric, GeoID and OrgID, and the comparisons of the countries' series. It works one metric at a
// time: the published values of that metric's series since each one's last break are gathered into
// one flat array, grouped by series, so that memory is the published cells of one metric plus a few
// integers per series.
func computeSeries(ctx context.Context, lay *layout) ([]SeriesRow, []ComparisonRow, error) {
	var rows []SeriesRow
	var comparisons []ComparisonRow
	slots := lay.slots()
	d := &seriesData{
		seen:     make([]bool, slots),
		segStart: make([]schemas.Date, slots),
		breaks:   make([]int64, slots),
		flags:    make([]schemas.ObsFlags, slots),
		offsets:  make([]int, slots+1),
	}
	scratch := make([]seriesScratch, runtime.GOMAXPROCS(0))
	for m, tables := range lay.byMetric {
		if len(tables) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		d.gather(lay, tables)
		first := len(rows)
		for s := range slots {
			if d.seen[s] {
				rows = append(rows, SeriesRow{
					Metric:       schemas.MetricID(m),
					Geo:          schemas.GeoID(s / lay.numOrgs),
					Org:          schemas.OrgID(s % lay.numOrgs),
					Breaks:       d.breaks[s],
					SegmentStart: d.segStart[s],
					Flags:        d.flags[s],
				})
			}
		}
		describeAll(rows[first:], lay, d, scratch)
		comparisons = append(comparisons, compareAll(lay, schemas.MetricID(m), d, scratch)...)
	}
	return rows, comparisons, nil
}

// gather fills d with the series of one metric's tables: which series appear, where each one's last
// segment starts (its last break, or its first period), and the published values of that segment.
func (d *seriesData) gather(lay *layout, tables []*protect.Table) {
	clear(d.seen)
	clear(d.breaks)
	clear(d.flags)
	clear(d.offsets)
	for _, t := range tables {
		for _, c := range t.Cells {
			s := lay.slot(c)
			if !d.seen[s] {
				d.seen[s], d.segStart[s] = true, t.Period
			}
			if c.Flags.Has(schemas.ObsBreak) {
				d.segStart[s] = t.Period
				d.breaks[s]++
			}
		}
	}
	for _, t := range tables {
		for _, c := range t.Cells {
			s := lay.slot(c)
			if _, ok := c.Value(); ok && t.Period >= d.segStart[s] {
				d.offsets[s+1]++
			}
		}
	}
	slots := len(d.seen)
	for s := range slots {
		d.offsets[s+1] += d.offsets[s]
	}
	d.dates = growTo(d.dates, d.offsets[slots])
	d.values = growTo(d.values, d.offsets[slots])
	fill := append([]int(nil), d.offsets[:slots]...)
	for _, t := range tables {
		for _, c := range t.Cells {
			s := lay.slot(c)
			if v, ok := c.Value(); ok && t.Period >= d.segStart[s] {
				d.dates[fill[s]], d.values[fill[s]] = t.Period, v
				d.flags[s] |= c.Flags & (schemas.ObsEstimated | schemas.ObsProvisional)
				fill[s]++
			}
		}
	}
}

// series returns the dates and values of the segment of slot s.
func (d *seriesData) series(s int) ([]schemas.Date, []int64) {
	lo, hi := d.offsets[s], d.offsets[s+1]
	return d.dates[lo:hi], d.values[lo:hi]
}

// describeAll fills in the statistics of rows, the series of one metric, on every core. Sen's slope is
// quadratic in the periods of a series (10,000,000 rows, 628 periods: 30 s of CPU, most of the stage),
// and the series are independent: each row is written by one worker with its own buffers, so the
// result does not depend on the scheduling.
func describeAll(rows []SeriesRow, lay *layout, d *seriesData, scratch []seriesScratch) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range scratch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			const chunk = 64
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(rows) {
					return
				}
				for i := start; i < min(start+chunk, len(rows)); i++ {
					row := &rows[i]
					dates, values := d.series(lay.slot(protect.Cell{Geo: row.Geo, Org: row.Org}))
					describeSeries(row, dates, values, &scratch[w])
				}
			}
		}()
	}
	wg.Wait()
}

// describeSeries fills in the statistics of a series from the published values of its segment, in
// period order.
func describeSeries(row *SeriesRow, dates []schemas.Date, values []int64, scratch *seriesScratch) {
	n := len(values)
	row.NPeriods = int64(n)
	row.Trend = TrendTooFew
	if n == 0 {
		return
	}
	row.FirstPeriod, row.LastPeriod = Some(dates[0]), Some(dates[n-1])
	row.FirstValue, row.LastValue = Some(values[0]), Some(values[n-1])
	row.CAGR = cagr(dates, values)
	if n < minSlopeValues {
		return
	}
	scratch.years = scratch.years[:0]
	scratch.y = scratch.y[:0]
	for i, d := range dates {
		scratch.years = append(scratch.years, d.YearsSince(dates[0]))
		scratch.y = append(scratch.y, float64(values[i]))
	}
	row.OLSSlope = Some(olsSlope(scratch.years, scratch.y))
	var mk mannKendallResult
	mk, scratch.sorted = mannKendall(values, scratch.sorted)
	sen := senSlope(dates, scratch.y, mk.Variance, &scratch.sen)
	row.SenSlope, row.SenLower, row.SenUpper = Some(sen.Slope), sen.Lower, sen.Upper
	row.MannKendallS, row.MannKendallT, row.MannKendallP = Some(mk.S), mk.Tau, Some(mk.P)
	row.PMethod = Some(pMethod(mk.Exact))
	row.Trend = trendOf(n, mk.P, sen.Slope)
}

// pMethod names how a p-value was computed.
func pMethod(exact bool) string {
	if exact {
		return PExact
	}
	return PNormal
}

// growTo returns a slice of length n, reusing buf's storage when it is large enough.
func growTo[T any](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]T, n)
}
