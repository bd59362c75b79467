package trend

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// slopeSeries is one generated series for the slope selection tests.
type slopeSeries struct {
	kind  string
	dates []schemas.Date
	y     []float64
}

// slopeDates returns n strictly increasing dates: monthly, or with irregular gaps of 1 to 60 days
// and the odd gap of a year or more.
func slopeDates(rng *rand.Rand, n int, irregular bool) []schemas.Date {
	dates := make([]schemas.Date, n)
	d := schemas.Date(17897)
	for i := range dates {
		dates[i] = d
		switch {
		case !irregular:
			d += 30
		case rng.IntN(40) == 0:
			d += schemas.Date(365 + rng.IntN(400))
		default:
			d += schemas.Date(1 + rng.IntN(60))
		}
	}
	return dates
}

// slopeSeriesKinds lists the kinds of values genSlopeSeries makes.
var slopeSeriesKinds = []string{
	"counts", "fewlevels", "runs", "sparse", "logratio", "ratio", "large", "hugespread",
	"negative", "trend", "constant", "steps",
}

// genSlopeSeries returns a series of n values of the given kind.
func genSlopeSeries(rng *rand.Rand, kind string, n int) slopeSeries {
	s := slopeSeries{kind: kind, dates: slopeDates(rng, n, rng.IntN(2) == 0), y: make([]float64, n)}
	switch kind {
	case "counts": // as the benchmark's cells
		for i := range s.y {
			s.y[i] = float64(rng.Int64N(5000))
		}
	case "fewlevels": // integers with many ties
		for i := range s.y {
			s.y[i] = float64(rng.IntN(6))
		}
	case "runs": // runs of equal values with a drift
		v := float64(rng.IntN(100))
		for i := range s.y {
			if rng.IntN(8) == 0 {
				v += float64(rng.IntN(21) - 8)
			}
			s.y[i] = v
		}
	case "sparse": // mostly zeros
		for i := range s.y {
			if rng.IntN(4) == 0 {
				s.y[i] = float64(1 + rng.IntN(3))
			}
		}
	case "logratio", "ratio": // as compare.go builds them
		for i := range s.y {
			num, den := 1+rng.Int64N(12), 1+rng.Int64N(12)
			if kind == "logratio" {
				s.y[i] = math.Log(float64(num) / float64(den))
			} else {
				s.y[i] = float64(num) / float64(den)
			}
		}
	case "large": // near 2^50 with small differences
		for i := range s.y {
			s.y[i] = 0x1p50 + float64(rng.IntN(1000)+3*i)
		}
	case "hugespread": // up to 2^50 apart
		for i := range s.y {
			s.y[i] = float64(rng.Int64N(1 << 50))
		}
	case "negative":
		for i := range s.y {
			s.y[i] = -float64(rng.IntN(300)) - 0.25*float64(i)
		}
	case "trend":
		for i := range s.y {
			s.y[i] = 3.7*float64(i) + 40*rng.NormFloat64()
		}
	case "constant":
		for i := range s.y {
			s.y[i] = 42
		}
	case "steps": // a few levels in long runs
		for i := range s.y {
			s.y[i] = float64(i * 5 / n)
		}
	}
	return s
}

// mkVariance returns the tie-corrected variance of the Mann-Kendall score of y, as describeSeries
// passes it to senSlope.
func mkVariance(y []float64) float64 {
	mk, _ := mannKendall(ranksOf(y), nil)
	return mk.Variance
}

// sortedSlopes returns every pairwise slope as YearsSince divides, sorted: the reference.
func sortedSlopes(dates []schemas.Date, y []float64) []float64 {
	var all []float64
	for i := range dates {
		for j := i + 1; j < len(dates); j++ {
			all = append(all, (y[j]-y[i])/dates[j].YearsSince(dates[i]))
		}
	}
	slices.Sort(all)
	return all
}

// senFromSorted is Sen's slope and interval read off the sorted slopes, as senSlope defines them.
func senFromSorted(all []float64, variance float64) senResult {
	m := len(all)
	_, lo, hi := senOrders(m, variance)
	var res senResult
	if m%2 == 1 {
		res.Slope = all[m/2]
	} else {
		res.Slope = (all[m/2-1] + all[m/2]) / 2
	}
	if lo >= 0 && lo < m {
		res.Lower = Some(all[lo])
	}
	if hi >= 0 && hi < m {
		res.Upper = Some(all[hi])
	}
	return res
}

// sameBits reports whether two results hold the same float64 bits and the same nulls.
func sameBits(a, b senResult) bool {
	bits := math.Float64bits
	return bits(a.Slope) == bits(b.Slope) && a.Lower.Valid == b.Lower.Valid && a.Upper.Valid == b.Upper.Valid &&
		bits(a.Lower.V) == bits(b.Lower.V) && bits(a.Upper.V) == bits(b.Upper.V)
}

