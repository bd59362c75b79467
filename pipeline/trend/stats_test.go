package trend

import (
	"bufio"
	"cmp"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/exposure-research/exposure/schemas"
)

// reference is one line of testdata/reference.txt, written by testdata/reference.R: a name and its
// key=value fields. "NA" is R's missing value.
type reference struct {
	kind, name string
	fields     map[string]string
}

// readReferences reads the lines of one kind of testdata/reference.txt (written by reference.R) or,
// for the kinds reference.py writes, of testdata/reference_scipy.txt.
func readReferences(t *testing.T, kind string) []reference {
	t.Helper()
	file := "testdata/reference.txt"
	switch kind {
	case "exactp", "sen", "compare":
		file = "testdata/reference_scipy.txt"
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var refs []reference
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) < 2 || words[0] != kind {
			continue
		}
		ref := reference{kind: words[0], name: words[1], fields: map[string]string{}}
		for _, w := range words[2:] {
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				t.Fatalf("reference %s: %q is not key=value", ref.name, w)
			}
			ref.fields[k] = v
		}
		refs = append(refs, ref)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatalf("no %s lines in %s", kind, file)
	}
	return refs
}

// float returns a field as a number; ok is false for NA.
func (r reference) float(t *testing.T, key string) (float64, bool) {
	t.Helper()
	s, present := r.fields[key]
	if !present {
		t.Fatalf("reference %s has no %s", r.name, key)
	}
	if s == "NA" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("reference %s, %s: %v", r.name, key, err)
	}
	return v, true
}

// ints returns a comma-separated list of integers.
func (r reference) ints(t *testing.T, key string) []int64 {
	t.Helper()
	var out []int64
	for _, s := range strings.Split(r.fields[key], ",") {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("reference %s, %s: %v", r.name, key, err)
		}
		out = append(out, v)
	}
	return out
}

// dates returns a comma-separated list of dates.
func (r reference) dates(t *testing.T, key string) []schemas.Date {
	t.Helper()
	var out []schemas.Date
	for _, s := range strings.Split(r.fields[key], ",") {
		d, err := schemas.ParseDate(s)
		if err != nil {
			t.Fatalf("reference %s, %s: %v", r.name, key, err)
		}
		out = append(out, d)
	}
	return out
}

// near reports whether got is within relTol of want, relative to want's size (absolute below 1).
func near(got, want, relTol float64) bool {
	return math.Abs(got-want) <= relTol*math.Max(1, math.Abs(want))
}

// checkNull compares a nullable figure with a reference value, NA meaning null.
func checkNull(t *testing.T, what string, got Null[float64], want float64, wantValid bool, relTol float64) {
	t.Helper()
	switch {
	case got.Valid != wantValid:
		t.Errorf("%s: valid = %v, want %v (got %v, want %v)", what, got.Valid, wantValid, got.V, want)
	case wantValid && !near(got.V, want, relTol):
		t.Errorf("%s = %.17g, want %.17g", what, got.V, want)
	}
}

