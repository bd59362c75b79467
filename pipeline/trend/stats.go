package trend

import (
	"math"
	"math/bits"
	"slices"

	"github.com/exposure-research/exposure/schemas"
)

// The fewest published values a series statistic needs. A slope needs two points; the Mann-Kendall
// test needs three, below which no ordering of the values is improbable enough to say anything.
const (
	minSlopeValues = 2
	minMKValues    = 3
)

// maxExactMK is the largest number of values for which the Mann-Kendall p-value comes from the exact
// null distribution of S (when there are no ties); above it the normal approximation is within the
// precision a p-value is read with (Kendall 1975, Rank Correlation Methods, ch. 4).
const maxExactMK = 10

// significance is the level of the two-sided Mann-Kendall test behind the trend column.
const significance = 0.05

// The values of the trend column.
const (
	TrendRising  = "rising"
	TrendFalling = "falling"
	TrendStable  = "stable"
)

// mahonian[n][k] is the number of permutations of n items with k inversions, the exact null
// distribution of Kendall's S = n(n-1)/2 - 2k for a series of n distinct values (Kendall 1975, ch. 5;
// the recurrence I(n,k) = sum over j < n of I(n-1,k-j)).
var mahonian = mahonianTable(maxExactMK)

// mahonianTable returns the inversion counts for every n from 0 to maxN.
func mahonianTable(maxN int) [][]int64 {
	table := make([][]int64, maxN+1)
	table[0] = []int64{1}
	for n := 1; n <= maxN; n++ {
		row := make([]int64, n*(n-1)/2+1)
		for k := range row {
			for j := 0; j < n && j <= k; j++ {
				if k-j < len(table[n-1]) {
					row[k] += table[n-1][k-j]
				}
			}
		}
		table[n] = row
	}
	return table
}

// mannKendallResult is the Mann-Kendall test of one series: the score S, Kendall's tau-b and the
// two-sided p-value. Tau is not valid when every value is the same (0/0).
type mannKendallResult struct {
	S   int64
	Tau Null[float64]
	P   float64
}

// mannKendall tests values, in time order with no two at the same date, for a monotonic trend
// (Mann 1945, Econometrica; Kendall 1975, Rank Correlation Methods). The p-value is two-sided: exact,
// from the distribution of S over all orderings, for n <= 10 values without ties; otherwise from the
// normal approximation to S with the continuity correction and the variance corrected for ties
// (Kendall 1975, eq. 4.4), as R's Kendall::MannKendall computes it. Tau is tau-b, S over the geometric
// mean of the numbers of pairs untied in time (all of them) and untied in value, which is what
// Kendall::MannKendall reports and what stays within [-1, 1] when values tie. With every value the
// same, S is 0 with certainty: the p-value is 1 and tau is undefined.
func mannKendall(values []int64, scratch []int64) (mannKendallResult, []int64) {
	n := int64(len(values))
	// Tie groups of the values: sort a copy and measure runs. The rest of the buffer is the tree
	// of kendallS.
	buf := growTo(scratch, 2*len(values)+1)
	sorted := buf[:len(values)]
	copy(sorted, values)
	slices.Sort(sorted)
	s := kendallS(values, sorted, buf[len(values):])
	var tiedPairs, tieVar int64
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		t := int64(j - i)
		tiedPairs += t * (t - 1) / 2
		tieVar += t * (t - 1) * (2*t + 5)
		i = j
	}
	pairs := n * (n - 1) / 2
	res := mannKendallResult{S: s, P: 1}
	if pairs > tiedPairs {
		res.Tau = Some(float64(s) / math.Sqrt(float64(pairs)*float64(pairs-tiedPairs)))
	}
	switch {
	case s == 0:
		res.P = 1
	case tiedPairs == 0 && n <= maxExactMK:
		res.P = exactMKP(int(n), s)
	default:
		variance := float64(n*(n-1)*(2*n+5)-tieVar) / 18
		z := float64(absInt(s)-1) / math.Sqrt(variance)
		res.P = math.Erfc(z / math.Sqrt2)
	}
	return res, buf
}

// kendallS returns the Mann-Kendall score S, the sum over every two values in time order of the sign
// of their difference, in O(n log n): each value adds the number of earlier values below it and
// subtracts the number above it, counted with a Fenwick tree over the values' ranks (Knight 1966,
// JASA 61:436, counts the same pairs by merge sort). The plain double loop made the series statistics
// quadratic: 628 periods cost 100 times the time of 63 per series. sorted is values in ascending
// order; tree is a buffer of at least len(values)+1 integers.
func kendallS(values, sorted, tree []int64) int64 {
	tree = tree[:len(values)+1]
	clear(tree)
	var s int64
	for j, v := range values {
		// Equal values share the 0-based rank r of the first of them; the tree counts rank r at
		// position r+1. Earlier values equal to v are neither below nor above it.
		r, _ := slices.BinarySearch(sorted, v)
		below, atMost := prefix(tree, r), prefix(tree, r+1)
		s += below - (int64(j) - atMost)
		for i := r + 1; i < len(tree); i += i & -i {
			tree[i]++
		}
	}
	return s
}

// prefix returns the sum of the Fenwick tree's counts at ranks 1 to r.
func prefix(tree []int64, r int) int64 {
	var sum int64
	for i := r; i > 0; i -= i & -i {
		sum += tree[i]
	}
	return sum
}

