package publish

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestManifestRoundTrip checks that manifest.json is the returned manifest in deterministic JSON,
// that ReadManifest gives it back unchanged, and that it lists every other file of the folder with
// its size and digest.
func TestManifestRoundTrip(t *testing.T) {
	dir, m := publishFixture(t, computed(t, fixture(t)))
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Error("manifest.json is not the encoding of the returned manifest")
	}
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.HasPrefix(data, []byte("{\n  \"tool\": {\n    \"name\"")) {
		t.Errorf("manifest.json is not two-space indented JSON ending in a newline:\n%s", data)
	}
	read, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read, m) {
		t.Errorf("ReadManifest gave\n%+v\nwant\n%+v", read, m)
	}
	var names []string
	for _, o := range m.Outputs {
		names = append(names, o.File)
		digest, size, err := HashFile(filepath.Join(dir, o.File))
		if err != nil {
			t.Fatal(err)
		}
		if digest != o.SHA256 || size != o.Bytes {
			t.Errorf("%s: manifest says %d bytes %s, file is %d bytes %s", o.File, o.Bytes, o.SHA256, size, digest)
		}
		if tabular := strings.HasSuffix(o.File, ".parquet"); (o.Rows != nil) != tabular {
			t.Errorf("%s: rows %v; exactly the Parquet files have rows", o.File, o.Rows)
		}
	}
	// Every output is listed: the country pages and their HTML (Taiwan, whose every cell is withheld,
	// has none), the country charts and report.html too.
	wantNames := []string{"cells.parquet",
		"charts/affected_patients-latest.svg", "charts/affected_patients-over-time.svg", "charts/affected_patients-top-movers.svg",
		"charts/countries/DE-exposed_systems.svg", "charts/countries/FR-exposed_systems.svg", "charts/countries/JP-exposed_systems.svg",
		"charts/countries/US-exposed_systems.svg",
		"charts/exposed_systems-latest.svg", "charts/exposed_systems-over-time.svg", "charts/exposed_systems-top-movers.svg",
		"comparisons.parquet",
		"countries/DE.html", "countries/DE.md", "countries/FR.html", "countries/FR.md", "countries/JP.html", "countries/JP.md",
		"countries/US.html", "countries/US.md",
		"datapackage.json", "report.html", "report.md", "series.parquet", "summary.parquet", "trends.parquet"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("outputs %v, want %v (sorted, without the manifest)", names, wantNames)
	}
	if m.Protection.Cells == 0 || m.Protection.Suppressed == 0 || m.Protection.Parameters.MinValue["affected_patients"] != 11 {
		t.Errorf("protection summary not carried over: %+v", m.Protection)
	}
	if len(m.Dataset.Metrics) != 8 || m.Dataset.Metrics[0].Code != "exposed_systems" || len(m.Inputs) != 2 {
		t.Errorf("dataset metrics or inputs not carried over: %+v %+v", m.Dataset.Metrics, m.Inputs)
	}
	if diffs, err := CheckFiles(dir, m); err != nil || len(diffs) > 0 {
		t.Errorf("CheckFiles on a fresh report: %v %v", diffs, err)
	}
}

