package trend

import (
	"context"
	"math"
	"math/bits"
	"slices"

	"github.com/montanaflynn/stats"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// topShareUnits is the number of largest units whose share of the level's total top5_share reports,
// a concentration measure in the manner of the k-firm concentration ratio.
const topShareUnits = 5

// levelGroup gathers the cells of one level and organization type of one table: the published
// values, and for each suppressed cell the interval anyone can derive for it.
type levelGroup struct {
	units       int64
	suppressed  int64
	exact       []int64 // published values
	lows, highs []int64 // the suppressed cells' intervals (highs unboundedHi when open)
	buf         []int64
}

// summarize returns one row per (period, metric, level, organization type) that has at least one
// cell, in the published order: period, metric, level from the top, OrgID.
func summarize(ctx context.Context, lay *layout) ([]SummaryRow, error) {
	var rows []SummaryRow
	groups := make([]levelGroup, lay.numOrgs)
	// lacks[level][geo]: the country has no area at that level above it (TW has no region or
	// sub-region and rolls up straight to the world).
	geo := lay.p.Vocab.Geo
	lacks := make([][]bool, len(schemas.GeoLevels))
	for _, level := range []schemas.GeoLevel{schemas.Region, schemas.SubRegion} {
		lacks[level] = make([]bool, lay.numGeos)
		for id := range lay.numGeos {
			g := schemas.GeoID(id)
			if lay.levels[g] != schemas.Country {
				continue
			}
			lacks[level][g] = !slices.ContainsFunc(geo.Ancestors(g), func(a schemas.GeoID) bool { return lay.levels[a] == level })
		}
	}
	worldID := geo.WorldID()
	for ti, t := range lay.p.Tables {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bounds := &lay.bounds[ti]
		// Cells are sorted by GeoID, and GeoIDs by level, so each level is one run of cells.
		for start := 0; start < len(t.Cells); {
			level := lay.levels[t.Cells[start].Geo]
			end := start
			for end < len(t.Cells) && lay.levels[t.Cells[end].Geo] == level {
				end++
			}
			for i := range groups {
				g := &groups[i]
				g.units, g.suppressed, g.exact, g.lows, g.highs = 0, 0, g.exact[:0], g.lows[:0], g.highs[:0]
			}
			for i := start; i < end; i++ {
				c := t.Cells[i]
				g := &groups[c.Org]
				g.units++
				if v, ok := c.Value(); ok {
					g.exact = append(g.exact, v)
				} else {
					g.suppressed++
					lo, hi := bounds.interval(i)
					g.lows, g.highs = append(g.lows, lo), append(g.highs, hi)
				}
			}
			for org := range groups {
				if groups[org].units == 0 {
					continue
				}
				total := levelTotal(t, level, schemas.OrgID(org), &groups[org], worldID, lacks[level], lay.levels)
				rows = append(rows, describeLevel(t, level, schemas.OrgID(org), &groups[org], total))
			}
			start = end
		}
	}
	return rows, nil
}

// levelTotal returns the sum over the units of one level of a table for one organization type when
// the published cells give it: the units' own sum when none is suppressed; otherwise the world total
// less the countries that have no area at the level (lacks), which reach the world without passing
// through one, when those are published. Every country adds up into the world, so at the country
// level the world total is the sum.
func levelTotal(t *protect.Table, level schemas.GeoLevel, org schemas.OrgID, g *levelGroup, worldID schemas.GeoID,
	lacks []bool, levels []schemas.GeoLevel) Null[int64] {
	if g.suppressed == 0 {
		var sum int64
		for _, v := range g.exact {
			if sum > math.MaxInt64-v {
				return Null[int64]{}
			}
			sum += v
		}
		return Some(sum)
	}
	if level == schemas.World {
		return Null[int64]{}
	}
	var total int64
	found := false
	for _, c := range t.Cells {
		if c.Org != org {
			continue
		}
		switch {
		case c.Geo == worldID:
			v, ok := c.Value()
			if !ok {
				return Null[int64]{}
			}
			total, found = total+v, true
		case levels[c.Geo] == schemas.Country && lacks != nil && lacks[c.Geo]:
			v, ok := c.Value()
			if !ok {
				return Null[int64]{}
			}
			total -= v
		}
	}
	if !found || total < 0 {
		return Null[int64]{}
	}
	return Some(total)
}

// describeLevel computes the statistics of one level group over all its units, each only when the
// published values and the suppressed cells' intervals prove it (SPEC 4): the mean as the total
// over the units; the median and 90th percentile (linear interpolation between order statistics,
// Hyndman & Fan 1996 type 7, R's default), the largest value and the sum of the five largest when
// they come out the same with every suppressed cell at the lower end of its interval and at the
// upper end (each is non-decreasing in every unit's value, so these are its smallest and largest
// values over the intervals); the sample standard deviation (n-1) when nothing is suppressed.
func describeLevel(t *protect.Table, level schemas.GeoLevel, org schemas.OrgID, g *levelGroup, total Null[int64]) SummaryRow {
	row := SummaryRow{Period: t.Period, Metric: t.Metric, Level: level, Org: org, Units: g.units, SuppressedUnits: g.suppressed, Total: total}
	n := int(g.units)
	if total.Valid {
		row.Mean = Some(float64(total.V) / float64(n))
	}
	if g.suppressed == 0 && n >= 2 {
		values := make([]float64, n)
		for i, v := range g.exact {
			values[i] = float64(v)
		}
		if sd, err := stats.StandardDeviationSample(values); err == nil {
			row.StdDev = Some(sd)
		}
	}
	// The units sorted with the suppressed ones at the lower and at the upper ends of their intervals.
	low := append(append(g.buf[:0], g.exact...), g.lows...)
	slices.Sort(low)
	high := append(low[len(low):], g.exact...)
	high = append(high, g.highs...)
	slices.Sort(high)
	g.buf = low[:0]
	if len(g.exact) > 0 || g.suppressed == 0 {
		row.Median = provenQuantile(low, high, 0.5)
		row.P90 = provenQuantile(low, high, 0.9)
		if low[n-1] == high[n-1] {
			row.Max = Some(low[n-1])
		}
	}
	row.Top5Share = topShare(low, high, total)
	return row
}

// provenQuantile returns the type-7 quantile p of the units when the order statistics it
// interpolates between are the same in low and high (the units sorted with the suppressed ones at
// the lower and upper ends of their intervals).
func provenQuantile(low, high []int64, p float64) Null[float64] {
	h := float64(len(low)-1) * p
	j := int(math.Floor(h))
	frac := h - float64(j)
	if low[j] != high[j] {
		return Null[float64]{}
	}
	if frac == 0 {
		return Some(float64(low[j]))
	}
	if low[j+1] != high[j+1] {
		return Null[float64]{}
	}
	return Some(float64(low[j]) + frac*float64(low[j+1]-low[j]))
}

// topShare returns the percentage of total held by the topShareUnits largest units, when it is
// proven: the sum of the largest lies between its values with the suppressed cells at the lower and
// at the upper ends of their intervals (low and high, sorted ascending), and, the units adding up to
// total, between total less the sum of the others at their upper and at their lower ends; the
// share is given when the two ranges meet in one value. It is not valid when total is unknown or 0.
// The sums are kept in 128 bits: counts near the int64 limit would overflow an int64 sum.
func topShare(low, high []int64, total Null[int64]) Null[float64] {
	if !total.Valid || total.V <= 0 {
		return Null[float64]{}
	}
	n := len(low)
	rest := max(0, n-topShareUnits) // the units outside the top
	sum := func(a []int64) (uint128, bool) {
		var s uint128
		for _, x := range a {
			if x == unboundedHi {
				return s, false
			}
			s = s.add(uint64(x))
		}
		return s, true
	}
	topLow, _ := sum(low[rest:])
	topHigh, boundedTop := sum(high[rest:])
	restLow, _ := sum(low[:rest])
	restHigh, boundedRest := sum(high[:rest])
	t := uint128{lo: uint64(total.V)}
	// The top's sum is at least max(topLow, total - restHigh) and at most min(topHigh, total - restLow).
	lower := topLow
	if boundedRest && restHigh.less(t) {
		lower = maxU(lower, t.sub(restHigh))
	}
	var upper uint128 // 0 when the others' lower ends already reach the total
	if !t.less(restLow) {
		upper = t.sub(restLow)
	}
	if boundedTop {
		upper = minU(upper, topHigh)
	}
	if lower != upper {
		return Null[float64]{}
	}
	return Some(100 * lower.float() / t.float())
}

// uint128 is an unsigned 128-bit sum of counts.
type uint128 struct{ hi, lo uint64 }

func (u uint128) add(x uint64) uint128 {
	lo, carry := bits.Add64(u.lo, x, 0)
	return uint128{hi: u.hi + carry, lo: lo}
}

func (u uint128) float() float64 { return float64(u.hi)*(1<<64) + float64(u.lo) }

func (u uint128) less(v uint128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

// sub returns u - v for v <= u.
func (u uint128) sub(v uint128) uint128 {
	lo, borrow := bits.Sub64(u.lo, v.lo, 0)
	return uint128{hi: u.hi - v.hi - borrow, lo: lo}
}

func maxU(a, b uint128) uint128 {
	if a.less(b) {
		return b
	}
	return a
}

func minU(a, b uint128) uint128 {
	if a.less(b) {
		return a
	}
	return b
}
