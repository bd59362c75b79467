package trend

import (
	"fmt"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// A series appears as soon as one table has its cell, published or not; its statistics cover the
// segment since its last break, n counts the published periods of that segment, and the first and
// last values are the published ones. Germany's figures break in April (declared); France is
// suppressed in February and an estimate in May; the Netherlands are always suppressed.
func TestSeriesRows(t *testing.T) {
	var specs []gridSpec
	for i, de := range []int64{10, 12, 14, 30, 31, 35} {
		g := gridSpec{period: fmt.Sprintf("2019-%02d-01", i+1), metric: "exposed_systems",
			leaves: fmt.Sprintf("DE:hospital=%d FR:hospital=5 NL:hospital=2", de), hide: "NL:all NL:hospital"}
		switch i {
		case 1:
			g.hide += " FR:all FR:hospital"
		case 3:
			g.flags = "DE:hospital=B DE:all=B 155:all=B 155:hospital=B 150:all=B 150:hospital=B 001:all=B 001:hospital=B"
		case 4:
			g.flags = "FR:all=E FR:hospital=E"
		}
		specs = append(specs, g)
	}
	p := buildGrid(t, specs...)
	want := []string{
		"exposed_systems 001:all breaks=1 segment=2019-04-01 n=3 first=2019-04-01/37 last=2019-06-01/42 trend=too few periods",
		"exposed_systems DE:all breaks=1 segment=2019-04-01 n=3 first=2019-04-01/30 last=2019-06-01/35 trend=too few periods",
		// Five equal values: the test cannot reject, which says nothing of stability.
		"exposed_systems FR:all breaks=0 segment=2019-01-01 n=5 first=2019-01-01/5 last=2019-06-01/5 trend=no significant trend obs=E",
		"exposed_systems NL:all breaks=0 segment=2019-01-01 n=0 first=-/- last=-/- trend=too few periods",
	}
	var got []string
	for _, row := range compute(t, p).Series {
		if row.Org == schemas.OrgAll && (row.Geo == 0 || p.Vocab.Geo.Node(row.Geo).Level == schemas.Country) {
			got = append(got, fmtSeries(p.Vocab, row))
		}
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
			want.Metric, want.Geo, want.Org, want.SegmentStart = 0, de, hospital, dates[0]-3
			if *row != want {
				t.Errorf("series with suppressed periods:\n got %+v\nwant %+v", *row, want)
			}
			sen, _ := ref.float(t, "sen")
			checkNull(t, "Sen slope", row.SenSlope, sen, true, 1e-12)
		})
	}
}
