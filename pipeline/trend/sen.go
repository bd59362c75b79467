package trend

import (
	"math"
	"math/bits"
	"slices"

	"github.com/exposure-research/exposure/schemas"
)

// senResult is Sen's slope with its confidence interval; an end of the interval is not valid when
// the interval reaches past the smallest or largest pairwise slope.
type senResult struct {
	Slope        float64
	Lower, Upper Null[float64]
}

// senSlope returns Sen's slope, the median of the slopes between every two values at different dates
// (Sen 1968, JASA 63:1379), with its confidence interval at the confidence level; w holds the
// buffers from call to call. The interval is the one of Sen (1968, eq. 2.6) in Gilbert's form (1987,
// Statistical Methods for Environmental Pollution Monitoring, 16.4.3; Hollander & Wolfe 1999,
// Nonparametric Statistical Methods, 9.4): with C = z * sqrt(Var S) and N slopes, the slopes of
// 0-based order round((N - C)/2) - 1 and round((N + C)/2), rounding half to even, as
// scipy.stats.theilslopes computes them; variance is Var S under no trend, with the tie correction
// (mannKendall). Where scipy clamps an order outside the slopes to the smallest or largest one, which
// would claim a narrower interval than the method gives, that end is null. Dates are strictly
// increasing and at least two.
func senSlope(dates []schemas.Date, y []float64, variance float64, w *slopeWork) senResult {
	n := len(dates)
	m := n * (n - 1) / 2
	ks, lo, hi := senOrders(m, variance)
	var got [4]float64
	w.slopeOrders(dates, y, ks[:], got[:])
	var res senResult
	if m%2 == 1 {
		res.Slope = got[0]
	} else {
		res.Slope = (got[1] + got[0]) / 2
	}
	if lo >= 0 && lo < m {
		res.Lower = Some(got[2])
	}
	if hi >= 0 && hi < m {
		res.Upper = Some(got[3])
	}
	return res
}

// senOrders returns the orders (from 0) of the m slopes that Sen's slope and its interval read: the
// middle one or two, and the interval's ends (senSlope) lo and hi clamped to the slopes, with lo and
// hi themselves, which may lie outside them.
func senOrders(m int, variance float64) (ks [4]int, lo, hi int) {
	c := zConfidence * math.Sqrt(variance)
	lo = int(math.RoundToEven((float64(m)-c)/2)) - 1
	hi = int(math.RoundToEven((float64(m) + c) / 2))
	return [4]int{m / 2, max(0, m/2-1), min(max(lo, 0), m-1), min(max(hi, 0), m-1)}, lo, hi
}

// slopeWork holds the buffers of senSlope, reused from series to series.
type slopeWork struct {
	// years[d] is d days in years, exactly as schemas.Date.YearsSince computes it: a slope is one
	// division, not two. It only grows, up to maxYearsTable entries.
	years  []float64
	slopes []float64    // the slopes: every one, or the undecided ones of selectSlopeOrders
	sample []float64    // a sample whose order statistics make brackets
	kept   [3][]float64 // orderStats: the values inside each of its brackets
	sel    selectWork
}

// maxYearsTable bounds slopeWork.years: dates further apart (more than 2,800 years) are divided as
// YearsSince does, without the table.
const maxYearsTable = 1 << 20

// slope returns the slope between values i < j, (y[j] - y[i]) / dates[j].YearsSince(dates[i]).
func (w *slopeWork) slope(dates []schemas.Date, y []float64, i, j int) float64 {
	if d := int(dates[j] - dates[i]); d < len(w.years) {
		return (y[j] - y[i]) / w.years[d]
	}
	return (y[j] - y[i]) / dates[j].YearsSince(dates[i])
}

// slopeOrders sets out[i] to the order statistic ks[i] (from 0) of the n(n-1)/2 slopes between
// every two values (slope). They are the exact order statistics of those float64 values, whichever
// way they are found: by slope selection from few of them (selectSlopeOrders), or, for few values
// or when the selection cannot decide, from all of them (orderStats).
func (w *slopeWork) slopeOrders(dates []schemas.Date, y []float64, ks []int, out []float64) {
	n := len(dates)
	if span := int(dates[n-1]-dates[0]) + 1; span > len(w.years) && span <= maxYearsTable {
		for d := len(w.years); d < span; d++ {
			w.years = append(w.years, schemas.Date(d).YearsSince(0))
		}
	}
	if n >= minSelectSlopes && w.selectSlopeOrders(dates, y, ks, out) {
		return
	}
	slopes := w.slopes[:0]
	for i := range dates {
		for j := i + 1; j < n; j++ {
			slopes = append(slopes, w.slope(dates, y, i, j))
		}
	}
	w.slopes = slopes
	w.orderStats(slopes, ks, out)
}

