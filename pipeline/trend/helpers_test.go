package trend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// vocab returns the default vocabulary or stops the test.
func vocab(t testing.TB) *schemas.Vocabulary {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tableSpec is a protected table written for people: a period, a metric code and cells written as
// "GEO:ORG=VALUE" or "GEO:ORG=x" for a suppressed cell, separated by spaces, in any order.
type tableSpec struct {
	period string
	metric string
	cells  string
}

// build makes a protect.Result from table specs, in the order given (the tests of the input checks
// rely on that), with the cells of each table sorted as protect promises.
func build(t testing.TB, specs ...tableSpec) *protect.Result {
	t.Helper()
	v := vocab(t)
	p := &protect.Result{Vocab: v}
	for _, s := range specs {
		period, err := schemas.ParseDate(s.period)
		if err != nil {
			t.Fatalf("period %q: %v", s.period, err)
		}
		metric, ok := v.MetricByCode(s.metric)
		if !ok {
			t.Fatalf("metric %q", s.metric)
		}
		tab := &protect.Table{Period: period, Metric: metric}
		for _, f := range strings.Fields(s.cells) {
			key, value, ok1 := strings.Cut(f, "=")
			geoCode, orgCode, ok2 := strings.Cut(key, ":")
			geo, ok3 := v.Geo.ByCode(geoCode)
			org, ok4 := v.OrgByCode(orgCode)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				t.Fatalf("cell %q: want GEO:ORG=VALUE with known codes", f)
			}
			if value == "x" {
				tab.Cells = append(tab.Cells, protect.SuppressedCell(geo, org))
				continue
			}
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				t.Fatalf("cell %q: %v", f, err)
			}
			tab.Cells = append(tab.Cells, protect.PublishedCell(geo, org, n))
		}
		sortCells(tab.Cells)
		p.Tables = append(p.Tables, tab)
	}
	return p
}

// gridSpec is a protected table given by its leaves, as protect builds one: cells written as
// "COUNTRY:ORG=VALUE", every total above them (sub-region, region, world; all types) their sum;
// hide lists the cells ("GEO:ORG") that are suppressed, and flags gives cells their observation
// flags, "GEO:ORG=LETTERS" with B a declared break, S a change of source, C a change of coverage,
// E an estimate, P a provisional figure.
type gridSpec struct {
	period string
	metric string
	leaves string
	hide   string
	flags  string
}

// buildGrid makes a protect.Result from grid specs, in the order given.
func buildGrid(t testing.TB, specs ...gridSpec) *protect.Result {
	t.Helper()
	v := vocab(t)
	p := &protect.Result{Vocab: v}
	parseKey := func(key string) (schemas.GeoID, schemas.OrgID) {
		geoCode, orgCode, ok := strings.Cut(key, ":")
		geo, ok2 := v.Geo.ByCode(geoCode)
		org, ok3 := v.OrgByCode(orgCode)
		if !ok || !ok2 || !ok3 {
			t.Fatalf("cell %q: want GEO:ORG with known codes", key)
		}
		return geo, org
	}
	for _, s := range specs {
		period, err := schemas.ParseDate(s.period)
		if err != nil {
			t.Fatalf("period %q: %v", s.period, err)
		}
		metric, ok := v.MetricByCode(s.metric)
		if !ok {
			t.Fatalf("metric %q", s.metric)
		}
		type key struct {
			geo schemas.GeoID
			org schemas.OrgID
		}
		sums := map[key]int64{}
		for _, f := range strings.Fields(s.leaves) {
			k, value, _ := strings.Cut(f, "=")
			geo, org := parseKey(k)
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				t.Fatalf("leaf %q: %v", f, err)
			}
			for _, g := range append([]schemas.GeoID{geo}, v.Geo.Ancestors(geo)...) {
				sums[key{g, org}] += n
				sums[key{g, schemas.OrgAll}] += n
			}
		}
		hidden := map[key]bool{}
		for _, f := range strings.Fields(s.hide) {
			geo, org := parseKey(f)
			hidden[key{geo, org}] = true
		}
		flags := map[key]schemas.ObsFlags{}
		for _, f := range strings.Fields(s.flags) {
			k, letters, _ := strings.Cut(f, "=")
			geo, org := parseKey(k)
			var fl schemas.ObsFlags
			for _, c := range letters {
				switch c {
				case 'B':
					fl |= schemas.ObsBreak | schemas.BreakDeclared
				case 'S':
					fl |= schemas.ObsBreak | schemas.BreakSource
				case 'C':
					fl |= schemas.ObsBreak | schemas.BreakCoverage
				case 'E':
					fl |= schemas.ObsEstimated
				case 'P':
					fl |= schemas.ObsProvisional
				default:
					t.Fatalf("flags %q: unknown letter %q", f, c)
				}
			}
			flags[key{geo, org}] = fl
		}
		tab := &protect.Table{Period: period, Metric: metric}
		for k, value := range sums {
			c := protect.PublishedCell(k.geo, k.org, value)
			if hidden[k] {
				c = protect.SuppressedCell(k.geo, k.org)
			}
			tab.Cells = append(tab.Cells, c.WithFacts(flags[k], 0))
		}
		sortCells(tab.Cells)
		p.Tables = append(p.Tables, tab)
	}
	return p
}

