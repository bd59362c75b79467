package ingest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// TestLimits checks each limit where it is set: its default, dataset.yaml's limits section, the
// environment, an override and Options, in that order of precedence, and the error at the first row
// beyond it.
func TestLimits(t *testing.T) {
	rows := "2019-09-01,DE,hospital,exposed_systems,10,3,,\n" +
		"2019-09-01,DE,clinic,exposed_systems,10,3,,\n" +
		"2019-09-01,FR,clinic,exposed_systems,10,3,,\n"
	tests := []struct {
		name   string
		yaml   string // appended to dataset.yaml
		env    []string
		opts   Options
		kind   error // nil: the dataset loads
		want   string
		limits Limits // when the dataset loads
	}{
		{name: "defaults", limits: Limits{MaxFileBytes: 4 << 30, MaxRowsPerFile: 50_000_000, MaxCellsPerTable: 1_000_000}},
		{name: "rows in dataset.yaml", yaml: "limits: {max_rows_per_file: 2}\n", kind: ErrTooManyLines,
			want: "data/a.csv:4: more than 2 data rows (limits.max_rows_per_file; raise it in dataset.yaml, with --max-rows-per-file or --set limits.max_rows_per_file=N); the rest of the file was not read"},
		{name: "rows exactly at the limit", yaml: "limits: {max_rows_per_file: 3}\n",
			limits: Limits{MaxFileBytes: 4 << 30, MaxRowsPerFile: 3, MaxCellsPerTable: 1_000_000}},
		{name: "cells in dataset.yaml", yaml: "limits: {max_cells_per_table: 2}\n", kind: ErrTooManyCells,
			want: "data/a.csv:4: the table (2019-09-01, exposed_systems) has more than 2 leaf cells (limits.max_cells_per_table; raise it in dataset.yaml, with --max-cells-per-table or --set limits.max_cells_per_table=N)"},
		{name: "bytes in dataset.yaml", yaml: "limits: {max_file_bytes: 100}\n", kind: ErrTooLarge,
			want: "data/a.csv: 207 bytes is more than the limit of 100 (limits.max_file_bytes; raise it in dataset.yaml, with --max-file-bytes or --set limits.max_file_bytes=N)"},
		{name: "environment beats dataset.yaml", yaml: "limits: {max_rows_per_file: 2}\n", env: []string{"EXPOSURE_LIMITS_MAX_ROWS_PER_FILE=10"},
			limits: Limits{MaxFileBytes: 4 << 30, MaxRowsPerFile: 10, MaxCellsPerTable: 1_000_000}},
		{name: "override beats the environment", env: []string{"EXPOSURE_LIMITS_MAX_CELLS_PER_TABLE=10"},
			opts: Options{Overrides: map[string]any{"limits.max_cells_per_table": int64(1)}}, kind: ErrTooManyCells,
			want: "data/a.csv:3: the table (2019-09-01, exposed_systems) has more than 1 leaf cells"},
		{name: "options beat overrides", opts: Options{MaxRowsPerFile: 1, Overrides: map[string]any{"limits.max_rows_per_file": int64(10)}},
			kind: ErrTooManyLines, want: "data/a.csv:3: more than 1 data rows"},
		{name: "zero refused", yaml: "limits:\n  max_cells_per_table: 0\n", kind: ErrConfig,
			want: "dataset.yaml:20:24: limits.max_cells_per_table: must be at least 1, got 0"},
		{name: "rows beyond a place refused", yaml: "limits: {max_rows_per_file: 4294967296}\n", kind: ErrConfig,
			want: "dataset.yaml:19:29: limits.max_rows_per_file: must be at most 4294967295, got 4294967296"},
		{name: "unknown limit", yaml: "limits: {max_errors: 3}\n", kind: ErrUnknownKey,
			want: "dataset.yaml:19:10: limits.max_errors: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeDataset(t, csvInput(rows))
			if tt.yaml != "" {
				path := filepath.Join(dir, ConfigFile)
				mustWrite(t, path, append(readFile(t, path), tt.yaml...))
			}
			opts := tt.opts
			opts.Env = append([]string{}, tt.env...)
			ds, err := Load(context.Background(), dir, opts)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if ds.Config.Limits != tt.limits {
					t.Errorf("limits %+v, want %+v", ds.Config.Limits, tt.limits)
				}
				return
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("got %v, want one error", err)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
			if got := list[0].Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("message\n got: %s\nwant: %s...", got, tt.want)
			}
		})
	}
}

// endless yields a CSV header and then one line that never ends, counting the bytes it gave.
type endless struct {
	head  string
	fill  byte
	given int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.fill
	}
	e.given += int64(len(p))
	return len(p), nil
}