// TestSeriesAgainstR checks every series statistic against R (testdata/reference.R): lm for the
// least-squares slope, a hand median of pairwise slopes for Sen's, cor(method = "kendall") and
// Kendall::MannKendall for tau, cor.test(exact = TRUE) for the exact p-value and Kendall::MannKendall
// with a double-precision recomputation for the normal approximation.
func TestSeriesAgainstR(t *testing.T) {
	for _, ref := range readReferences(t, "series") {
		t.Run(ref.name, func(t *testing.T) {
			dates, values := ref.dates(t, "dates"), ref.ints(t, "values")
			var row SeriesRow
			describeSeries(&row, dates, values, &seriesScratch{})
			n := len(values)
			if row.NPeriods != int64(n) || row.FirstValue.V != values[0] || row.LastValue.V != values[n-1] ||
				row.FirstPeriod.V != dates[0] || row.LastPeriod.V != dates[n-1] {
				t.Errorf("counts and ends = %+v", row)
			}
			ols, _ := ref.float(t, "ols")
			checkNull(t, "ols slope", row.OLSSlope, ols, true, 1e-12)
			sen, _ := ref.float(t, "sen")
			checkNull(t, "Sen slope", row.SenSlope, sen, true, 1e-12)
			// R computes the rate over any span; it is published only over a calendar year or more.
			cagrWant, ok := ref.float(t, "cagr")
			checkNull(t, "cagr", row.CAGR, cagrWant, ok && atLeastAYear(dates[0], dates[n-1]), 1e-12)
			tau, _ := ref.float(t, "tau_cor")
			checkNull(t, "tau (cor)", row.MannKendallT, tau, true, 1e-12)
			if tauK, ok := ref.float(t, "tau_k"); ok {
				checkNull(t, "tau (Kendall::MannKendall, single precision)", row.MannKendallT, tauK, true, 1e-6)
			}
			mk, _ := mannKendall(values, nil)
			if s, _ := ref.float(t, "S"); float64(mk.S) != s {
				t.Errorf("S = %d, want %v", mk.S, s)
			}
			pWant, exact := ref.float(t, "p_exact")
			switch {
			case !exact && n <= maxExactMK:
				// Ties at n <= 10: R has no exact p-value; TestExactPAgainstEnumeration checks it.
				if row.PMethod != Some(PExact) {
					t.Errorf("p method = %v, want exact", row.PMethod)
				}
				return
			case !exact:
				pWant, _ = ref.float(t, "p_normal")
				if pK, ok := ref.float(t, "p_k"); ok {
					checkNull(t, "p (Kendall::MannKendall, single precision)", row.MannKendallP, pK, true, 1e-6)
				}
			}
			checkNull(t, "p", row.MannKendallP, pWant, true, 1e-12)
			wantTrend := TrendNone
			switch {
			case n < 5:
				wantTrend = TrendTooFew
			case pWant < 0.05 && sen > 0:
				wantTrend = TrendRising
			case pWant < 0.05 && sen < 0:
				wantTrend = TrendFalling
			}
			if row.Trend != wantTrend {
				t.Errorf("trend = %v, want %s", row.Trend, wantTrend)
			}
		})
	}
}

// TestExactMannKendallAgainstEnumeration checks the exact null distribution of S without ties
// against all n! orderings of n distinct values, for every n it is used for.
func TestExactMannKendallAgainstEnumeration(t *testing.T) {
	for n := minSlopeValues; n <= maxExactMK; n++ {
		pairs := n * (n - 1) / 2
		counts := make([]int64, 2*pairs+1) // counts[S+pairs]
		perm := make([]int64, n)
		for i := range perm {
			perm[i] = int64(i)
		}
		var total int64
		permutations(perm, len(perm), func(p []int64) {
			var s int
			for i := range p {
				for j := i + 1; j < len(p); j++ {
					s += cmp.Compare(p[j], p[i])
				}
			}
			counts[s+pairs]++
			total++
		})
		for s := -pairs; s <= pairs; s++ {
			var tail int64
			for v := -pairs; v <= pairs; v++ {
				if abs(v) >= abs(s) {
					tail += counts[v+pairs]
				}
			}
			want := float64(tail) / float64(total)
			distinct := make([]int, n)
			for i := range distinct {
				distinct[i] = 1
			}
			if got := nullDistribution(distinct).tail(int64(s)); got != want {
				t.Errorf("n=%d S=%d: exact p = %v, enumeration gives %v", n, s, got, want)
			}
		}
	}
}

