package publish

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n--- got ---\n%s", name, got)
	}
}

// publishFixture publishes r into a fresh folder and returns the report folder and the manifest.
func publishFixture(t *testing.T, r *trend.Result) (string, *Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "reports", "pacs-test")
	m, err := Publish(context.Background(), r, Options{Out: out, Tool: testTool})
	if err != nil {
		t.Fatal(err)
	}
	return out, m
}

// readFolder returns every file of a folder and its sub-folders with its bytes, by slash-separated path.
func readFolder(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestReportGolden(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	data, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.md", data)
}

// TestReportTrendLabels checks that every trend label of report.md has its n and p beside it, with
// the start of the periods counted after a break, and pins the lines of the golden fixture that show
// each kind: a test that rejects, one too short after a break, one too short for want of values.
func TestReportTrendLabels(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	data, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	label := regexp.MustCompile(`^(rising|falling|no significant trend|too few periods) \(n = \d+, p (= \d\.\d{3}|= –|< 0\.001)(, since \d{4}-\d{2}-\d{2})?\)$`)
	tables := report[strings.Index(report, "## Figures by metric"):strings.Index(report, "## Methodology")]
	labels := 0
	for _, line := range strings.Split(tables, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Area") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if last := cells[len(cells)-1]; !label.MatchString(last) {
			t.Errorf("trend %q has no n and p beside it: %s", last, line)
		}
		labels++
	}
	if labels == 0 {
		t.Fatal("no trend labels in the tables")
	}
	for _, want := range []string{
		"| France | FR | 6,000 | x | – | – | – | – | – | – | 6,120 | falling (n = 6, p = 0.003) |",
		"| United States of America | US | 45,000 | 3,100 | – | 270 | – | – | – | – | 48,370 | too few periods (n = 3, p = 0.333, since 2019-04-01) |",
		"| Taiwan, Province of China | TW | – | – | – | – | x | – | – | – | x | too few periods (n = 0, p = –) |",
		"| exposed_systems | United States of America | Germany | 2019-06-01 | too few periods (n = 1, p = –) |  |",
	} {
		if !strings.Contains(report, want+"\n") {
			t.Errorf("report.md lacks the line\n%s", want)
		}
	}
}

// TestParquetSchemasGolden pins what an outside reader sees of each Parquet output: the schema as
// parquet-go prints it, created_by, the key-value metadata keys, and each column's encodings and codec.
func TestParquetSchemasGolden(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	for _, table := range schemas.Outputs {
		t.Run(table.File, func(t *testing.T) {
			pf := openParquet(t, filepath.Join(dir, table.File))
			var b strings.Builder
			md := pf.Metadata()
			fmt.Fprintf(&b, "file: %s\nversion: %d\ncreated_by: %s\n", table.File, md.Version, md.CreatedBy)
			for _, kv := range md.KeyValueMetadata {
				fmt.Fprintf(&b, "key_value_metadata: %s\n", kv.Key)
			}
			fmt.Fprintf(&b, "schema:\n%s\n", pf.Schema())
			if len(md.RowGroups) > 0 {
				b.WriteString("columns of the first row group:\n")
				for _, c := range md.RowGroups[0].Columns {
					fmt.Fprintf(&b, "  %s: %s %v %s\n", strings.Join(c.MetaData.PathInSchema, "."), c.MetaData.Type, c.MetaData.Encoding, c.MetaData.Codec)
				}
			}
			if got, want := pf.Schema().Columns(), columnPaths(table); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("columns %v, want %v from schemas", got, want)
			}
			golden(t, strings.TrimSuffix(table.File, ".parquet")+".schema.golden.txt", []byte(b.String()))
		})
	}
}

