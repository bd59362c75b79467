package trend

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/exposure-research/exposure/schemas"
)

// A comparison asks whether two series' trends differ. Joinpoint, the trend software of the US
// National Cancer Institute, fits log-linear trends and tests whether two are parallel (Kim et al.
// 2004, Biometrics 60:1005); two series have parallel log-linear trends when the log of their ratio
// has no trend. That null is tested here without assuming a log-linear shape or normal errors: the
// Mann-Kendall test of the log-ratio over the periods at which both values are published and above 0
// (the ratio needs both), since both series' last breaks, with Sen's slope of the log-ratio and its
// confidence interval for how fast one gains on the other (exp(slope) - 1 per year). The test is
// invariant under any increasing transformation of the ratio, so it asks the same question of the
// country's share of its region as of the log-ratio.

// comparisonTask is one comparison to compute: the country, the other area and their relation.
type comparisonTask struct {
	geo, other schemas.GeoID
	relation   string
	mirrored   bool // also publish the comparison the other way round (two countries)
}

// compareAll returns the comparisons of one metric's country series (all organization types), sorted
// by GeoID and other GeoID: every country against its sub-region, region and the world, every two
// countries of one sub-region, and the pairs of countries dataset.yaml names, both ways round. The
// comparisons are independent and run on every core, each row written by one worker.
func compareAll(lay *layout, metric schemas.MetricID, d *seriesData, scratch []seriesScratch) []ComparisonRow {
	geo := lay.p.Vocab.Geo
	present := func(id schemas.GeoID) bool { return d.seen[int(id)*lay.numOrgs+int(schemas.OrgAll)] }
	var tasks []comparisonTask
	var countries []schemas.GeoID
	for id := range lay.numGeos {
		g := schemas.GeoID(id)
		if lay.levels[g] == schemas.Country && present(g) {
			countries = append(countries, g)
		}
	}
	paired := map[[2]schemas.GeoID]bool{}
	for _, c := range countries {
		for _, a := range geo.Ancestors(c) {
			if !present(a) {
				continue
			}
			rel := RelationWorld
			switch lay.levels[a] {
			case schemas.Region:
				rel = RelationRegion
			case schemas.SubRegion:
				rel = RelationSubRegion
			}
			tasks = append(tasks, comparisonTask{geo: c, other: a, relation: rel})
		}
		parent := geo.Node(c).Parent
		if lay.levels[parent] != schemas.SubRegion {
			continue
		}
		for _, o := range geo.Children(parent) {
			if o > c && present(o) {
				tasks = append(tasks, comparisonTask{geo: c, other: o, relation: RelationPeer, mirrored: true})
				paired[[2]schemas.GeoID{c, o}] = true
			}
		}
	}
	for _, pair := range lay.p.Provenance.Comparisons {
		if len(pair) != 2 {
			continue
		}
		a, okA := geo.CountryByCode(pair[0])
		b, okB := geo.CountryByCode(pair[1])
		if !okA || !okB || a == b || !present(a) || !present(b) {
			continue
		}
		a, b = min(a, b), max(a, b)
		if key := [2]schemas.GeoID{a, b}; !paired[key] {
			paired[key] = true
			tasks = append(tasks, comparisonTask{geo: a, other: b, relation: RelationDeclared, mirrored: true})
		}
	}
	rows := make([]ComparisonRow, len(tasks))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range scratch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tasks) {
					return
				}
				rows[i] = compareSeries(lay, metric, d, tasks[i], &scratch[w])
			}
		}()
	}
	wg.Wait()
	for i, task := range tasks {
		if task.mirrored {
			rows = append(rows, rows[i].mirror())
		}
	}
	slices.SortFunc(rows, func(a, b ComparisonRow) int {
		return cmp.Or(cmp.Compare(a.Geo, b.Geo), cmp.Compare(a.Other, b.Other))
	})
	return rows
}

