package protect

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
	"pgregory.net/rapid"
)

// identityText is the stock-flow identity a linked dataset may declare.
const identityText = "exposed_systems = prev(exposed_systems) + new_systems - offline_systems"

// randomLinked draws a small linked dataset: exposed, new and offline systems of a few countries
// and organization types over two or three periods, simulated so that new_systems <=
// exposed_systems and offline_systems(t) <= exposed_systems(t-1) hold, and the stock-flow identity
// too when identity is set (otherwise some offline systems come back, neither new nor offline).
func randomLinked(t *rapid.T, v *schemas.Vocabulary, identity bool) []*ingest.Table {
	// Small enough for gonum's dense simplex to cross-check every interval: at most three
	// countries and two organization types (with the totals, up to about 40 cells a table).
	countries := rapid.SliceOfNDistinct(rapid.SampledFrom(smallPool), 1, 3, rapid.ID[string]).Draw(t, "countries")
	orgs := rapid.SliceOfNDistinct(rapid.IntRange(1, 4), 1, 2, rapid.ID[int]).Draw(t, "orgs")
	periods := rapid.IntRange(2, 3).Draw(t, "periods")
	exposed, newSys, offline := metricIDOf(v, "exposed_systems"), metricIDOf(v, "new_systems"), metricIDOf(v, "offline_systems")
	var tables []*ingest.Table
	table := func(p int, m schemas.MetricID) *ingest.Table {
		for _, tb := range tables {
			if tb.Period == testPeriod+schemas.Date(28*p) && tb.Metric == m {
				return tb
			}
		}
		tb := &ingest.Table{Period: testPeriod + schemas.Date(28*p), Metric: m}
		tables = append(tables, tb)
		return tb
	}
	leaf := func(geo schemas.GeoID, org int, value int64) ingest.Leaf {
		l := ingest.Leaf{Geo: geo, Org: schemas.OrgID(org), Value: value, Largest: ingest.Unknown, SecondLargest: ingest.Unknown}
		if value > 0 {
			l.Contributors = rapid.Int64Range(1, min(value, 5)).Draw(t, "contributors")
		}
		return l
	}
	for _, c := range countries {
		geo, _ := v.Geo.CountryByCode(c)
		for _, o := range orgs {
			stock := rapid.Int64Range(0, 12).Draw(t, "stock")
			table(0, exposed).Leaves = append(table(0, exposed).Leaves, leaf(geo, o, stock))
			for p := 1; p < periods; p++ {
				off := rapid.Int64Range(0, stock).Draw(t, "offline")
				nw := rapid.Int64Range(0, 6).Draw(t, "new")
				back := int64(0)
				if !identity {
					back = rapid.Int64Range(0, off).Draw(t, "back")
				}
				stock = stock - off + nw + back
				table(p, exposed).Leaves = append(table(p, exposed).Leaves, leaf(geo, o, stock))
				table(p, newSys).Leaves = append(table(p, newSys).Leaves, leaf(geo, o, nw))
				table(p, offline).Leaves = append(table(p, offline).Leaves, leaf(geo, o, off))
			}
		}
	}
	return tables
}

// randomLinkedDataset wraps a random linked dataset (randomLinked) with the default protection and
// the vocabulary's relations, and the stock-flow identity in half of the draws.
func randomLinkedDataset(t *rapid.T, v *schemas.Vocabulary) *ingest.Dataset {
	identity := rapid.Bool().Draw(t, "identity")
	ds := testDataset(v, ingest.DefaultProtection(), randomLinked(t, v, identity)...)
	ds.Relations = v.Relations()
	if identity {
		r, err := schemas.ParseRelation(identityText, v)
		if err != nil {
			t.Fatal(err)
		}
		ds.Relations = append(ds.Relations, r)
	}
	return ds
}

func metricIDOf(v *schemas.Vocabulary, code string) schemas.MetricID {
	id, _ := v.MetricByCode(code)
	return id
}