// permutations calls visit with every ordering of p[:k] (Heap's algorithm).
func permutations(p []int64, k int, visit func([]int64)) {
	if k <= 1 {
		visit(p)
		return
	}
	for i := 0; i < k-1; i++ {
		permutations(p, k-1, visit)
		if k%2 == 0 {
			p[i], p[k-1] = p[k-1], p[i]
		} else {
			p[0], p[k-1] = p[k-1], p[0]
		}
	}
	permutations(p, k-1, visit)
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// TestMannKendallEdges checks the cases worked out by hand: the extreme orderings, whose exact
// p-value is 2/n!, and constant series, where S is 0 for certain.
func TestMannKendallEdges(t *testing.T) {
	tests := []struct {
		name    string
		values  []int64
		wantS   int64
		wantTau Null[float64]
		wantP   float64
	}{
		{"three rising", []int64{1, 2, 3}, 3, Some(1.0), 2.0 / 6},
		{"four falling", []int64{9, 7, 5, 1}, -6, Some(-1.0), 2.0 / 24},
		{"ten rising", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 45, Some(1.0), 2.0 / 3628800},
		{"constant", []int64{4, 4, 4, 4, 4}, 0, Null[float64]{}, 1},
		{"no change overall", []int64{1, 3, 2}, 1, Some(1.0 / 3), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := mannKendall(tt.values, nil)
			if got.S != tt.wantS || got.Tau.Valid != tt.wantTau.Valid || !near(got.Tau.V, tt.wantTau.V, 1e-15) || !near(got.P, tt.wantP, 1e-15) {
				t.Errorf("mannKendall(%v) = %+v, want S=%d tau=%v p=%v", tt.values, got, tt.wantS, tt.wantTau, tt.wantP)
			}
		})
	}
}

// TestSeriesMinimums checks which statistics a series has with few published values: slopes and the
// Mann-Kendall test need 2, a trend label other than too few periods needs MinTrendPeriods, and cagr
// needs a calendar year or more between the first non-zero value and the last.
func TestSeriesMinimums(t *testing.T) {
	d := func(s string) schemas.Date {
		v, err := schemas.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	monthly := func(n int) []schemas.Date {
		var out []schemas.Date
		for i := range n {
			out = append(out, schemas.DateOf(time.Date(2019, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)))
		}
		return out
	}
	tests := []struct {
		name                string
		dates               []schemas.Date
		values              []int64
		cagr, slopes        bool
		wantCAGR, wantSlope float64
		trend               string
	}{
		{name: "no published value", trend: TrendTooFew},
		{name: "one value", dates: []schemas.Date{d("2019-01-01")}, values: []int64{5}, trend: TrendTooFew},
		{name: "two values a calendar year apart", dates: []schemas.Date{d("2019-01-01"), d("2020-01-01")}, values: []int64{5, 10},
			cagr: true, slopes: true, wantCAGR: math.Pow(2, 365.2425/365) - 1, wantSlope: 5 * 365.2425 / 365, trend: TrendTooFew},
		{name: "span under a year: no cagr", dates: []schemas.Date{d("2019-01-01"), d("2019-12-31")}, values: []int64{5, 10},
			slopes: true, trend: TrendTooFew},
		{name: "a week: no cagr", dates: []schemas.Date{d("2019-01-01"), d("2019-01-08")}, values: []int64{1, 20000},
			slopes: true, trend: TrendTooFew},
		{name: "29 February to 28 February is short of a year", dates: []schemas.Date{d("2020-02-29"), d("2021-02-28")}, values: []int64{5, 10},
			slopes: true, trend: TrendTooFew},
		{name: "29 February to 1 March is a year", dates: []schemas.Date{d("2020-02-29"), d("2021-03-01")}, values: []int64{5, 10},
			cagr: true, slopes: true, wantCAGR: math.Pow(2, 365.2425/366) - 1, wantSlope: 5 * 365.2425 / 366, trend: TrendTooFew},
		{name: "zeros then one non-zero", dates: monthly(3), values: []int64{0, 0, 7}, slopes: true, trend: TrendTooFew},
		{name: "four strictly rising: cannot reject", dates: monthly(4), values: []int64{1, 2, 3, 4}, slopes: true, trend: TrendTooFew},
		{name: "five strictly rising", dates: monthly(5), values: []int64{1, 2, 3, 4, 5}, slopes: true, trend: TrendRising},
		{name: "five strictly falling", dates: monthly(5), values: []int64{5, 4, 3, 2, 1}, slopes: true, trend: TrendFalling},
		{name: "five with a tie at the end: p = 1/30", dates: monthly(5), values: []int64{1, 2, 3, 4, 4}, slopes: true, trend: TrendRising},
		{name: "five constant", dates: monthly(5), values: []int64{3, 3, 3, 3, 3}, slopes: true, trend: TrendNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var row SeriesRow
			describeSeries(&row, tt.dates, tt.values, &seriesScratch{})
			if row.NPeriods != int64(len(tt.values)) || row.FirstValue.Valid != (len(tt.values) > 0) {
				t.Errorf("n = %d, first value %v", row.NPeriods, row.FirstValue)
			}
			if row.CAGR.Valid != tt.cagr || tt.cagr && !near(row.CAGR.V, tt.wantCAGR, 1e-14) {
				t.Errorf("cagr = %v, want valid=%v %v", row.CAGR, tt.cagr, tt.wantCAGR)
			}
			if row.OLSSlope.Valid != tt.slopes || row.SenSlope.Valid != tt.slopes {
				t.Errorf("slopes = %v, %v, want valid=%v", row.OLSSlope, row.SenSlope, tt.slopes)
			}
			if tt.wantSlope != 0 && (!near(row.OLSSlope.V, tt.wantSlope, 1e-14) || !near(row.SenSlope.V, tt.wantSlope, 1e-14)) {
				t.Errorf("slopes = %v, %v, want %v", row.OLSSlope.V, row.SenSlope.V, tt.wantSlope)
			}
			if row.MannKendallP.Valid != tt.slopes || row.MannKendallS.Valid != tt.slopes || row.PMethod.Valid != tt.slopes {
				t.Errorf("Mann-Kendall S = %v, p = %v (%v), want valid=%v", row.MannKendallS, row.MannKendallP, row.PMethod, tt.slopes)
			}
			if row.Trend != tt.trend {
				t.Errorf("trend = %q, want %q (p = %v)", row.Trend, tt.trend, row.MannKendallP)
			}
		})
	}
}

