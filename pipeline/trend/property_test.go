package trend

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// truthCell is a cell of a test dataset before protection: its true value and whether the protection
// withholds it.
type truthCell struct {
	geo        schemas.GeoID
	org        schemas.OrgID
	value      int64
	suppressed bool
}

// truthTable is a test table before protection.
type truthTable struct {
	period schemas.Date
	metric schemas.MetricID
	cells  []truthCell
}

// drawTruth draws a small dataset: 2 to 5 periods of 1 or 2 metrics, leaves of five countries of two
// sub-regions of Europe by two organization types, each present or not (a structural zero), with
// every total above them the sum of its leaves, as protect builds them; any cell may be suppressed.
func drawTruth(t *rapid.T, v *schemas.Vocabulary) []truthTable {
	id := func(code string) schemas.GeoID {
		g, ok := v.Geo.ByCode(code)
		if !ok {
			t.Fatalf("area %s", code)
		}
		return g
	}
	var countries []schemas.GeoID
	for _, code := range []string{"DE", "ES", "FR", "IT", "NL"} {
		countries = append(countries, id(code))
	}
	orgs := []schemas.OrgID{1, 2}
	periods := rapid.IntRange(2, 5).Draw(t, "periods")
	metrics := rapid.IntRange(1, 2).Draw(t, "metrics")
	var tables []truthTable
	for p := range periods {
		period := schemas.Date(17897 + 30*p + rapid.IntRange(0, 29).Draw(t, "day"))
		for m := range metrics {
			type key struct {
				geo schemas.GeoID
				org schemas.OrgID
			}
			sums := map[key]int64{}
			for _, c := range countries {
				for _, o := range orgs {
					if rapid.IntRange(0, 4).Draw(t, "present") == 0 {
						continue
					}
					value := rapid.Int64Range(0, 30).Draw(t, "value")
					for _, g := range append([]schemas.GeoID{c}, v.Geo.Ancestors(c)...) {
						sums[key{g, o}] += value
						sums[key{g, schemas.OrgAll}] += value
					}
				}
			}
			tab := truthTable{period: period, metric: schemas.MetricID(m)}
			for k, value := range sums {
				tab.cells = append(tab.cells, truthCell{geo: k.geo, org: k.org, value: value})
			}
			slices.SortFunc(tab.cells, func(a, b truthCell) int { return cmp.Or(cmp.Compare(a.geo, b.geo), cmp.Compare(a.org, b.org)) })
			for i := range tab.cells {
				tab.cells[i].suppressed = rapid.IntRange(0, 3).Draw(t, "suppressed") == 0
			}
			tables = append(tables, tab)
		}
	}
	return tables
}

// protectTruth turns a test dataset into a protected result; with publishAll, nothing is withheld.
func protectTruth(v *schemas.Vocabulary, truth []truthTable, publishAll bool) *protect.Result {
	p := &protect.Result{Vocab: v}
	for _, tt := range truth {
		tab := &protect.Table{Period: tt.period, Metric: tt.metric}
		for _, c := range tt.cells {
			if c.suppressed && !publishAll {
				tab.Cells = append(tab.Cells, protect.SuppressedCell(c.geo, c.org))
			} else {
				tab.Cells = append(tab.Cells, protect.PublishedCell(c.geo, c.org, c.value))
			}
		}
		p.Tables = append(p.Tables, tab)
	}
	return p
}

// output is everything Compute publishes, trends drained.
type output struct {
	Trends  []TrendRow
	Series  []SeriesRow
	Summary []SummaryRow
}

func computeAll(t *rapid.T, p *protect.Result) output {
	r, err := Compute(context.Background(), p)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	var out output
	if err := r.Trends(func(row TrendRow) error {
		out.Trends = append(out.Trends, row)
		return nil
	}); err != nil {
		t.Fatalf("Trends: %v", err)
	}
	out.Series, out.Summary = r.Series, r.Summary
	return out
}

// TestOutputIgnoresHiddenValues: two datasets that differ only in the true values of cells that the
// protection withholds give the same output, and computing twice gives the same output.
func TestOutputIgnoresHiddenValues(t *testing.T) {
	v := vocab(t)
	rapid.Check(t, func(t *rapid.T) {
		truth := drawTruth(t, v)
		other := make([]truthTable, len(truth))
		for i, tt := range truth {
			other[i] = tt
			other[i].cells = append([]truthCell(nil), tt.cells...)
			for j := range other[i].cells {
				if other[i].cells[j].suppressed {
					other[i].cells[j].value = rapid.Int64Range(0, 1000).Draw(t, "hidden")
				}
			}
		}
		a := computeAll(t, protectTruth(v, truth, false))
		b := computeAll(t, protectTruth(v, other, false))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("output depends on withheld values")
		}
		if again := computeAll(t, protectTruth(v, truth, false)); !reflect.DeepEqual(a, again) {
			t.Fatalf("two runs on the same input differ")
		}
	})
}

