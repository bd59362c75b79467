package publish

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// syntheticResult is a protected result of the given number of monthly periods over every metric,
// country and organization type of the default vocabulary, with every total, and about one cell in
// twelve suppressed. Values are deterministic, not realistic; publishing does not judge them.
func syntheticResult(b testing.TB, periods int) *protect.Result {
	b.Helper()
	v, err := schemas.Default()
	if err != nil {
		b.Fatal(err)
	}
	p := &protect.Result{Vocab: v}
	p.Provenance = fixture(b).Provenance
	var countries []schemas.GeoID
	for id := range v.Geo.Len() {
		if v.Geo.Node(schemas.GeoID(id)).Level == schemas.Country {
			countries = append(countries, schemas.GeoID(id))
		}
	}
	for i := range periods {
		period := schemas.Date(17897 + 30*i)
		for m := range v.NumMetrics() {
			sums := make([]int64, v.Geo.Len()*(v.NumOrgs()+1))
			present := make([]bool, len(sums))
			for _, geo := range countries {
				for org := 1; org <= v.NumOrgs(); org++ {
					value := int64((int(geo)*31+org*7+i*3+m)%500 + 1)
					for _, g := range append([]schemas.GeoID{geo}, ancestors(v, geo)...) {
						for _, o := range []int{org, 0} {
							sums[int(g)*(v.NumOrgs()+1)+o] += value
							present[int(g)*(v.NumOrgs()+1)+o] = true
						}
					}
				}
			}
			t := &protect.Table{Period: period, Metric: schemas.MetricID(m)}
			for slot, ok := range present {
				if !ok {
					continue
				}
				geo, org := schemas.GeoID(slot/(v.NumOrgs()+1)), schemas.OrgID(slot%(v.NumOrgs()+1))
				if slot%12 == 5 {
					t.Cells = append(t.Cells, protect.SuppressedCell(geo, org))
				} else {
					t.Cells = append(t.Cells, protect.PublishedCell(geo, org, sums[slot]))
				}
				p.Summary.Cells++
			}
			p.Tables = append(p.Tables, t)
			p.Summary.Tables++
		}
	}
	return p
}

// benchPeriods sets the size of BenchmarkPublish: each period adds about 19,700 cells (8 metrics,
// 249 countries and their totals, 8 organization types and all) and as many trend rows.
var benchPeriods = flag.Int("periods", 24, "periods of the synthetic result BenchmarkPublish publishes")

// BenchmarkPublish publishes a synthetic result (24 periods by default, about 470,000 cells and as
// many trend rows); it reports the cells written per second.
func BenchmarkPublish(b *testing.B) {
	for _, periods := range []int{*benchPeriods} {
		p := syntheticResult(b, periods)
		r := computed(b, p)
		b.Run(fmt.Sprintf("periods=%d", periods), func(b *testing.B) {
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				if _, err := Publish(context.Background(), r, Options{Out: filepath.Join(dir, "report"), Tool: testTool}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(p.Summary.Cells)*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
		})
	}
}