// TestMinTrendPeriods checks the computed minimum against the exact p-values worked out by hand: the
// most extreme ordering of 4 values has p = 2/4! = 1/12 > 0.05, of 5 values 2/5! = 1/60 < 0.05.
func TestMinTrendPeriods(t *testing.T) {
	if MinTrendPeriods != 5 {
		t.Errorf("MinTrendPeriods = %d, want 5 at the 5 %% level", MinTrendPeriods)
	}
	for n, want := range map[int]float64{3: 2.0 / 6, 4: 2.0 / 24, 5: 2.0 / 120} {
		groups := make([]int, n)
		for i := range groups {
			groups[i] = 1
		}
		if got := nullDistribution(groups).tail(int64(n * (n - 1) / 2)); !near(got, want, 1e-15) {
			t.Errorf("n = %d: smallest p = %v, want %v", n, got, want)
		}
	}
}

// TestExactPAgainstEnumeration checks the exact p-value with ties against a brute-force count over
// all n! orderings in Python (testdata/reference.py), for tie patterns from a pair to a block of
// nine, n from 2 to 10; the normal approximation is off by up to 0.13 there (four_triple: 0.371
// against 0.5).
func TestExactPAgainstEnumeration(t *testing.T) {
	for _, ref := range readReferences(t, "exactp") {
		t.Run(ref.name, func(t *testing.T) {
			values := ref.ints(t, "values")
			got, _ := mannKendall(values, nil)
			wantS, _ := ref.float(t, "S")
			wantP, _ := ref.float(t, "p")
			if float64(got.S) != wantS || !got.Exact || !near(got.P, wantP, 1e-14) {
				t.Errorf("mannKendall(%v) = S %d, p %.17g (exact %v); want S %v, p %.17g", values, got.S, got.P, got.Exact, wantS, wantP)
			}
		})
	}
}

