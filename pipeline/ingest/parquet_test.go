package ingest

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"

	"github.com/exposure-research/exposure/schemas"
)

// pqRow is a submission row as a Parquet writer sees it: the columns of SPEC 3.1 with the types it
// asks for; dates are days since 1970-01-01.
type pqRow struct {
	Period        int32  `parquet:"period,date"`
	Country       string `parquet:"country"`
	OrgType       string `parquet:"org_type"`
	Metric        string `parquet:"metric"`
	Value         int64  `parquet:"value"`
	Contributors  int32  `parquet:"contributors"`
	Largest       *int64 `parquet:"largest,optional"`
	SecondLargest *int64 `parquet:"second_largest,optional"`
}

func ptr[T any](v T) *T { return &v }

func day(t testing.TB, s string) int32 {
	t.Helper()
	d, err := schemas.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return int32(d)
}

// parquetBytes writes rows with parquet-go's writer.
func parquetBytes[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parquetInput(data []byte) input {
	return input{file: "data/a.parquet", source: "alpha", data: data}
}

// TestParquetAccepted reads valid Parquet submissions: parquet-go's required columns, and Arrow's
// writer with every column optional and nulls in largest, as pyarrow and pandas write them.
func TestParquetAccepted(t *testing.T) {
	p := day(t, "2019-09-01")
	rows := []pqRow{
		{p, "DE", "hospital", "exposed_systems", 10, 3, ptr[int64](5), ptr[int64](2)},
		{p, "FR", "clinic", "exposed_systems", 4, 2, nil, nil},
		{p, "DE", "hospital", "exposed_studies", 0, 0, nil, nil},
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"parquet-go", parquetBytes(t, rows)},
		{"arrow", arrowParquet(t, rows)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := mustLoad(t, makeDataset(t, parquetInput(tt.data)))
			if ds.Inputs[0].Rows != 3 || len(ds.Tables) != 2 {
				t.Fatalf("got %d rows in %d tables, want 3 in 2", ds.Inputs[0].Rows, len(ds.Tables))
			}
			systems := ds.Tables[1]
			if ds.Vocab.Metric(systems.Metric).Code != "exposed_systems" || len(systems.Leaves) != 2 {
				t.Fatalf("table 2: %+v", systems)
			}
			de := systems.Leaves[0]
			if ds.Vocab.Geo.Node(de.Geo).Code != "DE" || de.Value != 10 || de.Contributors != 3 || de.Largest != 5 || de.SecondLargest != 2 {
				t.Errorf("DE leaf: %+v", de)
			}
			if fr := systems.Leaves[1]; fr.Largest != Unknown || fr.SecondLargest != Unknown || fr.HasDominance() {
				t.Errorf("FR leaf: %+v, want no dominance", fr)
			}
		})
	}
}

