package trend

import (
	"context"
	"errors"
	"fmt"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// Compute derives the trend figures from a protected dataset. It reads only the published values of
// p's cells (a suppressed cell has none to read) and the intervals that anyone can derive for the
// suppressed ones from them (protect.Bounds), checks that p is in the order the protection stage
// promises, and computes the series statistics, comparisons and level summaries at once; the
// per-cell trends are produced later, table by table, by Result.Trends.
func Compute(ctx context.Context, p *protect.Result) (*Result, error) {
	lay, err := newLayout(p)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	if lay.bounds, err = computeBounds(ctx, lay); err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	summary, err := summarize(ctx, lay)
	if err != nil {
		return nil, fmt.Errorf("trend: summaries: %w", err)
	}
	series, comparisons, err := computeSeries(ctx, lay)
	if err != nil {
		return nil, fmt.Errorf("trend: series: %w", err)
	}
	return &Result{
		Protected:   p,
		Series:      series,
		Summary:     summary,
		Comparisons: comparisons,
		trends:      lay.trends,
	}, nil
}

// layout is what every part of the stage needs to know about the protected tables: the vocabulary's
// sizes, the level of every area, and the tables of each metric. A series, a (metric, area,
// organization type), has a slot in per-metric arrays indexed by geo*(orgs+1)+org, so that ascending
// slot is the published order (GeoID, then OrgID) and per-series state needs no map.
type layout struct {
	p        *protect.Result
	levels   []schemas.GeoLevel // by GeoID
	numOrgs  int                // organization types, `all` included
	numGeos  int
	byMetric [][]*protect.Table // the tables of each metric, by MetricID, in period order
	bounds   []cellBounds       // by table index: the intervals of the suppressed cells
}

// errUnordered is the cause of every error about input that is not in the promised order.
var errUnordered = errors.New("protected tables are not in the published order")

// newLayout checks p and indexes its tables. The checks are those that the rest of the stage relies
// on: tables strictly ordered by (period, metric), cells strictly ordered by (geo, org), every id in
// the vocabulary, and no negative count.
func newLayout(p *protect.Result) (*layout, error) {
	if p == nil || p.Vocab == nil || p.Vocab.Geo == nil {
		return nil, errors.New("no protected result or no vocabulary")
	}
	geo := p.Vocab.Geo
	lay := &layout{
		p:        p,
		levels:   make([]schemas.GeoLevel, geo.Len()),
		numOrgs:  p.Vocab.NumOrgs() + 1,
		numGeos:  geo.Len(),
		byMetric: make([][]*protect.Table, p.Vocab.NumMetrics()),
	}
	for id := range lay.levels {
		lay.levels[id] = geo.Node(schemas.GeoID(id)).Level
	}
	for i, t := range p.Tables {
		if t == nil {
			return nil, fmt.Errorf("table %d is missing", i)
		}
		if int(t.Metric) >= len(lay.byMetric) {
			return nil, fmt.Errorf("table %d (%s): metric id %d is not in the vocabulary", i, t.Period, t.Metric)
		}
		name := fmt.Sprintf("table %s %s", t.Period, p.Vocab.Metric(t.Metric).Code)
		if i > 0 {
			prev := p.Tables[i-1]
			if prev.Period > t.Period || prev.Period == t.Period && prev.Metric >= t.Metric {
				return nil, fmt.Errorf("%s after table %s %s: %w", name, prev.Period, p.Vocab.Metric(prev.Metric).Code, errUnordered)
			}
		}
		for j, c := range t.Cells {
			if int(c.Geo) >= lay.numGeos || int(c.Org) >= lay.numOrgs {
				return nil, fmt.Errorf("%s, cell %d: area %d or organization type %d is not in the vocabulary", name, j, c.Geo, c.Org)
			}
			if j > 0 {
				prev := t.Cells[j-1]
				if prev.Geo > c.Geo || prev.Geo == c.Geo && prev.Org >= c.Org {
					return nil, fmt.Errorf("%s, cell %d (%s, %s): %w", name, j, geo.Node(c.Geo).Code, p.Vocab.Org(c.Org).Code, errUnordered)
				}
			}
			if v, ok := c.Value(); ok && v < 0 {
				return nil, fmt.Errorf("%s, cell %d (%s, %s): negative count %d", name, j, geo.Node(c.Geo).Code, p.Vocab.Org(c.Org).Code, v)
			}
		}
		lay.byMetric[t.Metric] = append(lay.byMetric[t.Metric], t)
	}
	return lay, nil
}

// slots returns the number of series slots of one metric.
func (lay *layout) slots() int { return lay.numGeos * lay.numOrgs }

// slot returns the series slot of a cell within its metric's arrays.
func (lay *layout) slot(c protect.Cell) int { return int(c.Geo)*lay.numOrgs + int(c.Org) }
