package publish

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// FuzzReadManifest feeds arbitrary bytes as a report folder's manifest.json, which `exposure verify`
// and `exposure audit` read from folders that anyone may have handed over. It must not panic; a
// manifest it accepts must name only files inside the folder and must read back the same after it is
// written again.
func FuzzReadManifest(f *testing.F) {
	rows := int64(3)
	good := &Manifest{
		Tool:    ToolInfo{Name: "exposure", Version: "0.1.0"},
		Dataset: DatasetInfo{ID: "x", ConfigSHA256: strings.Repeat("a", 64)},
		Inputs:  []InputInfo{{File: "data/a.csv", Source: "s", SHA256: strings.Repeat("b", 64), KeyID: "0123456789ABCDEF", Rows: 3}},
		Outputs: []OutputInfo{{File: "cells.parquet", SHA256: strings.Repeat("c", 64), Bytes: 10, Rows: &rows}, {File: "charts/a.svg", SHA256: strings.Repeat("d", 64), Bytes: 5}},
	}
	data, err := encodeManifest(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"tool":{"name":"x","version":"1"},"dataset":{"id":"x"},"outputs":[{"file":"../etc/passwd","sha256":"` + strings.Repeat("0", 64) + `"}]}`))
	f.Add([]byte(`{"tool":{"name":"x","version":"1"},"dataset":{"id":"x"}} {}`))
	f.Add([]byte(`{"tool":{"name":"x","version":"1"},"dataset":{"id":"x","metrics":[{"code":"a\nb"}]}}`))
	// The targets parse bytes in memory: deleting a file per input is slow on some file systems.
	const dir = "/report"
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data, dir)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r") {
				t.Fatalf("error with a carriage return: %q", err)
			}
			return
		}
		for _, o := range m.Outputs {
			rel, err := filepath.Rel(dir, filepath.Join(dir, filepath.FromSlash(o.File)))
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(o.File) {
				t.Fatalf("accepted output %q outside the folder", o.File)
			}
		}
		again, err := encodeManifest(m)
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		back, err := parseManifest(again, dir)
		if err != nil {
			t.Fatalf("an accepted manifest, written again, is refused: %v", err)
		}
		if !reflect.DeepEqual(m, back) {
			t.Fatalf("manifest changed when written again:\n%+v\n%+v", m, back)
		}
	})
}

// FuzzReadCells feeds arbitrary bytes as a report folder's cells.parquet, which `exposure audit`
// reads from folders that anyone may have handed over: it must not panic, and every error must be
// one line.
func FuzzReadCells(f *testing.F) {
	vocab, err := schemas.Default()
	if err != nil {
		f.Fatal(err)
	}
	for _, rows := range [][]rawCell{
		{{Period: 18000, Metric: "exposed_systems", GeoLevel: "world", Geo: "001", OrgType: "all", GeoName: "World", Value: ptr(5), Status: "published"},
			{Period: 18000, Metric: "exposed_systems", GeoLevel: "country", Geo: "DE", OrgType: "all", GeoName: "Germany", Value: ptr(5), Status: "published"}},
		{{Period: 18000, Metric: "exposed_systems", GeoLevel: "country", Geo: "DE", OrgType: "hospital", Status: "suppressed"}},
	} {
		data, err := os.ReadFile(filepath.Join(writeRaw(f, rows), schemas.Cells.File))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := readCellsFrom(bytes.NewReader(data), int64(len(data)), schemas.Cells.File, vocab, map[string]int{"s": 0})
		if err != nil && strings.ContainsAny(err.Error(), "\r") {
			t.Fatalf("error with a carriage return: %q", err)
		}
	})
}
