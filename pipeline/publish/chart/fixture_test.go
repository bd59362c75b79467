package chart

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// tableSpec is a protected table written for people: its period, its metric code, its leaf cells
// as "COUNTRY:ORG=VALUE" separated by spaces, and the cells (leaves or totals) to suppress as
// "GEO:ORG". Every total along both hierarchies is computed from the leaves, as protect does, so
// a fixture is always additive.
type tableSpec struct {
	period, metric string
	leaves         string
	suppressed     string
}

// build makes the protected and trend results of the specs, which must be in (period, metric)
// order (metric codes sort affected_patients before exposed_systems), as protect promises.
func build(t testing.TB, specs ...tableSpec) *trend.Result {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := &protect.Result{Vocab: v, Provenance: protect.Provenance{DatasetID: "fixture", Title: "Chart fixture"}}
	for _, s := range specs {
		period, err := schemas.ParseDate(s.period)
		if err != nil {
			t.Fatalf("period %q: %v", s.period, err)
		}
		metric, ok := v.MetricByCode(s.metric)
		if !ok {
			t.Fatalf("metric %q", s.metric)
		}
		type key = cellKey
		values := map[key]int64{}
		for _, f := range strings.Fields(s.leaves) {
			k, value, ok := parseCell(t, v, f)
			if !ok {
				t.Fatalf("leaf %q: want COUNTRY:ORG=VALUE", f)
			}
			for _, g := range append([]schemas.GeoID{k.geo}, v.Geo.Ancestors(k.geo)...) {
				values[key{g, k.org}] += value
				values[key{g, schemas.OrgAll}] += value
			}
		}
		hidden := map[key]bool{}
		for _, f := range strings.Fields(s.suppressed) {
			k, _, _ := parseCell(t, v, f+"=0")
			if _, ok := values[k]; !ok {
				t.Fatalf("suppressed cell %q is not in the table", f)
			}
			hidden[k] = true
		}
		tab := &protect.Table{Period: period, Metric: metric}
		for k, value := range values {
			if hidden[k] {
				tab.Cells = append(tab.Cells, protect.SuppressedCell(k.geo, k.org))
			} else {
				tab.Cells = append(tab.Cells, protect.PublishedCell(k.geo, k.org, value))
			}
		}
		slices.SortFunc(tab.Cells, func(a, b protect.Cell) int {
			if c := cmp.Compare(a.Geo, b.Geo); c != 0 {
				return c
			}
			return cmp.Compare(a.Org, b.Org)
		})
		p.Tables = append(p.Tables, tab)
	}
	r, err := trend.Compute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// cellKey is a cell's area and organization type.
type cellKey struct {
	geo schemas.GeoID
	org schemas.OrgID
}

// parseCell reads "GEO:ORG=VALUE".
func parseCell(t testing.TB, v *schemas.Vocabulary, f string) (cellKey, int64, bool) {
	t.Helper()
	k, value, ok1 := strings.Cut(f, "=")
	geoCode, orgCode, ok2 := strings.Cut(k, ":")
	geo, ok3 := v.Geo.ByCode(geoCode)
	org, ok4 := v.OrgByCode(orgCode)
	n, err := strconv.ParseInt(value, 10, 64)
	if !ok1 || !ok2 || !ok3 || !ok4 || err != nil {
		t.Fatalf("cell %q: want GEO:ORG=VALUE with known codes", f)
	}
	return cellKey{geo, org}, n, true
}

// fixture is the small dataset of the golden charts: three monthly periods of exposed systems over
// nine countries in five regions, with Asia's total withheld in June (a gap in its line), some
// organization-type cells withheld in July, Japan's figures estimates (E) throughout, a break in
// series of the United States in July (B, with the totals above it), and one period of affected
// patients (points, no movers).
func fixture(t testing.TB) *trend.Result {
	t.Helper()
	r := fixtureTables(t)
	v := r.Protected.Vocab
	exposed, _ := v.MetricByCode("exposed_systems")
	jp, _ := v.Geo.CountryByCode("JP")
	us, _ := v.Geo.CountryByCode("US")
	under := func(c protect.Cell, country schemas.GeoID) bool {
		return c.Geo == country || slices.Contains(v.Geo.Ancestors(country), c.Geo)
	}
	last := len(r.Protected.Tables) - 1
	for i, tab := range r.Protected.Tables {
		if tab.Metric != exposed {
			continue
		}
		// A total is E when a leaf it adds up is, and B when one breaks, as protect flags them.
		japan := map[schemas.OrgID]bool{schemas.OrgAll: true}
		for _, c := range tab.Cells {
			if c.Geo == jp {
				japan[c.Org] = true
			}
		}
		for j, c := range tab.Cells {
			flags := c.Flags
			if under(c, jp) && japan[c.Org] {
				flags |= schemas.ObsEstimated
			}
			if i == last && under(c, us) {
				flags |= schemas.ObsBreak | schemas.BreakDeclared
			}
			tab.Cells[j] = c.WithFacts(flags, c.Sources)
		}
	}
	return r
}

// fixtureTables is the fixture's tables, before its flags.
func fixtureTables(t testing.TB) *trend.Result {
	t.Helper()
	return build(t,
		tableSpec{"2019-05-01", "affected_patients",
			"DE:hospital=12000 FR:hospital=8000 US:hospital=1500000 US:clinic=230000 JP:hospital=40000 AU:clinic=900",
			"AU:clinic AU:all 053:all 053:clinic 009:all 009:clinic"},
		tableSpec{"2019-05-01", "exposed_systems",
			"DE:hospital=120 DE:clinic=45 FR:hospital=80 FR:research=12 GB:hospital=60 GB:clinic=30 " +
				"US:hospital=900 US:clinic=310 US:research=75 CA:hospital=40 JP:hospital=150 JP:clinic=20 " +
				"CN:hospital=210 ZA:hospital=15 AU:hospital=33",
			""},
		tableSpec{"2019-06-01", "exposed_systems",
			"DE:hospital=130 DE:clinic=41 FR:hospital=70 FR:research=14 GB:hospital=66 GB:clinic=28 " +
				"US:hospital=1020 US:clinic=290 US:research=80 CA:hospital=38 JP:hospital=160 JP:clinic=2 " +
				"CN:hospital=250 ZA:hospital=18 AU:hospital=31",
			"JP:clinic JP:hospital JP:all 030:clinic 142:clinic 142:all 030:all CN:hospital CN:all 030:hospital 142:hospital"},
		tableSpec{"2019-07-01", "exposed_systems",
			"DE:hospital=110 DE:clinic=39 FR:hospital=95 FR:research=2 GB:hospital=71 GB:clinic=25 " +
				"US:hospital=1105 US:clinic=260 US:research=60 CA:hospital=44 JP:hospital=140 JP:clinic=22 " +
				"CN:hospital=300 ZA:hospital=12 AU:hospital=35",
			"FR:research GB:clinic 150:research 155:research 150:clinic 154:clinic DE:clinic 155:clinic"},
	)
}
