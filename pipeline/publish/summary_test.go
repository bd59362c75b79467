package publish

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// briefingCase is a small dataset made to trigger one kind of summary sentence. Its tables are
// built as protect builds them: every total along both hierarchies is the sum of its leaves, and
// carries the flags of its leaves (a break with its causes, an estimate) and a break of coverage
// when the leaves it adds up differ from its previous period's.
type briefingCase struct {
	name    string
	metrics []string // metric codes, in ascending order as protect sorts them; exposed_systems if empty
	periods []string
	// leaves gives the leaf cells of a period (index into periods) and metric as
	// "COUNTRY:ORG=VALUE" separated by spaces.
	leaves func(period int, metric string) string
	// withheld gives the cells of a period and metric to suppress, as "GEO:ORG".
	withheld func(period int, metric string) string
	// facts gives a leaf's flags and sources (bit 0 greenbone, bit 1 tum); greenbone and no flag if nil.
	facts     func(country string, period int) schemas.ObsFlags
	sources   func(country string, period int) protect.SourceSet
	breaks    []ingest.Break
	estimates []ingest.Estimate
}

// result builds the protected and trend results of the case.
func (c briefingCase) result(t *testing.T) *trend.Result {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := &protect.Result{Vocab: v, Provenance: protect.Provenance{
		DatasetID: "briefing-" + c.name, Title: "Briefing case: " + c.name, Licence: "CC-BY-4.0",
		ConfigSHA256: strings.Repeat("ab", 32),
		Sources:      []ingest.Source{{ID: "greenbone", Name: "Greenbone Networks"}, {ID: "tum", Name: "TU München"}},
		Parameters:   ingest.DefaultProtection(),
		Breaks:       c.breaks, Estimates: c.estimates,
	}}
	metrics := c.metrics
	if len(metrics) == 0 {
		metrics = []string{"exposed_systems"}
	}
	type key struct {
		geo schemas.GeoID
		org schemas.OrgID
	}
	previous := map[string]map[key][]schemas.GeoID{} // by metric: the leaves under each cell
	for i, period := range c.periods {
		date, err := schemas.ParseDate(period)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range metrics {
			metric, ok := v.MetricByCode(code)
			if !ok {
				t.Fatalf("metric %s", code)
			}
			sums, flags, sources := map[key]int64{}, map[key]schemas.ObsFlags{}, map[key]protect.SourceSet{}
			under := map[key][]schemas.GeoID{}
			for _, f := range strings.Fields(c.leaves(i, code)) {
				cell, value, ok := strings.Cut(f, "=")
				country, orgCode, ok2 := strings.Cut(cell, ":")
				geo, ok3 := v.Geo.CountryByCode(country)
				org, ok4 := v.OrgByCode(orgCode)
				n, err := strconv.ParseInt(value, 10, 64)
				if !ok || !ok2 || !ok3 || !ok4 || err != nil {
					t.Fatalf("leaf %q", f)
				}
				var fl schemas.ObsFlags
				if c.facts != nil {
					fl = c.facts(country, i)
				}
				src := protect.SourceSet(1)
				if c.sources != nil {
					src = c.sources(country, i)
				}
				for _, g := range append([]schemas.GeoID{geo}, ancestors(v, geo)...) {
					for _, o := range []schemas.OrgID{org, schemas.OrgAll} {
						k := key{g, o}
						sums[k] += n
						flags[k] |= fl
						sources[k] |= src
						under[k] = append(under[k], geo)
					}
				}
			}
			before := previous[code]
			for k, leaves := range under {
				if prev, ok := before[k]; ok && !slices.Equal(dedupe(prev), dedupe(leaves)) {
					flags[k] |= schemas.ObsBreak | schemas.BreakCoverage
				}
			}
			previous[code] = under
			hidden := map[key]bool{}
			if c.withheld != nil {
				for _, f := range strings.Fields(c.withheld(i, code)) {
					geoCode, orgCode, _ := strings.Cut(f, ":")
					geo, ok1 := v.Geo.ByCode(geoCode)
					org, ok2 := v.OrgByCode(orgCode)
					if _, ok3 := sums[key{geo, org}]; !ok1 || !ok2 || !ok3 {
						t.Fatalf("withheld cell %q is not in the table of %s", f, period)
					}
					hidden[key{geo, org}] = true
				}
			}
			table := &protect.Table{Period: date, Metric: metric}
			for k, value := range sums {
				cell := protect.PublishedCell(k.geo, k.org, value)
				if hidden[k] {
					cell = protect.SuppressedCell(k.geo, k.org)
					p.Summary.Suppressed++
				}
				table.Cells = append(table.Cells, cell.WithFacts(flags[k], sources[k]))
			}
			slices.SortFunc(table.Cells, cmpCell)
			p.Tables = append(p.Tables, table)
			p.Summary.Tables++
			p.Summary.Cells += len(table.Cells)
		}
	}
	slices.SortStableFunc(p.Tables, func(a, b *protect.Table) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Metric, b.Metric))
	})
	return computed(t, p)
}

