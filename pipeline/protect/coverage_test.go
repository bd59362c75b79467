package protect

import (
	"context"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// TestCellFacts checks the flags and sources of protected cells: a total is a break when a leaf
// below is one or when the set of leaves it covers changed since its previous period (in either
// direction), an estimate when a leaf below is one, and it names every source of its leaves.
func TestCellFacts(t *testing.T) {
	v := defaultVocab(t)
	geo := func(code string) schemas.GeoID {
		id, ok := v.Geo.ByCode(code)
		if !ok {
			t.Fatalf("no area %s", code)
		}
		return id
	}
	leaves := func(input string, flags map[string]schemas.ObsFlags, inputOf map[string]uint16) []ingest.Leaf {
		out := parseLeaves(t, v, input)
		for i := range out {
			code := v.Geo.Node(out[i].Geo).Code
			out[i].Flags = flags[code]
			out[i].Input = inputOf[code]
		}
		return out
	}
	two := map[string]uint16{"FR": 1}
	first := leaves("DE hospital 20 5\nDE clinic 8 5\nFR hospital 30 5", nil, two)
	// The next period adds Italy and marks France's figure as an estimate; the one after drops Italy
	// again and declares a break for Germany.
	second := leaves("DE hospital 21 5\nDE clinic 9 5\nFR hospital 31 5\nIT hospital 12 5",
		map[string]schemas.ObsFlags{"FR": schemas.ObsEstimated}, two)
	third := leaves("DE hospital 22 5\nDE clinic 9 5\nFR hospital 31 5",
		map[string]schemas.ObsFlags{"DE": schemas.ObsBreak}, two)
	ds := testDataset(v, ingest.DefaultProtection(),
		&ingest.Table{Period: testPeriod, Leaves: first},
		&ingest.Table{Period: testPeriod + 7, Leaves: second},
		&ingest.Table{Period: testPeriod + 14, Leaves: third})
	ds.Config.Sources = []ingest.Source{{ID: "zeta", Name: "Z"}, {ID: "alpha", Name: "A"}}
	ds.Inputs = []ingest.InputFile{{File: "data/z.csv", Source: "zeta"}, {File: "data/a.csv", Source: "alpha"}}
	res, err := Protect(context.Background(), ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Provenance.Sources[0].ID != "alpha" {
		t.Fatalf("sources are not sorted by id: %+v", res.Provenance.Sources)
	}
	const alpha, zeta = SourceSet(1), SourceSet(2)
	europe, western := geo("150"), geo("155")
	tests := []struct {
		name    string
		table   int
		cell    CellKey
		flags   schemas.ObsFlags
		sources SourceSet
	}{
		{"first period: nothing to compare", 0, CellKey{0, schemas.OrgAll}, 0, alpha | zeta},
		{"a leaf keeps its own flags", 1, CellKey{geo("FR"), orgID(t, v, "hospital")}, schemas.ObsEstimated, alpha},
		{"a country's total takes its leaves' flags", 1, CellKey{geo("FR"), schemas.OrgAll}, schemas.ObsEstimated, alpha},
		{"unchanged coverage and no flagged leaf", 1, CellKey{geo("DE"), schemas.OrgAll}, 0, zeta},
		{"a country added below the world", 1, CellKey{0, schemas.OrgAll}, schemas.ObsBreak | schemas.BreakCoverage | schemas.ObsEstimated, alpha | zeta},
		{"a country added below Europe", 1, CellKey{europe, orgID(t, v, "hospital")}, schemas.ObsBreak | schemas.BreakCoverage | schemas.ObsEstimated, alpha | zeta},
		{"Western Europe did not change", 1, CellKey{western, orgID(t, v, "clinic")}, 0, zeta},
		{"a country dropped below Europe", 2, CellKey{europe, schemas.OrgAll}, schemas.ObsBreak | schemas.BreakCoverage, alpha | zeta},
		{"a declared break reaches the totals", 2, CellKey{western, orgID(t, v, "clinic")}, schemas.ObsBreak, zeta},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := res.Tables[tc.table]
			for _, c := range tab.Cells {
				if c.Geo == tc.cell.Geo && c.Org == tc.cell.Org {
					if c.Flags != tc.flags || c.Sources != tc.sources {
						t.Errorf("flags %s (%b), sources %b; want %s (%b), %b", c.Flags.Code(), c.Flags, c.Sources, tc.flags.Code(), tc.flags, tc.sources)
					}
					return
				}
			}
			t.Fatalf("no cell %+v in table %d", tc.cell, tc.table)
		})
	}
}