func columnPaths(table schemas.Table) [][]string {
	var paths [][]string
	for _, c := range table.Columns {
		paths = append(paths, []string{c.Name})
	}
	return paths
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

// readRows reads every row of a Parquet file with parquet-go, each as column name -> value, nil for null.
func readRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	pf := openParquet(t, path)
	names := pf.Schema().Columns()
	var out []map[string]any
	buf := make([]parquet.Row, 100)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				m := map[string]any{}
				for _, v := range row {
					name := names[v.Column()][0]
					switch {
					case v.IsNull():
						m[name] = nil
					case v.Kind() == parquet.ByteArray:
						m[name] = string(v.ByteArray())
					case v.Kind() == parquet.Int32:
						m[name] = schemas.Date(v.Int32()).String()
					case v.Kind() == parquet.Int64:
						m[name] = v.Int64()
					case v.Kind() == parquet.Double:
						m[name] = v.Double()
					default:
						t.Fatalf("%s: unexpected kind %s", name, v.Kind())
					}
				}
				out = append(out, m)
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	return out
}

// TestParquetReadBack reads every output with parquet-go, independently of the Arrow writer, and
// compares it row by row with what the stages handed over: values equal, nulls exactly where a
// value is suppressed or not computable, rows in the published order.
func TestParquetReadBack(t *testing.T) {
	for _, batch := range []int{batchRows, 50} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			defer func(old int) { batchRows = old }(batchRows)
			batchRows = batch
			p := fixture(t)
			r := computed(t, p)
			dir, m := publishFixture(t, r)
			v := p.Vocab
			key := func(period schemas.Date, metric schemas.MetricID, geo schemas.GeoID, org schemas.OrgID) map[string]any {
				k := map[string]any{"metric": v.Metric(metric).Code, "geo_level": v.Geo.Node(geo).Level.String(),
					"geo": v.Geo.Node(geo).Code, "org_type": v.Org(org).Code, "geo_name": v.Geo.Node(geo).Name}
				if period != 0 {
					k["period"] = period.String()
				}
				return k
			}
			sourceOf := func(set protect.SourceSet) string {
				var ids []string
				for i, s := range p.Provenance.Sources {
					if set&(1<<i) != 0 {
						ids = append(ids, s.ID)
					}
				}
				return strings.Join(ids, ",")
			}
			flags := func(row map[string]any, f schemas.ObsFlags, suppressed bool, sources protect.SourceSet) {
				row["obs_status"], row["conf_status"], row["source"] = f.Code(), map[bool]string{false: "F", true: "C"}[suppressed], sourceOf(sources)
				row["break_reason"] = nil
				if f.Has(schemas.ObsBreak) {
					row["break_reason"] = f.BreakReason()
				}
			}
			var cells []map[string]any
			for _, tab := range p.Tables {
				for _, c := range tab.Cells {
					row := key(tab.Period, tab.Metric, c.Geo, c.Org)
					if value, ok := c.Value(); ok {
						row["value"], row["status"] = value, "published"
					} else {
						row["value"], row["status"] = nil, "suppressed"
					}
					flags(row, c.Flags, c.Suppressed(), c.Sources)
					cells = append(cells, row)
				}
			}
			var trends []map[string]any
			if err := r.Trends(func(row trend.TrendRow) error {
				k := key(row.Period, row.Metric, row.Geo, row.Org)
				k["value"], k["prev_period"], k["prev_value"] = nullable(row.Value), row.PrevPeriod.String(), nullable(row.PrevValue)
				k["abs_change"], k["pct_change"], k["index_base100"] = nullable(row.AbsChange), nullable(row.PctChange), nullable(row.IndexBase100)
				k["share_of_world"], k["rank"] = nullable(row.ShareOfWorld), nullable(row.Rank)
				flags(k, row.Flags, row.Suppressed, row.Sources)
				trends = append(trends, k)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var series []map[string]any
			for _, s := range r.Series {
				k := key(0, s.Metric, s.Geo, s.Org)
				k["n_periods"], k["first_period"], k["last_period"] = s.NPeriods, nullDate(s.FirstPeriod), nullDate(s.LastPeriod)
				k["first_value"], k["last_value"], k["cagr"] = nullable(s.FirstValue), nullable(s.LastValue), nullable(s.CAGR)
				k["ols_slope_per_year"], k["sen_slope_per_year"] = nullable(s.OLSSlope), nullable(s.SenSlope)
				k["mann_kendall_tau"], k["mann_kendall_p"], k["trend"] = nullable(s.MannKendallT), nullable(s.MannKendallP), s.Trend
				k["n_breaks"], k["segment_start"], k["obs_status"] = s.Breaks, s.SegmentStart.String(), s.Flags.Code()
				k["sen_slope_lower"], k["sen_slope_upper"] = nullable(s.SenLower), nullable(s.SenUpper)
				k["mann_kendall_s"], k["p_method"] = nullable(s.MannKendallS), nullable(s.PMethod)
				series = append(series, k)
			}
			var summary []map[string]any
			for _, s := range r.Summary {
				k := map[string]any{"period": s.Period.String(), "metric": v.Metric(s.Metric).Code, "geo_level": s.Level.String(), "org_type": v.Org(s.Org).Code}
				k["units"], k["suppressed_units"], k["mean"], k["median"] = s.Units, s.SuppressedUnits, nullable(s.Mean), nullable(s.Median)
				k["p90"], k["max"], k["stddev"], k["top5_share"] = nullable(s.P90), nullable(s.Max), nullable(s.StdDev), nullable(s.Top5Share)
				k["total"] = nullable(s.Total)
				summary = append(summary, k)
			}
			var comparisons []map[string]any
			for _, c := range r.Comparisons {
				k := key(0, c.Metric, c.Geo, schemas.OrgAll)
				o := v.Geo.Node(c.Other)
				k["other_geo"], k["other_geo_level"], k["other_geo_name"], k["relation"] = o.Code, o.Level.String(), o.Name, c.Relation
				k["segment_start"], k["n_periods"], k["first_period"], k["last_period"] = c.SegmentStart.String(), c.NPeriods, nullDate(c.FirstPeriod), nullDate(c.LastPeriod)
				k["mann_kendall_s"], k["mann_kendall_tau"], k["mann_kendall_p"], k["p_method"] = nullable(c.S), nullable(c.Tau), nullable(c.P), nullable(c.PMethod)
				k["log_ratio_slope_per_year"], k["log_ratio_slope_lower"], k["log_ratio_slope_upper"] = nullable(c.Slope), nullable(c.SlopeLower), nullable(c.SlopeUpper)
				k["trend"] = c.Trend
				comparisons = append(comparisons, k)
			}
			if len(trends) == 0 || len(series) == 0 || len(summary) == 0 || len(comparisons) == 0 {
				t.Fatal("the fixture must give trend, series, summary and comparison rows")
			}
			for _, tt := range []struct {
				file string
				want []map[string]any
			}{
				{"cells.parquet", cells}, {"trends.parquet", trends}, {"series.parquet", series}, {"summary.parquet", summary},
				{"comparisons.parquet", comparisons},
			} {
				got := readRows(t, filepath.Join(dir, tt.file))
				if len(got) != len(tt.want) {
					t.Fatalf("%s: %d rows, want %d", tt.file, len(got), len(tt.want))
				}
				for i := range got {
					if fmt.Sprint(got[i]) != fmt.Sprint(tt.want[i]) {
						t.Fatalf("%s row %d:\n got %v\nwant %v", tt.file, i+1, got[i], tt.want[i])
					}
				}
				rowGroups := len(openParquet(t, filepath.Join(dir, tt.file)).RowGroups())
				if want := (len(tt.want) + batch - 1) / batch; rowGroups != want {
					t.Errorf("%s: %d row groups, want %d for batches of %d rows", tt.file, rowGroups, want, batch)
				}
				listed := false
				for _, o := range m.Outputs {
					if o.File == tt.file {
						listed = true
						if o.Rows == nil || *o.Rows != int64(len(tt.want)) {
							t.Errorf("%s: manifest rows %v, want %d", tt.file, o.Rows, len(tt.want))
						}
					}
				}
				if !listed {
					t.Errorf("%s is not in the manifest", tt.file)
				}
			}
		})
	}
}

