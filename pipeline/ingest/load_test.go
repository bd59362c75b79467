package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// TestCSVHeader checks the rules of a CSV header: only the submission's columns, each once, the
// required ones present, and a header at all. A header-only file is a valid input with no rows.
func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name string
		data string
		kind error
		want string
	}{
		{"unknown column", "period,country,org_type,metric,value,contributors,ip\n", ErrUnknownColumn,
			`data/a.csv:1:7: unknown column "ip": a submission has only the columns period, country, org_type, metric, value, contributors, largest, second_largest (aggregates, never records about single systems or organizations)`},
		{"misspelt column", "period,Country,org_type,metric,value,contributors\n", ErrUnknownColumn,
			`data/a.csv:1:2: unknown column "Country"; did you mean "country"? (column names are lower case, without spaces)`},
		{"duplicate column", "period,country,org_type,metric,value,contributors,value\n", ErrDupColumn,
			`data/a.csv:1:7: column "value" appears twice (columns 5 and 7)`},
		{"missing column", "period,country,org_type,metric,value\n", ErrMissingColumn,
			`data/a.csv:1: missing column "contributors"`},
		{"empty file", "", ErrFormat,
			"data/a.csv: empty file: a submission starts with a header row naming its columns"},
		{"BOM not doubled", "\ufeff\ufeffperiod,country,org_type,metric,value,contributors\n", ErrUnknownColumn,
			`data/a.csv:1:1: unknown column "\ufeffperiod"; did you mean "period"? (column names are lower case, without spaces)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := loadErrors(t, makeDataset(t, input{file: "data/a.csv", source: "alpha", data: []byte(tt.data)}), Options{})
			if len(list) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(list), list)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
		})
	}
	t.Run("header only beside a file with rows", func(t *testing.T) {
		other := input{file: "data/b.csv", source: "alpha", data: []byte(header + "2019-09-01,DE,hospital,exposed_systems,10,3,,\n")}
		ds := mustLoad(t, makeDataset(t, csvInput(""), other))
		if ds.Inputs[0].Rows != 0 || len(ds.Tables) != 1 {
			t.Errorf("got %d rows, %d tables; want 0 rows of a.csv, 1 table", ds.Inputs[0].Rows, len(ds.Tables))
		}
	})
	t.Run("header only, and nothing else", func(t *testing.T) {
		list := loadErrors(t, makeDataset(t, csvInput("")), Options{})
		want := "data/a.csv: no data rows, and no other input has any: there is nothing to publish"
		if len(list) != 1 || list[0].Error() != want || !errors.Is(list[0], ErrNoData) {
			t.Errorf("got %v, want %s", list, want)
		}
	})
}

// TestMaxErrors checks that every row error is collected up to the limit, and the rest counted in a
// last line.
func TestMaxErrors(t *testing.T) {
	var rows strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&rows, "2019-09-01,DE,hospital,exposed_systems,-%d,3,,\n", i+1)
	}
	dir := makeDataset(t, csvInput(rows.String()))
	tests := []struct {
		name      string
		max       int
		wantLines int
		wantLast  string
	}{
		{"default 50", 0, 51, "... and 10 more errors"},
		{"limit 59", 59, 60, "... and 1 more error"},
		{"limit above the count", 100, 60, `data/a.csv:61:5: value: "-60" is negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := loadErrors(t, dir, Options{MaxErrors: tt.max})
			lines := strings.Split(list.Error(), "\n")
			if len(list) != tt.wantLines || len(lines) != tt.wantLines {
				t.Fatalf("got %d errors, %d lines; want %d", len(list), len(lines), tt.wantLines)
			}
			if lines[len(lines)-1] != tt.wantLast {
				t.Errorf("last line %q, want %q", lines[len(lines)-1], tt.wantLast)
			}
			if lines[0] != `data/a.csv:2:5: value: "-1" is negative` {
				t.Errorf("first line %q", lines[0])
			}
			var more MoreErrors
			if errors.As(list, &more) != strings.HasPrefix(tt.wantLast, "...") {
				t.Errorf("MoreErrors present = %v", !strings.HasPrefix(tt.wantLast, "..."))
			}
		})
	}
}

