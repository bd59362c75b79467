package publish

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// diffCell is one cell of a test release: area and organization-type codes, its value (or -1 when
// suppressed) and its flags.
type diffCell struct {
	geo, org string
	value    int64
	flags    schemas.ObsFlags
}

// diffTable is one table of a test release.
type diffTable struct {
	period, metric string
	cells          []diffCell
}

// testRelease builds a release in memory from tables over vocab, with the default rules, no
// relations and no inputs unless edit changes the manifest.
func testRelease(t *testing.T, vocab *schemas.Vocabulary, tables []diffTable, edit func(*Manifest)) *Release {
	t.Helper()
	m := &Manifest{
		Tool:    ToolInfo{Name: "exposure", Version: "0.0.0-test"},
		Dataset: DatasetInfo{ID: "tiny", ConfigSHA256: strings.Repeat("a", 64)},
		Protection: ProtectionInfo{Parameters: Parameters{
			MinContributors: 3, MinValue: map[string]int64{"affected_patients": 11}, PPercent: 10, Interval: 0.2,
		}},
	}
	if edit != nil {
		edit(m)
	}
	r := &Release{Dir: "test", Manifest: m, Vocab: vocab}
	for _, dt := range tables {
		period, err := schemas.ParseDate(dt.period)
		if err != nil {
			t.Fatal(err)
		}
		metric, ok := vocab.MetricByCode(dt.metric)
		if !ok {
			t.Fatalf("metric %s", dt.metric)
		}
		table := &protect.Table{Period: period, Metric: metric}
		for _, dc := range dt.cells {
			geo, ok1 := vocab.Geo.ByCode(dc.geo)
			org, ok2 := vocab.OrgByCode(dc.org)
			if !ok1 || !ok2 {
				t.Fatalf("cell %v", dc)
			}
			c := protect.SuppressedCell(geo, org)
			if dc.value >= 0 {
				c = protect.PublishedCell(geo, org, dc.value)
			}
			table.Cells = append(table.Cells, c.WithFacts(dc.flags, 0))
		}
		r.Tables = append(r.Tables, table)
	}
	return r
}

// diffLines writes every change as "kind: text", as the tests expect them.
func diffLines(d *ReleaseDiff) []string {
	var out []string
	for _, c := range d.Changes {
		out = append(out, fmt.Sprintf("%s: %s", c.Kind, c))
	}
	return out
}

