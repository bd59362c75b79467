package trend

import (
	"cmp"
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
	var s int64
	for i, a := range values {
		for _, b := range values[i+1:] {
			s += int64(cmp.Compare(b, a))
		}
	}
	// Tie groups of the values: sort a copy and measure runs.
	sorted := append(scratch[:0], values...)
	slices.Sort(sorted)
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
	return res, sorted
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
	slopes := scratch[:0]
	for i := range dates {
		for j := i + 1; j < len(dates); j++ {
			slopes = append(slopes, (float64(values[j])-float64(values[i]))/dates[j].YearsSince(dates[i]))
		}
	}
	m := len(slopes)
	upper := selectKth(slopes, m/2)
	if m%2 == 1 {
		return upper, slopes
	}
	// The lower middle is the largest of the slopes that selectKth left below the upper one.
	return (slices.Max(slopes[:m/2]) + upper) / 2, slopes
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
