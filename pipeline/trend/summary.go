package trend

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"

	"github.com/montanaflynn/stats"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// topShareUnits is the number of largest units whose share of the level's total top5_share reports,
// a concentration measure in the manner of the k-firm concentration ratio.
const topShareUnits = 5

// levelGroup gathers the cells of one level and organization type of one table.
type levelGroup struct {
	units      int64
	suppressed int64
	values     []float64 // published values
	exact      []int64   // the same, exact, for max and the top-5 share
}

// summarize returns one row per (period, metric, level, organization type) that has at least one
// cell, in the published order: period, metric, level from the top, OrgID.
func summarize(ctx context.Context, lay *layout) ([]SummaryRow, error) {
	var rows []SummaryRow
	groups := make([]levelGroup, lay.numOrgs)
	for _, t := range lay.p.Tables {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Cells are sorted by GeoID, and GeoIDs by level, so each level is one run of cells.
		for start := 0; start < len(t.Cells); {
			level := lay.levels[t.Cells[start].Geo]
			end := start
			for end < len(t.Cells) && lay.levels[t.Cells[end].Geo] == level {
				end++
			}
			for i := range groups {
				g := &groups[i]
				g.units, g.suppressed, g.values, g.exact = 0, 0, g.values[:0], g.exact[:0]
			}
			for _, c := range t.Cells[start:end] {
				g := &groups[c.Org]
				g.units++
				if v, ok := c.Value(); ok {
					g.values = append(g.values, float64(v))
					g.exact = append(g.exact, v)
				} else {
					g.suppressed++
				}
			}
			for org := range groups {
				if groups[org].units == 0 {
					continue
				}
				row, err := describeLevel(t, level, schemas.OrgID(org), &groups[org])
				if err != nil {
					return nil, fmt.Errorf("table %s %s, %s, %s: %w", t.Period, lay.p.Vocab.Metric(t.Metric).Code,
						level, lay.p.Vocab.Org(schemas.OrgID(org)).Code, err)
				}
				rows = append(rows, row)
			}
			start = end
		}
	}
	return rows, nil
}

// describeLevel computes the descriptive statistics of one level group's published values: mean,
// median and 90th percentile (linear interpolation between order statistics, Hyndman & Fan 1996
// type 7, R's default), largest value, sample standard deviation (n-1) and the share of the total
// held by the five largest.
func describeLevel(t *protect.Table, level schemas.GeoLevel, org schemas.OrgID, g *levelGroup) (SummaryRow, error) {
	row := SummaryRow{Period: t.Period, Metric: t.Metric, Level: level, Org: org, Units: g.units, SuppressedUnits: g.suppressed}
	if len(g.values) == 0 {
		return row, nil
	}
	mean, err := stats.Mean(g.values)
	if err != nil {
		return row, fmt.Errorf("mean: %w", err)
	}
	median, err := stats.Median(g.values)
	if err != nil {
		return row, fmt.Errorf("median: %w", err)
	}
	p90, err := stats.Percentile(g.values, 90)
	if err != nil {
		return row, fmt.Errorf("90th percentile: %w", err)
	}
	row.Mean, row.Median, row.P90 = Some(mean), Some(median), Some(p90)
	if len(g.values) >= 2 {
		sd, err := stats.StandardDeviationSample(g.values)
		if err != nil {
			return row, fmt.Errorf("standard deviation: %w", err)
		}
		row.StdDev = Some(sd)
	}
	slices.SortFunc(g.exact, func(a, b int64) int { return cmp.Compare(b, a) })
	row.Max = Some(g.exact[0])
	row.Top5Share = topShare(g.exact)
	return row, nil
}

// topShare returns the percentage of the sum of values, sorted from the largest, held by the first
// topShareUnits of them; not valid when the sum is 0. The sums are kept in 128 bits: counts near the
// int64 limit would overflow an int64 sum, and the values are counts, never negative.
func topShare(desc []int64) Null[float64] {
	var top, total uint128
	for i, x := range desc {
		total = total.add(uint64(x))
		if i < topShareUnits {
			top = top.add(uint64(x))
		}
	}
	if total == (uint128{}) {
		return Null[float64]{}
	}
	return Some(100 * top.float() / total.float())
}

// uint128 is an unsigned 128-bit sum of counts.
type uint128 struct{ hi, lo uint64 }

func (u uint128) add(x uint64) uint128 {
	lo, carry := bits.Add64(u.lo, x, 0)
	return uint128{hi: u.hi + carry, lo: lo}
}

func (u uint128) float() float64 { return float64(u.hi)*(1<<64) + float64(u.lo) }
