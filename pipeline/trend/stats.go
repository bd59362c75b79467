package trend

import (
	"math"
	"slices"

	"github.com/exposure-research/exposure/schemas"
)

// minSlopeValues is the fewest published values a slope or a Mann-Kendall score needs: two points.
const minSlopeValues = 2

// maxExactMK is the largest number of values for which the Mann-Kendall p-value comes from the exact
// permutation distribution of S, ties included (exact.go); above it the normal approximation with
// the tie-corrected variance is used, which Kendall (1975, Rank Correlation Methods, ch. 4) finds
// close from n = 10 on.
const maxExactMK = 10

// significance is the level of the two-sided Mann-Kendall test behind the trend labels.
const significance = 0.05

// confidence is the level of the confidence interval of Sen's slope.
const confidence = 0.95

// zConfidence is the standard normal quantile of (1 + confidence) / 2, 1.959963984540054 for 95 %.
var zConfidence = math.Sqrt2 * math.Erfinv(confidence)

// The values of the trend labels.
const (
	TrendRising  = "rising"
	TrendFalling = "falling"
	// TrendNone is a test that did not reject "no trend": not evidence of stability.
	TrendNone = "no significant trend"
	// TrendTooFew is a series too short for the test to reject at its level, whatever its values.
	TrendTooFew = "too few periods"
)

// TrendLabels lists the trend labels in the order reports explain them.
var TrendLabels = []string{TrendRising, TrendFalling, TrendNone, TrendTooFew}

// The values of the p_method column.
const (
	PExact  = "exact"
	PNormal = "normal"
)

// MinTrendPeriods is the smallest number of published values at which the two-sided Mann-Kendall
// test can reject at the significance level: below it even a strictly monotone series, the most
// extreme ordering (p = 2/n!), is not significant. It is computed from the exact distribution, not
// assumed: 5 at the 5 % level (2/120 < 0.05 < 2/24).
var MinTrendPeriods = minRejectable()

// minRejectable returns the smallest n whose smallest exact two-sided p-value is below the level, or
// maxExactMK + 1 when none up to maxExactMK is (a level too strict for exact p-values to reach).
func minRejectable() int {
	for n := minSlopeValues; n <= maxExactMK; n++ {
		groups := make([]int, n)
		for i := range groups {
			groups[i] = 1
		}
		if nullDistribution(groups).tail(int64(n*(n-1)/2)) <= significance {
			return n
		}
	}
	return maxExactMK + 1
}

// mannKendallResult is the Mann-Kendall test of one series: the score S, Kendall's tau-b, the
// two-sided p-value, whether it is exact, and the variance of S under the null hypothesis with the
// tie correction, which the confidence interval of Sen's slope uses. Tau is not valid when every
// value is the same (0/0).
type mannKendallResult struct {
	S        int64
	Tau      Null[float64]
	P        float64
	Exact    bool
	Variance float64
}

// mannKendall tests values, in time order with no two at the same date, for a monotonic trend
// (Mann 1945, Econometrica; Kendall 1975, Rank Correlation Methods). The p-value is two-sided:
// exact, from the permutation distribution of S with the values' ties, for n <= maxExactMK values;
// otherwise from the normal approximation to S with the continuity correction and the variance
// corrected for ties (Kendall 1975, eq. 4.4), as R's Kendall::MannKendall computes it. Tau is tau-b,
// S over the geometric mean of the numbers of pairs untied in time (all of them) and untied in value,
// which is what Kendall::MannKendall reports and what stays within [-1, 1] when values tie. With
// every value the same, S is 0 with certainty: the p-value is 1 and tau is undefined.
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
	var groups [maxExactMK]int
	numGroups := 0
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		t := int64(j - i)
		tiedPairs += t * (t - 1) / 2
		tieVar += t * (t - 1) * (2*t + 5)
		if numGroups < len(groups) {
			groups[numGroups] = j - i
		}
		numGroups++
		i = j
	}
	pairs := n * (n - 1) / 2
	res := mannKendallResult{S: s, P: 1, Variance: float64(n*(n-1)*(2*n+5)-tieVar) / 18}
	if pairs > tiedPairs {
		res.Tau = Some(float64(s) / math.Sqrt(float64(pairs)*float64(pairs-tiedPairs)))
	}
	switch {
	case n <= maxExactMK:
		res.Exact = true
		res.P = nullDistribution(groups[:numGroups]).tail(s)
	case s == 0:
		res.P = 1
	default:
		z := float64(absInt(s)-1) / math.Sqrt(res.Variance)
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

// olsSlope returns the least-squares slope of values on years, from centred sums so that large counts
// do not cancel (Weisberg 2005, Applied Linear Regression, 2.2). montanaflynn/stats' LinearRegression
// computes the same slope but returns only the fitted points, not the coefficient. Years holds at
// least two different values.
func olsSlope(years []float64, values []float64) float64 {
	var meanYears, meanValues float64
	for i, t := range years {
		meanYears += t
		meanValues += values[i]
	}
	meanYears /= float64(len(years))
	meanValues /= float64(len(years))
	var sxy, sxx float64
	for i, t := range years {
		dt := t - meanYears
		sxy += dt * (values[i] - meanValues)
		sxx += dt * dt
	}
	return sxy / sxx
}

// cagr returns the compound annual growth rate as a fraction, (last/first)^(1/years) - 1, from the
// first non-zero value to the last value, years from their dates. It is not valid when no value is
// non-zero or when the two values are less than one calendar year apart (SPEC 5: an annual rate
// over days extrapolates a short-term change into growth rates such as 10^134).
func cagr(dates []schemas.Date, values []int64) Null[float64] {
	first := slices.IndexFunc(values, func(v int64) bool { return v != 0 })
	last := len(values) - 1
	if first < 0 || first == last || !atLeastAYear(dates[first], dates[last]) {
		return Null[float64]{}
	}
	years := dates[last].YearsSince(dates[first])
	return Some(math.Pow(float64(values[last])/float64(values[first]), 1/years) - 1)
}

// atLeastAYear reports whether later is at least one calendar year after earlier: on or after the
// same day of the next year (29 February to 1 March).
func atLeastAYear(earlier, later schemas.Date) bool {
	return !later.Time().Before(earlier.Time().AddDate(1, 0, 0))
}

// trendOf labels a series of n published values from its Mann-Kendall p-value and Sen's slope:
// too few periods below MinTrendPeriods, where no data could reject; rising or falling when the test
// rejects no trend at the significance level and Sen's slope has that sign; no significant trend
// otherwise (a test that does not reject is not evidence of stability).
func trendOf(n int, p, sen float64) string {
	switch {
	case n < MinTrendPeriods:
		return TrendTooFew
	case p < significance && sen > 0:
		return TrendRising
	case p < significance && sen < 0:
		return TrendFalling
	}
	return TrendNone
}

func absInt(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}
