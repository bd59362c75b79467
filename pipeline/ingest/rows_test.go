package ingest

import (
	"errors"
	"strings"
	"testing"
)

// TestRowRules has one case per rule of SPEC 3.1 (and the scope rules of SPEC 3.2): a one-file
// dataset whose second data row breaks the rule. Each case asserts the rule's kind and the whole
// message, which names the file, the line and the column.
func TestRowRules(t *testing.T) {
	const good = "2019-09-01,DE,hospital,exposed_systems,10,3,5,2\n"
	tests := []struct {
		name   string
		source string // alpha (no scope) when empty
		row    string // the second data row, on line 3
		kind   error
		want   string
	}{
		{"unknown country UK", "", "2019-09-01,UK,hospital,exposed_systems,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:2: country: "UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"`},
		{"lower-case country", "", "2019-09-01,gb,hospital,exposed_systems,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:2: country: "gb" is not an ISO 3166-1 alpha-2 country code; codes are upper case ("GB")`},
		{"region code as country", "", "2019-09-01,150,hospital,exposed_systems,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:2: country: "150" is not an ISO 3166-1 alpha-2 country code`},
		{"unknown org type", "", "2019-09-01,GB,hospitals,exposed_systems,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:3: org_type: "hospitals" is not an organization type (known: clinic, government, hospital, imaging_center, other, radiology_provider, research, unknown)`},
		{"org type total", "", "2019-09-01,GB,all,exposed_systems,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:3: org_type: "all" is the total over all organization types, which the pipeline computes itself; submit leaf cells only`},
		{"unknown metric", "", "2019-09-01,GB,hospital,exposed_hosts,10,3,,\n", ErrVocabulary,
			`data/a.csv:3:4: metric: "exposed_hosts" is not a metric (known: affected_patients, critical_vulnerabilities, exposed_images, exposed_studies, exposed_systems, high_vulnerabilities, new_systems, offline_systems)`},
		{"date not ISO", "", "09/01/2019,GB,hospital,exposed_systems,10,3,,\n", ErrDate,
			`data/a.csv:3:1: period: "09/01/2019" is not a date of the form YYYY-MM-DD`},
		{"date that does not exist", "", "2019-02-30,GB,hospital,exposed_systems,10,3,,\n", ErrDate,
			`data/a.csv:3:1: period: "2019-02-30" is not a date of the form YYYY-MM-DD`},
		{"date with time", "", "2019-09-01T00:00:00Z,GB,hospital,exposed_systems,10,3,,\n", ErrDate,
			`data/a.csv:3:1: period: "2019-09-01T00:00:00Z" is not a date of the form YYYY-MM-DD`},
		{"empty period", "", ",GB,hospital,exposed_systems,10,3,,\n", ErrEmpty,
			`data/a.csv:3:1: period: empty; a date YYYY-MM-DD is required`},
		{"empty value", "", "2019-09-01,GB,hospital,exposed_systems,,3,,\n", ErrEmpty,
			`data/a.csv:3:5: value: empty; a count is required`},
		{"negative value", "", "2019-09-01,GB,hospital,exposed_systems,-4,3,,\n", ErrNegative,
			`data/a.csv:3:5: value: "-4" is negative`},
		{"negative contributors", "", "2019-09-01,GB,hospital,exposed_systems,4,-3,,\n", ErrNegative,
			`data/a.csv:3:6: contributors: "-3" is negative`},
		{"negative largest", "", "2019-09-01,GB,hospital,exposed_systems,4,3,-1,\n", ErrNegative,
			`data/a.csv:3:7: largest: "-1" is negative`},
		{"plus sign", "", "2019-09-01,GB,hospital,exposed_systems,+4,3,,\n", ErrNotInteger,
			`data/a.csv:3:5: value: "+4" is not a plain decimal integer (no '+' sign)`},
		{"decimal", "", "2019-09-01,GB,hospital,exposed_systems,4.0,3,,\n", ErrNotInteger,
			`data/a.csv:3:5: value: "4.0" is not a plain decimal integer (no decimals)`},
		{"exponent", "", "2019-09-01,GB,hospital,exposed_systems,1e3,3,,\n", ErrNotInteger,
			`data/a.csv:3:5: value: "1e3" is not a plain decimal integer (no exponent)`},
		{"thousands separator", "", "2019-09-01,GB,hospital,exposed_systems,\"1,000\",3,,\n", ErrNotInteger,
			`data/a.csv:3:5: value: "1,000" is not a plain decimal integer (no thousands separators)`},
		{"space", "", "2019-09-01,GB,hospital,exposed_systems, 4,3,,\n", ErrNotInteger,
			`data/a.csv:3:5: value: " 4" is not a plain decimal integer (no spaces)`},
		{"overflow", "", "2019-09-01,GB,hospital,exposed_systems,9223372036854775808,3,,\n", ErrOverflow,
			`data/a.csv:3:5: value: "9223372036854775808" is larger than the largest 64-bit integer`},
		{"value without contributors", "", "2019-09-01,GB,hospital,exposed_systems,4,0,,\n", ErrNoContributors,
			`data/a.csv:3:6: contributors: 0 contributors but value 4; a non-zero count has at least one organization behind it`},
		{"contributors without value", "", "2019-09-01,GB,hospital,exposed_systems,0,2,,\n", ErrZeroWithContributors,
			`data/a.csv:3:6: contributors: 2 contributors but value 0; a zero count has no contributors`},
		{"largest above value", "", "2019-09-01,GB,hospital,exposed_systems,10,3,11,\n", ErrLargestAboveValue,
			`data/a.csv:3:7: largest: largest 11 is more than value 10`},
		{"second above largest", "", "2019-09-01,GB,hospital,exposed_systems,10,3,4,5\n", ErrSecondAboveLargest,
			`data/a.csv:3:8: second_largest: second_largest 5 is more than largest 4`},
		{"largest plus second above value", "", "2019-09-01,GB,hospital,exposed_systems,10,3,6,5\n", ErrDominanceAboveValue,
			`data/a.csv:3:8: second_largest: largest 6 + second_largest 5 is more than value 10`},
		{"largest plus second would overflow", "", "2019-09-01,GB,hospital,exposed_systems,9223372036854775807,3,9223372036854775807,9223372036854775807\n", ErrDominanceAboveValue,
			`data/a.csv:3:8: second_largest: largest 9223372036854775807 + second_largest 9223372036854775807 is more than value 9223372036854775807`},
		{"second without largest", "", "2019-09-01,GB,hospital,exposed_systems,10,3,,2\n", ErrSecondWithoutLargest,
			`data/a.csv:3:8: second_largest: second_largest 2 is given but largest is empty; give both or neither`},
		{"duplicate cell", "", good, ErrDuplicateCell,
			`data/a.csv:3:1: duplicate cell (2019-09-01, DE, hospital, exposed_systems): also at data/a.csv:2:1`},
		{"NUL byte", "", "2019-09-01,G\x00,hospital,exposed_systems,10,3,,\n", ErrEncoding,
			`data/a.csv:3:2: country: NUL byte at byte 2 of the field`},
		{"invalid UTF-8", "", "2019-09-01,GB,hospital\xff,exposed_systems,10,3,,\n", ErrEncoding,
			`data/a.csv:3:3: org_type: invalid UTF-8 in "hospital\xff"`},
		{"too few fields", "", "2019-09-01,GB,hospital,exposed_systems,10,3\n", ErrFormat,
			`data/a.csv:3: 6 fields, but the header has 8`},
		{"bare quote", "", "2019-09-01,G\"B,hospital,exposed_systems,10,3,,\n", ErrFormat,
			`data/a.csv:3:13: malformed CSV: bare " in non-quoted-field (RFC 4180: put a field with quotes in quotes and double each quote inside it)`},
		{"country outside scope", "beta", "2019-09-01,GB,hospital,exposed_systems,10,3,,\n", ErrOutOfScope,
			`data/a.csv:3:2: country: GB is outside the scope of source beta (countries: DE, FR)`},
		{"metric outside scope", "beta", "2019-09-01,FR,hospital,exposed_studies,10,3,,\n", ErrOutOfScope,
			`data/a.csv:3:4: metric: exposed_studies is outside the scope of source beta (metrics: exposed_systems)`},
		{"period outside scope", "beta", "2020-01-01,FR,hospital,exposed_systems,10,3,,\n", ErrOutOfScope,
			`data/a.csv:3:1: period: 2020-01-01 is outside the scope of source beta (periods: 2019-01-01 to 2019-12-31)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := csvInput(good + tt.row)
			if tt.source != "" {
				in.source = tt.source
			}
			list := loadErrors(t, makeDataset(t, in), Options{})
			if len(list) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(list), list)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
			var e *Error
			if !errors.As(list[0], &e) || e.File != "data/a.csv" || e.Line != 3 {
				t.Errorf("errors.As: got %+v, want File data/a.csv, Line 3", e)
			}
		})
	}
}

// TestRowsAccepted checks rows at the edges of the rules that must pass: empty dominance, largest
// alone, equality at every bound, the largest integer, a zero cell, CRLF, BOM and quoting.
func TestRowsAccepted(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"empty dominance", header + "2019-09-01,DE,hospital,exposed_systems,10,3,,\n"},
		{"largest alone", header + "2019-09-01,DE,hospital,exposed_systems,10,3,7,\n"},
		{"bounds equal", header + "2019-09-01,DE,hospital,exposed_systems,10,2,5,5\n"},
		{"zero cell", header + "2019-09-01,DE,hospital,exposed_systems,0,0,0,0\n"},
		{"largest int64", header + "2019-09-01,DE,hospital,exposed_systems,9223372036854775807,1,9223372036854775807,0\n"},
		{"CRLF and BOM", "\ufeff" + strings.ReplaceAll(header+"2019-09-01,DE,hospital,exposed_systems,10,3,,\n", "\n", "\r\n")},
		{"quoted fields", header + "\"2019-09-01\",\"DE\",\"hospital\",\"exposed_systems\",\"10\",\"3\",\"\",\"\"\n"},
		{"columns in another order", "value,contributors,metric,org_type,country,period\n10,3,exposed_systems,hospital,DE,2019-09-01\n"},
		{"no trailing newline", header + "2019-09-01,DE,hospital,exposed_systems,10,3,,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := mustLoad(t, makeDataset(t, input{file: "data/a.csv", source: "alpha", data: []byte(tt.data)}))
			if len(ds.Tables) != 1 || len(ds.Tables[0].Leaves) != 1 || ds.Inputs[0].Rows != 1 {
				t.Fatalf("want one table with one leaf from one row, got %+v", ds.Tables)
			}
		})
	}
}
