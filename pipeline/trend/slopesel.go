package trend

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/exposure-research/exposure/schemas"
)

// minSelectSlopes is the fewest values for which slopeOrders selects the orders of the pairwise
// slopes without computing them all (selectSlopeOrders); below it the n(n-1)/2 slopes are as fast
// (BenchmarkSenSlope).
const minSelectSlopes = 150

// unitRoundoff is u = 2^-53, the largest relative error of one rounded float64 operation.
const unitRoundoff = 0x1p-53

// The sample of pairs that brackets the orders: sampleFactor pairs a value, at most sampleMax.
const sampleFactor, sampleMax = 8, 8192

// selectWork holds the buffers of selectSlopeOrders between calls.
type selectWork struct {
	offsets         []float64 // days from the first date
	ka, kb, k1, k2  []float64 // the keys y - t*days at the four thresholds
	sorted, merged  []float64
	order, orderTmp []int32
	pairs           []int32
}

// selectSlopeOrders sets out[i] to the order statistic ks[i] (from 0) of the slopes w.slope(dates,
// y, i, j), i < j, bit for bit, without computing most of the n(n-1)/2 slopes, and reports whether
// it could; when it cannot decide cheaply it returns false and the caller computes every slope.
//
// It is randomized slope selection (Matoušek 1991, Inf. Process. Lett. 39:183; Dillencourt, Mount
// and Netanyahu 1992, Int. J. Comput. Geom. Appl. 2:1; Cole, Salowe, Steiger and Szemerédi 1989
// for the counting): a slope is below a threshold t exactly when the line of slope t through the
// later point lies below the earlier one, so with the key y - t*x of every point the pairs whose
// slope is below t are the inversions of the keys in time order, counted in O(n log n) by merge
// sort (Knight 1966, JASA 61:436), and the pairs whose slopes lie between two thresholds are the
// inversions between the keys' orders at the two, listed in O(n log n + K). The slopes of a random
// sample of pairs (fixed seed) bracket the orders wanted, as in Floyd and Rivest (CACM 18:165,
// 1975), by values a and b; the counts give the slopes certainly below a and certainly above b, and
// the pairs left undecided (at 628 values, about a tenth of all: the 95 % interval of Sen's slope
// and the bracket's margins) are listed and their slopes computed. An order k is then the order
// k - (certainly below) of the undecided slopes when that slope lies in [a, b]: every slope
// certainly below a is below it, every one certainly above b above it, and every other slope is
// undecided. Expected time O(n log n + n^1.5). It gives up (false) when the bracket misses an order
// or leaves more than a third of the pairs undecided, as long runs of equal values do.
//
// The slopes are float64 values with rounding, so the keys decide a pair only when their difference
// exceeds a rigorous bound on their rounding error (see slopeKeys); the pairs they do not decide
// get their float slope computed as every slope is, and the number listed is checked against the
// count. The result is the same whatever the seed: the seed only changes how often the sample's
// bracket misses (then the caller falls back).
func (w *slopeWork) selectSlopeOrders(dates []schemas.Date, y []float64, ks []int, out []float64) bool {
	n := len(dates)
	m := n * (n - 1) / 2
	if n < 3 || len(y) != n || len(ks) > 4 || int(dates[n-1]-dates[0]) >= len(w.years) {
		return false
	}
	// The error analysis assumes finite values whose pairwise slopes neither overflow nor underflow
	// to zero, and no negative zero (a slope -0 against +0 would tie in value but not in bits).
	y0 := y[0]
	var spread float64 // max |y[i] - y[0]| as computed
	for _, v := range y {
		a := math.Abs(v)
		if a > 0x1p900 || math.IsNaN(v) || (a != 0 && a < 0x1p-900) || (v == 0 && math.Signbit(v)) {
			return false
		}
		spread = max(spread, math.Abs(v-y0))
	}
	s := &w.sel
	s.offsets = growTo(s.offsets, n)
	for i, d := range dates {
		s.offsets[i] = float64(d - dates[0])
	}
	days := s.offsets[n-1]

	// A bracket [a, b] of the orders wanted from the slopes of a sample of pairs (sampleRanks).
	kmin, kmax := slices.Min(ks), slices.Max(ks)
	size := min(max(sampleFactor*n, 1024), sampleMax)
	src := rand.NewPCG(0x5e45107e, 0x9e3779b97f4a7c15)
	sample := w.sample[:0]
	for range size {
		// Two indexes from one random word by multiply-shift (Lemire 2019, ACM TOMACS 29:3), whose
		// bias of n/2^32 at most only changes the bracket, never the result.
		r := src.Uint64()
		i, j := int((r>>32)*uint64(n)>>32), int((r&0xffffffff)*uint64(n-1)>>32)
		if j >= i {
			j++
		} else {
			i, j = j, i
		}
		sample = append(sample, w.slope(dates, y, i, j))
	}
	w.sample = sample
	sLo, sHi := sampleRanks(kmin, kmax, m, size)
	if sLo < 0 || sHi >= size {
		return false
	}
	var bracket [2]float64
	multiSelect(sample, []int{sLo, sHi}, bracket[:])
	a, b := bracket[0], bracket[1]

	// Thresholds in y per day: a pair whose exact slope per day is below ta has a float slope below
	// a, and one whose exact slope is above tb a float slope above b (slopeThreshold).
	ta, tb := slopeThreshold(a, -1), slopeThreshold(b, +1)
	s.ka, s.kb = growTo(s.ka, n), growTo(s.kb, n)
	shiftA := 2 * slopeKeys(s.ka, y, s.offsets, ta, spread, days)
	shiftB := 2 * slopeKeys(s.kb, y, s.offsets, tb, spread, days)
	s.sorted, s.merged = growTo(s.sorted, n), growTo(s.merged, n)
	copy(s.sorted, s.ka)
	certBelow := countShifted(s.sorted, s.merged, shiftA, false)
	if certBelow > kmin {
		return false
	}
	copy(s.sorted, s.kb)
	certAbove := countShifted(s.sorted, s.merged, shiftB, true)
	if certAbove >= m-kmax {
		return false
	}
	// The pairs neither certainly below a nor certainly above b; past a third of all, computing
	// every slope is about as fast.
	undecided := m - certBelow - certAbove
	if undecided > m/3 {
		return false
	}

	// Every undecided pair is an inversion between the keys' orders at thresholds widened by more
	// than the keys' error can move a pair (days between dates are whole numbers, at least 1), so
	// it is listed; the count of those found confirms it.
	widen := 4 * max(shiftA, shiftB)
	s.k1, s.k2 = growTo(s.k1, n), growTo(s.k2, n)
	slopeKeys(s.k1, y, s.offsets, ta-widen, spread, days)
	slopeKeys(s.k2, y, s.offsets, tb+widen, spread, days)
	s.order, s.orderTmp = growTo(s.order, n), growTo(s.orderTmp, n)
	var ok bool
	s.pairs, ok = inversions(s.k1, s.k2, s.order, s.orderTmp, s.pairs[:0], undecided+undecided/8+4*n)
	if !ok {
		return false
	}
	// The slopes of the undecided pairs among those listed, without a branch on the data.
	pairs, ka, kb := s.pairs, s.ka, s.kb
	vals := growTo(w.slopes, len(pairs)/2+1)
	found := 0
	for p := 0; p+1 < len(pairs); p += 2 {
		i, j := int(pairs[p]), int(pairs[p+1])
		if i > j {
			i, j = j, i
		}
		vals[found] = w.slope(dates, y, i, j)
		found += 1 - (b2i(ka[j] < ka[i]-shiftA) | b2i(kb[j] > kb[i]+shiftB))
	}
	w.slopes = vals[:0]
	if found != undecided {
		return false
	}
	var inner [4]int
	for i, k := range ks {
		inner[i] = k - certBelow
		if inner[i] < 0 || inner[i] >= found {
			return false
		}
	}
	w.orderStats(vals[:found], inner[:len(ks)], out)
	for _, v := range out[:len(ks)] {
		if v < a || v > b {
			return false
		}
	}
	return true
}

