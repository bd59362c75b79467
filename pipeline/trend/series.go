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
	slopes []float64
	sorted []int64
}

// computeSeries returns one row per series that appears in any table, published or not, sorted by
// metric, GeoID and OrgID. It works one metric at a time: the published values of that metric's
// series are gathered into one flat array, grouped by series (compressed rows), so that memory is the
// published cells of one metric plus a few integers per series.
func computeSeries(ctx context.Context, lay *layout) ([]SeriesRow, error) {
	var rows []SeriesRow
	slots := lay.slots()
	seen := make([]bool, slots)
	offsets := make([]int, slots+1)
	var dates []schemas.Date
	var values []int64
	scratch := make([]seriesScratch, runtime.GOMAXPROCS(0))
	for m, tables := range lay.byMetric {
		if len(tables) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(seen)
		clear(offsets)
		for _, t := range tables {
			for _, c := range t.Cells {
				s := lay.slot(c)
				seen[s] = true
				if _, ok := c.Value(); ok {
					offsets[s+1]++
				}
			}
		}
		for s := range slots {
			offsets[s+1] += offsets[s]
		}
		dates = growTo(dates, offsets[slots])
		values = growTo(values, offsets[slots])
		fill := append([]int(nil), offsets[:slots]...)
		for _, t := range tables {
			for _, c := range t.Cells {
				if v, ok := c.Value(); ok {
					s := lay.slot(c)
					dates[fill[s]], values[fill[s]] = t.Period, v
					fill[s]++
				}
			}
		}
		first := len(rows)
		for s := range slots {
			if seen[s] {
				rows = append(rows, SeriesRow{
					Metric: schemas.MetricID(m),
					Geo:    schemas.GeoID(s / lay.numOrgs),
					Org:    schemas.OrgID(s % lay.numOrgs),
				})
			}
		}
		describeAll(rows[first:], lay, offsets, dates, values, scratch)
	}
	return rows, nil
}

// describeAll fills in the statistics of rows, the series of one metric, on every core. Sen's slope is
// quadratic in the periods of a series (10,000,000 rows, 628 periods: 30 s of CPU, most of the stage),
// and the series are independent: each row is written by one worker with its own buffers, so the
// result does not depend on the scheduling.
func describeAll(rows []SeriesRow, lay *layout, offsets []int, dates []schemas.Date, values []int64, scratch []seriesScratch) {
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
					s := lay.slot(protect.Cell{Geo: row.Geo, Org: row.Org})
					lo, hi := offsets[s], offsets[s+1]
					describeSeries(row, dates[lo:hi], values[lo:hi], &scratch[w])
				}
			}
		}()
	}
	wg.Wait()
}

// describeSeries fills in the statistics of a series from its published values, in period order.
func describeSeries(row *SeriesRow, dates []schemas.Date, values []int64, scratch *seriesScratch) {
	n := len(values)
	row.NPeriods = int64(n)
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
	for _, d := range dates {
		scratch.years = append(scratch.years, d.YearsSince(dates[0]))
	}
	row.OLSSlope = Some(olsSlope(scratch.years, values))
	var sen float64
	sen, scratch.slopes = senSlope(dates, values, scratch.slopes)
	row.SenSlope = Some(sen)
	if n < minMKValues {
		return
	}
	var mk mannKendallResult
	mk, scratch.sorted = mannKendall(values, scratch.sorted)
	row.MannKendallT = mk.Tau
	row.MannKendallP = Some(mk.P)
	row.Trend = Some(trendOf(mk.P, sen))
}

// growTo returns a slice of length n, reusing buf's storage when it is large enough.
func growTo[T any](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]T, n)
}