// TestSenSlopeSelectionMatchesQuadratic compares senSlope with every pairwise slope sorted, on
// series of 150 to 700 values of every kind: the results must be bit-identical, whether or not the
// selection decided them; so must other orders than Sen's, the lowest and highest included, where
// the selection decides them.
func TestSenSlopeSelectionMatchesQuadratic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	var w slopeWork
	decided := map[string]int{}
	for round := range rounds {
		for _, kind := range slopeSeriesKinds {
			n := 150 + rng.IntN(551)
			if round == 0 {
				n = 150
			}
			s := genSlopeSeries(rng, kind, n)
			v := mkVariance(s.y)
			all := sortedSlopes(s.dates, s.y)
			got, want := senSlope(s.dates, s.y, v, &w), senFromSorted(all, v)
			if got != want || !sameBits(got, want) {
				t.Fatalf("%s n=%d: senSlope %+v, every slope %+v", kind, n, got, want)
			}
			m := n * (n - 1) / 2
			ks := []int{rng.IntN(m), m/2 + rng.IntN(m/8), m/3 + rng.IntN(m/3), m/2 - n}
			if round == 1 {
				ks = []int{0, m - 1, m / 2, 1}
			}
			gotK := make([]float64, len(ks))
			if w.selectSlopeOrders(s.dates, s.y, ks, gotK) {
				decided[kind]++
				for i, k := range ks {
					if math.Float64bits(gotK[i]) != math.Float64bits(all[k]) {
						t.Fatalf("%s n=%d: order %d is %v, want %v", kind, n, k, gotK[i], all[k])
					}
				}
			}
		}
	}
	t.Logf("decided by the selection (other orders): %v", decided)
}

// TestSlopeSelectionDecides checks that the selection itself, not the fallback to every slope,
// gives Sen's slope and interval for typical series (counts as the benchmark's, log-ratios as
// comparisons'), and gives them right: nearly every such series must be decided.
func TestSlopeSelectionDecides(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var w slopeWork
	for _, kind := range []string{"counts", "logratio", "ratio", "trend", "hugespread", "large", "negative", "fewlevels", "runs"} {
		const series = 20
		decided := 0
		for range series {
			n := 150 + rng.IntN(479)
			s := genSlopeSeries(rng, kind, n)
			orders, _, _ := senOrders(n*(n-1)/2, mkVariance(s.y))
			ks := orders[:]
			w.slopeOrders(s.dates, s.y, ks, make([]float64, 4)) // grows the table of years
			got := make([]float64, 4)
			if !w.selectSlopeOrders(s.dates, s.y, ks, got) {
				continue
			}
			decided++
			all := sortedSlopes(s.dates, s.y)
			for i, k := range ks {
				if math.Float64bits(got[i]) != math.Float64bits(all[k]) {
					t.Fatalf("%s n=%d: order %d is %v, want %v", kind, n, k, got[i], all[k])
				}
			}
		}
		if decided < series-2 {
			t.Errorf("%s: the selection decided %d of %d series", kind, decided, series)
		}
	}
}

// TestCountShiftedMatchesPairs checks the two counting and listing primitives of the selection
// against double loops, on keys with many ties.
func TestCountShiftedMatchesPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for range 50 {
		n := 1 + rng.IntN(80)
		keys := make([]float64, n)
		for i := range keys {
			keys[i] = float64(rng.IntN(10))
		}
		shift := float64(rng.IntN(3))
		var below, above int
		for i := range keys {
			for j := i + 1; j < n; j++ {
				if keys[j] < keys[i]-shift {
					below++
				}
				if keys[j] > keys[i]+shift {
					above++
				}
			}
		}
		k := slices.Clone(keys)
		if got := countShifted(k, make([]float64, n), shift, false); got != below {
			t.Fatalf("below: %d, want %d", got, below)
		}
		k = slices.Clone(keys)
		if got := countShifted(k, make([]float64, n), shift, true); got != above {
			t.Fatalf("above: %d, want %d", got, above)
		}
		k2 := make([]float64, n)
		for i := range k2 {
			k2[i] = float64(rng.IntN(10))
		}
		var want [][2]int32
		for u := range keys {
			for v := range keys {
				if keys[u] < keys[v] && k2[u] > k2[v] {
					want = append(want, [2]int32{int32(u), int32(v)})
				}
			}
		}
		pairs, ok := inversions(keys, k2, make([]int32, n), make([]int32, n), nil, n*n)
		if !ok {
			t.Fatal("inversions over the limit")
		}
		var got [][2]int32
		for p := 0; p < len(pairs); p += 2 {
			got = append(got, [2]int32{pairs[p], pairs[p+1]})
		}
		cmpPair := func(a, b [2]int32) int { return int(a[0]-b[0])*1000 + int(a[1]-b[1]) }
		slices.SortFunc(got, cmpPair)
		slices.SortFunc(want, cmpPair)
		if !slices.Equal(got, want) {
			t.Fatalf("inversions %v, want %v", got, want)
		}
	}
}

// TestSortByKeys checks sortByKeys against a comparison sort by k1, then k2: keys of both signs,
// zeros of both signs, many ties in k1 and in both, and keys that share their high bytes.
func TestSortByKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for trial := range 300 {
		n := 1 + rng.IntN(700)
		k1, k2 := make([]float64, n), make([]float64, n)
		for i := range k1 {
			switch trial % 4 {
			case 0:
				k1[i] = rng.NormFloat64() * 1e6
			case 1:
				k1[i] = float64(rng.IntN(7) - 3)
			case 2:
				k1[i] = 1e9 + float64(rng.IntN(1000))*0x1p-20 // the high bytes alike
			default:
				k1[i] = []float64{math.Copysign(0, -1), 0, -1.5, 2.25}[rng.IntN(4)]
			}
			k2[i] = float64(rng.IntN(5))
		}
		order := make([]int32, n)
		sortByKeys(k1, k2, order, make([]int32, n))
		seen := make([]bool, n)
		for p, i := range order {
			if seen[i] {
				t.Fatalf("trial %d: index %d twice", trial, i)
			}
			seen[i] = true
			if p == 0 {
				continue
			}
			a, b := order[p-1], i
			if k1[a] > k1[b] || k1[a] == k1[b] && k2[a] > k2[b] {
				t.Fatalf("trial %d: (%v, %v) before (%v, %v)", trial, k1[a], k2[a], k1[b], k2[b])
			}
		}
	}
}
