package protect

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
	"pgregory.net/rapid"
)

// smallPool is the countries random tables draw from: two sub-regions of Europe, two of the
// Americas, a single-country sub-region (AU) and a country without region (TW).
var smallPool = []string{"DE", "FR", "NL", "PL", "US", "CA", "MX", "AU", "TW"}

// randomLeaves draws a small table: a few countries and organization types, some leaves zero, some
// with dominance figures.
func randomLeaves(t *rapid.T, v *schemas.Vocabulary) []ingest.Leaf {
	countries := rapid.SliceOfNDistinct(rapid.SampledFrom(smallPool), 1, 4, rapid.ID[string]).Draw(t, "countries")
	orgs := rapid.SliceOfNDistinct(rapid.IntRange(1, 4), 1, 3, rapid.ID[int]).Draw(t, "orgs")
	var leaves []ingest.Leaf
	for _, c := range countries {
		geo, _ := v.Geo.CountryByCode(c)
		for _, o := range orgs {
			if !rapid.Bool().Draw(t, "present") && len(leaves) > 0 {
				continue
			}
			leaf := ingest.Leaf{Geo: geo, Org: schemas.OrgID(o), Largest: ingest.Unknown, SecondLargest: ingest.Unknown}
			leaf.Value = rapid.Int64Range(0, 60).Draw(t, "value")
			if rapid.IntRange(0, 5).Draw(t, "zero") == 0 {
				leaf.Value = 0
			}
			if leaf.Value > 0 {
				leaf.Contributors = rapid.Int64Range(1, 6).Draw(t, "contributors")
				if rapid.Bool().Draw(t, "dominance") {
					leaf.Largest = rapid.Int64Range(0, leaf.Value).Draw(t, "largest")
					leaf.SecondLargest = rapid.Int64Range(0, min(leaf.Largest, leaf.Value-leaf.Largest)).Draw(t, "second")
				}
			}
			leaves = append(leaves, leaf)
		}
	}
	return leaves
}

// TestProtectProperties checks on random tables that the outsider's audit finds no cell narrower
// than 1, the full rule holds against the true values, and the result does not depend on the order
// of leaves and tables or on the number of workers.
func TestProtectProperties(t *testing.T) {
	v := defaultVocab(t)
	rapid.Check(t, func(t *rapid.T) {
		prot := ingest.DefaultProtection()
		prot.Interval = rapid.SampledFrom([]float64{0, 0.1, 0.2, 0.5, 1}).Draw(t, "q")
		prot.MinContributors = rapid.Int64Range(1, 3).Draw(t, "minContributors")
		var tables []*ingest.Table
		for m := range rapid.IntRange(1, 3).Draw(t, "tables") {
			tables = append(tables, &ingest.Table{Period: testPeriod, Metric: schemas.MetricID(m), Leaves: randomLeaves(t, v)})
		}
		ds := testDataset(v, prot, tables...)
		res, err := Protect(context.Background(), ds, Options{Workers: 1})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		rep, err := Audit(v, res.Tables, nil)
		if err != nil || !rep.OK() {
			t.Fatalf("Audit: %v\n%s", err, rep)
		}
		rep, err = AuditDataset(ds, res.Tables)
		if err != nil || !rep.OK() {
			t.Fatalf("AuditDataset: %v\n%s", err, rep)
		}
		// The same dataset with leaves and tables in another order, on several workers.
		perm := testDataset(v, prot)
		for _, i := range rapid.Permutation(indices(len(tables))).Draw(t, "tableOrder") {
			tt := *tables[i]
			tt.Leaves = rapid.Permutation(tt.Leaves).Draw(t, "leafOrder")
			perm.Tables = append(perm.Tables, &tt)
		}
		res2, err := Protect(context.Background(), perm, Options{Workers: 3})
		if err != nil {
			t.Fatalf("Protect (permuted): %v", err)
		}
		if !reflect.DeepEqual(res.Tables, res2.Tables) || res.Summary != res2.Summary {
			t.Fatalf("the result depends on input order or worker count")
		}
	})
}