// TestSenIntervalAgainstScipy checks Sen's slope and its 95 % confidence interval against
// scipy.stats.theilslopes (testdata/reference.py); where scipy clamps an end of the interval to the
// extreme slope, the end is null.
func TestSenIntervalAgainstScipy(t *testing.T) {
	for _, ref := range readReferences(t, "sen") {
		t.Run(ref.name, func(t *testing.T) {
			var row SeriesRow
			describeSeries(&row, ref.dates(t, "dates"), ref.ints(t, "values"), &seriesScratch{})
			clamped := ref.fields["clamped"]
			slope, _ := ref.float(t, "slope")
			low, _ := ref.float(t, "low")
			high, _ := ref.float(t, "high")
			checkNull(t, "slope", row.SenSlope, slope, true, 1e-12)
			checkNull(t, "lower", row.SenLower, low, clamped[0] == '0', 1e-12)
			checkNull(t, "upper", row.SenUpper, high, clamped[1] == '0', 1e-12)
		})
	}
}

// TestSelectKth checks the selection behind Sen's median against a full sort, on arrays with many
// ties, sorted and reverse-sorted runs, every k.
func TestSelectKth(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		values := rapid.SliceOfN(rapid.IntRange(-5, 5), 1, 60).Draw(t, "values")
		order := rapid.IntRange(0, 2).Draw(t, "order")
		a := make([]float64, len(values))
		for i, x := range values {
			a[i] = float64(x)
		}
		switch order {
		case 1:
			slices.Sort(a)
		case 2:
			slices.Sort(a)
			slices.Reverse(a)
		}
		sorted := slices.Sorted(slices.Values(a))
		k := rapid.IntRange(0, len(a)-1).Draw(t, "k")
		work := slices.Clone(a)
		if got := selectKth(work, k); got != sorted[k] {
			t.Fatalf("selectKth(%v, %d) = %v, want %v", a, k, got, sorted[k])
		}
		for i, x := range work {
			if i < k && x > sorted[k] || i > k && x < sorted[k] {
				t.Fatalf("selectKth(%v, %d) left %v at %d: %v", a, k, x, i, work)
			}
		}
	})
}

// TestKendallSMatchesPairs checks the O(n log n) score against its definition, the sum over every two
// values of the sign of their difference, on random series with and without ties.
func TestKendallSMatchesPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 500 {
		n := rng.IntN(80)
		values := make([]int64, n)
		spread := int64(1 + rng.IntN(1000))
		for i := range values {
			values[i] = rng.Int64N(spread)
		}
		var want int64
		for i, a := range values {
			for _, b := range values[i+1:] {
				want += int64(cmp.Compare(b, a))
			}
		}
		sorted := slices.Sorted(slices.Values(values))
		if got := kendallS(values, sorted, make([]int64, n+1)); got != want {
			t.Fatalf("trial %d: kendallS(%v) = %d, want %d", trial, values, got, want)
		}
	}
}