// slopeThreshold returns a threshold in y per day for the float slope v in y per year: with dir -1,
// one such that a pair whose exact slope (y[j]-y[i])/days is below it has a float slope below v; with
// dir +1, one such that an exact slope above it gives a float slope above v. The float slope
// fl(fl(y[j]-y[i]) / fl(days/c)), c = float64(365.2425), is the exact slope per year r = (y[j]-y[i])
// c/days times (1+d1)(1+d3)/(1+d2) with |di| <= u, so within a relative 3.01u of r, and of r's sign
// (no underflow: selectSlopeOrders bounds the values). x = fl(v/c) is within u of v/c, and moving x
// by 8u|x| (one more rounding) leaves c times the threshold beyond v by a relative 5.9u at least:
// for v > 0 and dir -1, r < c*t <= v(1-5.9u) gives a float slope at most r(1+3.01u) < v, and the
// other cases are alike; for v = 0 the threshold is 0 and the float slope has the exact one's sign.
func slopeThreshold(v float64, dir float64) float64 {
	x := v / 365.2425
	return x + dir*(8*unitRoundoff*math.Abs(x))
}

// slopeKeys sets keys[i] to fl(fl(y[i]-y[0]) - fl(t*offsets[i])), the key of point i at the
// threshold t (y per day), and returns a bound B on its error against the exact K_i = y[i] - y[0] -
// t*offsets[i]: the three roundings add at most u|y[i]-y[0]| + u|t|D + u(|y[i]-y[0]| + |t|D)(1+u)
// <= E = 2.01u(spread + |t|D), with D the days from the first date to the last, and B is
// 8u(spread + |t|D) > 3.9E. A pair i < j has an exact slope per day below t exactly when K_j < K_i,
// so keys[j] < fl(keys[i] - 2B) proves it: that rounding moves by at most u(|keys[i]| + 2B) < B/7,
// so K_j <= keys[j] + E < keys[i] - 2B + B/7 + E <= K_i - 2B + B/7 + 2E < K_i. Likewise keys[j] >
// fl(keys[i] + 2B) proves an exact slope above t. The bound
// holds with B = 0 too (then every key is exact). Offsets are whole days, exact in a float64.
func slopeKeys(keys, y, offsets []float64, t, spread, days float64) float64 {
	y0 := y[0]
	for i, v := range y {
		// The conversions keep each operation rounded on its own (no fused multiply-add).
		keys[i] = float64(float64(v-y0) - float64(t*offsets[i]))
	}
	return 8 * unitRoundoff * (spread + math.Abs(t)*days)
}

