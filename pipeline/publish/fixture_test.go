package publish

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// leaf is one submitted cell of the fixture, before totals are added.
type leaf struct {
	country, org string
	base         int64 // value in the first period
	growth       int64 // added every period
}

// fixtureLeaves are the fixture's countries and organization types: three regions, a country that
// rolls up straight to the world (TW), and values that rise, fall and stay flat.
var fixtureLeaves = []leaf{
	{"DE", "hospital", 1200, 150},
	{"DE", "clinic", 40, 5},
	{"FR", "hospital", 900, -60},
	{"FR", "clinic", 7, 1},
	{"US", "hospital", 2500, 400},
	{"US", "clinic", 310, 0},
	{"US", "imaging_center", 12, 3},
	{"JP", "hospital", 600, -20},
	{"TW", "research", 5, 0},
}

// fixtureSuppressed are the cells (area, organization type, or "" for every period) that the fixture
// suppresses; the pattern need not be a safe one, since publishing does not judge it.
var fixtureSuppressed = []struct{ geo, org, period string }{
	{"FR", "clinic", ""},
	{"DE", "clinic", ""},
	{"TW", "research", ""},
	{"TW", "all", ""},
	{"JP", "hospital", "2019-06-01"},
	{"US", "imaging_center", "2019-05-01"},
	{"US", "clinic", "2019-05-01"},
}

var fixturePeriods = []string{"2019-01-01", "2019-02-01", "2019-03-01", "2019-04-01", "2019-05-01", "2019-06-01"}

// fixtureFacts are the flags and source of a leaf of the fixture in period i, as ingest sets them:
// the United States declare a break in April, Germany changes source (greenbone to tum) in June,
// Japan's figures are estimates, Taiwan's come from tum.
func fixtureFacts(country string, i int) (schemas.ObsFlags, protect.SourceSet) {
	const greenbone, tum = protect.SourceSet(1), protect.SourceSet(2)
	switch {
	case country == "US" && i == 3:
		return schemas.ObsBreak | schemas.BreakDeclared, greenbone
	case country == "DE" && i == 5:
		return schemas.ObsBreak | schemas.BreakSource, tum
	case country == "JP":
		return schemas.ObsEstimated, greenbone
	case country == "TW":
		return 0, tum
	}
	return 0, greenbone
}

// fixture builds a protected result of six periods and two metrics, with every total along both
// hierarchies, some cells suppressed, and provenance with a caveat that needs escaping.
func fixture(t testing.TB) *protect.Result {
	t.Helper()
	return fixtureMissingLast(t, "")
}