func nullable[T any](v trend.Null[T]) any {
	if !v.Valid {
		return nil
	}
	return v.V
}

func nullDate(v trend.Null[schemas.Date]) any {
	if !v.Valid {
		return nil
	}
	return v.V.String()
}

// withoutFacts returns cells as ReadCells reads them back: without sources (cells.parquet names
// them) and with the flags of their one SDMX code and break causes.
func withoutFacts(cells []protect.Cell) []protect.Cell {
	out := slices.Clone(cells)
	for i := range out {
		// The flags of a cell that is both a break and an estimate read back as a break, its one
		// SDMX code; the sources read back as they were (the fixture's sources all have inputs).
		flags := out[i].Flags
		if flags.Has(schemas.ObsBreak) {
			flags &^= schemas.ObsEstimated | schemas.ObsProvisional
		} else if flags.Has(schemas.ObsEstimated) {
			flags &^= schemas.ObsProvisional
		}
		out[i] = out[i].WithFacts(flags, out[i].Sources)
	}
	return out
}

// TestCellsRoundTrip reads cells.parquet back with ReadCells and compares the tables with the ones
// published: same tables, same cells, same values, suppressed exactly where they were.
func TestCellsRoundTrip(t *testing.T) {
	p := fixture(t)
	dir, _ := publishFixture(t, computed(t, p))
	vocab, tables, err := ReadCells(dir)
	if err != nil {
		t.Fatal(err)
	}
	if vocab.NumMetrics() != p.Vocab.NumMetrics() {
		t.Errorf("vocabulary has %d metrics, want %d", vocab.NumMetrics(), p.Vocab.NumMetrics())
	}
	if len(tables) != len(p.Tables) {
		t.Fatalf("%d tables, want %d", len(tables), len(p.Tables))
	}
	for i, got := range tables {
		want := p.Tables[i]
		if got.Period != want.Period || got.Metric != want.Metric || !slices.Equal(got.Cells, withoutFacts(want.Cells)) {
			t.Errorf("table %d (%s %s) differs:\n got %v\nwant %v", i, want.Period, p.Vocab.Metric(want.Metric).Code, got.Cells, want.Cells)
		}
	}
}

