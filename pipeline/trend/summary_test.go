package trend

import (
	"slices"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// The expected rows are worked out by hand. The leaves: DE hospital 30 and clinic 5, FR hospital
// 20, NL hospital 10 (Western Europe), ES hospital 12 (Southern Europe) and TW hospital 7, which
// has no region and rolls up straight to the world. In January France and the Netherlands are
// suppressed (they add up to 30); in February Western Europe and Europe are.
func TestSummaryRows(t *testing.T) {
	const leaves = "DE:hospital=30 DE:clinic=5 FR:hospital=20 NL:hospital=10 ES:hospital=12 TW:hospital=7"
	p := buildGrid(t,
		gridSpec{period: "2019-01-01", metric: "exposed_systems", leaves: leaves, hide: "FR:all FR:hospital NL:all NL:hospital"},
		gridSpec{period: "2019-02-01", metric: "exposed_systems", leaves: leaves, hide: "155:all 155:hospital 150:all 150:hospital"},
	)
	want := []string{
		"2019-01-01 exposed_systems world:all units=1 suppressed=0 total=84 mean=84 median=84 p90=84 max=84 sd=- top5=100",
		"2019-01-01 exposed_systems world:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-01-01 exposed_systems world:hospital units=1 suppressed=0 total=79 mean=79 median=79 p90=79 max=79 sd=- top5=100",
		"2019-01-01 exposed_systems region:all units=1 suppressed=0 total=77 mean=77 median=77 p90=77 max=77 sd=- top5=100",
		"2019-01-01 exposed_systems region:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-01-01 exposed_systems region:hospital units=1 suppressed=0 total=72 mean=72 median=72 p90=72 max=72 sd=- top5=100",
		"2019-01-01 exposed_systems subregion:all units=2 suppressed=0 total=77 mean=38.5 median=38.5 p90=59.7 max=65 sd=37.476659402887016 top5=100",
		"2019-01-01 exposed_systems subregion:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-01-01 exposed_systems subregion:hospital units=2 suppressed=0 total=72 mean=36 median=36 p90=55.2 max=60 sd=33.94112549695428 top5=100",
		// Over all five countries, two suppressed in [0, 30]: the total is the world's, the largest
		// is Germany's 35 whatever they hold, the median is anywhere from 7 to 30. Five units: the
		// top five hold all of it.
		"2019-01-01 exposed_systems country:all units=5 suppressed=2 total=84 mean=16.8 median=- p90=- max=35 sd=- top5=100",
		"2019-01-01 exposed_systems country:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		// Up to 30 each: Germany's 30 is still the largest (a tie at most).
		"2019-01-01 exposed_systems country:hospital units=5 suppressed=2 total=79 mean=15.8 median=- p90=- max=30 sd=- top5=100",
		"2019-02-01 exposed_systems world:all units=1 suppressed=0 total=84 mean=84 median=84 p90=84 max=84 sd=- top5=100",
		"2019-02-01 exposed_systems world:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-02-01 exposed_systems world:hospital units=1 suppressed=0 total=79 mean=79 median=79 p90=79 max=79 sd=- top5=100",
		// The regions add up to the world less Taiwan: 84 - 7, not 84. A level whose units are all
		// suppressed has no order statistics, even where the published cells fix them.
		"2019-02-01 exposed_systems region:all units=1 suppressed=1 total=77 mean=77 median=- p90=- max=- sd=- top5=100",
		"2019-02-01 exposed_systems region:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-02-01 exposed_systems region:hospital units=1 suppressed=1 total=72 mean=72 median=- p90=- max=- sd=- top5=100",
		// Western Europe's 65 is fixed by Europe's total less Southern Europe: a derivable figure proves
		// the statistics it takes part in.
		"2019-02-01 exposed_systems subregion:all units=2 suppressed=1 total=77 mean=38.5 median=38.5 p90=59.7 max=65 sd=- top5=100",
		"2019-02-01 exposed_systems subregion:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-02-01 exposed_systems subregion:hospital units=2 suppressed=1 total=72 mean=36 median=36 p90=55.2 max=60 sd=- top5=100",
		"2019-02-01 exposed_systems country:all units=5 suppressed=0 total=84 mean=16.8 median=12 p90=29 max=35 sd=11.256109452204168 top5=100",
		"2019-02-01 exposed_systems country:clinic units=1 suppressed=0 total=5 mean=5 median=5 p90=5 max=5 sd=- top5=100",
		"2019-02-01 exposed_systems country:hospital units=5 suppressed=0 total=79 mean=15.8 median=12 p90=26 max=30 sd=9.284395510748128 top5=100",
	}
	var got []string
	for _, row := range compute(t, p).Summary {
		got = append(got, fmtSummary(p.Vocab, row))
	}
	diffLines(t, "summary", got, want)
}

// TestSummaryAgainstR checks the level statistics against R's mean, median, quantile(type = 7), max,
// sd and a hand top-5 share (testdata/reference.R) over a level whose units are all published, the
// world total their sum.
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
			var total int64
			for _, x := range values {
				total += x
			}
			tab := &protect.Table{Period: 17897, Metric: 0}
			tab.Cells = append(tab.Cells, protect.PublishedCell(v.Geo.WorldID(), schemas.OrgAll, total))
			for i, x := range values {
				tab.Cells = append(tab.Cells, protect.PublishedCell(countries[i], schemas.OrgAll, x))
			}
			r := compute(t, &protect.Result{Vocab: v, Tables: []*protect.Table{tab}})
			if len(r.Summary) != 2 {
				t.Fatalf("got %d summary rows, want world and country", len(r.Summary))
			}
			row := r.Summary[1]
			if row.Level != schemas.Country || row.Units != int64(len(values)) || row.SuppressedUnits != 0 {
				t.Errorf("level %s, units %d, suppressed %d; want country, %d, 0", row.Level, row.Units, row.SuppressedUnits, len(values))
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

// TestTopShare checks the proven share of the five largest units: from published values alone, with
// suppressed units whose intervals do or do not decide the top five (the level's total decides what
// the intervals leave open), and with sums near the int64 limit.
func TestTopShare(t *testing.T) {
	const big = int64(1) << 60
	tests := []struct {
		name      string
		published []int64
		lows      []int64 // the suppressed units' intervals
		highs     []int64
		total     Null[int64]
		want      Null[float64]
	}{
		{"five or fewer", []int64{3, 2, 1}, nil, nil, Some[int64](6), Some(100.0)},
		{"six units", []int64{50, 10, 10, 10, 10, 10}, nil, nil, Some[int64](100), Some(90.0)},
		{"zero sum", []int64{0, 0}, nil, nil, Some[int64](0), Null[float64]{}},
		{"no total", []int64{5, 4}, []int64{0}, []int64{3}, Null[int64]{}, Null[float64]{}},
		{"sums near the limit", []int64{big, big, big, big, big, big, big}, nil, nil, Some(7 * big), Some(100 * 5.0 / 7)},
		{"three units all suppressed, total known", nil, []int64{0, 0, 0}, []int64{9, 9, unboundedHi}, Some[int64](12), Some(100.0)},
		// The suppressed unit is at most 10, the published five hold 90 of 100: it is 10, out of the top.
		{"interval and total decide", []int64{50, 10, 10, 10, 10}, []int64{0}, []int64{10}, Some[int64](100), Some(90.0)},
		// Five suppressed units of up to 20 each beside 50 and 40: the top five hold 90 to 150.
		{"intervals leave the top open", []int64{50, 40}, []int64{0, 0, 0, 0, 0}, []int64{20, 20, 20, 20, 20}, Some[int64](150), Null[float64]{}},
		// A suppressed unit below every published one and at most the smallest: the top is the published five.
		{"suppressed unit provably outside the top", []int64{30, 25, 20, 15, 10}, []int64{1}, []int64{10}, Some[int64](105), Some(100 * 100.0 / 105)},
		{"an unbounded interval leaves the top open", []int64{30, 25, 20, 15}, []int64{0, 0}, []int64{unboundedHi, unboundedHi}, Some[int64](100), Null[float64]{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			low := slices.Sorted(slices.Values(append(slices.Clone(tt.published), tt.lows...)))
			high := slices.Sorted(slices.Values(append(slices.Clone(tt.published), tt.highs...)))
			if got := topShare(low, high, tt.total); got.Valid != tt.want.Valid || !near(got.V, tt.want.V, 1e-15) {
				t.Errorf("topShare(%v, %v, %v) = %v, want %v", low, high, tt.total, got, tt.want)
			}
		})
	}
}
