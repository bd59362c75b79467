package trend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// BenchmarkSenSlope measures Sen's slope and its interval on weekly series of 63, 189 and 628
// values (the full-grid bench's 1M, 3M and 10M rows): counts on a random walk, with the ties counts
// have, and log-ratios, which have none. It cycles through 64 series, so that the branch predictor
// cannot learn one by heart.
func BenchmarkSenSlope(b *testing.B) {
	for _, n := range []int{63, 189, 628} {
		for _, kind := range []string{"counts", "ratios"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, kind), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(uint64(n), 1))
				dates := make([]schemas.Date, n)
				for i := range dates {
					dates[i] = schemas.Date(17897 + 7*i)
				}
				const series = 64
				var ys [series][]float64
				var variances [series]float64
				for s := range series {
					y := make([]float64, n)
					level := 500.0
					for i := range y {
						level = max(0, level+math.Round(rng.NormFloat64()*20))
						y[i] = level
						if kind == "ratios" {
							y[i] = math.Log((level + 1) / (300 + float64(rng.IntN(50))))
						}
					}
					mk, _ := mannKendall(ranksOf(y), nil)
					ys[s], variances[s] = y, mk.Variance
				}
				var w slopeWork
				b.ReportAllocs()
				s := 0
				for b.Loop() {
					senSlope(dates, ys[s%series], variances[s%series], &w)
					s++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n*(n-1)/2), "ns/slope")
			})
		}
	}
}

// ranksOf returns the ranks of the values from 0, ties sharing one, for mannKendall.
func ranksOf(y []float64) []int64 {
	sorted := slices.Sorted(slices.Values(y))
	sorted = slices.Compact(sorted)
	ranks := make([]int64, len(y))
	for i, v := range y {
		r, _ := slices.BinarySearch(sorted, v)
		ranks[i] = int64(r)
	}
	return ranks
}