// TestCellsRoundTripExtraMetric checks that a dataset's own metric, known only from the manifest,
// is read back.
func TestCellsRoundTripExtraMetric(t *testing.T) {
	p := fixture(t)
	extended, err := p.Vocab.WithMetrics([]schemas.Metric{{Code: "exposed_modalities", Description: "Imaging devices reachable directly", Unit: "devices"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Vocab = extended
	id, _ := extended.MetricByCode("exposed_modalities")
	// Re-number the fixture's metrics in the extended vocabulary and add a table of the new metric.
	for _, tab := range p.Tables {
		code := schemasDefaultCode(t, tab.Metric)
		tab.Metric, _ = extended.MetricByCode(code)
	}
	last := p.Tables[len(p.Tables)-1]
	p.Tables = append(p.Tables, &protect.Table{Period: last.Period, Metric: id, Cells: slices.Clone(last.Cells)})
	sortTables(p.Tables)
	dir, _ := publishFixture(t, computed(t, p))
	vocab, tables, err := ReadCells(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := vocab.MetricByCode("exposed_modalities"); !ok {
		t.Fatal("the manifest's extra metric is not in the vocabulary ReadCells returns")
	}
	found := false
	for _, tab := range tables {
		if vocab.Metric(tab.Metric).Code == "exposed_modalities" {
			found = slices.Equal(tab.Cells, withoutFacts(last.Cells))
		}
	}
	if !found {
		t.Error("the table of the extra metric was not read back intact")
	}
}

func schemasDefaultCode(t *testing.T, id schemas.MetricID) string {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	return v.Metric(id).Code
}

func sortTables(tables []*protect.Table) {
	slices.SortStableFunc(tables, func(a, b *protect.Table) int {
		if a.Period != b.Period {
			return int(a.Period - b.Period)
		}
		return int(a.Metric) - int(b.Metric)
	})
}

// TestDeterministic publishes the same result twice, into folders of different names, and once more
// over the first: every file must be byte-identical.
func TestDeterministic(t *testing.T) {
	first, m1 := publishFixture(t, computed(t, fixture(t)))
	second, m2 := publishFixture(t, computed(t, fixture(t)))
	a, b := readFolder(t, first), readFolder(t, second)
	if want := len(m1.Outputs) + 1; len(a) != want || len(a) < 13 {
		t.Fatalf("report folder has %d files, want the %d of the manifest and the manifest, at least 13", len(a), want)
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two builds of the same input", name)
		}
	}
	if diffs := CompareManifests(m1, m2); len(diffs) > 0 {
		t.Errorf("manifests differ: %v", diffs)
	}
	if _, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: first, Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	for name, data := range readFolder(t, first) {
		if !bytes.Equal(data, a[name]) {
			t.Errorf("%s differs after publishing again over the same folder", name)
		}
	}
}

// TestFailedPublishLeavesPrevious fails a second build after each file in turn and checks that the
// previous report is byte for byte what it was and that no temporary folder is left behind.
func TestFailedPublishLeavesPrevious(t *testing.T) {
	out, m := publishFixture(t, computed(t, fixture(t)))
	before := readFolder(t, out)
	names := []string{ManifestFile}
	for _, o := range m.Outputs {
		names = append(names, o.File)
	}
	for _, failAfter := range names {
		t.Run(failAfter, func(t *testing.T) {
			injected := errors.New("injected failure")
			testHookFileWritten = func(name string) error {
				if name == failAfter {
					return injected
				}
				return nil
			}
			defer func() { testHookFileWritten = nil }()
			changed := fixture(t)
			changed.Provenance.Title = "A different title"
			_, err := Publish(context.Background(), computed(t, changed), Options{Out: out, Tool: testTool})
			if !errors.Is(err, injected) {
				t.Fatalf("Publish returned %v, want the injected failure", err)
			}
			after := readFolder(t, out)
			if len(after) != len(before) {
				t.Errorf("report folder has %d files, had %d", len(after), len(before))
			}
			for name, data := range before {
				if !bytes.Equal(after[name], data) {
					t.Errorf("%s changed although the build failed", name)
				}
			}
			assertNoTemp(t, filepath.Dir(out))
		})
	}
}

func assertNoTemp(t *testing.T, parent string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), tempSuffix) {
			t.Errorf("temporary folder %s left behind", e.Name())
		}
	}
}