// dedupe sorts and compacts a list of countries.
func dedupe(ids []schemas.GeoID) []schemas.GeoID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// monthly returns n monthly periods from January 2019.
func monthly(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("2019-%02d-01", i+1)
	}
	return out
}

// series writes the leaves of a period from per-country values: "DE:hospital=10 FR:hospital=7".
func series(values map[string][]int64, period int) string {
	var codes []string
	for c := range values {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var out []string
	for _, c := range codes {
		if v := values[c]; period < len(v) && v[period] >= 0 {
			out = append(out, fmt.Sprintf("%s:hospital=%d", c, v[period]))
		}
	}
	return strings.Join(out, " ")
}

// briefingCases are the datasets of the summary's golden files, one for each kind of sentence.
var briefingCases = []briefingCase{
	{
		name:    "significant-rise",
		periods: monthly(6),
		leaves: func(i int, _ string) string {
			return series(map[string][]int64{"DE": {10, 12, 15, 19, 22, 26}, "FR": {30, 31, 33, 36, 38, 41}, "US": {100, 120, 130, 150, 170, 190}}, i)
		},
	},
	{
		name:    "no-significant-trend",
		periods: monthly(6),
		leaves: func(i int, _ string) string {
			return series(map[string][]int64{"DE": {12, 9, 14, 10, 13, 11}, "FR": {30, 34, 29, 33, 31, 32}, "US": {100, 92, 104, 95, 101, 98}}, i)
		},
	},
	{
		name:    "too-few-periods",
		periods: monthly(3),
		leaves: func(i int, _ string) string {
			return series(map[string][]int64{"DE": {10, 12, 15}, "FR": {30, 31, 33}, "US": {100, 120, 130}}, i)
		},
	},
	{
		name:    "break",
		periods: monthly(6),
		leaves: func(i int, _ string) string {
			return series(map[string][]int64{"DE": {10, 12, 15, 19, 22, 26}, "FR": {30, 31, 33, 36, 38, 41}, "US": {100, 120, 130, 150, 170, 60}}, i)
		},
		facts: func(country string, i int) schemas.ObsFlags {
			if country == "US" && i == 5 {
				return schemas.ObsBreak | schemas.BreakDeclared
			}
			return 0
		},
		breaks: []ingest.Break{{Period: "2019-06-01", Countries: []string{"US"}, Reason: "the new source counts health systems, not servers"}},
	},
	{
		name:    "coverage-change",
		periods: monthly(4),
		leaves: func(i int, _ string) string {
			return series(map[string][]int64{"DE": {10, 12, 15, 16}, "FR": {30, 31, 33, -1}, "US": {100, 120, 130, 135}, "JP": {-1, 40, 42, 45}}, i)
		},
	},
	{
		name:    "heavy-suppression",
		periods: monthly(3),
		metrics: []string{"exposed_systems", "new_systems"},
		leaves: func(i int, metric string) string {
			if metric == "new_systems" {
				return series(map[string][]int64{"DE": {1, 2, 1}, "FR": {2, 1, 1}, "US": {5, 8, 6}}, i)
			}
			return series(map[string][]int64{"DE": {10, 12, 15}, "FR": {30, 31, 33}, "US": {100, 120, 130}}, i)
		},
		withheld: func(i int, metric string) string {
			if metric == "new_systems" {
				return "DE:hospital DE:all FR:hospital FR:all 155:hospital 155:all 150:hospital 150:all 021:hospital 021:all"
			}
			if i == 2 {
				return "DE:hospital DE:all FR:hospital FR:all"
			}
			return ""
		},
		facts:     func(string, int) schemas.ObsFlags { return schemas.ObsEstimated },
		estimates: []ingest.Estimate{{File: "data/greenbone.csv", Reason: "split by organization type by a stated rule"}},
	},
}

// summaryOf renders a case's report and returns its summary section.
func summaryOf(t *testing.T, r *trend.Result) string {
	t.Helper()
	f := newReportFacts(r)
	if err := r.Trends(func(row trend.TrendRow) error { f.observe(row); return nil }); err != nil {
		t.Fatal(err)
	}
	report := string(renderReport(f, testTool))
	start, end := strings.Index(report, "## Summary"), strings.Index(report, "## Key figures")
	if start < 0 || end < start {
		t.Fatalf("no summary section in\n%s", report)
	}
	return report[start:end]
}

// TestSummaryGolden renders the summary of each briefing case and compares it with its golden file,
// testdata/summary/<case>.md.
func TestSummaryGolden(t *testing.T) {
	for _, c := range briefingCases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, filepath.Join("summary", c.name+".md"), []byte(summaryOf(t, c.result(t))))
		})
	}
}