func TestReadManifestRejects(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	good, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, from, to, want string
	}{
		{"unknown field", `"tool": {`, `"extra": 1, "tool": {`, "unknown field"},
		{"not json", `{`, `[`, "invalid character"},
		{"no tool version", `"version": "0.0.0-test"`, `"version": ""`, "tool name and version"},
		{"bad digest", `"sha256": "`, `"sha256": "XYZ`, "not 64 lower-case hex digits"},
		{"path leaving the folder", `"file": "cells.parquet"`, `"file": "../cells.parquet"`, "not a path inside a report folder"},
		{"absolute path", `"file": "cells.parquet"`, `"file": "/etc/cells.parquet"`, "not a path inside a report folder"},
		{"unclean path", `"file": "cells.parquet"`, `"file": "charts//cells.parquet"`, "not a path inside a report folder"},
		{"trailing data", "  }\n}\n", "  }\n}\n{}", "data after"},
		{"output digest", `"file": "cells.parquet",
      "sha256": "`, `"file": "cells.parquet",
      "sha256": "A`, "not 64 lower-case hex digits"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := t.TempDir()
			data := strings.Replace(string(good), tt.from, tt.to, 1)
			if data == string(good) {
				t.Fatalf("the case does not change the manifest")
			}
			if err := os.WriteFile(filepath.Join(bad, ManifestFile), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadManifest(bad); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadManifest returned %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCompareManifests(t *testing.T) {
	_, base := publishFixture(t, computed(t, fixture(t)))
	clone := func() *Manifest {
		data, err := encodeManifest(base)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tt := range []struct {
		name   string
		change func(m *Manifest)
		want   []string
	}{
		{"identical", func(*Manifest) {}, nil},
		{"tool version", func(m *Manifest) { m.Tool.Version = "9.9.9" }, []string{`manifest tool.version: published "0.0.0-test", rebuilt "9.9.9"`}},
		{"go release", func(m *Manifest) { m.Tool.Go = "go1.27.0" }, []string{`manifest tool.go: published "", rebuilt "go1.27.0"`}},
		{"output module", func(m *Manifest) { m.Tool.Modules = []ModuleInfo{{"gonum.org/v1/plot", "v0.18.0"}} },
			[]string{`manifest tool.modules: published "", rebuilt "gonum.org/v1/plot v0.18.0"`}},
		{"output digest", func(m *Manifest) { m.Outputs[0].SHA256 = strings.Repeat("0", 64) }, []string{"manifest outputs cells.parquet sha256"}},
		{"output rows", func(m *Manifest) { *m.Outputs[len(m.Outputs)-1].Rows++ }, []string{"manifest outputs trends.parquet rows"}},
		{"missing output", func(m *Manifest) { m.Outputs = m.Outputs[1:] }, []string{"cells.parquet is published but not rebuilt"}},
		{"reordered outputs", func(m *Manifest) { m.Outputs[0], m.Outputs[1] = m.Outputs[1], m.Outputs[0] }, []string{"outputs: listed in another order"}},
		{"input key", func(m *Manifest) { m.Inputs[1].KeyID = "AAAAAAAAAAAAAAAA" }, []string{"manifest inputs data/tum-2019.csv key_id"}},
		{"parameters", func(m *Manifest) {
			m.Protection.Parameters.MinValue["exposed_images"] = 5
			m.Protection.Parameters.Interval = 0.25
		},
			[]string{"protection.parameters.min_value", "protection.parameters.interval"}},
		{"suppressed", func(m *Manifest) { m.Protection.Suppressed++ }, []string{"protection.suppressed"}},
		{"config", func(m *Manifest) { m.Dataset.ConfigSHA256 = "x" }, []string{"dataset.config_sha256"}},
		{"extra metric", func(m *Manifest) { m.Dataset.Metrics = append(m.Dataset.Metrics, MetricInfo{Code: "z"}) }, []string{"dataset.metrics: z is rebuilt but not published"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt := clone()
			tt.change(rebuilt)
			diffs := CompareManifests(clone(), rebuilt)
			if len(diffs) != len(tt.want) {
				t.Fatalf("got %d differences %q, want %d", len(diffs), diffs, len(tt.want))
			}
			for i, want := range tt.want {
				if !strings.Contains(diffs[i], want) {
					t.Errorf("difference %d is %q, want it to contain %q", i, diffs[i], want)
				}
			}
		})
	}
}

// TestCompareFiles checks that verify's byte comparison names a changed, a missing and an extra
// file, and that CheckFiles finds the same against the folder's own manifest.
func TestCompareFiles(t *testing.T) {
	published, _ := publishFixture(t, computed(t, fixture(t)))
	rebuiltDir, rebuilt := publishFixture(t, computed(t, fixture(t)))
	if diffs, err := CompareFiles(published, rebuiltDir, rebuilt); err != nil || len(diffs) > 0 {
		t.Fatalf("identical builds: %v %v", diffs, err)
	}
	own, err := ReadManifest(published)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(published, ReportFile), []byte("# tampered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(published, "series.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(published, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(published, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(published, "charts", "a.svg"), []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"report.md: published sha256", "series.parquet: rebuilt but missing", "charts/a.svg: published but not produced", "notes.txt: published but not produced"}
	diffs, err := CompareFiles(published, rebuiltDir, rebuilt)
	if err != nil {
		t.Fatal(err)
	}
	checkDiffs(t, "CompareFiles", diffs, want)
	diffs, err = CheckFiles(published, own)
	if err != nil {
		t.Fatal(err)
	}
	checkDiffs(t, "CheckFiles", diffs, []string{"report.md: 11 bytes", "series.parquet: listed in the manifest but missing", "charts/a.svg: in the folder but not in the manifest", "notes.txt: in the folder but not in the manifest"})
}

func checkDiffs(t *testing.T, what string, diffs, want []string) {
	t.Helper()
	if len(diffs) != len(want) {
		t.Fatalf("%s: got %q, want %d differences", what, diffs, len(want))
	}
	for i := range want {
		if !strings.Contains(diffs[i], want[i]) {
			t.Errorf("%s: difference %d is %q, want it to contain %q", what, i, diffs[i], want[i])
		}
	}
}

// TestManifestToolRoundTrip checks that the tool's Go release and module versions are written to
// manifest.json and read back unchanged.
func TestManifestToolRoundTrip(t *testing.T) {
	_, m := publishFixture(t, computed(t, fixture(t)))
	m.Tool = ToolInfo{Name: "exposure", Version: "0.1.0", Go: "go1.26.8",
		Modules: []ModuleInfo{{"github.com/apache/arrow/go/v15", "v15.0.2"}, {"gonum.org/v1/plot", "v0.17.0"}}}
	data, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\"go\": \"go1.26.8\",\n    \"modules\": [\n      {\n        \"path\": \"github.com/apache/arrow/go/v15\",\n        \"version\": \"v15.0.2\"\n      },")) {
		t.Errorf("manifest.json does not record the tool as expected:\n%s", data[:400])
	}
	read, err := parseManifest(data, ManifestFile)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read.Tool, m.Tool) {
		t.Errorf("read back %+v, want %+v", read.Tool, m.Tool)
	}
}