// sortCells puts cells in protect's order, (GeoID, OrgID).
func sortCells(cells []protect.Cell) {
	slices.SortFunc(cells, func(a, b protect.Cell) int {
		if c := cmp.Compare(a.Geo, b.Geo); c != 0 {
			return c
		}
		return cmp.Compare(a.Org, b.Org)
	})
}

// compute runs Compute or stops the test.
func compute(t testing.TB, p *protect.Result) *Result {
	t.Helper()
	r, err := Compute(context.Background(), p)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return r
}

// drain collects every trend row.
func drain(t testing.TB, r *Result) []TrendRow {
	t.Helper()
	var rows []TrendRow
	if err := r.Trends(func(row TrendRow) error {
		rows = append(rows, row)
		return nil
	}); err != nil {
		t.Fatalf("Trends: %v", err)
	}
	return rows
}

// fmtNull writes a nullable figure as the tests spell it: "-" for null, the shortest exact decimal
// otherwise.
func fmtNull[T any](n Null[T]) string {
	if !n.Valid {
		return "-"
	}
	switch v := any(n.V).(type) {
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// fmtTrend writes a trend row on one line: period geo:org value prev=PERIOD/VALUE abs pct idx share rank,
// then the OBS_STATUS code and the causes of a break when the cell has flags.
func fmtTrend(v *schemas.Vocabulary, r TrendRow) string {
	line := fmt.Sprintf("%s %s %s:%s v=%s prev=%s/%s abs=%s pct=%s idx=%s share=%s rank=%s",
		r.Period, v.Metric(r.Metric).Code, v.Geo.Node(r.Geo).Code, v.Org(r.Org).Code, fmtNull(r.Value),
		r.PrevPeriod, fmtNull(r.PrevValue), fmtNull(r.AbsChange), fmtNull(r.PctChange),
		fmtNull(r.IndexBase100), fmtNull(r.ShareOfWorld), fmtNull(r.Rank))
	if r.Flags != 0 {
		line += " obs=" + r.Flags.Code()
		if reason := r.Flags.BreakReason(); reason != "" {
			line += "(" + reason + ")"
		}
	}
	return line
}

// fmtSummary writes a summary row on one line.
func fmtSummary(v *schemas.Vocabulary, r SummaryRow) string {
	return fmt.Sprintf("%s %s %s:%s units=%d suppressed=%d total=%s mean=%s median=%s p90=%s max=%s sd=%s top5=%s",
		r.Period, v.Metric(r.Metric).Code, r.Level, v.Org(r.Org).Code, r.Units, r.SuppressedUnits,
		fmtNull(r.Total), fmtNull(r.Mean), fmtNull(r.Median), fmtNull(r.P90), fmtNull(r.Max), fmtNull(r.StdDev), fmtNull(r.Top5Share))
}

// fmtSeries writes a series row's keys and counts on one line (the statistics are tested against
// reference values separately).
func fmtSeries(v *schemas.Vocabulary, r SeriesRow) string {
	obs := ""
	if r.Flags != 0 {
		obs = " obs=" + r.Flags.Code()
	}
	return fmt.Sprintf("%s %s:%s breaks=%d segment=%s n=%d first=%s/%s last=%s/%s trend=%s",
		v.Metric(r.Metric).Code, v.Geo.Node(r.Geo).Code, v.Org(r.Org).Code, r.Breaks, r.SegmentStart, r.NPeriods,
		fmtNull(r.FirstPeriod), fmtNull(r.FirstValue), fmtNull(r.LastPeriod), fmtNull(r.LastValue), r.Trend) + obs
}

// diffLines reports the first difference between two lists of lines.
func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got %s\nwant %s", what, i+1, g, w)
		}
	}
}