// TestJointProperties checks on random linked datasets that the joint protection holds: the full
// rule against the true values in the joint model (AuditDataset finds nothing), no suppressed cell
// is narrower than 1 for an outsider, and the joint intervals agree with an independent LP over the
// relations as SPEC 4 and 3.3 state them, solved by gonum's simplex.
func TestJointProperties(t *testing.T) {
	v := defaultVocab(t)
	rapid.Check(t, func(t *rapid.T) {
		ds := randomLinkedDataset(t, v)
		ds.Config.Protection.Interval = rapid.SampledFrom([]float64{0.1, 0.2, 0.5}).Draw(t, "q")
		res, err := Protect(context.Background(), ds, Options{Workers: 2})
		if err != nil {
			t.Fatalf("Protect: %v", err)
		}
		rep, err := AuditDataset(ds, res.Tables)
		if err != nil {
			t.Fatalf("AuditDataset: %v", err)
		}
		if !rep.OK() {
			t.Fatalf("the joint audit finds:\n%s", rep)
		}
		out, err := Audit(v, res.Tables, ds.Relations)
		if err != nil || !out.OK() {
			t.Fatalf("the outsider's audit: %v\n%s", err, out)
		}
		// gonum's dense simplex is slow: a few cells of each dataset, drawn at random, are checked.
		var pick []int
		for range rapid.IntRange(1, 6).Draw(t, "checked") {
			if len(out.Intervals) > 0 {
				pick = append(pick, rapid.IntRange(0, len(out.Intervals)-1).Draw(t, "cell"))
			}
		}
		lo, hi := jointLP(t, v, ds, res.Tables, pick)
		for _, i := range pick {
			iv := out.Intervals[i]
			if math.Abs(iv.Lo-lo[i]) > 1e-6 || iv.Unbounded != math.IsInf(hi[i], 1) || (!iv.Unbounded && math.Abs(iv.Hi-hi[i]) > 1e-6) {
				t.Fatalf("%s %s: joint audit [%v, %v] (unbounded %v), independent LP [%v, %v]",
					iv.Period, cellLabel(v, iv.Cell), iv.Lo, iv.Hi, iv.Unbounded, lo[i], hi[i])
			}
		}
	})
}

// jointLP computes min and max of the picked suppressed cells (in the audit's order: table, then cell)
// over all tables at once: every total equal to the sum of its parts along both hierarchies, every
// relation between metrics at every key of its tables (a missing cell is 0), the published values
// and non-negativity, by gonum's simplex in standard form (a slack per inequality).
func jointLP(t *rapid.T, v *schemas.Vocabulary, ds *ingest.Dataset, tables []*Table, pick []int) (lo, hi []float64) {
	type key struct {
		period schemas.Date
		metric schemas.MetricID
		geo    schemas.GeoID
		org    schemas.OrgID
	}
	col := map[key]int{}
	val := map[key]int64{}
	var vars []key
	var periods []schemas.Date
	has := map[schemas.TableRef]bool{}
	for _, tb := range tables {
		has[schemas.TableRef{Period: tb.Period, Metric: tb.Metric}] = true
		if len(periods) == 0 || periods[len(periods)-1] != tb.Period {
			periods = append(periods, tb.Period)
		}
		for _, c := range tb.Cells {
			k := key{tb.Period, tb.Metric, c.Geo, c.Org}
			if x, ok := c.Value(); ok {
				val[k] = x
			} else {
				col[k] = len(vars)
				vars = append(vars, k)
			}
		}
	}
	type row struct {
		coef map[int]float64
		rhs  float64
		le   bool
	}
	var rows []row
	term := func(r *row, k key, c float64) {
		if j, ok := col[k]; ok {
			r.coef[j] += c
		} else {
			r.rhs -= c * float64(val[k])
		}
	}
	geo := v.Geo
	for _, tb := range tables {
		for _, tc := range tb.Cells {
			total := key{tb.Period, tb.Metric, tc.Geo, tc.Org}
			if geo.Node(tc.Geo).Level != schemas.Country {
				r := row{coef: map[int]float64{}}
				term(&r, total, 1)
				for _, child := range geo.Children(tc.Geo) {
					term(&r, key{tb.Period, tb.Metric, child, tc.Org}, -1)
				}
				rows = append(rows, r)
			}
			if tc.Org == schemas.OrgAll {
				r := row{coef: map[int]float64{}}
				term(&r, total, 1)
				for o := 1; o <= v.NumOrgs(); o++ {
					term(&r, key{tb.Period, tb.Metric, tc.Geo, schemas.OrgID(o)}, -1)
				}
				rows = append(rows, r)
			}
		}
	}
	for _, at := range schemas.InForce(ds.Relations, periods, func(r schemas.TableRef) bool { return has[r] }) {
		rel := ds.Relations[at.Relation]
		keys := map[[2]int]bool{}
		for _, tb := range tables {
			for _, ref := range at.Tables {
				if tb.Period == ref.Period && tb.Metric == ref.Metric {
					for _, c := range tb.Cells {
						keys[[2]int{int(c.Geo), int(c.Org)}] = true
					}
				}
			}
		}
		for gk := range keys {
			r := row{coef: map[int]float64{}, le: rel.Op == schemas.RelLe}
			for ti, ref := range at.Tables {
				term(&r, key{ref.Period, ref.Metric, schemas.GeoID(gk[0]), schemas.OrgID(gk[1])}, float64(rel.Terms[ti].Coef))
			}
			rows = append(rows, r)
		}
	}
	// Standard form: the suppressed cells, then a slack per inequality.
	n := len(vars)
	slacks := 0
	for _, r := range rows {
		if r.le {
			slacks++
		}
	}
	width := n + slacks
	var dense [][]float64
	var rhs []float64
	s := n
	for _, r := range rows {
		line := make([]float64, width)
		nonzero := false
		for j, c := range r.coef {
			line[j] = c
			nonzero = nonzero || c != 0
		}
		if r.le {
			line[s] = 1
			s++
			nonzero = true
		}
		if !nonzero {
			if math.Abs(r.rhs) > 1e-9 && !r.le {
				t.Fatalf("the published cells break a relation")
			}
			continue
		}
		dense, rhs = append(dense, line), append(rhs, r.rhs)
	}
	A, b := independentRows(t, dense, rhs, width)
	lo, hi = make([]float64, n), make([]float64, n)
	for _, j := range pick {
		if len(A) == 0 {
			lo[j], hi[j] = 0, math.Inf(1)
			continue
		}
		for _, sign := range []float64{1, -1} {
			c := make([]float64, width)
			c[j] = sign
			m := mat.NewDense(len(A), width, nil)
			for r, line := range A {
				m.SetRow(r, line)
			}
			opt, _, err := lp.Simplex(c, m, b, 1e-10, nil)
			switch {
			case err == lp.ErrUnbounded && sign < 0:
				hi[j] = math.Inf(1)
			case err != nil:
				t.Fatalf("simplex: %v", err)
			case sign > 0:
				lo[j] = opt
			default:
				hi[j] = -opt
			}
		}
	}
	return lo, hi
}