// TestRecordLimit checks that a record longer than MaxRecordBytes ends the file with an error that
// names the line where it starts, after reading little more than the limit: memory stays bounded
// however long the line is.
func TestRecordLimit(t *testing.T) {
	tests := []struct {
		name string
		head string
		fill byte
		want string
	}{
		{"endless field", header + "2019-09-01,DE,", 'x', "data/f:2: a record longer than 1048576 bytes starts on this line"},
		{"endless header", "period,country", 'x', "data/f:1: a record longer than 1048576 bytes starts on this line"},
		{"quote never closed", header + "2019-09-01,DE,hospital,exposed_systems,1,1,,\n2019-09-01,\"", '\n', "data/f:3: a record longer than 1048576 bytes starts on this line"},
		{"endless empty lines inside quotes", header + "\"", '\n', "data/f:2: a record longer than 1048576 bytes starts on this line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := fuzzRules(t)
			errs := &collector{max: 100}
			ir := newInputReader("data/f", 0, false, rules, errs, newBuilder(math.MaxInt64))
			src := &endless{head: tt.head, fill: tt.fill}
			if err := ir.readCSV(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			if errs.count() != 1 || !errors.Is(errs.errs[0], ErrLineTooLong) || !strings.HasPrefix(errs.errs[0].Error(), tt.want) {
				t.Fatalf("got %v, want one error %q", errs.errs, tt.want)
			}
			if src.given > MaxRecordBytes+1<<20 {
				t.Errorf("read %d bytes to find a record longer than %d", src.given, MaxRecordBytes)
			}
		})
	}
}

// TestRecordLimitAllowsLongQuotedRows checks that the limiter counts records, not lines: rows just
// under the limit are read as rows (and refused for what they say), and line ends inside quotes do
// not shift line numbers.
func TestRecordLimitAllowsLongQuotedRows(t *testing.T) {
	long := strings.Repeat("x", MaxRecordBytes-100)
	data := header + "2019-09-01,DE,\"" + long + "\",exposed_systems,1,1,,\n" +
		"2019-09-01,\"D\"\"E\",hospital,exposed_systems,1,1,,\n" +
		"2019-09-01,\"F\nR\",hospital,exposed_systems,1,1,,\n" +
		"2019-09-01,UK,hospital,exposed_systems,1,1,,\n"
	_, errs, _ := readRows(t, []byte(data), false)
	var got []string
	for _, err := range errs.errs {
		if errors.Is(err, ErrLineTooLong) {
			t.Fatalf("a row under the limit was refused as too long: %v", err)
		}
		msg := err.Error()
		got = append(got, msg[:strings.Index(msg, ": ")])
	}
	if want := "data/f:2:3 data/f:3:2 data/f:4:2 data/f:6:2"; strings.Join(got, " ") != want {
		t.Errorf("errors at %v, want at %s", got, want)
	}
}

// TestConfigEncoding checks that dataset.yaml must be UTF-8, with the line of the first bad byte.
func TestConfigEncoding(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"Latin-1", "id: x\ntitle: caf\xe9\n", "dataset.yaml:2: not UTF-8 (a dataset.yaml is UTF-8 text)"},
		{"UTF-16", "\xff\xfei\x00d\x00", "dataset.yaml:1: not UTF-8 (a dataset.yaml is UTF-8 text)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(dir, Options{Env: []string{}})
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrEncoding) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// TestParquetCodecs checks that the page walk accepts the codecs writers use and refuses LZ4, whose
// decoder in parquet-go allocates without bound on a corrupt block.
func TestParquetCodecs(t *testing.T) {
	p := day(t, "2019-09-01")
	rows := []pqRow{{p, "DE", "hospital", "exposed_systems", 10, 3, ptr[int64](5), ptr[int64](2)}, {p, "FR", "clinic", "exposed_systems", 0, 0, nil, nil}}
	tests := []struct {
		name  string
		codec compress.Codec
		ok    bool
	}{
		{"uncompressed", &uncompressed.Codec{}, true},
		{"snappy", &snappy.Codec{}, true},
		{"gzip", &gzip.Codec{}, true},
		{"zstd", &zstd.Codec{}, true},
		{"lz4", &lz4.Codec{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := parquet.NewGenericWriter[pqRow](&buf, parquet.Compression(tt.codec))
			if _, err := w.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			list := loadErrors(t, makeDataset(t, parquetInput(buf.Bytes())), Options{})
			switch {
			case tt.ok && len(list) > 0:
				t.Errorf("refused: %v", list)
			case !tt.ok && (len(list) != 1 || !strings.Contains(list[0].Error(), "LZ4 compression is not supported")):
				t.Errorf("got %v, want LZ4 refused", list)
			}
		})
	}
}