// compareSeries compares the segments of two series of one metric: the log-ratio of their values at
// the common periods since the later segment start, where both are published and above 0.
func compareSeries(lay *layout, metric schemas.MetricID, d *seriesData, task comparisonTask, scratch *seriesScratch) ComparisonRow {
	sa := int(task.geo)*lay.numOrgs + int(schemas.OrgAll)
	sb := int(task.other)*lay.numOrgs + int(schemas.OrgAll)
	row := ComparisonRow{Metric: metric, Geo: task.geo, Other: task.other, Relation: task.relation,
		SegmentStart: max(d.segStart[sa], d.segStart[sb]), Trend: TrendTooFew}
	datesA, valuesA := d.series(sa)
	datesB, valuesB := d.series(sb)
	// The common periods, with the numerator and denominator of each ratio. years and y hold the
	// dates as years and the log-ratios; ranks will hold the ratios' ranks.
	dates, num, den := scratch.dates[:0], scratch.num[:0], scratch.den[:0]
	defer func() { scratch.dates, scratch.num, scratch.den = dates, num, den }()
	for i, j := 0, 0; i < len(datesA) && j < len(datesB); {
		switch {
		case datesA[i] < datesB[j]:
			i++
		case datesA[i] > datesB[j]:
			j++
		default:
			if datesA[i] >= row.SegmentStart && valuesA[i] > 0 && valuesB[j] > 0 {
				dates = append(dates, datesA[i])
				num = append(num, valuesA[i])
				den = append(den, valuesB[j])
			}
			i++
			j++
		}
	}
	n := len(dates)
	row.NPeriods = int64(n)
	if n == 0 {
		return row
	}
	row.FirstPeriod, row.LastPeriod = Some(dates[0]), Some(dates[n-1])
	if n < minSlopeValues {
		return row
	}
	// The ratios are compared exactly, as num_i * den_j against num_j * den_i in 128 bits, so that
	// equal ratios tie in the test however their logarithms round.
	scratch.order = growTo(scratch.order, n)
	for i := range scratch.order {
		scratch.order[i] = i
	}
	slices.SortStableFunc(scratch.order, func(i, j int) int { return compareRatios(num[i], den[i], num[j], den[j]) })
	scratch.ranks = growTo(scratch.ranks, n)
	var rank int64
	for k, i := range scratch.order {
		if k > 0 && compareRatios(num[scratch.order[k-1]], den[scratch.order[k-1]], num[i], den[i]) != 0 {
			rank++
		}
		scratch.ranks[i] = rank
	}
	scratch.y = scratch.y[:0]
	for i := range dates {
		scratch.y = append(scratch.y, math.Log(float64(num[i])/float64(den[i])))
	}
	var mk mannKendallResult
	mk, scratch.sorted = mannKendall(scratch.ranks[:n], scratch.sorted)
	sen := senSlope(dates, scratch.y, mk.Variance, &scratch.sen)
	row.S, row.Tau, row.P, row.PMethod = Some(mk.S), mk.Tau, Some(mk.P), Some(pMethod(mk.Exact))
	row.Slope, row.SlopeLower, row.SlopeUpper = Some(sen.Slope), sen.Lower, sen.Upper
	row.Trend = trendOf(n, mk.P, sen.Slope)
	return row
}

// compareRatios compares a/b with c/d for positive counts, exactly.
func compareRatios(a, b, c, d int64) int {
	hi1, lo1 := bits.Mul64(uint64(a), uint64(d))
	hi2, lo2 := bits.Mul64(uint64(c), uint64(b))
	return cmp.Or(cmp.Compare(hi1, hi2), cmp.Compare(lo1, lo2))
}

// mirror returns the comparison the other way round: the log-ratio changes sign, and with it the
// score, tau, the slope and its interval and the direction; the p-value stays.
func (r ComparisonRow) mirror() ComparisonRow {
	m := r
	m.Geo, m.Other = r.Other, r.Geo
	neg := func(x Null[float64]) Null[float64] {
		if x.Valid {
			x.V = -x.V
		}
		return x
	}
	if r.S.Valid {
		m.S = Some(-r.S.V)
	}
	m.Tau, m.Slope = neg(r.Tau), neg(r.Slope)
	m.SlopeLower, m.SlopeUpper = neg(r.SlopeUpper), neg(r.SlopeLower)
	switch r.Trend {
	case TrendRising:
		m.Trend = TrendFalling
	case TrendFalling:
		m.Trend = TrendRising
	}
	return m
}