// TestSingleTableLPAddsNothing checks on random linked datasets the reason the first phase of
// protectJoint does not fall back to linear programming (widen): with the single-table template
// alone, an LP over the cell's table, every other table at its true values, reaches no point that
// the template's moves with every cell of the table withheld do not reach.
func TestSingleTableLPAddsNothing(t *testing.T) {
	v := defaultVocab(t)
	rapid.Check(t, func(t *rapid.T) {
		pr := protectedRandomLinked(t, v)
		j := pr.j
		pr.singleOnly = true
		none := cellRef{-1, -1}
		for ti, ts := range j.tables {
			for i := range ts.free {
				ts.setFree(int32(i), true)
			}
			for ci, c := range ts.p.cells {
				e := cellRef{int32(ti), int32(ci)}
				fixed := none
				if rapid.Bool().Draw(t, "hold a cell") {
					fixed = cellRef{int32(ti), int32(rapid.IntRange(0, len(ts.p.cells)-1).Draw(t, "held"))}
					if fixed == e {
						fixed = none
					}
				}
				for _, up := range []bool{true, false} {
					if !up && c.value == 0 {
						continue
					}
					d := direction{up, rapid.Int64Range(1, max(1, c.value)).Draw(t, "need")}
					_, byMove := pr.moveWitness(e, fixed, d)
					w, byLP := pr.lpWitness(e, fixed, d, false, false)
					if byLP && !byMove {
						t.Fatalf("%s %v by %d (held %v): the LP finds %v, the moves nothing", pr.describeCell(e), up, d.need, fixed, w)
					}
				}
			}
		}
	})
}

// protectedRandomLinked protects a random linked dataset and returns a protector attached to the
// joint problem of its true tables with the pattern found.
func protectedRandomLinked(t *rapid.T, v *schemas.Vocabulary) *protector {
	ds := randomLinkedDataset(t, v)
	res, err := Protect(context.Background(), ds, Options{Workers: 1})
	if err != nil {
		t.Fatalf("Protect: %v", err)
	}
	r, err := newRules(ds.Config.Protection, v)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := publishedJoint(v, res.Tables, ds.Relations)
	if err != nil {
		t.Fatal(err)
	}
	j, err := truthJoint(ds, r, pub)
	if err != nil {
		t.Fatal(err)
	}
	pr := newProtector(j.lay, r)
	pr.attach(j)
	return pr
}

// TestLPWitnessDeterministic checks that the LP fallback finds the same witness every time on the
// same state: of several optimal points the simplex reaches one that depends on the order of the
// rows, which once followed a map's order (drawn anew for every map), so that a build differed from
// run to run. Every cell of the random linked dataset is withheld, so that many moves are optimal.
func TestLPWitnessDeterministic(t *testing.T) {
	v := defaultVocab(t)
	rapid.Check(t, func(t *rapid.T) {
		pr := protectedRandomLinked(t, v)
		for _, ts := range pr.j.tables {
			for i := range ts.free {
				ts.setFree(int32(i), true)
			}
		}
		none := cellRef{-1, -1}
		for ti, ts := range pr.j.tables {
			for ci, c := range ts.p.cells {
				if c.value == 0 {
					continue
				}
				e, d := cellRef{int32(ti), int32(ci)}, direction{false, 1}
				first, ok := pr.lpWitness(e, none, d, false, true)
				if !ok {
					continue
				}
				for range 3 {
					if w, _ := pr.lpWitness(e, none, d, false, true); !reflect.DeepEqual(w, first) {
						t.Fatalf("%s down by 1: the LP found %v, then %v", pr.describeCell(e), first, w)
					}
				}
			}
		}
	})
}
