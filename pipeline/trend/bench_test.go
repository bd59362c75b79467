package trend

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// benchDataset builds periods monthly tables of every metric over every area and the first orgs
// organization types (with `all`), about one cell in ten suppressed, from a fixed seed.
func benchDataset(b *testing.B, periods, orgs int) *protect.Result {
	v := vocab(b)
	rng := rand.New(rand.NewPCG(2019, 5))
	p := &protect.Result{Vocab: v}
	for period := range periods {
		for m := range v.NumMetrics() {
			tab := &protect.Table{Period: schemas.Date(17897 + 30*period), Metric: schemas.MetricID(m)}
			for g := range v.Geo.Len() {
				for o := range orgs + 1 {
					geo, org := schemas.GeoID(g), schemas.OrgID(o)
					if rng.IntN(10) == 0 {
						tab.Cells = append(tab.Cells, protect.SuppressedCell(geo, org))
					} else {
						tab.Cells = append(tab.Cells, protect.PublishedCell(geo, org, rng.Int64N(5000)))
					}
				}
			}
			p.Tables = append(p.Tables, tab)
		}
	}
	return p
}

// BenchmarkCompute measures Compute and a full pass over Trends on 50 periods x 8 metrics of a table
// of every area by 8 organization-type columns (about 2,240 cells); ns/cell is per input cell.
func BenchmarkCompute(b *testing.B) {
	p := benchDataset(b, 50, 7)
	cells := 0
	for _, t := range p.Tables {
		cells += len(t.Cells)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Compute(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		var rows int
		if err := r.Trends(func(TrendRow) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
		if rows == 0 {
			b.Fatal("no trend rows")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cells), "ns/cell")
	b.ReportMetric(float64(cells)/float64(len(p.Tables)), "cells/table")
}

// BenchmarkTrends measures the per-cell trend stream alone.
func BenchmarkTrends(b *testing.B) {
	p := benchDataset(b, 50, 7)
	r, err := Compute(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	cells := 0
	for _, t := range p.Tables {
		cells += len(t.Cells)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := r.Trends(func(TrendRow) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cells), "ns/cell")
}
