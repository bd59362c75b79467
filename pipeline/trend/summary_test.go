package trend

import (
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// The expected rows are worked out by hand: e.g. country:all of 2019-01-01 has the published values
// 30 and 10, so its p90 is 10 + 0.9 * (30 - 10) = 28 (type 7) and its sd sqrt(200).
func TestSummaryRows(t *testing.T) {
	p := build(t,
		tableSpec{"2019-01-01", "exposed_studies", "001:all=8 DE:all=8"},
		tableSpec{"2019-01-01", "exposed_systems", "001:all=100 001:hospital=60 150:all=x 150:hospital=60 155:all=x 155:hospital=60 " +
			"DE:all=30 DE:hospital=x FR:all=x FR:hospital=20 NL:all=10 NL:hospital=x"},
		tableSpec{"2019-02-01", "exposed_systems", "001:all=0 DE:all=0 FR:all=0"},
	)
	want := []string{
		"2019-01-01 exposed_studies world:all units=1 suppressed=0 mean=8 median=8 p90=8 max=8 sd=- top5=100",
		"2019-01-01 exposed_studies country:all units=1 suppressed=0 mean=8 median=8 p90=8 max=8 sd=- top5=100",
		"2019-01-01 exposed_systems world:all units=1 suppressed=0 mean=100 median=100 p90=100 max=100 sd=- top5=100",
		"2019-01-01 exposed_systems world:hospital units=1 suppressed=0 mean=60 median=60 p90=60 max=60 sd=- top5=100",
		"2019-01-01 exposed_systems region:all units=1 suppressed=1 mean=- median=- p90=- max=- sd=- top5=-",
		"2019-01-01 exposed_systems region:hospital units=1 suppressed=0 mean=60 median=60 p90=60 max=60 sd=- top5=100",
		"2019-01-01 exposed_systems subregion:all units=1 suppressed=1 mean=- median=- p90=- max=- sd=- top5=-",
		"2019-01-01 exposed_systems subregion:hospital units=1 suppressed=0 mean=60 median=60 p90=60 max=60 sd=- top5=100",
		"2019-01-01 exposed_systems country:all units=3 suppressed=1 mean=20 median=20 p90=28 max=30 sd=14.142135623730951 top5=100",
		"2019-01-01 exposed_systems country:hospital units=3 suppressed=2 mean=20 median=20 p90=20 max=20 sd=- top5=100",
		// A level whose published values sum to 0 has no top-5 share.
		"2019-02-01 exposed_systems world:all units=1 suppressed=0 mean=0 median=0 p90=0 max=0 sd=- top5=-",
		"2019-02-01 exposed_systems country:all units=2 suppressed=0 mean=0 median=0 p90=0 max=0 sd=0 top5=-",
	}
	var got []string
	for _, row := range compute(t, p).Summary {
		got = append(got, fmtSummary(p.Vocab, row))
	}
	diffLines(t, "summary", got, want)
}

// TestSummaryAgainstR checks the level statistics against R's mean, median, quantile(type = 7), max,
// sd and a hand top-5 share (testdata/reference.R), with two suppressed countries in the level that
// must count as units and nothing else.
func TestSummaryAgainstR(t *testing.T) {
	v := vocab(t)
	var countries []schemas.GeoID
	for id := range v.Geo.Len() {
		if v.Geo.Node(schemas.GeoID(id)).Level == schemas.Country {
			countries = append(countries, schemas.GeoID(id))
		}
	}
	for _, ref := range readReferences(t, "summary") {
		t.Run(ref.name, func(t *testing.T) {
			values := ref.ints(t, "values")
			tab := &protect.Table{Period: 17897, Metric: 0}
			tab.Cells = append(tab.Cells, protect.SuppressedCell(v.Geo.WorldID(), schemas.OrgAll))
			for i, x := range values {
				tab.Cells = append(tab.Cells, protect.PublishedCell(countries[i], schemas.OrgAll, x))
			}
			tab.Cells = append(tab.Cells,
				protect.SuppressedCell(countries[len(values)], schemas.OrgAll),
				protect.SuppressedCell(countries[len(values)+1], schemas.OrgAll))
			r := compute(t, &protect.Result{Vocab: v, Tables: []*protect.Table{tab}})
			if len(r.Summary) != 2 {
				t.Fatalf("got %d summary rows, want world and country", len(r.Summary))
			}
			row := r.Summary[1]
			if row.Level != schemas.Country || row.Units != int64(len(values))+2 || row.SuppressedUnits != 2 {
				t.Errorf("level %s, units %d, suppressed %d; want country, %d, 2", row.Level, row.Units, row.SuppressedUnits, len(values)+2)
			}
			for _, c := range []struct {
				name string
				got  Null[float64]
			}{
				{"mean", row.Mean}, {"median", row.Median}, {"p90", row.P90}, {"sd", row.StdDev}, {"top5", row.Top5Share},
				{"max", Null[float64]{V: float64(row.Max.V), Valid: row.Max.Valid}},
			} {
				want, ok := ref.float(t, c.name)
				checkNull(t, c.name, c.got, want, ok, 1e-14)
			}
		})
	}
}

func TestTopShareExactNearInt64Limit(t *testing.T) {
	const big = int64(1) << 62
	tests := []struct {
		name   string
		values []int64 // largest first
		want   Null[float64]
	}{
		// The sum 7 * 2^62 overflows int64; the share is 5/7 of it.
		{"sum beyond int64", []int64{big, big, big, big, big, big, big}, Some(100 * 5.0 / 7)},
		{"five or fewer", []int64{3, 2, 1}, Some(100.0)},
		{"zero sum", []int64{0, 0}, Null[float64]{}},
		{"six units", []int64{50, 10, 10, 10, 10, 10}, Some(90.0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topShare(tt.values); got.Valid != tt.want.Valid || !near(got.V, tt.want.V, 1e-15) {
				t.Errorf("topShare(%v) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}