// arrowParquet writes rows with Arrow's Parquet writer and the submission's Arrow schema.
func arrowParquet(t testing.TB, rows []pqRow) []byte {
	t.Helper()
	schema := schemas.Submission.ArrowSchema()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Date32Builder).Append(arrow.Date32(r.Period))
		b.Field(1).(*array.StringBuilder).Append(r.Country)
		b.Field(2).(*array.StringBuilder).Append(r.OrgType)
		b.Field(3).(*array.StringBuilder).Append(r.Metric)
		b.Field(4).(*array.Int64Builder).Append(r.Value)
		b.Field(5).(*array.Int64Builder).Append(int64(r.Contributors))
		for i, v := range []*int64{r.Largest, r.SecondLargest} {
			if v == nil {
				b.Field(6 + i).(*array.Int64Builder).AppendNull()
			} else {
				b.Field(6 + i).(*array.Int64Builder).Append(*v)
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Row types with a layout that a submission must not have.
type (
	pqExtraColumn struct {
		pqRow
		IP string `parquet:"ip"`
	}
	pqMissing struct {
		Period  int32  `parquet:"period,date"`
		Country string `parquet:"country"`
		OrgType string `parquet:"org_type"`
		Metric  string `parquet:"metric"`
		Value   int64  `parquet:"value"`
	}
	pqStringDate struct {
		Period       string `parquet:"period"`
		Country      string `parquet:"country"`
		OrgType      string `parquet:"org_type"`
		Metric       string `parquet:"metric"`
		Value        int64  `parquet:"value"`
		Contributors int64  `parquet:"contributors"`
	}
	pqIntDate struct {
		Period       int32  `parquet:"period"`
		Country      string `parquet:"country"`
		OrgType      string `parquet:"org_type"`
		Metric       string `parquet:"metric"`
		Value        int64  `parquet:"value"`
		Contributors int64  `parquet:"contributors"`
	}
	pqFloatValue struct {
		Period       int32   `parquet:"period,date"`
		Country      string  `parquet:"country"`
		OrgType      string  `parquet:"org_type"`
		Metric       string  `parquet:"metric"`
		Value        float64 `parquet:"value"`
		Contributors int64   `parquet:"contributors"`
	}
	pqRepeated struct {
		Period       int32    `parquet:"period,date"`
		Country      []string `parquet:"country"`
		OrgType      string   `parquet:"org_type"`
		Metric       string   `parquet:"metric"`
		Value        int64    `parquet:"value"`
		Contributors int64    `parquet:"contributors"`
	}
	pqNested struct {
		Period  int32  `parquet:"period,date"`
		Country string `parquet:"country"`
		OrgType string `parquet:"org_type"`
		Metric  string `parquet:"metric"`
		Figures struct {
			Value        int64 `parquet:"value"`
			Contributors int64 `parquet:"contributors"`
		} `parquet:"figures"`
	}
	pqUnsigned struct {
		Period       int32  `parquet:"period,date"`
		Country      string `parquet:"country"`
		OrgType      string `parquet:"org_type"`
		Metric       string `parquet:"metric"`
		Value        uint64 `parquet:"value,uint(64)"`
		Contributors uint32 `parquet:"contributors,uint(32)"`
	}
	pqOptional struct {
		Period       int32   `parquet:"period,date"`
		Country      *string `parquet:"country,optional"`
		OrgType      string  `parquet:"org_type"`
		Metric       string  `parquet:"metric"`
		Value        int64   `parquet:"value"`
		Contributors int64   `parquet:"contributors"`
	}
)

// TestParquetRules checks the layout rules of a Parquet submission and that row rules are placed as
// file:row N:column. Each case asserts the kind and the whole message of the only error.
func TestParquetRules(t *testing.T) {
	p := day(t, "2019-09-01")
	good := pqRow{p, "DE", "hospital", "exposed_systems", 10, 3, nil, nil}
	bad := func(change func(*pqRow)) []byte {
		r := good
		change(&r)
		return parquetBytes(t, []pqRow{good, r})
	}
	valid := parquetBytes(t, []pqRow{good})
	tests := []struct {
		name string
		data []byte
		kind error
		want string
	}{
		{"extra column", parquetBytes(t, []pqExtraColumn{{good, "10.0.0.1"}}), ErrUnknownColumn,
			`data/a.parquet: ip: unknown column "ip": a submission has only the columns period, country, org_type, metric, value, contributors, largest, second_largest (aggregates, never records about single systems or organizations)`},
		{"missing column", parquetBytes(t, []pqMissing{{p, "DE", "hospital", "exposed_systems", 1}}), ErrMissingColumn,
			`data/a.parquet: missing column "contributors"`},
		{"period as string", parquetBytes(t, []pqStringDate{{"2019-09-01", "DE", "hospital", "exposed_systems", 1, 1}}), ErrColumnType,
			`data/a.parquet: period: period must be a DATE (INT32 with the DATE logical type), got BYTE_ARRAY (STRING)`},
		{"period as plain INT32", parquetBytes(t, []pqIntDate{{p, "DE", "hospital", "exposed_systems", 1, 1}}), ErrColumnType,
			`data/a.parquet: period: period must be a DATE (INT32 with the DATE logical type), got INT32 (INT(32,true))`},
		{"value as double", parquetBytes(t, []pqFloatValue{{p, "DE", "hospital", "exposed_systems", 1, 1}}), ErrColumnType,
			`data/a.parquet: value: value must be an integer (INT32 or INT64), got DOUBLE`},
		{"repeated column", parquetBytes(t, []pqRepeated{{p, []string{"DE"}, "hospital", "exposed_systems", 1, 1}}), ErrColumnType,
			`data/a.parquet: country: repeated (list) columns are not allowed: one value per row`},
		{"nested column", parquetBytes(t, []pqNested{{Period: p, Country: "DE", OrgType: "hospital", Metric: "exposed_systems"}}), ErrColumnType,
			`data/a.parquet: nested columns are not allowed: a submission is a flat table`},
		{"unsigned overflow", parquetBytes(t, []pqUnsigned{{p, "DE", "hospital", "exposed_systems", 1 << 63, 1}}), ErrOverflow,
			`data/a.parquet:row 1:value: 9223372036854775808 is larger than the largest 64-bit integer`},
		{"null in a required column", parquetBytes(t, []pqOptional{{p, nil, "hospital", "exposed_systems", 1, 1}}), ErrEmpty,
			`data/a.parquet:row 1:country: null; a value is required`},
		{"negative value", bad(func(r *pqRow) { r.Country, r.Value = "FR", -1 }), ErrNegative,
			`data/a.parquet:row 2:value: -1 is negative`},
		{"country UK", bad(func(r *pqRow) { r.Country = "UK" }), ErrVocabulary,
			`data/a.parquet:row 2:country: "UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"`},
		{"largest above value", bad(func(r *pqRow) { r.Country, r.Largest = "FR", ptr[int64](11) }), ErrLargestAboveValue,
			`data/a.parquet:row 2:largest: largest 11 is more than value 10`},
		{"date out of range", bad(func(r *pqRow) { r.Country, r.Period = "FR", 1<<30 }), ErrDate,
			`data/a.parquet:row 2:period: day 1073741824 since 1970-01-01 is outside the years 0001 to 9999`},
		{"duplicate cell", bad(func(*pqRow) {}), ErrDuplicateCell,
			`data/a.parquet:row 2: duplicate cell (2019-09-01, DE, hospital, exposed_systems): also at data/a.parquet:row 1`},
		{"truncated file", valid[:len(valid)/2], ErrFormat,
			`data/a.parquet: not a Parquet file: no PAR1 magic bytes (an encrypted footer is not supported)`},
		{"footer length too large", append(append([]byte(nil), valid[:len(valid)-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), ErrFormat,
			`data/a.parquet: not a Parquet file: the footer claims 2147483647 bytes but the file has ` + itoa(len(valid))},
		{"CSV named .parquet", []byte(header), ErrFormat, `data/a.parquet: not a Parquet file: no PAR1 magic bytes (an encrypted footer is not supported)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := loadErrors(t, makeDataset(t, parquetInput(tt.data)), Options{})
			if len(list) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(list), list)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestParquetEmpty checks that a Parquet file with a schema and no rows is a valid, empty input.
func TestParquetEmpty(t *testing.T) {
	other := csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n")
	other.file = "data/b.csv"
	ds := mustLoad(t, makeDataset(t, parquetInput(parquetBytes(t, []pqRow{})), other))
	if ds.Inputs[0].Rows != 0 || len(ds.Tables) != 1 {
		t.Errorf("got %d rows and %d tables, want 0 rows of the Parquet file and 1 table", ds.Inputs[0].Rows, len(ds.Tables))
	}
}

// TestDuplicateAcrossFiles checks that a cell submitted in two files, of either format, is reported
// at the later one naming both places.
func TestDuplicateAcrossFiles(t *testing.T) {
	p := day(t, "2019-09-01")
	pq := parquetInput(parquetBytes(t, []pqRow{{p, "FR", "clinic", "exposed_systems", 4, 2, nil, nil}}))
	pq.file = "data/b.parquet"
	a := csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n")
	c := input{file: "data/c.csv", source: "alpha", data: []byte("contributors,value,period,country,org_type,metric\n" +
		"2,4,2019-09-01,FR,clinic,exposed_systems\n3,10,2019-09-01,DE,hospital,exposed_systems\n")}
	list := loadErrors(t, makeDataset(t, a, pq, c), Options{})
	want := []string{
		"data/c.csv:2:3: duplicate cell (2019-09-01, FR, clinic, exposed_systems): also at data/b.parquet:row 1",
		"data/c.csv:3:3: duplicate cell (2019-09-01, DE, hospital, exposed_systems): also at data/a.csv:2:1",
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), list)
	}
	for i, w := range want {
		if list[i].Error() != w || !errors.Is(list[i], ErrDuplicateCell) {
			t.Errorf("error %d\n got: %s\nwant: %s", i, list[i], w)
		}
	}
}