// TestDatasetOrder checks that Load sorts tables by period then metric and leaves by (Geo, Org), and
// that the order of rows and files does not change the result.
func TestDatasetOrder(t *testing.T) {
	rows := []string{
		"2019-10-01,DE,hospital,exposed_systems,10,3,,\n",
		"2019-09-01,FR,clinic,exposed_studies,7,2,4,3\n",
		"2019-09-01,DE,research,exposed_systems,1,1,1,0\n",
		"2019-09-01,AT,hospital,exposed_systems,5,2,,\n",
		"2019-09-01,DE,clinic,exposed_systems,0,0,,\n",
	}
	load := func(order []int) *Dataset {
		var a, b strings.Builder
		for i, k := range order {
			if i%2 == 0 {
				a.WriteString(rows[k])
			} else {
				b.WriteString(rows[k])
			}
		}
		second := input{file: "data/b.csv", source: "alpha", data: []byte(header + b.String())}
		return mustLoad(t, makeDataset(t, csvInput(a.String()), second))
	}
	first := load([]int{0, 1, 2, 3, 4})
	describe := func(ds *Dataset) string {
		var s strings.Builder
		for _, tb := range ds.Tables {
			fmt.Fprintf(&s, "%s %s:", tb.Period, ds.Vocab.Metric(tb.Metric).Code)
			for _, l := range tb.Leaves {
				fmt.Fprintf(&s, " %s/%s=%d", ds.Vocab.Geo.Node(l.Geo).Code, ds.Vocab.Org(l.Org).Code, l.Value)
			}
			s.WriteString("\n")
		}
		return s.String()
	}
	want := "2019-09-01 exposed_studies: FR/clinic=7\n" +
		"2019-09-01 exposed_systems: AT/hospital=5 DE/clinic=0 DE/research=1\n" +
		"2019-10-01 exposed_systems: DE/hospital=10\n"
	if got := describe(first); got != want {
		t.Fatalf("tables\n got:\n%s\nwant:\n%s", got, want)
	}
	for _, order := range [][]int{{4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}} {
		if got := describe(load(order)); got != want {
			t.Errorf("order %v gives\n%s", order, got)
		}
	}
	for _, tb := range first.Tables {
		for i := 1; i < len(tb.Leaves); i++ {
			a, b := tb.Leaves[i-1], tb.Leaves[i]
			if a.Geo > b.Geo || (a.Geo == b.Geo && a.Org >= b.Org) {
				t.Errorf("leaves not sorted by (Geo, Org): %+v", tb.Leaves)
			}
		}
	}
	if first.Vocab.NumMetrics() != 8 || first.Config.ID != "test-set" || first.Dir == "" {
		t.Errorf("dataset fields: %+v", first)
	}
	if _, ok := first.Vocab.MetricByCode("exposed_systems"); !ok {
		t.Error("vocabulary lacks the default metrics")
	}
	if first.Tables[0].Period != mustDate(t, "2019-09-01") {
		t.Errorf("period %v", first.Tables[0].Period)
	}
}

func mustDate(t testing.TB, s string) schemas.Date {
	t.Helper()
	d, err := schemas.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDatasetMetrics checks that a dataset's own metric is in Dataset.Vocab and accepted in rows.
func TestDatasetMetrics(t *testing.T) {
	dir := configDir(t, validYAML)
	in := csvInput("2019-09-01,DE,hospital,exposed_ports,10,3,,\n")
	mustWrite(t, dir+"/data/a.csv", in.data)
	if err := signFile(t, dir+"/data/a.csv", "alpha"); err != nil {
		t.Fatal(err)
	}
	list := loadErrors(t, dir, Options{})
	// validYAML limits alpha to exposed_systems, so the row is out of scope, but known.
	if len(list) != 1 || !errors.Is(list[0], ErrOutOfScope) {
		t.Fatalf("got %v, want one scope error", list)
	}
	ds := mustLoad(t, makeDataset(t, csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n")))
	if _, ok := ds.Vocab.MetricByCode("exposed_ports"); ok {
		t.Error("a metric of another dataset leaked into the vocabulary")
	}
}

func signFile(t testing.TB, path, source string) error {
	return signing.SignFile(path, keyFor(t, source).priv, "test signature")
}

// TestLoadCancelled checks that a cancelled context stops Load with the context's error.
func TestLoadCancelled(t *testing.T) {
	dir := makeDataset(t, csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, dir, Options{Env: []string{}}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestErrorFormat checks the three forms of Error and that errors.As reaches it through a list.
func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "data/a.csv", Line: 12, Column: 5, Field: "value", Err: ErrNegative}, "data/a.csv:12:5: value: negative number"},
		{&Error{File: "data/a.csv", Line: 12, Err: ErrFormat}, "data/a.csv:12: malformed file"},
		{&Error{File: "data/b.parquet", Row: 7, Field: "value", Err: ErrNegative}, "data/b.parquet:row 7:value: negative number"},
		{&Error{File: "data/b.parquet", Field: "ip", Err: ErrUnknownColumn}, "data/b.parquet: ip: unknown column"},
		{&Error{File: "environment", Field: "EXPOSURE_X", Err: ErrConfig}, "environment: EXPOSURE_X: invalid configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q", got)
			}
			var e *Error
			if !errors.As(ErrorList{errors.New("x"), tt.err}, &e) || e != tt.err {
				t.Error("errors.As does not find the Error in an ErrorList")
			}
			if !errors.Is(ErrorList{tt.err}, tt.err.Err) {
				t.Error("errors.Is does not find the kind through an ErrorList")
			}
		})
	}
}

// TestProgress checks that Options.Progress hears of each file's verification, then its reading,
// each ending at the file's size, for both kinds of signature.
func TestProgress(t *testing.T) {
	for _, signer := range []string{"", "legacy:"} {
		t.Run("signer="+signer, func(t *testing.T) {
			in := csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n")
			in.signer = signer
			dir := makeDataset(t, in)
			var calls []string
			opts := Options{Env: []string{}, Progress: func(file, phase string, done, total int64) {
				calls = append(calls, fmt.Sprintf("%s %s %d/%d", file, phase, done, total))
			}}
			if _, err := Load(context.Background(), dir, opts); err != nil {
				t.Fatal(err)
			}
			size := len(in.data)
			want := []string{fmt.Sprintf("data/a.csv verify %d/%d", size, size), fmt.Sprintf("data/a.csv read %d/%d", size, size)}
			if len(calls) != 2 || calls[0] != want[0] || calls[1] != want[1] {
				t.Errorf("calls %q, want %q", calls, want)
			}
		})
	}
}
