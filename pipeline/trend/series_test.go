package trend

import (
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// A series appears as soon as one table has its cell, published or not; n counts only the published
// periods, and the first and last values are the published ones.
func TestSeriesRows(t *testing.T) {
	p := build(t,
		tableSpec{"2019-01-01", "exposed_studies", "001:all=5 DE:all=x"},
		tableSpec{"2019-01-01", "exposed_systems", "001:all=10 DE:all=x DE:hospital=4"},
		tableSpec{"2019-02-01", "exposed_systems", "001:all=12 DE:all=x FR:all=3"},
		tableSpec{"2019-03-01", "exposed_systems", "001:all=15 DE:all=7 FR:all=x"},
		tableSpec{"2019-04-01", "exposed_systems", "001:all=x FR:all=4"},
	)
	want := []string{
		"exposed_studies 001:all n=1 first=2019-01-01/5 last=2019-01-01/5 trend=-",
		"exposed_studies DE:all n=0 first=-/- last=-/- trend=-",
		// Three values rising: the exact p is 2/6, no evidence of a trend.
		"exposed_systems 001:all n=3 first=2019-01-01/10 last=2019-03-01/15 trend=stable",
		"exposed_systems DE:all n=1 first=2019-03-01/7 last=2019-03-01/7 trend=-",
		"exposed_systems DE:hospital n=1 first=2019-01-01/4 last=2019-01-01/4 trend=-",
		"exposed_systems FR:all n=2 first=2019-02-01/3 last=2019-04-01/4 trend=-",
	}
	var got []string
	for _, row := range compute(t, p).Series {
		got = append(got, fmtSeries(p.Vocab, row))
	}
	diffLines(t, "series", got, want)
}

// TestSeriesSkipsSuppressedPeriods puts each R reference series into a dataset with a suppressed
// period before, between and after its published ones, and other cells around it: the statistics
// must be those of the published values alone.
func TestSeriesSkipsSuppressedPeriods(t *testing.T) {
	v := vocab(t)
	de, _ := v.Geo.CountryByCode("DE")
	hospital, _ := v.OrgByCode("hospital")
	for _, ref := range readReferences(t, "series") {
		t.Run(ref.name, func(t *testing.T) {
			dates, values := ref.dates(t, "dates"), ref.ints(t, "values")
			var tables []*protect.Table
			add := func(period schemas.Date, cell protect.Cell) {
				tables = append(tables, &protect.Table{Period: period, Cells: []protect.Cell{
					protect.SuppressedCell(v.Geo.WorldID(), schemas.OrgAll),
					protect.PublishedCell(de, schemas.OrgAll, 1),
					cell,
				}})
			}
			add(dates[0]-3, protect.SuppressedCell(de, hospital))
			for i, d := range dates {
				add(d, protect.PublishedCell(de, hospital, values[i]))
				add(d+1, protect.SuppressedCell(de, hospital))
			}
			r := compute(t, &protect.Result{Vocab: v, Tables: tables})
			var row *SeriesRow
			for i := range r.Series {
				if r.Series[i].Geo == de && r.Series[i].Org == hospital {
					row = &r.Series[i]
				}
			}
			if row == nil {
				t.Fatal("no series row for DE:hospital")
			}
			var want SeriesRow
			describeSeries(&want, dates, values, &seriesScratch{})
			want.Metric, want.Geo, want.Org = 0, de, hospital
			if *row != want {
				t.Errorf("series with suppressed periods:\n got %+v\nwant %+v", *row, want)
			}
			sen, _ := ref.float(t, "sen")
			checkNull(t, "Sen slope", row.SenSlope, sen, true, 1e-12)
		})
	}
}