// countShifted returns, for keys in time order, the number of pairs i < j with keys[j] <
// keys[i]-shift (above false) or keys[j] > keys[i]+shift (above true), counted while merge-sorting
// keys (Knight 1966, JASA 61:436): for the two sorted halves of a block, the keys of the later half
// below (above) each shifted key of the earlier half form a prefix (suffix) that only grows as that
// key does. keys is reordered; tmp is a buffer of the same length.
func countShifted(keys, tmp []float64, shift float64, above bool) int {
	n := len(keys)
	src, dst := keys, tmp
	count := 0
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			left, right := src[lo:mid], src[mid:hi]
			p := 0
			if above {
				for _, v := range left {
					q := v + shift
					for p < len(right) && right[p] <= q {
						p++
					}
					count += len(right) - p
				}
			} else {
				for _, v := range left {
					q := v - shift
					for p < len(right) && right[p] < q {
						p++
					}
					count += p
				}
			}
			mergeFloats(dst[lo:hi], left, right)
		}
		src, dst = dst, src
	}
	return count
}

// mergeFloats merges the ascending left and right into out.
func mergeFloats(out, left, right []float64) {
	i, j, k := 0, 0, 0
	for i < len(left) && j < len(right) {
		if right[j] < left[i] {
			out[k] = right[j]
			j++
		} else {
			out[k] = left[i]
			i++
		}
		k++
	}
	k += copy(out[k:], left[i:])
	copy(out[k:], right[j:])
}

// sortByKeys sets order to the indexes of k1 in the order of k1, ties in the order of k2 (and of
// the index), by a least-significant-digit radix sort of k1's order-preserving bits, a byte a pass,
// then an insertion sort of each run of equal k1 by k2; tmp is a buffer of the same length. For the
// 628 values of Sen's slope it takes about 30 us where a comparison sort through a closure took 55
// (pprof of BenchmarkSenSlope).
func sortByKeys(k1, k2 []float64, order, tmp []int32) {
	n := len(k1)
	for i := range order {
		order[i] = int32(i)
	}
	key := func(i int32) uint64 {
		u := math.Float64bits(k1[i])
		if u>>63 == 1 {
			return ^u
		}
		return u | 1<<63
	}
	src, dst := order, tmp
	for shift := 0; shift < 64; shift += 8 {
		var count [257]int
		for _, i := range src {
			count[key(i)>>shift&0xff+1]++
		}
		if count[key(src[0])>>shift&0xff+1] == n {
			continue // every key has this byte
		}
		for b := 1; b < len(count); b++ {
			count[b] += count[b-1]
		}
		for _, i := range src {
			d := key(i) >> shift & 0xff
			dst[count[d]] = i
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &order[0] {
		copy(order, src)
	}
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && k1[order[hi]] == k1[order[lo]] {
			hi++
		}
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && k2[order[j]] < k2[order[j-1]]; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
		lo = hi
	}
}

// inversions appends to pairs, two indexes a pair, every pair of points u, v with k1[u] < k1[v]
// and k2[u] > k2[v] (the inversions between the two orders), and reports false when they are more
// than limit. The points in the order of k1 (ties by k2) are merge-sorted by k2; when a point of a
// block's later half is taken before the remaining ones of its earlier half, those remaining are
// its inversions (O(n log n + K) for K inversions). order and tmp are buffers of len(k1) indexes.
func inversions(k1, k2 []float64, order, tmp []int32, pairs []int32, limit int) ([]int32, bool) {
	n := len(k1)
	sortByKeys(k1, k2, order, tmp)
	src, dst := order, tmp
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			left, right := src[lo:mid], src[mid:hi]
			out := dst[lo:hi]
			i, j, k := 0, 0, 0
			for i < len(left) && j < len(right) {
				r := right[j]
				if k2[r] < k2[left[i]] {
					if len(pairs)/2+len(left)-i > limit {
						return pairs, false
					}
					for _, l := range left[i:] {
						pairs = append(pairs, l, r)
					}
					out[k] = r
					j++
				} else {
					out[k] = left[i]
					i++
				}
				k++
			}
			k += copy(out[k:], left[i:])
			copy(out[k:], right[j:])
		}
		src, dst = dst, src
	}
	return pairs, true
}