// TestSlopeOrdersAgainstSort checks slopeOrders, bit for bit, against a sort of every pairwise
// slope computed as YearsSince divides: on series of counts (ties), of constant stretches (a
// bracket of equal slopes, too many to keep), of log-ratios (no ties), sorted (every slope one
// sign), on irregular dates and on dates further apart than the table of years reaches, from 2 to
// 700 values, for the orders Sen's slope asks (the middle and the ends of an interval, far apart,
// close or equal) and orders at the ends, where no sample order brackets them. It also counts how
// often the slope selection decided, so that a change that always falls back to every slope fails
// it.
func TestSlopeOrdersAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var w slopeWork
	selected := 0
	for trial := range 400 {
		n := 2 + rng.IntN(120)
		if trial%4 == 0 {
			n = 2 + rng.IntN(700)
		}
		dates := make([]schemas.Date, n)
		y := make([]float64, n)
		d := schemas.Date(17897)
		level := 300.0
		for i := range dates {
			step := schemas.Date(7)
			switch {
			case trial%7 == 6:
				step = schemas.Date(1 + rng.IntN(40)) // irregular
			case trial%11 == 10:
				step = schemas.Date(5000 + rng.IntN(9000)) // beyond the table of years
			}
			d += step
			dates[i] = d
			switch trial % 5 {
			case 0: // counts on a random walk
				level = max(0, level+math.Round(rng.NormFloat64()*10))
				y[i] = level
			case 1: // long constant stretches
				if rng.IntN(20) == 0 {
					level += float64(rng.IntN(5))
				}
				y[i] = level
			case 2: // log-ratios
				y[i] = math.Log(float64(1+rng.IntN(1000)) / float64(1+rng.IntN(1000)))
			case 3: // rising
				y[i] = float64(i * (1 + rng.IntN(3)))
			default: // few distinct values
				y[i] = float64(rng.IntN(4))
			}
		}
		all := sortedSlopes(dates, y)
		m := len(all)
		spread := rng.IntN(m/2 + 1)
		ks := []int{m / 2, max(0, m/2-1), max(0, m/2-spread), min(m-1, m/2+spread)}
		if trial%9 == 8 {
			ks = []int{0, m - 1, m / 3}
		}
		got := make([]float64, len(ks))
		w.slopeOrders(dates, y, ks, got)
		if n >= minSelectSlopes {
			probe := slopeWork{years: w.years}
			if probe.selectSlopeOrders(dates, y, ks, make([]float64, len(ks))) {
				selected++
			}
		}
		for i, k := range ks {
			if math.Float64bits(got[i]) != math.Float64bits(all[k]) {
				t.Fatalf("trial %d (n = %d, m = %d): order %d = %v, want %v", trial, n, m, k, got[i], all[k])
			}
		}
	}
	if selected < 10 {
		t.Fatalf("the slope selection decided %d series, want most large ones of counts and ratios", selected)
	}
}

// TestOrderStatsAgainstSort checks orderStats against a full sort on arrays large enough for its
// brackets, with many ties, with values sorted and at random, for the orders Sen's slope asks (the
// middle and the ends of an interval), far apart or close, and for the lowest and highest. It
// counts how often the brackets decided, so that a change that always falls back fails it.
func TestOrderStatsAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var w slopeWork
	bracketed := 0
	for trial := range 60 {
		m := minBracket + rng.IntN(100_000)
		a := make([]float64, m)
		for i := range a {
			switch trial % 3 {
			case 0:
				a[i] = rng.NormFloat64()
			case 1:
				a[i] = float64(rng.IntN(50))
			default:
				a[i] = float64(i)
			}
		}
		want := slices.Sorted(slices.Values(a))
		spread := rng.IntN(m / 2)
		ks := []int{m / 2, m/2 - 1, max(0, m/2-spread), min(m-1, m/2+spread)}
		if trial%7 == 6 {
			ks = []int{0, m - 1}
		}
		if w.bracketedOrders(slices.Clone(a), ks, make([]float64, len(ks))) {
			bracketed++
		}
		got := make([]float64, len(ks))
		w.orderStats(a, ks, got)
		for i, k := range ks {
			if got[i] != want[k] {
				t.Fatalf("trial %d (m = %d): order %d = %v, want %v", trial, m, k, got[i], want[k])
			}
		}
	}
	if bracketed < 50 {
		t.Fatalf("the brackets decided %d of 60 arrays", bracketed)
	}
}

// TestMultiSelect checks multiSelect against a sort: orders given in any order, repeated, at both
// ends, on values with ties.
func TestMultiSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		n := 1 + rng.IntN(200)
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(1 + n/3)) // many ties
		}
		sorted := slices.Sorted(slices.Values(a))
		ks := []int{0, n - 1}
		for range rng.IntN(6) {
			ks = append(ks, rng.IntN(n))
		}
		rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		got := make([]float64, len(ks))
		multiSelect(slices.Clone(a), ks, got)
		for i, k := range ks {
			if got[i] != sorted[k] {
				t.Fatalf("trial %d: order %d of %v is %v, multiSelect gives %v", trial, k, a, sorted[k], got[i])
			}
		}
	}
}