// minBracket is the fewest values for which orderStats brackets the orders from a sample; below
// it, selections among all of them are as fast.
const minBracket = 4096

// bracketZ is the margin of a bracket, in standard deviations of an order's rank in the sample: a
// bracket misses (and the caller selects among all the values instead) about 0.3 % of the time.
const bracketZ = 3

// sampleRanks returns the ranks in a sample of size of m values (drawn at random or at a fixed
// stride) between which the orders kmin to kmax of all the values likely lie: the rank of order k
// in the sample is about binomial(size, k/m), so the bracket reaches bracketZ standard deviations
// past each end, and one rank further for the rounding. The ranks may fall outside the sample.
func sampleRanks(kmin, kmax, m, size int) (lo, hi int) {
	s := float64(size)
	p, q := float64(kmin)/float64(m), float64(kmax+1)/float64(m)
	lo = int(math.Floor(p*s-bracketZ*math.Sqrt(s*p*(1-p)))) - 1
	hi = int(math.Ceil(q*s + bracketZ*math.Sqrt(s*q*(1-q))))
	return lo, hi
}

// orderStats sets out[i] to the order statistic ks[i] (from 0) of a, which it may reorder, as Floyd
// and Rivest select (CACM 18:165, 1975): a systematic sample of 16 sqrt(N) of the N values brackets
// each order wanted within bracketZ standard deviations of its rank (brackets that overlap are one,
// three at most), one pass counts the values below each bracket and keeps those inside it (about
// 0.75 N^(3/4) a bracket) without a branch on the data, and a selection in the bracket that holds
// each order gives it. Where a bracket misses its order, or a is small, the selections run on all
// of a (multiSelect): the values are the order statistics whatever the sample.
func (w *slopeWork) orderStats(a []float64, ks []int, out []float64) {
	if len(a) < minBracket || len(ks) > 4 || !w.bracketedOrders(a, ks, out) {
		multiSelect(a, ks, out)
	}
}

// slopeBracket is a range [lo, hi] of values that likely holds one or more of the orders wanted.
type slopeBracket struct {
	sLo, sHi int     // its ends as ranks in the sample
	lo, hi   float64 // and as values
}