// TestSummarySays pins, for each case, the sentence it was made for, and what no summary may say:
// "stable", a change across a break, a trend without its n and p.
func TestSummarySays(t *testing.T) {
	want := map[string][]string{
		"significant-rise": {
			"The world total of exposed systems is rising from 2019-01-01 to 2019-06-01 (n = 6, p = 0.003; Sen's slope",
			"have a significant trend at 5 %",
		},
		"no-significant-trend": {
			"The world total of exposed systems shows no significant trend from 2019-01-01 to 2019-06-01 (n = 6, p = ",
			"which is not evidence that it is stable",
			"has a significant trend at 5 %, which is not evidence that they are stable",
		},
		"too-few-periods": {
			"No world total has enough published periods since its last break for a trend test (a test at 5 % needs at least 5; the longest has 3)",
			"No region or country has enough published periods since its last break for a trend test (the longest has 3).",
		},
		"break": {
			"The dataset declares a break at 2019-06-01 in the series of United States of America, for every metric: the new source counts health systems, not servers.",
			"No change, index or growth rate is published across a break",
			"the world total is not comparable between these periods, since it breaks in series",
		},
		"coverage-change": {
			"The latest period, 2019-04-01, covers 3 countries (Germany, Japan and United States of America), against 4 at 2019-03-01",
			"The world total of exposed systems adds up 3 countries at 2019-01-01, 4 at 2019-02-01 and 3 at 2019-04-01",
		},
		"heavy-suppression": {
			"More than half of the cells are withheld for new systems",
			"At 2019-03-01, 2 of the 3 countries' totals of exposed systems are withheld.",
			"are marked E (estimated)",
		},
	}
	for _, c := range briefingCases {
		t.Run(c.name, func(t *testing.T) {
			summary := summaryOf(t, c.result(t))
			for _, w := range want[c.name] {
				if !strings.Contains(summary, w) {
					t.Errorf("the summary lacks %q:\n%s", w, summary)
				}
			}
			if strings.Contains(strings.ToLower(summary), "stable") && !strings.Contains(summary, "not evidence that") {
				t.Errorf("the summary calls something stable:\n%s", summary)
			}
			if c.name == "break" && strings.Contains(summary, "United States of America -") {
				t.Errorf("the summary states a change of the United States across its break:\n%s", summary)
			}
			for _, label := range []string{"rising", "falling"} {
				for _, rest := range strings.Split(summary, label)[1:] {
					if !strings.Contains(rest[:min(len(rest), 60)], "(n = ") {
						t.Errorf("%s without its n and p: %s%s", label, label, rest[:min(len(rest), 60)])
					}
				}
			}
		})
	}
}

// TestCountryPageGolden compares the fixture's pages of Germany (a change of source) and the United
// States (a declared break) with their golden files.
func TestCountryPageGolden(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	for _, code := range []string{"DE", "US"} {
		data, err := os.ReadFile(filepath.Join(dir, "countries", code+".md"))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "country-"+code+".golden.md", data)
	}
}