// TestCancelledPublish checks that a cancelled context stops the build and publishes nothing.
func TestCancelledPublish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Publish(ctx, computed(t, fixture(t)), Options{Out: out, Tool: testTool}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled build created %s", out)
	}
	assertNoTemp(t, filepath.Dir(out))
}

// TestStaleTempRemoved leaves the temporary folders of killed builds beside the report folder and
// checks that the next Publish removes them, and only them: a name the tool does not make, or a
// file, is the user's.
func TestStaleTempRemoved(t *testing.T) {
	parent := t.TempDir()
	stale := []string{".pacs-test.tmp-123456", ".pacs-test.tmp-0123456789abcdef"}
	keep := []string{".pacs-test-2.tmp-1", "pacs-test.tmp-1", ".pacs-test.tmp-old-abcdef", ".pacs-test.tmp-", "notes.txt", ".pacs-test.tmp-42.txt"}
	for _, name := range append(slices.Clone(stale), keep...) {
		if strings.HasSuffix(name, ".txt") {
			if err := os.WriteFile(filepath.Join(parent, name), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Join(parent, name, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(parent, name, "sub", "cells.parquet"), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: filepath.Join(parent, "pacs-test"), Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(parent, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s was not removed", name)
		}
	}
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(parent, name)); err != nil {
			t.Errorf("%s, which is not a temporary folder of this report, was removed: %v", name, err)
		}
	}
}

// TestSwapIntoPlace checks each way a finished folder replaces the report: a plain rename when there
// is none, the one-step exchange, and the two-rename fallback where exchange is unsupported.
func TestSwapIntoPlace(t *testing.T) {
	for _, tt := range []struct {
		name     string
		existing bool
		exchange func(a, b string) error
	}{
		{"new", false, exchange},
		{"exchange", true, exchange},
		{"fallback", true, func(a, b string) error { return errExchangeUnsupported }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "report")
			if tt.existing {
				if err := os.Mkdir(out, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(out, "old.txt"), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tmp, err := os.MkdirTemp(parent, tempPrefix("report"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, "new.txt"), []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := swapIntoPlace(tmp, out, tt.exchange); err != nil {
				t.Fatal(err)
			}
			got := readFolder(t, out)
			if len(got) != 1 || string(got["new.txt"]) != "new" {
				t.Errorf("report folder holds %v, want only new.txt", got)
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 {
				t.Errorf("parent holds %d entries, want only the report", len(entries))
			}
		})
	}
}

func TestPublishRefuses(t *testing.T) {
	good := computed(t, fixture(t))
	unordered := fixture(t)
	unordered.Tables[0], unordered.Tables[1] = unordered.Tables[1], unordered.Tables[0]
	repeated := fixture(t)
	repeated.Tables[0].Cells[1] = repeated.Tables[0].Cells[0]
	fileThere := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fileThere, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		r    *trend.Result
		opts Options
		want string
	}{
		{"nil result", nil, Options{Out: "x", Tool: testTool}, "no protected result"},
		{"no tool", good, Options{Out: filepath.Join(t.TempDir(), "r")}, "tool's name and version"},
		{"no folder", good, Options{Tool: testTool}, "no report folder given"},
		{"tables out of order", &trend.Result{Protected: unordered}, Options{Out: filepath.Join(t.TempDir(), "r"), Tool: testTool}, "not in (period, metric) order"},
		{"repeated cell", &trend.Result{Protected: repeated}, Options{Out: filepath.Join(t.TempDir(), "r"), Tool: testTool}, "out of order or repeated"},
		{"target is a file", good, Options{Out: fileThere, Tool: testTool}, "is not a folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Publish(context.Background(), tt.r, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish returned %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if data, err := os.ReadFile(fileThere); err != nil || len(data) != 0 {
		t.Errorf("the file in the way was changed: %q, %v", data, err)
	}
}

// TestWriteFileSubfolder checks that a file in a sub-folder (as charts would be) is written, and that
// a path leaving the folder is refused.
func TestWriteFileSubfolder(t *testing.T) {
	dir := t.TempDir()
	info, err := writeFile(dir, "charts/a.svg", []byte("<svg/>"))
	if err != nil {
		t.Fatal(err)
	}
	if info.File != "charts/a.svg" || info.Bytes != 6 || info.Rows != nil || info.SHA256 != sha256Hex([]byte("<svg/>")) {
		t.Errorf("manifest entry %+v", info)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "charts", "a.svg")); err != nil || string(data) != "<svg/>" {
		t.Errorf("file holds %q, %v", data, err)
	}
	for _, bad := range []string{"../x", "/etc/x", "a/../../x", ""} {
		if _, err := writeFile(dir, bad, nil); err == nil {
			t.Errorf("writeFile accepted %q", bad)
		}
	}
}

// TestHeadlineCoverage checks that a world change across a break in series is not presented as a
// change: the key figures mark it not comparable with a note that says why (the fixture's Germany
// changes source in the latest period; a country missing there changes the coverage too) and say
// how many countries each period covers.
func TestHeadlineCoverage(t *testing.T) {
	tests := []struct {
		name      string
		absent    string
		note      string
		countries string
	}{
		{"same countries, a change of source below", "", "1. exposed_systems, 2019-06-01: break in series: a change of source of a country it adds up.", "| 5 |"},
		{"a country missing in the latest period", "JP", "1. exposed_systems, 2019-06-01: break in series: a change of source of a country it adds up; a change of coverage (5 countries before, 4 now).", "| 4 (was 5) |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := publishFixture(t, computed(t, fixtureMissingLast(t, tc.absent)))
			data, err := os.ReadFile(filepath.Join(dir, ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			report := string(data)
			key := report[strings.Index(report, "## Key figures"):strings.Index(report, "## Top movers")]
			if !strings.Contains(key, "| n/c (1) | n/c (1) |") || !strings.Contains(key, "n/c not comparable:") || !strings.Contains(key, tc.note) {
				t.Errorf("change not marked not comparable with the note %q\n%s", tc.note, key)
			}
			if !strings.Contains(key, tc.countries) {
				t.Errorf("key figures lack the country count %q\n%s", tc.countries, key)
			}
		})
	}
}
