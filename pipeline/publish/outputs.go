package publish

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// sourceNames turns a cell's set of sources into the source column: the sorted ids joined by ",".
type sourceNames struct {
	ids   []string // Provenance.Sources' ids, the bits of a SourceSet
	names map[protect.SourceSet]string
}

func newSourceNames(p *protect.Result) *sourceNames {
	n := &sourceNames{names: map[protect.SourceSet]string{}}
	for _, s := range p.Provenance.Sources {
		n.ids = append(n.ids, s.ID)
	}
	return n
}

// of returns the source column of a set; the ids are sorted because Provenance.Sources is.
func (n *sourceNames) of(set protect.SourceSet) string {
	if name, ok := n.names[set]; ok {
		return name
	}
	var ids []string
	for i, id := range n.ids {
		if set.Has(i) {
			ids = append(ids, id)
		}
	}
	name := strings.Join(ids, ",")
	n.names[set] = name
	return name
}

// flagColumns are the obs_status, conf_status, break_reason and source columns of cells and trends.
type flagColumns struct {
	obs, conf, reason, source *array.StringBuilder
	sources                   *sourceNames
}

func newFlagColumns(c *columnSet, p *protect.Result) flagColumns {
	return flagColumns{obs: c.str(schemas.ColObsStatus), conf: c.str(schemas.ColConfStatus),
		reason: c.str(schemas.ColBreakReason), source: c.str(schemas.ColSource), sources: newSourceNames(p)}
}

func (f flagColumns) append(flags schemas.ObsFlags, suppressed bool, sources protect.SourceSet) {
	f.obs.Append(flags.Code())
	f.conf.Append(schemas.ConfStatus(suppressed))
	if reason := flags.BreakReason(); reason != "" {
		f.reason.Append(reason)
	} else {
		f.reason.AppendNull()
	}
	f.source.Append(f.sources.of(sources))
}

// writeCells writes cells.parquet: the tables in their order, the cells of each in theirs. A
// suppressed cell has a null value, status suppressed and conf_status C; nothing else distinguishes
// it. Every cell carries its observation flags and sources, which are public.
func writeCells(ctx context.Context, dir string, p *protect.Result) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Cells)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	key := newKeyColumns(c, p.Vocab)
	value, status := c.i64(schemas.ColValue), c.str(schemas.ColStatus)
	flags := newFlagColumns(c, p)
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
			flags.append(cell.Flags, cell.Suppressed(), cell.Sources)
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
	flags := newFlagColumns(c, r.Protected)
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	err = r.Trends(func(row trend.TrendRow) error {
		key.appendKey(row.Period, row.Metric, vocab.Geo.Node(row.Geo).Level, row.Geo, row.Org)
		appendInt(value, row.Value)
		flags.append(row.Flags, row.Suppressed, row.Sources)
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
	breaks, segment, obs := c.i64("n_breaks"), c.date("segment_start"), c.str(schemas.ColObsStatus)
	nPeriods, firstPeriod, lastPeriod := c.i64("n_periods"), c.date("first_period"), c.date("last_period")
	firstValue, lastValue, cagr := c.i64("first_value"), c.i64("last_value"), c.f64("cagr")
	ols, sen, tau, p := c.f64("ols_slope_per_year"), c.f64("sen_slope_per_year"), c.f64("mann_kendall_tau"), c.f64("mann_kendall_p")
	senLower, senUpper, score, method := c.f64("sen_slope_lower"), c.f64("sen_slope_upper"), c.i64("mann_kendall_s"), c.str(schemas.ColPMethod)
	label := c.str(schemas.ColTrend)
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	for _, s := range r.Series {
		key.appendKey(0, s.Metric, vocab.Geo.Node(s.Geo).Level, s.Geo, s.Org)
		breaks.Append(s.Breaks)
		segment.Append(dateOf(s.SegmentStart))
		obs.Append(s.Flags.Code())
		nPeriods.Append(s.NPeriods)
		appendDate(firstPeriod, s.FirstPeriod)
		appendDate(lastPeriod, s.LastPeriod)
		appendInt(firstValue, s.FirstValue)
		appendInt(lastValue, s.LastValue)
		appendFloat(cagr, s.CAGR)
		appendFloat(ols, s.OLSSlope)
		appendFloat(sen, s.SenSlope)
		appendFloat(senLower, s.SenLower)
		appendFloat(senUpper, s.SenUpper)
		appendInt(score, s.MannKendallS)
		appendFloat(tau, s.MannKendallT)
		appendFloat(p, s.MannKendallP)
		appendString(method, s.PMethod)
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
	units, suppressed, total := c.i64("units"), c.i64("suppressed_units"), c.i64("total")
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
		appendInt(total, s.Total)
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

// writeComparisons writes comparisons.parquet, one row per comparison as the trend stage sorted them.
func writeComparisons(ctx context.Context, dir string, r *trend.Result) (OutputInfo, error) {
	w, err := newTableWriter(ctx, dir, schemas.Comparisons)
	if err != nil {
		return OutputInfo{}, err
	}
	c := &columnSet{w: w}
	vocab := r.Protected.Vocab
	key := newKeyColumns(c, vocab)
	other, otherLevel, otherName, relation := c.str(schemas.ColOtherGeo), c.str("other_geo_level"), c.str("other_geo_name"), c.str(schemas.ColRelation)
	segment, nPeriods, firstPeriod, lastPeriod := c.date("segment_start"), c.i64("n_periods"), c.date("first_period"), c.date("last_period")
	score, tau, p, method := c.i64("mann_kendall_s"), c.f64("mann_kendall_tau"), c.f64("mann_kendall_p"), c.str(schemas.ColPMethod)
	slope, lower, upper := c.f64("log_ratio_slope_per_year"), c.f64("log_ratio_slope_lower"), c.f64("log_ratio_slope_upper")
	label := c.str(schemas.ColTrend)
	if c.err != nil {
		w.abort()
		return OutputInfo{}, c.err
	}
	for _, row := range r.Comparisons {
		key.appendKey(0, row.Metric, vocab.Geo.Node(row.Geo).Level, row.Geo, schemas.OrgAll)
		node := vocab.Geo.Node(row.Other)
		other.Append(node.Code)
		otherLevel.Append(node.Level.String())
		otherName.Append(node.Name)
		relation.Append(row.Relation)
		segment.Append(dateOf(row.SegmentStart))
		nPeriods.Append(row.NPeriods)
		appendDate(firstPeriod, row.FirstPeriod)
		appendDate(lastPeriod, row.LastPeriod)
		appendInt(score, row.S)
		appendFloat(tau, row.Tau)
		appendFloat(p, row.P)
		appendString(method, row.PMethod)
		appendFloat(slope, row.Slope)
		appendFloat(lower, row.SlopeLower)
		appendFloat(upper, row.SlopeUpper)
		label.Append(row.Trend)
		if err := w.endRow(); err != nil {
			w.abort()
			return OutputInfo{}, err
		}
	}
	return w.close()
}