// exactMKP returns P(|S| >= |s|) for n distinct values in random order, from the inversion counts.
func exactMKP(n int, s int64) float64 {
	pairs := int64(n * (n - 1) / 2)
	var tail, total int64
	for k, count := range mahonian[n] {
		total += count
		if absInt(pairs-2*int64(k)) >= absInt(s) {
			tail += count
		}
	}
	return float64(tail) / float64(total)
}

// olsSlope returns the least-squares slope of values on years, from centred sums so that large counts
// do not cancel (Weisberg 2005, Applied Linear Regression, 2.2). montanaflynn/stats' LinearRegression
// computes the same slope but returns only the fitted points, not the coefficient. Years holds at
// least two different values.
func olsSlope(years []float64, values []int64) float64 {
	var meanYears, meanValues float64
	for i, t := range years {
		meanYears += t
		meanValues += float64(values[i])
	}
	meanYears /= float64(len(years))
	meanValues /= float64(len(years))
	var sxy, sxx float64
	for i, t := range years {
		dt := t - meanYears
		sxy += dt * (float64(values[i]) - meanValues)
		sxx += dt * dt
	}
	return sxy / sxx
}

// senSlope returns Sen's slope, the median of the slopes between every two values at different dates
// (Sen 1968, JASA 63:1379), and the grown scratch buffer. Dates are strictly increasing and at least
// two.
func senSlope(dates []schemas.Date, values []int64, scratch []float64) (float64, []float64) {
	n := len(dates)
	// Room for the slopes and, behind them, for what middle keeps of them (about a tenth).
	if room := n*(n-1)/2*9/8 + 2048; cap(scratch) < room {
		scratch = make([]float64, 0, room)
	}
	slopes := scratch[:0]
	for i := range dates {
		for j := i + 1; j < len(dates); j++ {
			slopes = append(slopes, (float64(values[j])-float64(values[i]))/dates[j].YearsSince(dates[i]))
		}
	}
	m := len(slopes)
	lower, upper := middle(slopes, slopes[m:cap(slopes)])
	if m%2 == 1 {
		return upper, slopes
	}
	return (lower + upper) / 2, slopes
}

// middle returns the order statistics m/2-1 and m/2 (from 0) of the m values of a, the two middle
// values when m is even (lower is meaningless when m is 1); a is reordered, scratch is a buffer.
// A series of 628 periods has 196,878 slopes, and a selection over all of them was three quarters of
// the series statistics. So, as Floyd and Rivest do (CACM 18:165, 1975), two values of a sorted
// sample bracket the middle, one pass counts the values below the bracket and keeps those inside,
// and selectKth runs on those few (628 random values: 2.8 to 1.0 ms per series). The values
// returned are the order statistics whatever the sample: when the bracket misses, the selection
// runs on all of a.
func middle(a, scratch []float64) (lower, upper float64) {
	m := len(a)
	k := m / 2
	const sampleSize = 1024
	if m < 16*sampleSize {
		upper = selectKth(a, k)
		if k > 0 {
			lower = slices.Max(a[:k])
		}
		return lower, upper
	}
	sample := scratch[:0]
	for i := range sampleSize {
		sample = append(sample, a[int(int64(i)*int64(m)/sampleSize)])
	}
	slices.Sort(sample)
	// A margin of about three standard deviations of the sample's rank of the middle.
	at := k * sampleSize / m
	lo, hi := sample[max(0, at-3*16)], sample[min(sampleSize-1, at+3*16)]
	below := 0
	inside := scratch[:0]
	for _, v := range a {
		if v < lo {
			below++
		} else if v <= hi {
			inside = append(inside, v)
		}
	}
	if below <= k-1 && k < below+len(inside) {
		upper = selectKth(inside, k-below)
		lower = slices.Max(inside[:k-below])
		return lower, upper
	}
	upper = selectKth(a, k)
	lower = slices.Max(a[:k])
	return lower, upper
}

// selectKth rearranges a so that a[k] is its k-th smallest value (from 0), everything before it no
// larger and everything after no smaller, and returns a[k] (Hoare's FIND, CACM 1961, with a
// median-of-three pivot). It falls back to sorting a range that does not shrink fast enough, so the
// worst case stays O(n log n) (Musser 1997, introselect).
func selectKth(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for budget := 2 * bits.Len(uint(len(a))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(a[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

// cagr returns the compound annual growth rate as a fraction, (last/first)^(1/years) - 1, from the
// first non-zero value to the last value, years from their dates. It is not valid when no value is
// non-zero or when the first non-zero value is the last one (no time has passed).
func cagr(dates []schemas.Date, values []int64) Null[float64] {
	first := slices.IndexFunc(values, func(v int64) bool { return v != 0 })
	last := len(values) - 1
	if first < 0 || first == last {
		return Null[float64]{}
	}
	years := dates[last].YearsSince(dates[first])
	if years <= 0 {
		return Null[float64]{}
	}
	return Some(math.Pow(float64(values[last])/float64(values[first]), 1/years) - 1)
}

// trendOf names the direction of a series: rising or falling when the Mann-Kendall test rejects no
// trend at the 5 % level and Sen's slope has that sign, stable otherwise.
func trendOf(p, sen float64) string {
	switch {
	case p < significance && sen > 0:
		return TrendRising
	case p < significance && sen < 0:
		return TrendFalling
	}
	return TrendStable
}

func absInt(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}