// bracketedOrders is orderStats with brackets; it reports false, leaving out unspecified, when a
// bracket misses its order.
func (w *slopeWork) bracketedOrders(a []float64, ks []int, out []float64) bool {
	m := len(a)
	size := int(16 * math.Sqrt(float64(m)))
	sample := w.sample[:0]
	for i := range size {
		sample = append(sample, a[int(int64(i)*int64(m)/int64(size))])
	}
	w.sample = sample

	// The brackets: each order's range of likely ranks in the sample; those that overlap are one.
	var sorted [4]int
	copy(sorted[:], ks)
	slices.Sort(sorted[:len(ks)])
	var brackets [4]slopeBracket
	nb := 0
	for _, k := range sorted[:len(ks)] {
		sLo, sHi := sampleRanks(k, k, m, size)
		sLo, sHi = max(0, sLo), min(size-1, sHi)
		if nb > 0 && sLo <= brackets[nb-1].sHi {
			brackets[nb-1].sHi = max(brackets[nb-1].sHi, sHi)
			continue
		}
		brackets[nb] = slopeBracket{sLo: sLo, sHi: sHi}
		nb++
	}
	var ranks [8]int
	var values [8]float64
	for b := range nb {
		ranks[2*b], ranks[2*b+1] = brackets[b].sLo, brackets[b].sHi
	}
	multiSelect(sample, ranks[:2*nb], values[:2*nb])
	// Brackets whose values meet (equal values) are one too. A bracket at an end of the sample
	// reaches to that end of the values.
	merged := 0
	for b := range nb {
		lo, hi := values[2*b], values[2*b+1]
		if brackets[b].sLo == 0 {
			lo = math.Inf(-1)
		}
		if brackets[b].sHi == size-1 {
			hi = math.Inf(1)
		}
		if merged > 0 && lo <= brackets[merged-1].hi {
			brackets[merged-1].hi = max(brackets[merged-1].hi, hi)
			continue
		}
		brackets[merged] = slopeBracket{lo: lo, hi: hi}
		merged++
	}
	nb = merged

	if nb > len(w.kept) {
		return false
	}
	// The pass counts the values below each bracket and keeps those inside it, a chunk at a time
	// so that each bracket's buffer has room for a whole chunk; unused brackets are [+Inf, +Inf],
	// which no value is in (the values are finite).
	var lo, hi [3]float64
	for b := range lo {
		lo[b], hi[b] = math.Inf(1), math.Inf(1)
		if b < nb {
			lo[b], hi[b] = brackets[b].lo, brackets[b].hi
		}
	}
	lo0, lo1, lo2, hi0, hi1, hi2 := lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]
	k0, k1, k2 := w.kept[0][:cap(w.kept[0])], w.kept[1][:cap(w.kept[1])], w.kept[2][:cap(w.kept[2])]
	var below0, below1, below2, p0, p1, p2 int
	const chunk = 1024
	for start := 0; start < m; start += chunk {
		if p0+p1+p2 > m/4 {
			return false // the brackets keep too much: ties, or a sample far off
		}
		k0, k1, k2 = roomFor(k0, p0, chunk), roomFor(k1, p1, chunk), roomFor(k2, p2, chunk)
		for _, v := range a[start:min(start+chunk, m)] {
			below0 += b2i(v < lo0)
			below1 += b2i(v < lo1)
			below2 += b2i(v < lo2)
			k0[p0], k1[p1], k2[p2] = v, v, v
			p0 += b2i(v >= lo0) & b2i(v <= hi0)
			p1 += b2i(v >= lo1) & b2i(v <= hi1)
			p2 += b2i(v >= lo2) & b2i(v <= hi2)
		}
	}
	w.kept = [3][]float64{k0[:0], k1[:0], k2[:0]}
	kept := [3][]float64{k0[:p0], k1[:p1], k2[:p2]}
	below := [3]int{below0, below1, below2}
	// Each order from the bracket that holds it: the values of bracket b are those of orders
	// below[b] on.
	for i, k := range ks {
		found := false
		for b := range nb {
			if r := k - below[b]; r >= 0 && r < len(kept[b]) {
				out[i] = selectKth(kept[b], r)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// roomFor returns buf with at least n elements of room from pos on, its length its capacity.
func roomFor(buf []float64, pos, n int) []float64 {
	if len(buf)-pos < n {
		buf = slices.Grow(buf[:pos], n)
		buf = buf[:cap(buf)]
	}
	return buf
}

// b2i is 1 for true and 0 for false (compiled without a branch).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// multiSelect sets out[i] to the order statistic ks[i] (from 0) of a, which it reorders: a selection
// of the middle order wanted splits a into the values below it and above it, and each part gives the
// orders on its side (Hoare's FIND applied recursively; a few selections cost a few passes, where a
// sort of the Floyd-Rivest bracket took three quarters of the series statistics at 189 periods).
func multiSelect(a []float64, ks []int, out []float64) {
	order := make([]int, len(ks)) // indexes of ks, by order
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return ks[x] - ks[y] })
	var split func(a []float64, offset int, order []int)
	split = func(a []float64, offset int, order []int) {
		if len(order) == 0 {
			return
		}
		mid := len(order) / 2
		k := ks[order[mid]] - offset
		v := selectKth(a, k)
		lo, hi := mid, mid+1 // the orders equal to this one
		for lo > 0 && ks[order[lo-1]]-offset == k {
			lo--
		}
		for hi < len(order) && ks[order[hi]]-offset == k {
			hi++
		}
		for _, i := range order[lo:hi] {
			out[i] = v
		}
		split(a[:k], offset, order[:lo])
		split(a[k+1:], offset+k+1, order[hi:])
	}
	split(a, 0, order)
}

// selectKth rearranges a so that a[k] is its k-th smallest value (from 0), everything before it no
// larger and everything after no smaller, and returns a[k]: Hoare's FIND (CACM 1961) with a
// median-of-three pivot and Lomuto's partition done without a branch on the data (each value is
// swapped into place and the boundary moves by the comparison's 0 or 1), which on this machine
// halves the time of the mispredicted branches of Hoare's partition. The values equal to the pivot
// are then split off the upper part, so that ties cannot stall it. It falls back to sorting a range
// that does not shrink fast enough, so the worst case stays O(n log n) (Musser 1997, introselect).
func selectKth(a []float64, k int) float64 {
	lo, hi := 0, len(a) // the range [lo, hi) holds order k
	for budget := 2 * bits.Len(uint(len(a))); hi-lo > 16; budget-- {
		if budget == 0 {
			slices.Sort(a[lo:hi])
			return a[k]
		}
		x, y, z := a[lo], a[lo+(hi-lo)/2], a[hi-1]
		pivot := max(min(x, y), min(max(x, y), z))
		s := lo // a[lo:s] < pivot <= a[s:i]
		for i := lo; i < hi; i++ {
			v := a[i]
			a[i] = a[s]
			a[s] = v
			s += b2i(v < pivot)
		}
		if k < s {
			hi = s
			continue
		}
		e := s // a[s:e] == pivot < a[e:i]
		for i := s; i < hi; i++ {
			v := a[i]
			a[i] = a[e]
			a[e] = v
			e += b2i(v <= pivot)
		}
		if k < e {
			return pivot
		}
		lo = e
	}
	slices.Sort(a[lo:hi])
	return a[k]
}
