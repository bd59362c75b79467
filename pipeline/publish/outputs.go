package publish

import (
	"context"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// writeCells writes cells.parquet: the tables in their order, the cells of each in theirs. A
// suppressed cell has a null value and status suppressed; nothing else distinguishes it.
func writeCells(ctx context.Context, dir string, p *protect.Result) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Cells)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	key := newKeyColumns(c, p.Vocab)
	value, status := c.i64(schemas.ColValue), c.str(schemas.ColStatus)
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	geo := p.Vocab.Geo
	for _, t := range p.Tables {
		for _, cell := range t.Cells {
			key.appendKey(t.Period, t.Metric, geo.Node(cell.Geo).Level, cell.Geo, cell.Org)
			if v, ok := cell.Value(); ok {
				value.Append(v)
				status.Append(schemas.StatusPublished)
			} else {
				value.AppendNull()
				status.Append(schemas.StatusSuppressed)
			}
			if err := w.endRow(); err != nil {
				w.abort()
				return OutputInfo{}, err
			}
		}
	}
	return w.close()
}

// writeCellsOf writes cells.parquet of the protected result behind r.
func writeCellsOf(ctx context.Context, dir string, r *trend.Result) (OutputInfo, error) {
	return writeCells(ctx, dir, r.Protected)
}

// writeTrends writes trends.parquet from the rows r.Trends produces, one at a time, and shows each row
// to observe (the report's collector) as it goes, so the rows are produced once and never all held.
func writeTrends(ctx context.Context, dir string, r *trend.Result, observe func(trend.TrendRow)) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Trends)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	vocab := r.Protected.Vocab
	key := newKeyColumns(c, vocab)
	value, prevPeriod, prevValue := c.i64(schemas.ColValue), c.date("prev_period"), c.i64("prev_value")
	absChange, pctChange, index := c.i64("abs_change"), c.f64("pct_change"), c.f64("index_base100")
	share, rank := c.f64("share_of_world"), c.i64("rank")
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	err = r.Trends(func(row trend.TrendRow) error {
		key.appendKey(row.Period, row.Metric, vocab.Geo.Node(row.Geo).Level, row.Geo, row.Org)
		appendInt(value, row.Value)
		prevPeriod.Append(dateOf(row.PrevPeriod))
		appendInt(prevValue, row.PrevValue)
		appendInt(absChange, row.AbsChange)
		appendFloat(pctChange, row.PctChange)
		appendFloat(index, row.IndexBase100)
		appendFloat(share, row.ShareOfWorld)
		appendInt(rank, row.Rank)
		if observe != nil {
			observe(row)
		}
		return w.endRow()
	})
	if err != nil {
		w.abort()
		return OutputInfo{}, err
	}
	return w.close()
}

// writeSeries writes series.parquet, one row per series as the trend stage sorted them.
func writeSeries(ctx context.Context, dir string, r *trend.Result) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Series)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	vocab := r.Protected.Vocab
	key := newKeyColumns(c, vocab)
	nPeriods, firstPeriod, lastPeriod := c.i64("n_periods"), c.date("first_period"), c.date("last_period")
	firstValue, lastValue, cagr := c.i64("first_value"), c.i64("last_value"), c.f64("cagr")
	ols, sen, tau, p := c.f64("ols_slope_per_year"), c.f64("sen_slope_per_year"), c.f64("mann_kendall_tau"), c.f64("mann_kendall_p")
	label := c.str("trend")
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	for _, s := range r.Series {
		key.appendKey(0, s.Metric, vocab.Geo.Node(s.Geo).Level, s.Geo, s.Org)
		nPeriods.Append(s.NPeriods)
		appendDate(firstPeriod, s.FirstPeriod)
		appendDate(lastPeriod, s.LastPeriod)
		appendInt(firstValue, s.FirstValue)
		appendInt(lastValue, s.LastValue)
		appendFloat(cagr, s.CAGR)
		appendFloat(ols, s.OLSSlope)
		appendFloat(sen, s.SenSlope)
		appendFloat(tau, s.MannKendallT)
		appendFloat(p, s.MannKendallP)
		label.Append(s.Trend)
		if err := w.endRow(); err != nil {
			w.abort()
			return OutputInfo{}, err
		}
	}
	return w.close()
}

// writeSummary writes summary.parquet, one row per (period, metric, level, organization type) as the
// trend stage sorted them.
func writeSummary(ctx context.Context, dir string, r *trend.Result) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Summary)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	key := newKeyColumns(c, r.Protected.Vocab)
	units, suppressed := c.i64("units"), c.i64("suppressed_units")
	mean, median, p90, maxValue := c.f64("mean"), c.f64("median"), c.f64("p90"), c.i64("max")
	stddev, top5 := c.f64("stddev"), c.f64("top5_share")
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	for _, s := range r.Summary {
		key.appendKey(s.Period, s.Metric, s.Level, 0, s.Org)
		units.Append(s.Units)
		suppressed.Append(s.SuppressedUnits)
		appendFloat(mean, s.Mean)
		appendFloat(median, s.Median)
		appendFloat(p90, s.P90)
		appendInt(maxValue, s.Max)
		appendFloat(stddev, s.StdDev)
		appendFloat(top5, s.Top5Share)
		if err := w.endRow(); err != nil {
			w.abort()
			return OutputInfo{}, err
		}
	}
	return w.close()
}