// TestSuppressionNullsDerivedFigures compares the output on a protected dataset with the output on
// the same dataset with every value published: each figure the protected run gives is the one the
// full run gives, unless it rightly depends on which cells are published (ranks, index bases), and a
// suppressed cell's own figures are all null. Ranks are also checked against a count of the larger
// published values.
func TestSuppressionNullsDerivedFigures(t *testing.T) {
	v := vocab(t)
	rapid.Check(t, func(t *rapid.T) {
		truth := drawTruth(t, v)
		masked := computeAll(t, protectTruth(v, truth, false))
		full := computeAll(t, protectTruth(v, truth, true))
		if len(masked.Trends) != len(full.Trends) || len(masked.Series) != len(full.Series) || len(masked.Summary) != len(full.Summary) {
			t.Fatalf("row counts differ with suppression: %d/%d/%d vs %d/%d/%d", len(masked.Trends), len(masked.Series),
				len(masked.Summary), len(full.Trends), len(full.Series), len(full.Summary))
		}
		cells := map[CellKey]truthCell{}
		for _, tt := range truth {
			for _, c := range tt.cells {
				cells[CellKey{tt.period, tt.metric, c.geo, c.org}] = c
			}
		}
		for i, m := range masked.Trends {
			f := full.Trends[i]
			if m.CellKey != f.CellKey || m.PrevPeriod != f.PrevPeriod {
				t.Fatalf("row %d: keys %v/%v differ from %v/%v", i, m.CellKey, m.PrevPeriod, f.CellKey, f.PrevPeriod)
			}
			if cells[m.CellKey].suppressed {
				if m.Value.Valid || m.AbsChange.Valid || m.PctChange.Valid || m.IndexBase100.Valid || m.ShareOfWorld.Valid || m.Rank.Valid {
					t.Fatalf("suppressed cell %v has a derived figure: %+v", m.CellKey, m)
				}
				continue
			}
			same := func(name string, a, b any) {
				if a != b {
					t.Fatalf("cell %v: %s = %v with suppression, %v without", m.CellKey, name, a, b)
				}
			}
			same("value", m.Value, f.Value)
			if m.PrevValue.Valid {
				same("prev_value", m.PrevValue, f.PrevValue)
				same("abs_change", m.AbsChange, f.AbsChange)
				same("pct_change", m.PctChange, f.PctChange)
			} else if m.AbsChange.Valid || m.PctChange.Valid {
				t.Fatalf("cell %v: a change from a suppressed value: %+v", m.CellKey, m)
			}
			if m.ShareOfWorld.Valid {
				same("share_of_world", m.ShareOfWorld, f.ShareOfWorld)
			}
			// A rank, when given, is the true one: it counts every larger area, suppressed or not.
			if m.Rank.Valid {
				var larger int64
				level := v.Geo.Node(m.Geo).Level
				for k, c := range cells {
					if k.Period == m.Period && k.Metric == m.Metric && k.Org == m.Org && v.Geo.Node(k.Geo).Level == level && c.value > m.Value.V {
						larger++
					}
				}
				same("rank", m.Rank, Some(1+larger))
				same("rank", m.Rank, f.Rank)
			}
		}
		for i, m := range masked.Series {
			f := full.Series[i]
			if m.NPeriods == f.NPeriods && m != f {
				t.Fatalf("series with nothing suppressed differs:\n%+v\n%+v", m, f)
			}
		}
		for i, m := range masked.Summary {
			f := full.Summary[i]
			if m.Units != f.Units {
				t.Fatalf("summary units differ: %+v vs %+v", m, f)
			}
			if m.SuppressedUnits == 0 && m != f {
				t.Fatalf("summary with nothing suppressed differs:\n%+v\n%+v", m, f)
			}
			// Every statistic given with suppressed units is the one over the true values.
			for _, st := range []struct {
				name string
				m, f Null[float64]
			}{{"mean", m.Mean, f.Mean}, {"median", m.Median, f.Median}, {"p90", m.P90, f.P90}, {"stddev", m.StdDev, f.StdDev},
				{"top5_share", m.Top5Share, f.Top5Share}} {
				if st.m.Valid && st.m != st.f {
					t.Fatalf("summary %+v: %s = %v, the true values give %v", m, st.name, st.m.V, st.f)
				}
			}
			if m.Max.Valid && m.Max != f.Max || m.Total.Valid && m.Total != f.Total {
				t.Fatalf("summary %+v: max or total differ from the true %v, %v", m, f.Max, f.Total)
			}
		}
	})
}