// fixtureMissingLast is fixture with no submission for the country absent in the last period, so that
// the last period covers fewer countries than the one before.
func fixtureMissingLast(t testing.TB, absent string) *protect.Result {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := &protect.Result{Vocab: v}
	p.Provenance = protect.Provenance{
		DatasetID:    "pacs-test",
		Title:        "Internet-exposed medical image archives (PACS), test fixture",
		Licence:      "CC-BY-4.0",
		ConfigSHA256: "5d41402abc4b2a76b9719d911017c592ae0b7b4f3c2e8f7d7b5b1f3a6c1d2e3f",
		Sources: []ingest.Source{
			{ID: "greenbone", Name: "Greenbone Networks"},
			{ID: "tum", Name: "TU München, Lehrstuhl für IT-Sicherheit"},
		},
		Inputs: []ingest.InputFile{
			{File: "data/greenbone-2019.csv", Source: "greenbone", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", KeyID: "0123456789ABCDEF", Rows: 54},
			{File: "data/tum-2019.csv", Source: "tum", SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752", KeyID: "FEDCBA9876543210", Rows: 18},
		},
		Parameters: ingest.DefaultProtection(),
		Caveats: []string{
			"Counts of affected_patients are an illustrative allocation, not a measurement.",
			"Scans miss systems behind firewalls; counts are *lower bounds* <b>only</b>.",
		},
		Breaks:      []ingest.Break{{Period: "2019-04-01", Countries: []string{"US"}, Reason: "the scanner counts *virtual hosts* from April"}},
		Estimates:   []ingest.Estimate{{File: "data/greenbone-2019.csv", Countries: []string{"JP"}, Reason: "Japan's figures are modelled"}},
		Comparisons: [][]string{{"US", "DE"}},
	}
	suppressed := func(geo schemas.GeoID, org schemas.OrgID, period string) bool {
		for _, s := range fixtureSuppressed {
			g, _ := v.Geo.ByCode(s.geo)
			o, _ := v.OrgByCode(s.org)
			if g == geo && o == org && (s.period == "" || s.period == period) {
				return true
			}
		}
		return false
	}
	metrics := []string{"affected_patients", "exposed_systems"} // ascending code, as protect sorts
	for i, period := range fixturePeriods {
		date, err := schemas.ParseDate(period)
		if err != nil {
			t.Fatal(err)
		}
		for m, code := range metrics {
			metric, ok := v.MetricByCode(code)
			if !ok {
				t.Fatalf("metric %s", code)
			}
			type key struct {
				geo schemas.GeoID
				org schemas.OrgID
			}
			sums := map[key]int64{}
			flags := map[key]schemas.ObsFlags{}
			sources := map[key]protect.SourceSet{}
			for _, l := range fixtureLeaves {
				if l.country == absent && i == len(fixturePeriods)-1 {
					continue
				}
				geo, ok1 := v.Geo.CountryByCode(l.country)
				org, ok2 := v.OrgByCode(l.org)
				if !ok1 || !ok2 {
					t.Fatalf("fixture leaf %v", l)
				}
				value := (l.base + int64(i)*l.growth) * int64(1+9*m)
				f, src := fixtureFacts(l.country, i)
				for _, g := range append([]schemas.GeoID{geo}, ancestors(v, geo)...) {
					for _, o := range []schemas.OrgID{org, schemas.OrgAll} {
						sums[key{g, o}] += value
						flags[key{g, o}] |= f
						sources[key{g, o}] |= src
					}
				}
			}
			if absent != "" && i == len(fixturePeriods)-1 {
				// The totals above the absent country add up fewer cells than before: protect flags
				// them as breaks of coverage.
				for _, l := range fixtureLeaves {
					if l.country != absent {
						continue
					}
					geo, _ := v.Geo.CountryByCode(l.country)
					org, _ := v.OrgByCode(l.org)
					for _, g := range ancestors(v, geo) {
						for _, o := range []schemas.OrgID{org, schemas.OrgAll} {
							if _, ok := sums[key{g, o}]; ok {
								flags[key{g, o}] |= schemas.ObsBreak | schemas.BreakCoverage
							}
						}
					}
				}
			}
			table := &protect.Table{Period: date, Metric: metric}
			for k, value := range sums {
				c := protect.PublishedCell(k.geo, k.org, value)
				if suppressed(k.geo, k.org, period) {
					c = protect.SuppressedCell(k.geo, k.org)
				}
				table.Cells = append(table.Cells, c.WithFacts(flags[k], sources[k]))
			}
			slices.SortFunc(table.Cells, cmpCell)
			p.Tables = append(p.Tables, table)
			p.Summary.Tables++
			p.Summary.Cells += len(table.Cells)
			for _, c := range table.Cells {
				if c.Suppressed() {
					p.Summary.Suppressed++
				}
			}
		}
	}
	slices.SortStableFunc(p.Tables, func(a, b *protect.Table) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Metric, b.Metric))
	})
	return p
}

// ancestors lists the totals an area rolls up to, up to the world.
func ancestors(v *schemas.Vocabulary, geo schemas.GeoID) []schemas.GeoID {
	var out []schemas.GeoID
	for id := geo; id != v.Geo.WorldID(); {
		id = v.Geo.Node(id).Parent
		out = append(out, id)
	}
	return out
}

// computed runs the trend stage on a protected result.
func computed(t testing.TB, p *protect.Result) *trend.Result {
	t.Helper()
	r, err := trend.Compute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testTool is the tool the tests publish as.
var testTool = ToolInfo{Name: "exposure", Version: "0.0.0-test"}