func defaultVocab(t *testing.T) *schemas.Vocabulary {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDiff(t *testing.T) {
	v := defaultVocab(t)
	base := []diffTable{
		{"2019-09-16", "exposed_systems", []diffCell{{"DE", "all", 52, 0}, {"DE", "hospital", 50, 0}, {"DE", "clinic", -1, 0}}},
		{"2019-11-17", "exposed_systems", []diffCell{{"DE", "all", 50, 0}, {"DE", "hospital", 45, 0}, {"DE", "clinic", 5, 0}}},
	}
	// with returns base with the cell of the table at ti and the cell at ci replaced.
	with := func(ti, ci int, c diffCell) []diffTable {
		out := make([]diffTable, len(base))
		for i, dt := range base {
			out[i] = diffTable{dt.period, dt.metric, append([]diffCell(nil), dt.cells...)}
		}
		out[ti].cells[ci] = c
		return out
	}
	tests := []struct {
		name       string
		old, new   []diffTable
		oldM, newM func(*Manifest)
		want       []string
	}{
		{name: "identical", old: base, new: base},
		{
			name: "revised",
			old:  base, new: with(1, 1, diffCell{"DE", "hospital", 47, 0}),
			want: []string{"cell_revised: 2019-11-17 exposed_systems DE hospital: 45 -> 47"},
		},
		{
			name: "newly suppressed and newly published",
			old:  base,
			new:  with(0, 2, diffCell{"DE", "clinic", 2, 0}),
			want: []string{"cell_newly_published: 2019-09-16 exposed_systems DE clinic: x -> 2"},
		},
		{
			name: "newly suppressed",
			old:  base, new: with(1, 2, diffCell{"DE", "clinic", -1, 0}),
			want: []string{"cell_newly_suppressed: 2019-11-17 exposed_systems DE clinic: 5 -> x"},
		},
		{
			name: "cells added and removed",
			old:  base,
			new:  with(1, 2, diffCell{"FR", "clinic", -1, 0}),
			want: []string{
				"cell_added: 2019-11-17 exposed_systems FR clinic: none -> x",
				"cell_removed: 2019-11-17 exposed_systems DE clinic: 5 -> none",
			},
		},
		{
			name: "a break appeared",
			old:  base,
			new:  with(1, 0, diffCell{"DE", "all", 50, schemas.ObsBreak | schemas.BreakSource}),
			want: []string{"flags_changed: 2019-11-17 exposed_systems DE all: obs_status A -> B (source)"},
		},
		{
			// cells.parquet writes one obs_status: a break that is also an estimate reads as a break.
			name: "flags that publish the same",
			old:  with(1, 0, diffCell{"DE", "all", 50, schemas.ObsBreak | schemas.BreakSource}),
			new:  with(1, 0, diffCell{"DE", "all", 50, schemas.ObsBreak | schemas.BreakSource | schemas.ObsEstimated}),
		},
		{
			name: "revised and flagged",
			old:  base,
			new:  with(1, 0, diffCell{"DE", "all", 52, schemas.ObsEstimated}),
			want: []string{
				"cell_revised: 2019-11-17 exposed_systems DE all: 50 -> 52",
				"flags_changed: 2019-11-17 exposed_systems DE all: obs_status A -> E",
			},
		},
		{
			name: "periods and tables",
			old:  base,
			new: []diffTable{
				base[1],
				{"2019-11-17", "exposed_studies", []diffCell{{"DE", "all", -1, 0}}},
				{"2020-01-15", "exposed_systems", []diffCell{{"DE", "all", 60, 0}}},
			},
			want: []string{
				"period_added: 2020-01-15",
				"period_removed: 2019-09-16",
				"table_added: 2019-11-17 exposed_studies",
				"table_added: 2020-01-15 exposed_systems",
				"table_removed: 2019-09-16 exposed_systems",
			},
		},
		{
			name: "a table without cells is absent",
			old:  base,
			new:  append(append([]diffTable(nil), base...), diffTable{"2020-01-15", "exposed_systems", nil}),
		},
		{
			name: "rules",
			old:  base, new: base,
			newM: func(m *Manifest) {
				m.Protection.Parameters = Parameters{MinContributors: 4, MinValue: map[string]int64{"exposed_studies": 5}, PPercent: 15, Interval: 0.25}
			},
			want: []string{
				"rule_changed: min_contributors 3 -> 4",
				"rule_changed: affected_patients: min_value 11 -> 0",
				"rule_changed: exposed_studies: min_value 0 -> 5",
				"rule_changed: p_percent 10 -> 15",
				"rule_changed: interval 0.2 -> 0.25",
			},
		},
		{
			name: "relations, matched by their canonical form",
			old:  base, new: base,
			oldM: func(m *Manifest) {
				m.Protection.Relations = []RelationInfo{
					{Relation: "a = b + c", Normal: "a - b - c = 0"},
					{Relation: "d <= e", Normal: "d - e <= 0"},
				}
			},
			newM: func(m *Manifest) {
				m.Protection.Relations = []RelationInfo{
					{Relation: "a = c + b", Normal: "a - b - c = 0"},
					{Relation: "f >= g", Normal: "g - f <= 0"},
				}
			},
			want: []string{"relation_added: f >= g", "relation_removed: d <= e"},
		},
		{
			name: "inputs by file, in file order",
			old:  base, new: base,
			oldM: func(m *Manifest) {
				m.Inputs = []InputInfo{
					{File: "data/b.csv", Source: "acme", SHA256: strings.Repeat("1", 64), KeyID: "K1", Rows: 8},
					{File: "data/a.csv", Source: "acme", SHA256: strings.Repeat("2", 64), KeyID: "K1", Rows: 3},
					{File: "data/c.csv", Source: "beta", SHA256: strings.Repeat("3", 64), KeyID: "K2", Rows: 2},
				}
			},
			newM: func(m *Manifest) {
				m.Inputs = []InputInfo{
					{File: "data/a.csv", Source: "acme", SHA256: strings.Repeat("2", 64), KeyID: "K1", Rows: 3},
					{File: "data/b.csv", Source: "acme", SHA256: strings.Repeat("4", 64), KeyID: "K3", Rows: 8},
					{File: "data/d.csv", Source: "beta", SHA256: strings.Repeat("5", 64), KeyID: "K2", Rows: 1234},
				}
			},
			want: []string{
				"input_added: data/d.csv (source beta, key K2, 1,234 rows, sha256 " + strings.Repeat("5", 64) + ")",
				"input_removed: data/c.csv (source beta, key K2, 2 rows, sha256 " + strings.Repeat("3", 64) + ")",
				"input_changed: data/b.csv: key K1 -> K3, sha256 " + strings.Repeat("1", 64) + " -> " + strings.Repeat("4", 64),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Diff(testRelease(t, v, tc.old, tc.oldM), testRelease(t, v, tc.new, tc.newM))
			got := diffLines(d)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("changes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			// The same releases in another order of tables give the same diff.
			old, new := testRelease(t, v, tc.old, tc.oldM), testRelease(t, v, tc.new, tc.newM)
			for i, j := 0, len(new.Tables)-1; i < j; i, j = i+1, j-1 {
				new.Tables[i], new.Tables[j] = new.Tables[j], new.Tables[i]
			}
			if again := diffLines(Diff(old, new)); strings.Join(again, "\n") != strings.Join(got, "\n") {
				t.Errorf("another order of the new release's tables gave\n  %s", strings.Join(again, "\n  "))
			}
		})
	}
}

// TestDiffMetricsByCode checks that two releases whose vocabularies number the metrics differently
// (a vocabulary numbers its metrics by code, so a dataset's own metric shifts the others) are
// compared by metric code.
func TestDiffMetricsByCode(t *testing.T) {
	v := defaultVocab(t)
	oldVocab, err := v.WithMetrics([]schemas.Metric{{Code: "aaa_hosts", Description: "Hosts", Unit: "hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	newVocab, err := v.WithMetrics([]schemas.Metric{{Code: "tls_hosts", Description: "Hosts with TLS", Unit: "hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := oldVocab.MetricByCode("exposed_systems")
	b, _ := newVocab.MetricByCode("exposed_systems")
	if a == b {
		t.Fatal("the test needs two vocabularies that number exposed_systems differently")
	}
	old := []diffTable{
		{"2019-11-17", "aaa_hosts", []diffCell{{"DE", "all", 3, 0}}},
		{"2019-11-17", "exposed_systems", []diffCell{{"DE", "all", 7, 0}}},
	}
	new := []diffTable{
		{"2019-11-17", "exposed_systems", []diffCell{{"DE", "all", 8, 0}}},
		{"2019-11-17", "tls_hosts", []diffCell{{"DE", "all", 9, 0}}},
	}
	got := diffLines(Diff(testRelease(t, oldVocab, old, nil), testRelease(t, newVocab, new, nil)))
	want := []string{
		"table_added: 2019-11-17 tls_hosts",
		"table_removed: 2019-11-17 aaa_hosts",
		"cell_revised: 2019-11-17 exposed_systems DE all: 7 -> 8",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes %q, want %q", got, want)
	}
}

// TestDiffRoundTrip checks that the release a build is making, as Publish sees it before writing,
// and the same release read back from its report folder do not differ: the report's section on the
// previous release reads nothing that the files do not say.
func TestDiffRoundTrip(t *testing.T) {
	p := fixture(t)
	dir, _ := publishFixture(t, computed(t, p))
	published, err := OpenRelease(dir, "pacs-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	building := currentRelease(p, testTool, "")
	for _, d := range []*ReleaseDiff{Diff(published, building), Diff(building, published)} {
		if lines := diffLines(d); len(lines) > 0 {
			t.Errorf("a release differs from itself read back:\n  %s", strings.Join(lines, "\n  "))
		}
	}
}

// goldenDiff is a diff with a change of every kind, from the published fixture to a later release
// with a country missing from the last period, another rule, a relation and an input more and one
// value revised.
func goldenDiff(t *testing.T) *ReleaseDiff {
	t.Helper()
	v := defaultVocab(t)
	old := testRelease(t, v, []diffTable{
		{"2019-09-16", "exposed_systems", []diffCell{{"001", "all", 1200, 0}, {"DE", "all", 50, 0}, {"FR", "all", 1150, 0}}},
		{"2019-11-17", "exposed_systems", []diffCell{{"001", "all", 1300, 0}, {"DE", "all", 1234, 0}, {"DE", "clinic", -1, 0}, {"FR", "all", 66, 0}, {"FR", "clinic", 3, 0}}},
	}, func(m *Manifest) {
		m.Inputs = []InputInfo{{File: "data/acme.csv", Source: "acme", SHA256: strings.Repeat("1", 64), KeyID: "K1", Rows: 8}}
	})
	old.Dir = "reports/r1"
	new := testRelease(t, v, []diffTable{
		{"2019-11-17", "exposed_systems", []diffCell{{"001", "all", 1300, schemas.ObsBreak | schemas.BreakCoverage}, {"DE", "all", 1236, 0}, {"DE", "clinic", 4, 0}, {"FR", "all", -1, 0}, {"IT", "all", 9, 0}}},
		{"2020-01-15", "exposed_systems", []diffCell{{"001", "all", 1400, 0}}},
	}, func(m *Manifest) {
		m.Dataset.ConfigSHA256 = strings.Repeat("b", 64)
		m.Protection.Parameters.MinContributors = 4
		m.Protection.Relations = []RelationInfo{{Relation: "exposed_studies >= exposed_systems", Normal: "exposed_systems - exposed_studies <= 0"}}
		m.Inputs = []InputInfo{
			{File: "data/acme.csv", Source: "acme", SHA256: strings.Repeat("2", 64), KeyID: "K1", Rows: 12},
			{File: "data/late.csv", Source: "beta", SHA256: strings.Repeat("3", 64), KeyID: "K2", Rows: 2},
		}
	})
	new.Dir = "reports/r2"
	return Diff(old, new)
}

func TestDiffTextGolden(t *testing.T) {
	d := goldenDiff(t)
	for _, limit := range []int{10, 1, 0} {
		var b bytes.Buffer
		if err := d.WriteText(&b, limit); err != nil {
			t.Fatal(err)
		}
		golden(t, fmt.Sprintf("diff/limit%d.golden.txt", limit), b.Bytes())
	}
}

func TestDiffCSVGolden(t *testing.T) {
	var b bytes.Buffer
	if err := goldenDiff(t).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff/changes.golden.csv", b.Bytes())
}

// TestDiffParquet checks that the Parquet output holds the rows of the CSV output, nulls where
// the CSV has empty fields, with the layout pinned by a golden file, and the same bytes each time.
func TestDiffParquet(t *testing.T) {
	d := goldenDiff(t)
	var first, second bytes.Buffer
	if err := d.WriteParquet(&first); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteParquet(&second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("the same diff gave two different Parquet files")
	}
	path := filepath.Join(t.TempDir(), DiffLayout.File)
	if err := os.WriteFile(path, first.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pf := openParquet(t, path)
	var b strings.Builder
	fmt.Fprintf(&b, "created_by: %s\nschema:\n%s\nrows: %d\n", pf.Metadata().CreatedBy, pf.Schema(), pf.NumRows())
	golden(t, "diff/changes.schema.golden.txt", []byte(b.String()))
	if got, want := pf.NumRows(), int64(len(d.Changes)); got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	var csvText bytes.Buffer
	if err := d.WriteCSV(&csvText); err != nil {
		t.Fatal(err)
	}
	want, err := csv.NewReader(&csvText).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range readRows(t, path) {
		var got []string
		for _, name := range DiffLayout.Names() {
			if v := row[name]; v != nil {
				got = append(got, fmt.Sprint(v))
			} else {
				got = append(got, "")
			}
		}
		if !slices.Equal(got, want[i+1]) {
			t.Errorf("row %d: %q, want %q", i+1, got, want[i+1])
		}
	}
}

// TestReportChangesSection checks report.md with a previous release: a section that says what
// changed, pinned by a golden file, before the methodology, and otherwise the same report.md as
// without one.
func TestReportChangesSection(t *testing.T) {
	prevDir, _ := publishFixture(t, computed(t, fixture(t)))
	previous, err := OpenRelease(prevDir, "pacs-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	later := func() *trend.Result {
		p := fixtureMissingLast(t, "JP")
		p.Provenance.ConfigSHA256 = strings.Repeat("c", 64)
		p.Provenance.Parameters.MinContributors = 4
		return computed(t, p)
	}
	out := filepath.Join(t.TempDir(), "with")
	if _, err := Publish(context.Background(), later(), Options{Out: out, Tool: testTool, Previous: previous}); err != nil {
		t.Fatal(err)
	}
	withData, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	without := filepath.Join(t.TempDir(), "without")
	if _, err := Publish(context.Background(), later(), Options{Out: without, Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	withoutData, err := os.ReadFile(filepath.Join(without, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report := string(withData)
	const heading = "## Changes since the previous release\n\n"
	start := strings.Index(report, heading)
	methodology := strings.Index(report, "## Methodology\n")
	if start < 0 || methodology < start {
		t.Fatalf("report.md has no section %q before the methodology", strings.TrimSpace(heading))
	}
	section := report[start:methodology]
	golden(t, "diff/report-section.golden.md", []byte(section))
	if strings.Count(report, heading) != 1 {
		t.Error("the section appears more than once")
	}
	if got := report[:start] + report[methodology:]; got != string(withoutData) {
		t.Error("besides the section, report.md differs from the report without a previous release")
	}
	if strings.Contains(string(withoutData), strings.TrimSpace(heading)) {
		t.Error("report.md without a previous release has the section")
	}
	for _, want := range []string{
		"built from the configuration with digest " + previous.Manifest.Dataset.ConfigSHA256 + " by exposure 0.0.0-test.",
		"- **Rules changed: 1.** min_contributors 3 → 4.\n",
		"- **Cells removed: ",
		"- **Flags changed: ",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the section lacks %q:\n%s", want, section)
		}
	}
	if prevDir != previous.Dir || strings.Contains(section, prevDir) {
		t.Error("the section names the folder of the previous release, which depends on where it was read")
	}
}
