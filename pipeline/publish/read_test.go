package publish

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/exposure-research/exposure/schemas"
)

// rawCell is a row of a hand-made cells.parquet, written with parquet-go to test what ReadCells
// accepts and refuses.
type rawCell struct {
	Period   int32  `parquet:"period,date"`
	Metric   string `parquet:"metric"`
	GeoLevel string `parquet:"geo_level"`
	Geo      string `parquet:"geo"`
	OrgType  string `parquet:"org_type"`
	GeoName  string `parquet:"geo_name"`
	Value    *int64 `parquet:"value,optional"`
	Status   string `parquet:"status"`
}

// rawCellNoStatus is a cells file that lacks the status column.
type rawCellNoStatus struct {
	Period   int32  `parquet:"period,date"`
	Metric   string `parquet:"metric"`
	GeoLevel string `parquet:"geo_level"`
	Geo      string `parquet:"geo"`
	OrgType  string `parquet:"org_type"`
	Value    *int64 `parquet:"value,optional"`
}

// rawCellTextPeriod has its period as a string, not a DATE.
type rawCellTextPeriod struct {
	Period   string `parquet:"period"`
	Metric   string `parquet:"metric"`
	GeoLevel string `parquet:"geo_level"`
	Geo      string `parquet:"geo"`
	OrgType  string `parquet:"org_type"`
	Value    *int64 `parquet:"value,optional"`
	Status   string `parquet:"status"`
}

func writeRaw[T any](t testing.TB, rows []T) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, schemas.Cells.File))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ptr(v int64) *int64 { return &v }

func TestReadCellsAccepts(t *testing.T) {
	day := int32(18140) // 2019-09-01
	dir := writeRaw(t, []rawCell{
		// Out of order on purpose: a reader must not depend on the writer's order.
		{day, "exposed_systems", "country", "DE", "hospital", "Germany", ptr(5), "published"},
		{day, "exposed_systems", "world", "001", "all", "World", nil, "suppressed"},
		{day, "exposed_systems", "country", "DE", "all", "Germany", ptr(0), "published"},
		{day - 30, "exposed_systems", "world", "001", "all", "World", ptr(9), "published"},
	})
	vocab, tables, err := ReadCells(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].Period != schemas.Date(day-30) || len(tables[1].Cells) != 3 {
		t.Fatalf("tables %+v", tables)
	}
	world, _ := vocab.Geo.ByCode("001")
	if c := tables[1].Cells[0]; c.Geo != world || !c.Suppressed() {
		t.Errorf("first cell of the second table is %+v, want the suppressed world total", c)
	}
	if v, ok := tables[1].Cells[2].Value(); !ok || v != 5 {
		t.Errorf("DE hospital is %d %v, want published 5", v, ok)
	}
}

func TestReadCellsRejects(t *testing.T) {
	day := int32(18140)
	good := rawCell{day, "exposed_systems", "country", "DE", "hospital", "Germany", ptr(5), "published"}
	with := func(change func(*rawCell)) rawCell {
		c := good
		change(&c)
		return c
	}
	for _, tt := range []struct {
		name string
		rows []rawCell
		want []string // each an error line, in order
	}{
		{"unknown metric", []rawCell{good, with(func(c *rawCell) { c.Metric = "exposed_toasters" })},
			[]string{`row 2, column metric: unknown metric "exposed_toasters"`}},
		{"unknown area", []rawCell{with(func(c *rawCell) { c.Geo = "UK" })}, []string{`row 1, column geo: unknown area "UK"`}},
		{"wrong level", []rawCell{with(func(c *rawCell) { c.GeoLevel = "region" })}, []string{`row 1, column geo_level: "region", but DE is a country`}},
		{"unknown organization type", []rawCell{with(func(c *rawCell) { c.OrgType = "bank" })}, []string{`row 1, column org_type: unknown organization type "bank"`}},
		{"bad status", []rawCell{with(func(c *rawCell) { c.Status = "secret" })}, []string{`row 1, column status: "secret" is neither published nor suppressed`}},
		{"null published value", []rawCell{with(func(c *rawCell) { c.Value = nil })}, []string{"row 1, column value: null, but the status is published"}},
		{"value of a suppressed cell", []rawCell{with(func(c *rawCell) { c.Status = "suppressed" })},
			[]string{"row 1, column value: 5, but the status is suppressed"}},
		{"negative value", []rawCell{with(func(c *rawCell) { c.Value = ptr(-1) })}, []string{"row 1, column value: negative count -1"}},
		{"repeated cell", []rawCell{good, with(func(c *rawCell) { c.Value = ptr(6) })}, []string{"row 2: the cell DE hospital of 2019-09-01 exposed_systems appears twice"}},
		{"repeated cell out of order", []rawCell{good, with(func(c *rawCell) { c.OrgType = "all" }), with(func(c *rawCell) { c.Value = ptr(6) })},
			[]string{"the cell DE hospital of 2019-09-01 exposed_systems appears twice"}},
		{"several errors", []rawCell{with(func(c *rawCell) { c.Geo = "ZZ" }), good, with(func(c *rawCell) { c.Metric = "m"; c.Status = "s" })},
			[]string{`row 1, column geo: unknown area "ZZ"`, `row 3, column metric: unknown metric "m"`, `row 3, column status: "s"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadCells(writeRaw(t, tt.rows))
			if err == nil {
				t.Fatal("ReadCells accepted a malformed file")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, want := range tt.want {
				if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "cells.parquet") {
					t.Errorf("error %d is %q, want it to name the file and contain %q", i, lines[i], want)
				}
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%v is not a *FormatError", err)
			}
		})
	}
}

func TestReadCellsRejectsLayout(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  string
		want string
	}{
		{"missing column", writeRaw(t, []rawCellNoStatus{{18140, "exposed_systems", "country", "DE", "hospital", ptr(1)}}), "column status: no such column"},
		{"period not a date", writeRaw(t, []rawCellTextPeriod{{"2019-09-01", "exposed_systems", "country", "DE", "hospital", ptr(1), "published"}}),
			"column period: physical type BYTE_ARRAY, want INT32"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadCells(tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadCells returned %v, want an error containing %q", err, tt.want)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, schemas.Cells.File), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadCells(dir); err == nil || !strings.Contains(err.Error(), "cells.parquet") {
		t.Errorf("ReadCells on a file that is not Parquet returned %v", err)
	}
}
