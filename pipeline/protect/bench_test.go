package protect

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// fullTable draws a full-size table: every country crossed with every organization type, values
// spread over four orders of magnitude, about a tenth zero and about a quarter of the non-zero
// leaves with fewer than three contributors.
func fullTable(rng *rand.Rand, v *schemas.Vocabulary, metric schemas.MetricID) *ingest.Table {
	t := &ingest.Table{Period: testPeriod, Metric: metric}
	for id := 0; id < v.Geo.Len(); id++ {
		if v.Geo.Node(schemas.GeoID(id)).Level != schemas.Country {
			continue
		}
		for o := 1; o <= v.NumOrgs(); o++ {
			leaf := ingest.Leaf{Geo: schemas.GeoID(id), Org: schemas.OrgID(o), Largest: ingest.Unknown, SecondLargest: ingest.Unknown}
			if rng.IntN(10) > 0 {
				leaf.Value = int64(1 + rng.IntN(10)*rng.IntN(10)*rng.IntN(100))
				if rng.IntN(4) == 0 {
					leaf.Contributors = int64(1 + rng.IntN(2))
				} else {
					leaf.Contributors = int64(3 + rng.IntN(40))
				}
				leaf.Contributors = min(leaf.Contributors, leaf.Value)
			}
			t.Leaves = append(t.Leaves, leaf)
		}
	}
	return t
}

// BenchmarkProtectFullTable protects one full-size table (249 countries x 8 organization types,
// 2,448 cells with the totals), the final exact audit included, and reports the primary and
// secondary suppressions it makes and the total value of the secondary ones.
func BenchmarkProtectFullTable(b *testing.B) {
	v := defaultVocab(b)
	table := fullTable(rand.New(rand.NewPCG(1, 2)), v, 0)
	r, err := newRules(ingest.DefaultProtection(), v)
	if err != nil {
		b.Fatal(err)
	}
	pr := newProtector(newLayout(v), r)
	var primary, secondary, cells int
	var secondaryValue int64
	for b.Loop() {
		p, pat := protectAudited(b, pr, table)
		cells = len(p.cells)
		primary, secondary, secondaryValue = countPattern(p, pat)
	}
	b.ReportMetric(float64(cells), "cells")
	b.ReportMetric(float64(primary), "primary")
	b.ReportMetric(float64(secondary), "secondary")
	b.ReportMetric(float64(secondaryValue), "secondary_value")
}

// BenchmarkProtect100Tables runs Protect on a dataset of 100 full-size tables with the default
// number of workers.
func BenchmarkProtect100Tables(b *testing.B) {
	v := defaultVocab(b)
	rng := rand.New(rand.NewPCG(3, 4))
	var tables []*ingest.Table
	for i := range 100 {
		t := fullTable(rng, v, schemas.MetricID(i%v.NumMetrics()))
		t.Period = testPeriod + schemas.Date(i/v.NumMetrics())
		tables = append(tables, t)
	}
	ds := testDataset(v, ingest.DefaultProtection(), tables...)
	var suppressed int
	for b.Loop() {
		res, err := Protect(context.Background(), ds, Options{})
		if err != nil {
			b.Fatal(err)
		}
		suppressed = res.Summary.Suppressed
	}
	b.ReportMetric(float64(suppressed)/100, "suppressed/table")
}

// BenchmarkAuditFullTable runs the outsider's audit (exact intervals of every suppressed cell) on a
// protected full-size table.
func BenchmarkAuditFullTable(b *testing.B) {
	v := defaultVocab(b)
	ds := testDataset(v, ingest.DefaultProtection(), fullTable(rand.New(rand.NewPCG(1, 2)), v, 0))
	res, err := Protect(context.Background(), ds, Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Audit(v, res.Tables, nil)
		if err != nil || !rep.OK() {
			b.Fatalf("audit: %v", err)
		}
	}
}

// TestFullTables protects full-size tables under several parameter sets and checks them with both
// audits and on two worker counts.
func TestFullTables(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size tables take a few seconds")
	}
	v := defaultVocab(t)
	for _, tc := range []struct {
		name string
		edit func(*ingest.Protection)
	}{
		{"defaults", func(*ingest.Protection) {}},
		{"singletons not sensitive", func(p *ingest.Protection) { p.MinContributors = 1 }},
		{"wide interval and strict p", func(p *ingest.Protection) { p.Interval, p.PPercent = 0.5, 30 }},
		{"no interval", func(p *ingest.Protection) { p.Interval = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prot := ingest.DefaultProtection()
			tc.edit(&prot)
			rng := rand.New(rand.NewPCG(5, 6))
			ds := testDataset(v, prot, fullTable(rng, v, 0), fullTable(rng, v, 1))
			res, err := Protect(context.Background(), ds, Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := AuditDataset(ds, res.Tables)
			if err != nil || !rep.OK() {
				t.Fatalf("AuditDataset: %v\n%s", err, rep)
			}
			res2, err := Protect(context.Background(), ds, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			for i := range res.Tables {
				if !slices.Equal(res.Tables[i].Cells, res2.Tables[i].Cells) {
					t.Fatalf("table %d differs between one and two workers", i)
				}
			}
			t.Logf("%d cells, %d suppressed, %d unbounded intervals", res.Summary.Cells, res.Summary.Suppressed, countUnbounded(rep))
		})
	}
}

func countUnbounded(rep *AuditReport) int {
	n := 0
	for _, iv := range rep.Intervals {
		if iv.Unbounded {
			n++
		}
	}
	return n
}

// countPattern counts a table's primary (sensitive) and secondary suppressions and the total value
// of the secondary ones, the benchmarks' measure of information loss.
func countPattern(p *problem, pat pattern) (primary, secondary int, secondaryValue int64) {
	for i, c := range p.cells {
		if c.sensitive {
			primary++
		} else if pat.secondary[i] {
			secondary++
			secondaryValue += c.value
		}
	}
	return primary, secondary, secondaryValue
}

// protectAudited protects one table as Protect does, pattern and final exact audit included, and
// keeps the problem and the pattern that the benchmarks measure.
func protectAudited(b *testing.B, pr *protector, table *ingest.Table) (*problem, pattern) {
	b.Helper()
	p, err := pr.b.makeProblem(table, nil)
	if err != nil {
		b.Fatal(err)
	}
	pat, err := pr.protectTable(p)
	if err != nil {
		b.Fatal(err)
	}
	if f := pr.attack(p, pat.suppressed, true); len(f) > 0 {
		b.Fatalf("audit fails: %+v", f[0])
	}
	return p, pat
}
