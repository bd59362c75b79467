package trend

import (
	"fmt"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// TestComparisonAgainstScipy checks the comparison of two series against testdata/reference.py: the
// common periods where both are above 0, S and the exact p-value of the ratio by brute force (ties
// decided on exact fractions), Sen's slope of the log-ratio and its interval by
// scipy.stats.theilslopes. The series are Germany's and France's, two countries of Western Europe,
// and the comparison the other way round is the mirror image.
func TestComparisonAgainstScipy(t *testing.T) {
	for _, ref := range readReferences(t, "compare") {
		t.Run(ref.name, func(t *testing.T) {
			dates, a, b := ref.dates(t, "dates"), ref.ints(t, "a"), ref.ints(t, "b")
			var specs []tableSpec
			for i, d := range dates {
				specs = append(specs, tableSpec{d.String(), "exposed_systems", fmt.Sprintf("DE:all=%d FR:all=%d", a[i], b[i])})
			}
			p := build(t, specs...)
			rows := compute(t, p).Comparisons
			if len(rows) != 2 {
				t.Fatalf("got %d comparisons, want DE-FR both ways", len(rows))
			}
			row, back := rows[0], rows[1]
			if c := p.Vocab.Geo.Node(row.Geo).Code + "-" + p.Vocab.Geo.Node(row.Other).Code; c != "DE-FR" || row.Relation != RelationPeer {
				t.Fatalf("first comparison %s (%s), want DE-FR peer", c, row.Relation)
			}
			n, _ := ref.float(t, "n")
			s, _ := ref.float(t, "S")
			pWant, _ := ref.float(t, "p")
			if float64(row.NPeriods) != n || !row.S.Valid || float64(row.S.V) != s {
				t.Errorf("n = %d, S = %v; want %v, %v", row.NPeriods, row.S, n, s)
			}
			checkNull(t, "p", row.P, pWant, true, 1e-12)
			clamped := ref.fields["clamped"]
			slope, _ := ref.float(t, "slope")
			low, _ := ref.float(t, "low")
			high, _ := ref.float(t, "high")
			checkNull(t, "slope", row.Slope, slope, true, 1e-12)
			checkNull(t, "lower", row.SlopeLower, low, clamped[0] == '0', 1e-12)
			checkNull(t, "upper", row.SlopeUpper, high, clamped[1] == '0', 1e-12)
			// FR against DE: the negated log-ratio.
			if back.Geo != row.Other || back.Other != row.Geo || back.S.V != -row.S.V || back.P != row.P ||
				back.Slope.V != -row.Slope.V || back.SlopeLower.V != -row.SlopeUpper.V || back.NPeriods != row.NPeriods {
				t.Errorf("mirror %+v of %+v", back, row)
			}
		})
	}
}

// TestComparisonFamilies checks which comparisons are made: every country against its sub-region,
// region and the world (Taiwan, with neither, against the world only), every two countries of a
// sub-region both ways round, the pairs dataset.yaml names, and nothing else; and that a
// comparison starts at the later of the two series' last breaks.
func TestComparisonFamilies(t *testing.T) {
	var specs []gridSpec
	for i := range 6 {
		g := gridSpec{period: fmt.Sprintf("2019-%02d-01", i+1), metric: "exposed_systems",
			leaves: fmt.Sprintf("DE:hospital=%d FR:hospital=%d ES:hospital=%d TW:hospital=4 US:hospital=%d", 10+i, 20+3*i, 7, 50-i)}
		if i == 2 {
			g.flags = "US:all=S"
		}
		specs = append(specs, g)
	}
	p := buildGrid(t, specs...)
	p.Provenance.Comparisons = [][]string{{"US", "DE"}, {"FR", "DE"}}
	r := compute(t, p)
	var got []string
	for _, c := range r.Comparisons {
		got = append(got, fmt.Sprintf("%s-%s %s from %s n=%d %s", p.Vocab.Geo.Node(c.Geo).Code, p.Vocab.Geo.Node(c.Other).Code,
			c.Relation, c.SegmentStart, c.NPeriods, c.Trend))
	}
	want := []string{
		// France grows faster than Germany, Germany faster than the world (whose United States
		// shrink) and slower than Europe.
		"DE-001 world from 2019-01-01 n=6 rising",
		"DE-150 region from 2019-01-01 n=6 falling",
		"DE-155 subregion from 2019-01-01 n=6 falling",
		"DE-FR peer from 2019-01-01 n=6 falling",
		// A declared pair: the United States change source in March, so the comparison starts there.
		"DE-US declared from 2019-03-01 n=4 too few periods",
		// Spain stays at 7 while the world grows; Spain is all of Southern Europe: the ratio is 1.
		"ES-001 world from 2019-01-01 n=6 falling",
		"ES-150 region from 2019-01-01 n=6 falling",
		"ES-039 subregion from 2019-01-01 n=6 no significant trend",
		"FR-001 world from 2019-01-01 n=6 rising",
		"FR-150 region from 2019-01-01 n=6 rising",
		"FR-155 subregion from 2019-01-01 n=6 rising",
		"FR-DE peer from 2019-01-01 n=6 rising",
		"TW-001 world from 2019-01-01 n=6 falling",
		"US-001 world from 2019-03-01 n=4 too few periods",
		"US-019 region from 2019-03-01 n=4 too few periods",
		"US-021 subregion from 2019-03-01 n=4 too few periods",
		"US-DE declared from 2019-03-01 n=4 too few periods",
	}
	diffLines(t, "comparisons", got, want)
	if t.Failed() {
		t.Log("got:\n" + strings.Join(got, "\n"))
	}
	for _, c := range r.Comparisons {
		if c.Metric != p.Tables[0].Metric || p.Vocab.Geo.Node(c.Geo).Level != schemas.Country {
			t.Errorf("comparison %+v is not of a country's series", c)
		}
	}
}