func indices(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// randomPattern suppresses each non-zero cell of p with probability about 2/5.
func randomPattern(t *rapid.T, p *problem) []bool {
	s := make([]bool, len(p.cells))
	for i, c := range p.cells {
		s[i] = c.value > 0 && rapid.IntRange(0, 4).Draw(t, "suppress") < 2
	}
	return s
}

// TestBoundsMatchLP cross-checks the flow bounds of the outsider's audit against an independent LP
// over the relations as SPEC 4 states them (every total = sum of its parts along both hierarchies,
// not the network form), solved by gonum's simplex: the bounds must be equal, and the LP's integral.
func TestBoundsMatchLP(t *testing.T) {
	v := defaultVocab(t)
	lay := newLayout(v)
	rapid.Check(t, func(t *rapid.T) {
		r, _ := newRules(ingest.DefaultProtection(), v)
		b := newBuilder(lay, r, nil)
		p, err := b.makeProblem(&ingest.Table{Period: testPeriod, Leaves: randomLeaves(t, v)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		suppressed := randomPattern(t, p)
		pub := &Table{Period: p.period, Metric: p.metric}
		for i, c := range p.cells {
			if suppressed[i] {
				pub.Cells = append(pub.Cells, SuppressedCell(c.key.Geo, c.key.Org))
			} else {
				pub.Cells = append(pub.Cells, PublishedCell(c.key.Geo, c.key.Org, c.value))
			}
		}
		rep, err := Audit(v, []*Table{pub}, nil)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		lo, hi := lpBounds(t, lay, p, suppressed)
		k := 0
		for i := range p.cells {
			if !suppressed[i] {
				continue
			}
			iv := rep.Intervals[k]
			k++
			if iv.Cell != p.cells[i].key {
				t.Fatalf("interval %d is for the wrong cell", k)
			}
			if math.Abs(lo[i]-math.Round(lo[i])) > 1e-6 || (!math.IsInf(hi[i], 1) && math.Abs(hi[i]-math.Round(hi[i])) > 1e-6) {
				t.Fatalf("LP bounds of %v are not integral: [%v, %v]", iv.Cell, lo[i], hi[i])
			}
			if float64(iv.Lo) != math.Round(lo[i]) || iv.Unbounded != math.IsInf(hi[i], 1) ||
				(!iv.Unbounded && float64(iv.Hi) != math.Round(hi[i])) {
				t.Fatalf("cell %s: flow bounds [%v, %v] (unbounded %v), LP bounds [%v, %v]",
					cellLabel(v, iv.Cell), iv.Lo, iv.Hi, iv.Unbounded, lo[i], hi[i])
			}
		}
	})
}

// lpBounds returns min and max of every suppressed cell subject to the relations of SPEC 4, the
// published values and non-negativity, by gonum's simplex (standard form; dependent rows removed
// first, as the solver requires full row rank).
func lpBounds(t *rapid.T, lay *layout, p *problem, suppressed []bool) (lo, hi []float64) {
	col := make([]int, len(p.cells))
	n := 0
	for i := range p.cells {
		col[i] = -1
		if suppressed[i] {
			col[i] = n
			n++
		}
	}
	var rows [][]float64
	var rhs []float64
	relation := func(total int, parts []int) {
		row := make([]float64, n)
		b := 0.0
		add := func(i int, sign float64) {
			if suppressed[i] {
				row[col[i]] += sign
			} else {
				b -= sign * float64(p.cells[i].value)
			}
		}
		add(total, 1)
		for _, i := range parts {
			add(i, -1)
		}
		rows, rhs = append(rows, row), append(rhs, b)
	}
	for ti, tc := range p.cells {
		var byArea, byOrg []int
		for i, c := range p.cells {
			if c.key.Org == tc.key.Org && c.key.Geo != lay.geo.WorldID() && lay.geo.Node(c.key.Geo).Parent == tc.key.Geo {
				byArea = append(byArea, i)
			}
			if tc.key.Org == schemas.OrgAll && c.key.Geo == tc.key.Geo && c.key.Org != schemas.OrgAll {
				byOrg = append(byOrg, i)
			}
		}
		if lay.geo.Node(tc.key.Geo).Level != schemas.Country {
			relation(ti, byArea)
		}
		if tc.key.Org == schemas.OrgAll {
			relation(ti, byOrg)
		}
	}
	A, b := independentRows(t, rows, rhs, n)
	lo, hi = make([]float64, len(p.cells)), make([]float64, len(p.cells))
	for i := range p.cells {
		if !suppressed[i] {
			continue
		}
		j := col[i]
		used := false
		for _, row := range A {
			used = used || row[j] != 0
		}
		if !used {
			lo[i], hi[i] = 0, math.Inf(1)
			continue
		}
		for _, sign := range []float64{1, -1} {
			c := make([]float64, n)
			c[j] = sign
			var opt float64
			var err error
			if len(A) == 0 {
				opt, err = 0, nil
			} else {
				dense := mat.NewDense(len(A), n, nil)
				for r, row := range A {
					dense.SetRow(r, row)
				}
				opt, _, err = lp.Simplex(c, dense, b, 1e-10, nil)
			}
			switch {
			case err == lp.ErrUnbounded && sign < 0:
				hi[i] = math.Inf(1)
			case err != nil:
				t.Fatalf("simplex: %v", err)
			case sign > 0:
				lo[i] = opt
			default:
				hi[i] = -opt
			}
		}
	}
	return lo, hi
}

// independentRows keeps a maximal set of linearly independent rows (Gaussian elimination with
// partial pivoting on a copy; the entries are small integers), failing if a dropped row is
// inconsistent.
func independentRows(t *rapid.T, rows [][]float64, rhs []float64, n int) ([][]float64, []float64) {
	var basis [][]float64 // reduced rows, last entry the right-hand side
	var pivots []int
	var keptRows [][]float64
	var keptRHS []float64
	for r, row := range rows {
		red := append(append([]float64(nil), row...), rhs[r])
		for k, br := range basis {
			if f := red[pivots[k]]; f != 0 {
				for j := range red {
					red[j] -= f * br[j]
				}
			}
		}
		piv, best := -1, 1e-9
		for j := 0; j < n; j++ {
			if math.Abs(red[j]) > best {
				piv, best = j, math.Abs(red[j])
			}
		}
		if piv < 0 {
			if math.Abs(red[n]) > 1e-6 {
				t.Fatalf("the relations are inconsistent")
			}
			continue
		}
		f := red[piv]
		for j := range red {
			red[j] /= f
		}
		for k := range basis {
			if g := basis[k][piv]; g != 0 {
				for j := range basis[k] {
					basis[k][j] -= g * red[j]
				}
			}
		}
		basis, pivots = append(basis, red), append(pivots, piv)
		keptRows, keptRHS = append(keptRows, row), append(keptRHS, rhs[r])
	}
	return keptRows, keptRHS
}

// TestAttackMatchesIntervals checks that the decision form of the rule (is the slack at least the
// need? as Protect's final audit asks it) agrees with the rule applied to the exact intervals.
func TestAttackMatchesIntervals(t *testing.T) {
	v := defaultVocab(t)
	lay := newLayout(v)
	rapid.Check(t, func(t *rapid.T) {
		prot := ingest.DefaultProtection()
		prot.Interval = rapid.SampledFrom([]float64{0, 0.2, 0.5, 1}).Draw(t, "q")
		r, _ := newRules(prot, v)
		pr := newProtector(lay, r)
		p, err := pr.b.makeProblem(&ingest.Table{Period: testPeriod, Leaves: randomLeaves(t, v)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		suppressed := randomPattern(t, p)
		for i, c := range p.cells {
			suppressed[i] = suppressed[i] || c.sensitive
		}
		pub := &Table{Period: p.period, Metric: p.metric}
		for i, c := range p.cells {
			if suppressed[i] {
				pub.Cells = append(pub.Cells, SuppressedCell(c.key.Geo, c.key.Org))
			} else {
				pub.Cells = append(pub.Cells, PublishedCell(c.key.Geo, c.key.Org, c.value))
			}
		}
		rep, err := Audit(v, []*Table{pub}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[CellKey]bool{}
		for _, iv := range rep.Intervals {
			c := p.cells[p.find(iv.Cell)]
			if c.sensitive && ruleProblem(r, c.value, iv.Lo, iv.Hi, iv.Unbounded) != "" || iv.Width() < 1 {
				want[iv.Cell] = true
			}
		}
		got := map[CellKey]bool{}
		for _, f := range pr.attack(p, suppressed, true) {
			// The intervals say nothing of swaps (zero.go), which the decisions check too.
			if !f.HasSingleton && !strings.Contains(f.Problem, "swap") {
				got[f.Cell] = true
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decision checks fail %v, exact intervals fail %v\n%s", got, want, rep)
		}
	})
}

var bruteTables = flag.Int("brute.tables", 200, "random tiny tables for TestBruteForceRatio")

// TestBruteForceRatio compares the heuristic with the optimum on tiny tables (at most 16 cells): the
// fewest secondary suppressions that satisfy the full rule, found by enumerating suppression sets by
// size. The heuristic's pattern must be valid and never below the optimum; the ratio is logged
// (go test -run TestBruteForceRatio -v).
func TestBruteForceRatio(t *testing.T) {
	v := defaultVocab(t)
	lay := newLayout(v)
	rng := rand.New(rand.NewPCG(2019, 9))
	r, _ := newRules(ingest.DefaultProtection(), v)
	pr := newProtector(lay, r)
	check := newProtector(lay, r)
	var tables, equal, heurTotal, optTotal int
	var ratioSum float64
	for tables < *bruteTables {
		leaves := tinyLeaves(rng, v)
		p, err := pr.b.makeProblem(&ingest.Table{Period: testPeriod, Leaves: leaves}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.cells) > 16 {
			continue
		}
		pat, err := pr.protectTable(p)
		if err != nil {
			t.Fatal(err)
		}
		if f := check.attack(p, pat.suppressed, true); len(f) > 0 {
			t.Fatalf("heuristic pattern fails: %+v", f)
		}
		heur := 0
		var cands []int
		for i, c := range p.cells {
			if pat.secondary[i] {
				heur++
			}
			if !c.sensitive && c.value > 0 {
				cands = append(cands, i)
			}
		}
		primaries := 0
		for _, c := range p.cells {
			if c.sensitive {
				primaries++
			}
		}
		if primaries == 0 {
			continue
		}
		opt := optimum(check, p, cands, heur)
		if heur < opt {
			t.Fatalf("heuristic %d below the optimum %d", heur, opt)
		}
		tables++
		heurTotal += heur
		optTotal += opt
		if heur == opt {
			equal++
		}
		if opt > 0 {
			ratioSum += float64(heur) / float64(opt)
		} else {
			ratioSum++
		}
	}
	t.Logf("%d tiny tables with primaries: secondary suppressions heuristic %d, optimum %d (ratio of totals %.3f, mean ratio %.3f, optimal in %d)",
		tables, heurTotal, optTotal, float64(heurTotal)/float64(max(optTotal, 1)), ratioSum/float64(tables), equal)
}

// optimum returns the fewest cells among cands whose suppression, with the primaries, satisfies the
// full rule; at most limit (a valid pattern of that size is known).
func optimum(pr *protector, p *problem, cands []int, limit int) int {
	base := make([]bool, len(p.cells))
	for i, c := range p.cells {
		base[i] = c.sensitive
	}
	s := make([]bool, len(p.cells))
	for size := 0; size < limit; size++ {
		found := false
		combinations(len(cands), size, func(pick []int) bool {
			copy(s, base)
			for _, j := range pick {
				s[cands[j]] = true
			}
			found = len(pr.attack(p, s, true)) == 0
			return found
		})
		if found {
			return size
		}
	}
	return limit
}

// combinations calls f with every k-subset of 0..n-1 in lexicographic order until f returns true.
func combinations(n, k int, f func([]int) bool) {
	pick := make([]int, k)
	var rec func(start, depth int) bool
	rec = func(start, depth int) bool {
		if depth == k {
			return f(pick)
		}
		for i := start; i <= n-(k-depth); i++ {
			pick[depth] = i
			if rec(i+1, depth+1) {
				return true
			}
		}
		return false
	}
	rec(0, 0)
}

// tinyLeaves draws a table of two or three countries and two organization types.
func tinyLeaves(rng *rand.Rand, v *schemas.Vocabulary) []ingest.Leaf {
	pool := []string{"DE", "FR", "NL", "PL", "US", "TW"}
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	var leaves []ingest.Leaf
	for _, c := range pool[:2+rng.IntN(2)] {
		geo, _ := v.Geo.CountryByCode(c)
		for o := 1; o <= 2; o++ {
			if rng.IntN(5) == 0 {
				continue
			}
			value := int64(1 + rng.IntN(50))
			contributors := int64(1 + rng.IntN(8))
			leaves = append(leaves, ingest.Leaf{Geo: geo, Org: schemas.OrgID(o), Value: value, Contributors: contributors,
				Largest: ingest.Unknown, SecondLargest: ingest.Unknown})
		}
	}
	return leaves
}

// TestPatternIsMinimal checks that every secondary suppression is needed: publishing any one of them
// alone breaks the rule (SPEC 4: never a cell whose suppression is not needed).
func TestPatternIsMinimal(t *testing.T) {
	v := defaultVocab(t)
	lay := newLayout(v)
	rapid.Check(t, func(t *rapid.T) {
		r, _ := newRules(ingest.DefaultProtection(), v)
		pr, check := newProtector(lay, r), newProtector(lay, r)
		p, err := pr.b.makeProblem(&ingest.Table{Period: testPeriod, Leaves: randomLeaves(t, v)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pat, err := pr.protectTable(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.cells {
			if !pat.secondary[i] {
				continue
			}
			pat.suppressed[i] = false
			if len(check.attack(p, pat.suppressed, true)) == 0 {
				t.Fatalf("secondary cell %s is not needed", cellLabel(v, p.cells[i].key))
			}
			pat.suppressed[i] = true
		}
	})
}

// TestAuditArbitraryInput feeds the outsider's audit arbitrary tables, as a damaged or hand-made
// cells.parquet could hold (cells without their totals, totals that do not add up, values of any
// size): it must return an error or a report, never panic, and every interval it reports must hold
// lo <= hi.
func TestAuditArbitraryInput(t *testing.T) {
	v := defaultVocab(t)
	rapid.Check(t, func(t *rapid.T) {
		table := &Table{Period: testPeriod, Metric: schemas.MetricID(rapid.IntRange(0, v.NumMetrics()).Draw(t, "metric"))}
		for range rapid.IntRange(0, 12).Draw(t, "cells") {
			geo := schemas.GeoID(rapid.IntRange(0, v.Geo.Len()).Draw(t, "geo"))
			org := schemas.OrgID(rapid.IntRange(0, v.NumOrgs()+1).Draw(t, "org"))
			if rapid.Bool().Draw(t, "suppressed") {
				table.Cells = append(table.Cells, SuppressedCell(geo, org))
			} else {
				table.Cells = append(table.Cells, PublishedCell(geo, org, rapid.Int64Range(-1, math.MaxInt64).Draw(t, "value")))
			}
		}
		rep, err := Audit(v, []*Table{table}, nil)
		if err != nil {
			return
		}
		for _, iv := range rep.Intervals {
			if !iv.Unbounded && iv.Lo > iv.Hi {
				t.Fatalf("interval [%v, %v]", iv.Lo, iv.Hi)
			}
		}
	})
}