// TestCountryPages checks that every country with a published cell has a page, linked from the
// index of report.md, and that a country whose every cell is withheld has none and is named.
func TestCountryPages(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"DE", "FR", "JP", "US"} {
		if _, err := os.Stat(filepath.Join(dir, "countries", code+".md")); err != nil {
			t.Errorf("no page for %s: %v", code, err)
		}
		if !strings.Contains(string(report), "](countries/"+code+".md) | "+code+" |") {
			t.Errorf("report.md does not link the page of %s from its index", code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "countries", "TW.md")); err == nil {
		t.Error("Taiwan, whose every cell is withheld, has a page")
	}
	if !strings.Contains(string(report), "Every figure of 1 country is withheld, so it has no page: Taiwan, Province of China (TW).") {
		t.Error("report.md does not say which country has no page")
	}
	us, err := os.ReadFile(filepath.Join(dir, "countries", "US.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| exposed_systems | 28,220 | 32,250 | 36,280 | 40,310 B | 44,340 | 48,370 |",
		"B at 2019-04-01 (exposed_systems, affected_patients): a break declared by the dataset (the scanner counts \\*virtual hosts\\* from April).",
		"](../charts/countries/US-exposed_systems.svg)",
		"| exposed_systems | Northern America | its sub-region |",
		"| exposed_systems | [Germany](DE.md) | named by the dataset |",
	} {
		if !strings.Contains(string(us), want) {
			t.Errorf("countries/US.md lacks %q", want)
		}
	}
}

// TestSuppressedNote checks the x footnote: it says what an x may hide and what the protection
// guarantees, with the protection interval of the parameters.
func TestSuppressedNote(t *testing.T) {
	p := fixture(t)
	p.Provenance.Parameters.Interval = 0.25
	f := newReportFacts(computed(t, p))
	note := f.suppressedNote()
	for _, want := range []string{
		"x withheld: an x may hide any count, 0 included.",
		"cannot be worked out to within ±25 % from everything published (all tables and the relations between metrics together)",
		"a figure withheld only to protect another is never disclosed exactly, but may be narrowed more closely.",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("the x note lacks %q: %s", want, note)
		}
	}
	if strings.Contains(note, "not zero") {
		t.Errorf("the x note says an x is not zero: %s", note)
	}
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(report), "not zero") {
		t.Error("report.md still says a withheld cell is not zero")
	}
}

// TestCountryHistoryLayout checks both layouts of a country's history: up to maxPeriodColumns
// periods as columns, more as rows, with every period of the dataset (– where it does not cover the
// country).
func TestCountryHistoryLayout(t *testing.T) {
	for _, tt := range []struct {
		periods int
		want    []string
	}{
		{3, []string{"| Metric | 2019-01-01 | 2019-02-01 | 2019-03-01 |", "| Source | greenbone | – | greenbone |", "| exposed_systems | 10 | – | 15 |"}},
		{10, []string{"| Period | Source | exposed_systems |", "| 2019-02-01 | – | – |", "| 2019-10-01 | greenbone | 19 |"}},
	} {
		t.Run(strconv.Itoa(tt.periods), func(t *testing.T) {
			c := briefingCase{name: "layout", periods: monthly(tt.periods), leaves: func(i int, _ string) string {
				if i == 1 {
					return "US:hospital=50"
				}
				return fmt.Sprintf("DE:hospital=%d US:hospital=50", 10+i)
			}}
			if tt.periods == 3 {
				c.leaves = func(i int, _ string) string {
					return series(map[string][]int64{"DE": {10, -1, 15}, "US": {50, 50, 50}}, i)
				}
			}
			r := c.result(t)
			f := newReportFacts(r)
			de, _ := r.Protected.Vocab.Geo.CountryByCode("DE")
			page := string(renderCountryPage(f, de))
			for _, w := range tt.want {
				if !strings.Contains(page, w+"\n") {
					t.Errorf("the page lacks the line\n%s\n%s", w, page[strings.Index(page, "## History"):strings.Index(page, "## Trends")])
				}
			}
		})
	}
}

// TestWorldAtWidestCoverage checks that when a metric's latest period covers fewer countries than
// an earlier one, the briefing shows the world at that earlier period too: in its own section of
// world totals and as a table of the metric, with its chart, beside the latest.
func TestWorldAtWidestCoverage(t *testing.T) {
	for _, tt := range []struct {
		absent string
		want   bool
	}{{"", false}, {"JP", true}} {
		t.Run("absent "+tt.absent, func(t *testing.T) {
			dir, _ := publishFixture(t, computed(t, fixtureMissingLast(t, tt.absent)))
			data, err := os.ReadFile(filepath.Join(dir, ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			report := string(data)
			for _, w := range []string{
				"## The world at its widest coverage",
				"| exposed_systems | systems | 2019-05-01 | 74,900 | 5 |", // 10 × (1,800 + 60 + 660 + 11 + 4,100 + 310 + 24 + 520 + 5)
				"### exposed_systems, 2019-05-01 (widest coverage: 5 countries)",
				"### exposed_systems, 2019-06-01 (latest period: 4 countries)",
				"](charts/exposed_systems-widest-coverage.svg)",
			} {
				if got := strings.Contains(report, w); got != tt.want {
					t.Errorf("report.md has %q: %v, want %v", w, got, tt.want)
				}
			}
		})
	}
}
