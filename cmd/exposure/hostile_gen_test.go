package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/exposure-research/exposure/internal/signing"
)

// The hostile corpus (testdata/hostile/<case>/) is written by this file's generator:
//
//	go test ./cmd/exposure -run TestHostileCorpus -update
//
// Each case folder holds ds/, the dataset folder that `exposure build` is given, sometimes files
// beside it that ds/ points at (to test escapes), `want` (what the case is, then one regular
// expression a line, each of which must match a line of stderr) and optionally `args` (more command
// line arguments, one a line). Big files (a 100 MB line, a 17 MiB dataset.yaml) are not committed:
// TestHostile writes them at run time from the same functions, and their committed signatures still
// match, since minisign signatures are deterministic. Only public keys are written; the private keys
// are keyFor's.

// caseFiles is the content of one case folder, relative to it.
type caseFiles struct {
	files map[string][]byte
	links map[string]string                // symbolic links: path -> target
	big   map[string]func(io.Writer) error // files made at test time
}

// hostileCase is one hostile input: what it is, its files, and what stderr must say.
type hostileCase struct {
	name string
	doc  string
	dir  caseFiles
	want []string // regular expressions, each matching a line of stderr
	args []string // more arguments to exposure build
}

const baseYAML = `id: hostile
title: A hostile submission
licence: CC-BY-4.0
sources:
  - id: acme
    name: Acme Scanning
    key: keys/acme.pub
inputs:
  - file: data/acme.csv
    source: acme
`

const csvHeader = "period,country,org_type,metric,value,contributors,largest,second_largest\n"

const goodCSV = csvHeader +
	"2019-09-16,DE,hospital,exposed_systems,5,4,2,1\n" +
	"2019-09-16,DE,clinic,exposed_systems,0,0,,\n" +
	"2019-09-16,FR,hospital,exposed_systems,7,3,,\n" +
	"2019-09-16,FR,clinic,exposed_systems,2,1,2,0\n"

// publicKey is the text of the public key file of a test source.
func publicKey(t testing.TB, name string) []byte {
	pub, _ := keyFor(name)
	text, err := pub.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	return []byte("untrusted comment: minisign public key " + signing.KeyID(pub.ID()) + "\n" + string(text) + "\n")
}

// baseDir is a valid dataset: one source, one CSV file signed by it.
func baseDir(t testing.TB) caseFiles {
	d := caseFiles{files: map[string][]byte{}, links: map[string]string{}, big: map[string]func(io.Writer) error{}}
	d.put("ds/dataset.yaml", baseYAML)
	d.put("ds/keys/acme.pub", string(publicKey(t, "acme")))
	d.put("ds/data/acme.csv", goodCSV)
	return d.sign(t, "ds/data/acme.csv", "acme")
}

// put sets a file's content.
func (d caseFiles) put(path, content string) caseFiles {
	d.files[path] = []byte(content)
	return d
}

// csv replaces the submission and signs it, as a careless sender would.
func (d caseFiles) csv(t testing.TB, content string) caseFiles {
	return d.put("ds/data/acme.csv", content).sign(t, "ds/data/acme.csv", "acme")
}

// yaml replaces dataset.yaml.
func (d caseFiles) yaml(content string) caseFiles { return d.put("ds/dataset.yaml", content) }

// parquetInput makes data/acme.parquet the submission, signed.
func (d caseFiles) parquetInput(t testing.TB, data []byte) caseFiles {
	delete(d.files, "ds/data/acme.csv")
	delete(d.files, "ds/data/acme.csv.minisig")
	d.files["ds/data/acme.parquet"] = data
	return d.yaml(strings.Replace(baseYAML, "data/acme.csv", "data/acme.parquet", 1)).sign(t, "ds/data/acme.parquet", "acme")
}

// sign writes path's prehashed signature by signer's key ("legacy:NAME" for a legacy one).
func (d caseFiles) sign(t testing.TB, path, signer string) caseFiles {
	legacy := strings.HasPrefix(signer, "legacy:")
	_, priv := keyFor(strings.TrimPrefix(signer, "legacy:"))
	var content io.Reader
	if gen, ok := d.big[path]; ok {
		r, w := io.Pipe()
		go func() { w.CloseWithError(gen(w)) }()
		content = r
	} else {
		content = bytes.NewReader(d.files[path])
	}
	comment := "file:" + filepath.Base(path)
	var sig []byte
	if legacy {
		data, err := io.ReadAll(content)
		if err != nil {
			t.Fatal(err)
		}
		sig = minisign.SignWithComments(priv, data, comment, "signature from minisign secret key "+signing.KeyID(priv.ID()))
	} else {
		var err error
		if sig, err = signing.Sign(content, priv, comment); err != nil {
			t.Fatal(err)
		}
	}
	d.files[path+".minisig"] = sig
	return d
}

// bigCSV makes the submission a file written at test time, signed.
func (d caseFiles) bigCSV(t testing.TB, gen func(io.Writer) error) caseFiles {
	delete(d.files, "ds/data/acme.csv")
	d.big["ds/data/acme.csv"] = gen
	return d.sign(t, "ds/data/acme.csv", "acme")
}

// link makes path a symbolic link to target.
func (d caseFiles) link(path, target string) caseFiles {
	delete(d.files, path)
	d.links[path] = target
	return d
}

// edit changes a file's content with f (after it was signed, for tampering).
func (d caseFiles) edit(path string, f func(string) string) caseFiles {
	d.files[path] = []byte(f(string(d.files[path])))
	return d
}

// rowsCSV is a submission of goodCSV's columns with the given rows.
func rowsCSV(rows ...string) string { return csvHeader + strings.Join(rows, "\n") + "\n" }

// pqGood is a valid Parquet submission row.
type pqGood struct {
	Period        int32  `parquet:"period,date"`
	Country       string `parquet:"country"`
	OrgType       string `parquet:"org_type"`
	Metric        string `parquet:"metric"`
	Value         int64  `parquet:"value"`
	Contributors  int64  `parquet:"contributors"`
	Largest       *int64 `parquet:"largest,optional"`
	SecondLargest *int64 `parquet:"second_largest,optional"`
}

// pqDict is a valid submission whose codes are dictionary-encoded.
type pqDict struct {
	Period       int32  `parquet:"period,date"`
	Country      string `parquet:"country,dict"`
	OrgType      string `parquet:"org_type,dict"`
	Metric       string `parquet:"metric,dict"`
	Value        int64  `parquet:"value"`
	Contributors int64  `parquet:"contributors"`
}

type pqStringPeriod struct {
	Period       string `parquet:"period"`
	Country      string `parquet:"country"`
	OrgType      string `parquet:"org_type"`
	Metric       string `parquet:"metric"`
	Value        int64  `parquet:"value"`
	Contributors int64  `parquet:"contributors"`
}

type pqTimestampPeriod struct {
	Period       time.Time `parquet:"period,timestamp"`
	Country      string    `parquet:"country"`
	OrgType      string    `parquet:"org_type"`
	Metric       string    `parquet:"metric"`
	Value        int64     `parquet:"value"`
	Contributors int64     `parquet:"contributors"`
}

type pqFloatValue struct {
	Period       int32   `parquet:"period,date"`
	Country      string  `parquet:"country"`
	OrgType      string  `parquet:"org_type"`
	Metric       string  `parquet:"metric"`
	Value        float64 `parquet:"value"`
	Contributors int64   `parquet:"contributors"`
}

type pqNested struct {
	Period  int32 `parquet:"period,date"`
	Country struct {
		Code string `parquet:"code"`
	} `parquet:"country"`
	OrgType      string `parquet:"org_type"`
	Metric       string `parquet:"metric"`
	Value        int64  `parquet:"value"`
	Contributors int64  `parquet:"contributors"`
}

type pqRepeated struct {
	Period       int32    `parquet:"period,date"`
	Country      []string `parquet:"country"`
	OrgType      string   `parquet:"org_type"`
	Metric       string   `parquet:"metric"`
	Value        int64    `parquet:"value"`
	Contributors int64    `parquet:"contributors"`
}

type pqExtra struct {
	Period       int32  `parquet:"period,date"`
	Country      string `parquet:"country"`
	OrgType      string `parquet:"org_type"`
	Metric       string `parquet:"metric"`
	Value        int64  `parquet:"value"`
	Contributors int64  `parquet:"contributors"`
	IP           string `parquet:"ip"`
}

// rewritePages rebuilds a Parquet file page by page with edit applied to each page header (col is
// the 0-based column), fixing the offsets in the footer so that only the edit is a lie.
func rewritePages(t testing.TB, data []byte, edit func(col int, h *format.PageHeader)) []byte {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		t.Fatal(err)
	}
	md := *f.Metadata()
	protocol := &thrift.CompactProtocol{}
	out := []byte("PAR1")
	for g := range md.RowGroups {
		for c := range md.RowGroups[g].Columns {
			m := &md.RowGroups[g].Columns[c].MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			chunkStart := int64(len(out))
			firstData := true
			for at := start; at < end; {
				r := bytes.NewReader(data[at:end])
				var h format.PageHeader
				if err := thrift.NewDecoder(protocol.NewReader(r)).Decode(&h); err != nil {
					t.Fatal(err)
				}
				headerLen := int64(len(data[at:end]) - r.Len())
				body := data[at+headerLen : at+headerLen+int64(h.CompressedPageSize)]
				switch {
				case h.Type == format.DictionaryPage:
					m.DictionaryPageOffset = int64(len(out))
				case firstData:
					m.DataPageOffset = int64(len(out))
					firstData = false
				}
				at += headerLen + int64(h.CompressedPageSize)
				edit(c, &h)
				header, err := thrift.Marshal(protocol, &h)
				if err != nil {
					t.Fatal(err)
				}
				out = append(append(out, header...), body...)
			}
			m.TotalCompressedSize = int64(len(out)) - chunkStart
			md.RowGroups[g].Columns[c].FileOffset = chunkStart
		}
	}
	footer, err := thrift.Marshal(protocol, &md)
	if err != nil {
		t.Fatal(err)
	}
	out = binary.LittleEndian.AppendUint32(append(out, footer...), uint32(len(footer)))
	return append(out, "PAR1"...)
}

// fuzzInput reads the input of a go test fuzz corpus file (a single []byte).
func fuzzInput(t testing.TB, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
		t.Fatalf("%s is not a fuzz input of one []byte", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// day is 2019-09-16 in days since 1970-01-01.
const day = 18155

// pq writes rows as an uncompressed Parquet file, so that cases can patch its bytes.
func pq[T any](t testing.TB, rows []T) []byte {
	return pqWith(t, rows, parquet.Compression(&uncompressed.Codec{}))
}

// pqWith writes rows as a Parquet file with the given writer options.
func pqWith[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, append([]parquet.WriterOption{parquet.PageBufferSize(1 << 20)}, opts...)...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func goodParquetRows() []pqGood {
	two, one := int64(2), int64(1)
	return []pqGood{
		{day, "DE", "hospital", "exposed_systems", 5, 4, &two, &one},
		{day, "FR", "hospital", "exposed_systems", 7, 3, nil, nil},
	}
}

// dictRows repeat their codes, so that the dictionary pages hold each code once.
func dictRows() []pqDict {
	return []pqDict{
		{day, "DE", "hospital", "exposed_systems", 5, 4},
		{day, "FR", "hospital", "exposed_systems", 7, 3},
		{day, "DE", "clinic", "exposed_systems", 6, 3},
		{day, "FR", "clinic", "exposed_systems", 8, 3},
	}
}

// replaceOnce replaces the only occurrence of old in data, failing when there is not exactly one.
func replaceOnce(t testing.TB, data []byte, old, new string) []byte {
	if n := bytes.Count(data, []byte(old)); n != 1 {
		t.Fatalf("%q occurs %d times in the Parquet file, want 1", old, n)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

// lieDictionaryLength makes the PLAIN length prefix of "DE" in the country dictionary claim 2^31-1
// bytes.
func lieDictionaryLength(t testing.TB, data []byte) []byte {
	var prefix [4]byte
	binary.LittleEndian.PutUint32(prefix[:], 2)
	at := bytes.Index(data, append(prefix[:], "DE"...))
	if at < 0 {
		t.Fatal("no PLAIN \"DE\" in the dictionary")
	}
	out := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(out[at:], 0x7fffffff)
	return out
}

// footerLength sets the footer length that precedes the closing magic bytes.
func footerLength(data []byte, n uint32) []byte {
	out := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(out[len(out)-8:], n)
	return out
}

// longLine writes a header, then a row whose org_type is n bytes of x (opened with a quote that is
// never closed when quoted), then a good row.
func longLine(n int, quoted bool) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, csvHeader+"2019-09-16,DE,"); err != nil {
			return err
		}
		if quoted {
			if _, err := io.WriteString(w, `"`); err != nil {
				return err
			}
		}
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for left := n; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, ",exposed_systems,5,4,,\n2019-09-16,FR,hospital,exposed_systems,7,3,,\n")
		return err
	}
}

func utf16(s string, bigEndian bool) string {
	var b strings.Builder
	if bigEndian {
		b.WriteString("\xfe\xff")
	} else {
		b.WriteString("\xff\xfe")
	}
	for _, r := range s {
		if bigEndian {
			b.WriteByte(byte(r >> 8))
			b.WriteByte(byte(r))
		} else {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
	}
	return b.String()
}

// billionLaughs is a YAML alias bomb: nine levels of ten aliases each.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(baseYAML)
	b.WriteString("caveats: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

// twoSourcesYAML is a dataset of two sources, each with a file.
const twoSourcesYAML = `id: hostile
title: A hostile submission
sources:
  - id: acme
    name: Acme Scanning
    key: keys/acme.pub
  - id: beta
    name: Beta Research
    key: keys/beta.pub
inputs:
  - file: data/acme.csv
    source: acme
  - file: data/beta.csv
    source: beta
`

// hostileCases lists the corpus. Names say the category first: rule-, scope-, enc-, huge-, csv-,
// pq-, yaml-, sig-, key-, path-, limit-.
func hostileCases(t testing.TB) []hostileCase {
	b := func() caseFiles { return baseDir(t) }
	yamlWith := func(extra string) string { return baseYAML + extra }
	inputFile := func(file string) string {
		return strings.Replace(baseYAML, "file: data/acme.csv", "file: "+file, 1)
	}
	keyFile := func(file string) string { return strings.Replace(baseYAML, "key: keys/acme.pub", "key: "+file, 1) }
	good := rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,2,1")
	scope := func(s string) string {
		return strings.Replace(baseYAML, "    key: keys/acme.pub\n", "    key: keys/acme.pub\n    scope: "+s+"\n", 1)
	}
	return []hostileCase{
		// SPEC 3.1: columns.
		{name: "rule-unknown-column", doc: "a column that would identify a system (ip)",
			dir:  b().csv(t, "period,country,org_type,metric,value,contributors,ip\n2019-09-16,DE,hospital,exposed_systems,5,4,10.0.0.1\n"),
			want: []string{`^exposure: data/acme\.csv:1:7: unknown column "ip": a submission has only the columns`}},
		{name: "rule-missing-column", doc: "no contributors column",
			dir:  b().csv(t, "period,country,org_type,metric,value\n2019-09-16,DE,hospital,exposed_systems,5\n"),
			want: []string{`^exposure: data/acme\.csv:1: missing column "contributors"$`}},
		{name: "rule-duplicate-column", doc: "value given twice",
			dir:  b().csv(t, "period,country,org_type,metric,value,contributors,value\n2019-09-16,DE,hospital,exposed_systems,5,4,5\n"),
			want: []string{`^exposure: data/acme\.csv:1:7: column "value" appears twice \(columns 5 and 7\)$`}},
		{name: "rule-misspelt-column", doc: "a column name in the wrong case",
			dir:  b().csv(t, "Period,country,org_type,metric,value,contributors\n2019-09-16,DE,hospital,exposed_systems,5,4\n"),
			want: []string{`^exposure: data/acme\.csv:1:1: unknown column "Period"; did you mean "period"\?`}},
		// SPEC 3.1: vocabularies.
		{name: "rule-country-uk", doc: "UK is not ISO 3166-1",
			dir:  b().csv(t, rowsCSV("2019-09-16,UK,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:2: country: "UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"$`}},
		{name: "rule-country-lower-case", doc: "a country code in lower case",
			dir:  b().csv(t, rowsCSV("2019-09-16,de,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:2: country: "de" is not an ISO 3166-1 alpha-2 country code; codes are upper case`}},
		{name: "rule-country-region", doc: "an M49 region code where a country belongs",
			dir:  b().csv(t, rowsCSV("2019-09-16,150,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:2: country: "150" is not an ISO 3166-1 alpha-2 country code`}},
		{name: "rule-org-type", doc: "an organization type outside the vocabulary",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospitals,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:3: org_type: "hospitals" is not an organization type`}},
		{name: "rule-org-type-all", doc: "the total's code as a leaf",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,all,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:3: org_type: "all" is the total over all organization types, which the pipeline computes itself; submit leaf cells only$`}},
		{name: "rule-metric", doc: "a metric outside the vocabulary",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_hosts,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:4: metric: "exposed_hosts" is not a metric`}},
		// SPEC 3.1: numbers.
		{name: "rule-negative", doc: "a negative count",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,-5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:5: value: "-5" is negative$`}},
		{name: "rule-not-integer", doc: "decimals, exponents, signs, separators and spaces",
			dir: b().csv(t, rowsCSV(
				"2019-09-16,DE,hospital,exposed_systems,1.5,4,,",
				"2019-09-16,DE,clinic,exposed_systems,1e3,4,,",
				"2019-09-16,FR,hospital,exposed_systems,+5,4,,",
				"2019-09-16,FR,clinic,exposed_systems,\"1,000\",4,,",
				"2019-09-16,GB,clinic,exposed_systems, 5,4,,",
				"2019-09-16,GB,hospital,exposed_systems,0x10,4,,",
				"2019-09-16,IT,hospital,exposed_systems,５,4,,")),
			want: []string{
				`^exposure: data/acme\.csv:2:5: value: "1\.5" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:3:5: value: "1e3" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:4:5: value: "\+5" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:5:5: value: "1,000" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:6:5: value: " 5" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:7:5: value: "0x10" is not a plain decimal integer`,
				`^exposure: data/acme\.csv:8:5: value: "５" is not a plain decimal integer`,
			}},
		{name: "rule-overflow", doc: "a count beyond int64",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,9223372036854775808,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:5: value: "9223372036854775808" is larger than the largest 64-bit integer$`}},
		{name: "rule-empty-required", doc: "an empty required field",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:5: value: empty`}},
		{name: "rule-value-without-contributors", doc: "value > 0 with contributors == 0",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,0,,")),
			want: []string{`^exposure: data/acme\.csv:2:6: contributors: `}},
		{name: "rule-zero-with-contributors", doc: "value == 0 with contributors > 0",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,0,2,,")),
			want: []string{`^exposure: data/acme\.csv:2:6: contributors: 2 contributors but value 0`}},
		{name: "rule-largest-above-value", doc: "largest > value",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,6,")),
			want: []string{`^exposure: data/acme\.csv:2:7: largest: largest 6 is more than value 5$`}},
		{name: "rule-second-above-largest", doc: "second_largest > largest",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,10,4,2,3")),
			want: []string{`^exposure: data/acme\.csv:2:8: second_largest: `}},
		{name: "rule-dominance-above-value", doc: "largest + second_largest > value",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,10,4,6,5")),
			want: []string{`^exposure: data/acme\.csv:2:8: second_largest: largest 6 \+ second_largest 5 is more than value 10$`}},
		{name: "rule-second-without-largest", doc: "second_largest given, largest empty",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,10,4,,3")),
			want: []string{`^exposure: data/acme\.csv:2:8: second_largest: second_largest 3 is given but largest is empty`}},
		// SPEC 3.1: dates.
		{name: "rule-date-forms", doc: "dates not written YYYY-MM-DD, or that do not exist",
			dir: b().csv(t, rowsCSV(
				"2019-9-16,DE,hospital,exposed_systems,5,4,,",
				"16/09/2019,DE,clinic,exposed_systems,5,4,,",
				"2019-02-30,FR,hospital,exposed_systems,5,4,,",
				"2019-09-16T00:00:00Z,FR,clinic,exposed_systems,5,4,,",
				"20190916,GB,clinic,exposed_systems,5,4,,")),
			want: []string{
				`^exposure: data/acme\.csv:2:1: period: "2019-9-16" is not a date`,
				`^exposure: data/acme\.csv:3:1: period: "16/09/2019" is not a date`,
				`^exposure: data/acme\.csv:4:1: period: "2019-02-30" is not a date`,
				`^exposure: data/acme\.csv:5:1: period: "2019-09-16T00:00:00Z" is not a date`,
				`^exposure: data/acme\.csv:6:1: period: "20190916" is not a date`,
			}},
		// SPEC 3.1: duplicates.
		{name: "rule-duplicate-cell", doc: "the same cell twice in one file",
			dir: b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,,",
				"2019-09-16,FR,hospital,exposed_systems,5,4,,",
				"2019-09-16,DE,hospital,exposed_systems,6,4,,")),
			want: []string{`^exposure: data/acme\.csv:4:1: duplicate cell \(2019-09-16, DE, hospital, exposed_systems\): also at data/acme\.csv:2:1$`}},
		{name: "rule-duplicate-cell-across-files", doc: "the same cell from two sources",
			dir: b().yaml(twoSourcesYAML).put("ds/keys/beta.pub", string(publicKey(t, "beta"))).
				put("ds/data/beta.csv", good).sign(t, "ds/data/beta.csv", "beta"),
			want: []string{`^exposure: data/beta\.csv:2:1: duplicate cell \(2019-09-16, DE, hospital, exposed_systems\): also at data/acme\.csv:2:1$`}},
		{name: "rule-many-errors", doc: "more errors than --max-errors: every one placed, the rest counted",
			dir:  b().csv(t, rowsCSV(strings.TrimSuffix(strings.Repeat("2019-09-16,UK,hospital,exposed_systems,5,4,,\n", 60), "\n"))),
			want: []string{`^exposure: data/acme\.csv:51:2: country: "UK"`, `^exposure: \.\.\. and 10 more errors$`}},
		// SPEC 3.2: scope.
		{name: "scope-country", doc: "a row outside the source's countries",
			dir:  b().yaml(scope("{countries: [FR]}")).csv(t, good),
			want: []string{`^exposure: data/acme\.csv:2:2: country: DE is outside the scope of source acme \(countries: FR\)$`}},
		{name: "scope-metric", doc: "a row outside the source's metrics",
			dir:  b().yaml(scope("{metrics: [exposed_studies]}")).csv(t, good),
			want: []string{`^exposure: data/acme\.csv:2:4: metric: exposed_systems is outside the scope of source acme`}},
		{name: "scope-period", doc: "a row outside the source's periods",
			dir:  b().yaml(scope("{periods: {from: 2020-01-01}}")).csv(t, good),
			want: []string{`^exposure: data/acme\.csv:2:1: period: 2019-09-16 is outside the scope of source acme`}},
		// SPEC 3.2: signatures.
		{name: "sig-missing", doc: "no signature",
			dir:  func() caseFiles { d := b(); delete(d.files, "ds/data/acme.csv.minisig"); return d }(),
			want: []string{`^exposure: data/acme\.csv: not signed: data/acme\.csv\.minisig does not exist`}},
		{name: "sig-tampered-file", doc: "a row changed after signing",
			dir:  b().edit("ds/data/acme.csv", func(s string) string { return strings.Replace(s, ",5,4,", ",50,4,", 1) }),
			want: []string{`^exposure: data/acme\.csv: the file does not match its signature data/acme\.csv\.minisig`}},
		{name: "sig-tampered-legacy", doc: "a row changed after a legacy signature",
			dir: b().sign(t, "ds/data/acme.csv", "legacy:acme").
				edit("ds/data/acme.csv", func(s string) string { return strings.Replace(s, ",5,4,", ",50,4,", 1) }),
			want: []string{`^exposure: data/acme\.csv: the file does not match its signature data/acme\.csv\.minisig`}},
		{name: "sig-reused", doc: "a valid signature of another file by the same key",
			dir: b().yaml(strings.Replace(twoSourcesYAML, "source: beta", "source: acme", 1)).
				put("ds/keys/beta.pub", string(publicKey(t, "beta"))).
				put("ds/data/beta.csv", rowsCSV("2019-09-16,GB,hospital,exposed_systems,5,4,,")).
				copyFile("ds/data/acme.csv.minisig", "ds/data/beta.csv.minisig"),
			want: []string{`^exposure: data/beta\.csv: the file does not match its signature data/beta\.csv\.minisig`}},
		{name: "sig-trusted-comment", doc: "the trusted comment changed after signing",
			dir: b().edit("ds/data/acme.csv.minisig", func(s string) string {
				return strings.Replace(s, "trusted comment: file:acme.csv", "trusted comment: file:other.csv", 1)
			}),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig: the trusted comment or the signature line was changed after signing$`}},
		{name: "sig-foreign-key", doc: "signed by a key that is not the source's",
			dir:  b().sign(t, "ds/data/acme.csv", "mallory"),
			want: []string{`^exposure: data/acme\.csv: signed by key [0-9A-F]{16}, but the source's key \(keys/acme\.pub\) is [0-9A-F]{16}$`}},
		{name: "sig-truncated", doc: "a signature cut after two lines",
			dir: b().edit("ds/data/acme.csv.minisig", func(s string) string {
				return strings.Join(strings.SplitAfter(s, "\n")[:2], "")
			}),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is not a minisign signature`}},
		{name: "sig-truncated-base64", doc: "a signature line cut in the middle",
			dir: b().edit("ds/data/acme.csv.minisig", func(s string) string {
				lines := strings.SplitAfter(s, "\n")
				return lines[0] + lines[1][:40] + "\n"
			}),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is not a minisign signature`}},
		{name: "sig-empty", doc: "an empty signature file",
			dir:  b().put("ds/data/acme.csv.minisig", ""),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is not a minisign signature`}},
		{name: "sig-binary", doc: "binary garbage as the signature",
			dir:  b().put("ds/data/acme.csv.minisig", "\x00\xff\xfe\x01untrusted comment:\x00\n\x80\x81"),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is not a minisign signature`}},
		{name: "sig-trailing-text", doc: "text appended after the signature",
			dir:  b().edit("ds/data/acme.csv.minisig", func(s string) string { return s + "exposure: forged line\n" }),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is not a minisign signature: invalid signature: illegal base64 data at input byte 89$`}},
		{name: "sig-huge", doc: "a signature file of 2 MiB",
			dir:  b().bigFile("ds/data/acme.csv.minisig", 2<<20),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig is 2097152 bytes, more than the 1048576 allowed$`}},
		// SPEC 6: no forgotten inputs.
		{name: "sig-unlisted-input", doc: "a signed submission under data/ that dataset.yaml does not list",
			dir:  b().put("ds/data/late.csv", good).sign(t, "ds/data/late.csv", "acme"),
			want: []string{`^exposure: data/late\.csv: signed \(data/late\.csv\.minisig\) but not an input: list it under inputs in dataset\.yaml with the source that signed it, or under ignore if it is deliberately left out$`}},
		{name: "sig-orphan", doc: "a signature under data/ whose file is gone",
			dir:  b().copyFile("ds/data/acme.csv.minisig", "ds/data/gone.csv.minisig"),
			want: []string{`^exposure: data/gone\.csv\.minisig: a signature without its file: data/gone\.csv does not exist`}},
		{name: "yaml-input-twice", doc: "an input listed twice, which would count its rows twice",
			dir:  b().yaml(baseYAML + "  - file: ./data/acme.csv\n    source: acme\n"),
			want: []string{`^exposure: dataset\.yaml:11:11: inputs\[1\]\.file: data/acme\.csv is listed twice \(first at line 9\); remove one of the two entries$`}},
		{name: "key-malformed", doc: "a public key file that holds no key",
			dir:  b().put("ds/keys/acme.pub", "untrusted comment: minisign public key\nnot a key\n"),
			want: []string{`^exposure: dataset\.yaml:7:10: sources\[0\]\.key: keys/acme\.pub: the key line is not a base64 minisign public key$`}},
		{name: "key-two-keys", doc: "a public key file with two keys",
			dir:  b().put("ds/keys/acme.pub", string(publicKey(t, "acme"))+string(publicKey(t, "mallory"))),
			want: []string{`^exposure: dataset\.yaml:7:10: sources\[0\]\.key: keys/acme\.pub: unexpected text after the key`}},
		{name: "key-missing", doc: "a key file that does not exist",
			dir:  func() caseFiles { d := b(); delete(d.files, "ds/keys/acme.pub"); return d }(),
			want: []string{`^exposure: dataset\.yaml:7:10: sources\[0\]\.key: keys/acme\.pub does not exist$`}},
		// Encodings.
		{name: "enc-latin1-field", doc: "a Latin-1 byte in a field",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,h\xf4pital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:3: org_type: invalid UTF-8 in "h\\xf4pital"$`}},
		{name: "enc-latin1-header", doc: "a Latin-1 byte in a column name",
			dir:  b().csv(t, "p\xe9riod,country,org_type,metric,value,contributors\n2019-09-16,DE,hospital,exposed_systems,5,4\n"),
			want: []string{`^exposure: data/acme\.csv:1:1: invalid UTF-8 in "p\\xe9riod"$`}},
		{name: "enc-utf16le", doc: "a UTF-16 (little-endian, with BOM) file, as some spreadsheet programs save",
			dir:  b().csv(t, utf16(goodCSV, false)),
			want: []string{`^exposure: data/acme\.csv:1: the file is UTF-16 \(it starts with the byte order mark FF FE\); a submission is UTF-8`}},
		{name: "enc-utf16be", doc: "a UTF-16 big-endian file",
			dir:  b().csv(t, utf16(goodCSV, true)),
			want: []string{`^exposure: data/acme\.csv:1: the file is UTF-16 \(it starts with the byte order mark FE FF\); a submission is UTF-8`}},
		{name: "enc-invalid-utf8", doc: "an overlong UTF-8 sequence",
			dir:  b().csv(t, rowsCSV("2019-09-16,D\xc0\x85,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:2: country: invalid UTF-8 in "D\\xc0\\x85"$`}},
		{name: "enc-nul", doc: "NUL bytes in a field",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed\x00systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:4: metric: NUL byte at byte 8 of the field$`}},
		{name: "enc-nul-header", doc: "NUL bytes in the header",
			dir:  b().csv(t, "period,country,org_type,metric,value,contributors\x00\n2019-09-16,DE,hospital,exposed_systems,5,4\n"),
			want: []string{`^exposure: data/acme\.csv:1:6: NUL byte at byte 13 of the field$`}},
		{name: "enc-control-chars", doc: "a bidirectional override and an escape sequence in a code",
			dir:  b().csv(t, rowsCSV("2019-09-16,D\u202eE,hospital,exposed_systems,5,4,,", "2019-09-16,FR,\x1b[31mclinic,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:2: country: "D\\u202eE" is not an ISO 3166-1`, `^exposure: data/acme\.csv:3:3: org_type: "\\x1b\[31mclinic" is not an organization type`}},
		// Huge fields and lines.
		{name: "huge-line-100mb", doc: "a 100 MB line: stops after 1 MiB",
			dir:  b().bigCSV(t, longLine(100<<20, false)),
			want: []string{`^exposure: data/acme\.csv:2: a record longer than 1048576 bytes starts on this line`}},
		{name: "huge-field-unclosed-quote", doc: "a quoted field that is never closed, 2 MiB on",
			dir:  b().bigCSV(t, longLine(2<<20, true)),
			want: []string{`^exposure: data/acme\.csv:2: a record longer than 1048576 bytes starts on this line \(a quoted field that is never closed`}},
		{name: "huge-header", doc: "a header of 600,000 columns",
			dir: b().bigCSV(t, func(w io.Writer) error {
				_, err := io.WriteString(w, strings.TrimSuffix(csvHeader, "\n")+strings.Repeat(",x", 600000)+"\n")
				return err
			}),
			want: []string{`^exposure: data/acme\.csv:1: a record longer than 1048576 bytes starts on this line`}},
		{name: "huge-field-count", doc: "20,000 extra columns, each reported up to --max-errors",
			dir:  b().csv(t, strings.TrimSuffix(csvHeader, "\n")+strings.Repeat(",ip", 20000)+"\n"),
			want: []string{`^exposure: data/acme\.csv:1:9: unknown column "ip"`, `^exposure: data/acme\.csv:1:58: unknown column "ip"`, `^exposure: \.\.\. and 19950 more errors$`}},
		// CSV structure.
		{name: "csv-ragged-short", doc: "a row with too few fields",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,,", "2019-09-16,FR,hospital,exposed_systems,5")),
			want: []string{`^exposure: data/acme\.csv:3: 5 fields, but the header has 8$`}},
		{name: "csv-ragged-long", doc: "a row with too many fields",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,,,10.0.0.1")),
			want: []string{`^exposure: data/acme\.csv:2: 9 fields, but the header has 8$`}},
		{name: "csv-bare-quote", doc: "a quote inside an unquoted field",
			dir:  b().csv(t, rowsCSV("2019-09-16,D\"E,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:13: malformed CSV: bare " in non-quoted-field`}},
		{name: "csv-quote-then-text", doc: "text after a closing quote",
			dir:  b().csv(t, rowsCSV("2019-09-16,\"DE\"x,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:2:\d+: malformed CSV: extraneous or missing " in quoted-field`}},
		{name: "csv-unclosed-quote", doc: "a quote never closed before the end of the file",
			dir:  b().csv(t, rowsCSV("2019-09-16,DE,hospital,exposed_systems,5,4,,", "2019-09-16,\"FR,hospital,exposed_systems,5,4,,")),
			want: []string{`^exposure: data/acme\.csv:3:\d+: malformed CSV: extraneous or missing " in quoted-field`}},
		{name: "csv-cr-line-ends", doc: "classic Mac OS line ends (CR only)",
			dir:  b().csv(t, strings.ReplaceAll(goodCSV, "\n", "\r")),
			want: []string{`^exposure: data/acme\.csv:1:8: unknown column "second_largest\\r2019-09-16"`}},
		{name: "csv-empty", doc: "an empty file",
			dir:  b().csv(t, ""),
			want: []string{`^exposure: data/acme\.csv: empty file`}},
		{name: "csv-bom-only", doc: "a byte order mark and nothing else",
			dir:  b().csv(t, "\ufeff"),
			want: []string{`^exposure: data/acme\.csv: empty file`}},
		{name: "csv-header-only", doc: "a header and no rows",
			dir:  b().csv(t, csvHeader),
			want: []string{`^exposure: data/acme\.csv: no data rows, and no other input has any: there is nothing to publish$`}},
		{name: "csv-not-csv", doc: "a Parquet file named .csv",
			dir:  b().csv(t, string(pq(t, goodParquetRows()))),
			want: []string{`^exposure: data/acme\.csv:1: this is a Parquet file, not CSV: name it \.parquet in dataset\.yaml`}},
		// Parquet.
		{name: "pq-period-string", doc: "period as a string",
			dir:  b().parquetInput(t, pq(t, []pqStringPeriod{{"2019-09-16", "DE", "hospital", "exposed_systems", 5, 4}})),
			want: []string{`^exposure: data/acme\.parquet: period: period must be a DATE \(INT32 with the DATE logical type\), got BYTE_ARRAY`}},
		{name: "pq-period-timestamp", doc: "period as a timestamp",
			dir:  b().parquetInput(t, pq(t, []pqTimestampPeriod{{time.Date(2019, 9, 16, 0, 0, 0, 0, time.UTC), "DE", "hospital", "exposed_systems", 5, 4}})),
			want: []string{`^exposure: data/acme\.parquet: period: period must be a DATE \(INT32 with the DATE logical type\), got INT64 \(TIMESTAMP`}},
		{name: "pq-value-double", doc: "value as a floating-point number",
			dir:  b().parquetInput(t, pq(t, []pqFloatValue{{day, "DE", "hospital", "exposed_systems", 5.5, 4}})),
			want: []string{`^exposure: data/acme\.parquet: value: value must be an integer \(INT32 or INT64\), got DOUBLE$`}},
		{name: "pq-nested", doc: "a nested (group) column",
			dir:  b().parquetInput(t, pq(t, []pqNested{{Period: day, OrgType: "hospital", Metric: "exposed_systems", Value: 5, Contributors: 4}})),
			want: []string{`^exposure: data/acme\.parquet: nested columns are not allowed: a submission is a flat table$`}},
		{name: "pq-repeated", doc: "a repeated column",
			dir:  b().parquetInput(t, pq(t, []pqRepeated{{day, []string{"DE", "FR"}, "hospital", "exposed_systems", 5, 4}})),
			want: []string{`^exposure: data/acme\.parquet: country: repeated \(list\) columns are not allowed: one value per row$`}},
		{name: "pq-extra-column", doc: "an extra column (ip)",
			dir:  b().parquetInput(t, pq(t, []pqExtra{{day, "DE", "hospital", "exposed_systems", 5, 4, "10.0.0.1"}})),
			want: []string{`^exposure: data/acme\.parquet: ip: unknown column "ip"`}},
		{name: "pq-column-newline", doc: "a column name with a line break, which would forge a line of the error output",
			dir: b().parquetInput(t, bytes.ReplaceAll(pq(t, []pqExtra{{day, "DE", "hospital", "exposed_systems", 5, 4, "x"}}),
				[]byte("\x02ip"), []byte("\x02\n\r"))),
			want: []string{`^exposure: data/acme\.parquet: "\\n\\r": unknown column "\\n\\r"`}},
		{name: "pq-dictionary-length", doc: "a dictionary page whose string length claims 2 GiB",
			dir:  b().parquetInput(t, lieDictionaryLength(t, pq(t, dictRows()))),
			want: []string{`^exposure: data/acme\.parquet(:row \d+)?: malformed Parquet`}},
		{name: "pq-dictionary-value", doc: "a dictionary entry changed from DE to UK: every row that uses it is placed",
			dir:  b().parquetInput(t, replaceOnce(t, pq(t, dictRows()), "\x02\x00\x00\x00DE", "\x02\x00\x00\x00UK")),
			want: []string{`^exposure: data/acme\.parquet:row 1:country: "UK" is not an ISO 3166-1`, `^exposure: data/acme\.parquet:row 3:country: "UK"`}},
		{name: "pq-lz4", doc: "LZ4 compression, whose decoder in parquet-go allocates without bound on a corrupt block",
			dir:  b().parquetInput(t, pqWith(t, goodParquetRows(), parquet.Compression(&lz4.Codec{}))),
			want: []string{`^exposure: data/acme\.parquet: malformed Parquet file: row group 1, column 1: LZ4 compression is not supported`}},
		{name: "pq-page-claims-gigabytes", doc: "a page whose header claims more bytes than its column chunk (a fuzzing find: it made the build allocate 2 GiB and die)",
			dir:  b().parquetInput(t, fuzzInput(t, "../../pipeline/ingest/testdata/fuzz/FuzzParquet/7dcf30d498f9e6b2")),
			want: []string{`^exposure: data/acme\.parquet: malformed Parquet file: row group 1, column \d+: `}},
		{name: "pq-page-size-beyond-chunk", doc: "a page header that claims 1 GiB in a file of a few hundred bytes",
			dir: b().parquetInput(t, rewritePages(t, pq(t, goodParquetRows()), func(col int, h *format.PageHeader) {
				if col == 1 {
					h.CompressedPageSize = 1 << 30
				}
			})),
			want: []string{`^exposure: data/acme\.parquet: malformed Parquet file: row group 1, column 2: page at byte \d+ claims 1073741824 bytes, but its column chunk has \d+ left$`}},
		{name: "pq-page-uncompressed-huge", doc: "a page header that claims to decompress to 1 GiB",
			dir: b().parquetInput(t, rewritePages(t, pq(t, goodParquetRows()), func(col int, h *format.PageHeader) {
				if col == 4 {
					h.UncompressedPageSize = 1 << 30
				}
			})),
			want: []string{`^exposure: data/acme\.parquet: malformed Parquet file: row group 1, column 5: page at byte \d+ claims \d+ bytes \(1073741824 uncompressed\), more than the 67108864 a page may have$`}},
		{name: "pq-truncated", doc: "a Parquet file cut before its footer",
			dir:  b().parquetInput(t, func() []byte { d := pq(t, goodParquetRows()); return d[:len(d)-100] }()),
			want: []string{`^exposure: data/acme\.parquet: not a Parquet file: no PAR1 magic bytes`}},
		{name: "pq-footer-length-huge", doc: "a footer length beyond the file",
			dir:  b().parquetInput(t, footerLength(pq(t, goodParquetRows()), 0x7fffffff)),
			want: []string{`^exposure: data/acme\.parquet: not a Parquet file: the footer claims 2147483647 bytes but the file has \d+$`}},
		{name: "pq-footer-length-short", doc: "a footer length that points into the data",
			dir:  b().parquetInput(t, footerLength(pq(t, goodParquetRows()), 20)),
			want: []string{`^exposure: data/acme\.parquet: malformed Parquet file`}},
		{name: "pq-not-parquet", doc: "a CSV file named .parquet",
			dir:  b().parquetInput(t, []byte(goodCSV)),
			want: []string{`^exposure: data/acme\.parquet: not a Parquet file: no PAR1 magic bytes`}},
		{name: "pq-negative", doc: "a negative count in Parquet",
			dir:  b().parquetInput(t, pq(t, []pqGood{{day, "DE", "hospital", "exposed_systems", -5, 4, nil, nil}})),
			want: []string{`^exposure: data/acme\.parquet:row 1:value: -5 is negative$`}},
		{name: "pq-nul", doc: "a NUL byte in a Parquet string",
			dir:  b().parquetInput(t, pq(t, []pqGood{{day, "D\x00", "hospital", "exposed_systems", 5, 4, nil, nil}})),
			want: []string{`^exposure: data/acme\.parquet:row 1:country: NUL byte at byte 2 of the field$`}},
		// dataset.yaml.
		{name: "yaml-duplicate-key", doc: "a key given twice",
			dir:  b().yaml(baseYAML + "title: Another title\n"),
			want: []string{`^exposure: dataset\.yaml:11:1: title: key defined twice \(first at line 2\)$`}},
		{name: "yaml-key-newline", doc: "a key with a line break, which would forge a line of the error output",
			dir:  b().yaml(baseYAML + "\"a\\nexposure: all good\": 1\n"),
			want: []string{`^exposure: dataset\.yaml:11:1: "a\\nexposure: all good": unknown key`}},
		{name: "yaml-billion-laughs", doc: "aliases that would expand to a billion strings",
			dir:  b().yaml(billionLaughs()),
			want: []string{`^exposure: dataset\.yaml:11:10: caveats: anchors and aliases \(&, \*\) are not allowed in dataset\.yaml$`}},
		{name: "yaml-merge-key", doc: "a merge key",
			dir:  b().yaml(baseYAML + "protection:\n  <<: {min_contributors: 1}\n"),
			want: []string{`^exposure: dataset\.yaml:12:3: protection: a key must be a plain name`}},
		{name: "yaml-wrong-types", doc: "values of the wrong type",
			dir: b().yaml(strings.Replace(baseYAML, "title: A hostile submission", "title: [a, b]", 1) +
				"protection: {min_contributors: three, interval: yes}\nlimits: {max_rows_per_file: 1.5}\n"),
			want: []string{
				`^exposure: dataset\.yaml:2:8: title: must be a single value, got a list$`,
				`^exposure: dataset\.yaml:11:32: protection\.min_contributors: must be an integer, got the string "three"$`,
				`^exposure: dataset\.yaml:11:49: protection\.interval: must be a number, got the string "yes"$`,
				`^exposure: dataset\.yaml:12:29: limits\.max_rows_per_file: must be an integer, got the number "1\.5"$`,
			}},
		{name: "yaml-sources-scalar", doc: "sources as a string",
			dir:  b().yaml("id: hostile\ntitle: x\nsources: acme\ninputs: [{file: data/acme.csv, source: acme}]\n"),
			want: []string{`^exposure: dataset\.yaml:3:10: sources: must be a list, got the string "acme"$`}},
		{name: "yaml-binary-tag", doc: "a !!binary title",
			dir:  b().yaml(strings.Replace(baseYAML, "title: A hostile submission", "title: !!binary PHNjcmlwdD4=", 1)),
			want: []string{`^exposure: dataset\.yaml:2:8: title: must be a string, got a value tagged !!binary`}},
		{name: "yaml-two-documents", doc: "a second YAML document",
			dir:  b().yaml(baseYAML + "---\nid: other\n"),
			want: []string{`^exposure: dataset\.yaml:11:1: more than one YAML document; a dataset has one$`}},
		{name: "yaml-deep-nesting", doc: "lists nested 100,000 deep",
			dir:  b().yaml(baseYAML + "caveats: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"),
			want: []string{`^exposure: dataset\.yaml(:\d+)?: .*(depth|nest)`}},
		{name: "yaml-latin1", doc: "dataset.yaml in Latin-1",
			dir:  b().yaml(strings.Replace(baseYAML, "A hostile submission", "Soumission hostile \xe9", 1)),
			want: []string{`^exposure: dataset\.yaml:2: not UTF-8 \(a dataset\.yaml is UTF-8 text\)$`}},
		{name: "yaml-utf16", doc: "dataset.yaml in UTF-16",
			dir:  b().yaml(utf16(baseYAML, false)),
			want: []string{`^exposure: dataset\.yaml:1: not UTF-8 \(a dataset\.yaml is UTF-8 text\)$`}},
		{name: "yaml-tab-indent", doc: "a tab used for indentation",
			dir:  b().yaml(strings.Replace(baseYAML, "  - id: acme", "\t- id: acme", 1)),
			want: []string{`^exposure: dataset\.yaml:5: found character that cannot start any token`}},
		{name: "yaml-huge", doc: "a 17 MiB dataset.yaml",
			dir:  b().bigFile("ds/dataset.yaml", 17<<20),
			want: []string{`^exposure: dataset\.yaml: dataset\.yaml is 17825792 bytes, more than the 16777216 allowed$`}},
		{name: "yaml-limit-negative", doc: "a limit below 1",
			dir:  b().yaml(yamlWith("limits: {max_cells_per_table: 0}\n")),
			want: []string{`^exposure: dataset\.yaml:11:31: limits\.max_cells_per_table: must be at least 1, got 0$`}},
		// Paths.
		{name: "path-absolute", doc: "an absolute input path",
			dir:  b().yaml(inputFile("/etc/passwd.csv")),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "/etc/passwd\.csv" is absolute`}},
		{name: "path-dotdot", doc: "an input path that climbs out",
			dir:  b().yaml(inputFile("data/../../outside.csv")).put("outside.csv", goodCSV),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "data/\.\./\.\./outside\.csv" leaves the dataset folder \(\.\.\)$`}},
		{name: "path-key-dotdot", doc: "a key path that climbs out",
			dir:  b().yaml(keyFile("../acme.pub")).put("acme.pub", string(publicKey(t, "acme"))),
			want: []string{`^exposure: dataset\.yaml:7:10: sources\[0\]\.key: path "\.\./acme\.pub" leaves the dataset folder`}},
		{name: "path-symlink-file", doc: "an input that is a symbolic link out of the folder",
			dir: b().put("outside.csv", goodCSV).sign(t, "outside.csv", "acme").
				link("ds/data/acme.csv", "../../outside.csv").copyFile("outside.csv.minisig", "ds/data/acme.csv.minisig"),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: data/acme\.csv resolves outside the dataset folder \(symbolic link\)$`}},
		{name: "path-symlink-folder", doc: "a data folder that is a symbolic link out of the dataset",
			dir: func() caseFiles {
				d := b()
				d.files["elsewhere/acme.csv"] = d.files["ds/data/acme.csv"]
				d.files["elsewhere/acme.csv.minisig"] = d.files["ds/data/acme.csv.minisig"]
				delete(d.files, "ds/data/acme.csv")
				delete(d.files, "ds/data/acme.csv.minisig")
				return d.link("ds/data", "../elsewhere")
			}(),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: data/acme\.csv resolves outside the dataset folder \(symbolic link\)$`}},
		{name: "path-symlink-signature", doc: "a signature that is a symbolic link out of the folder",
			dir:  b().copyFile("ds/data/acme.csv.minisig", "acme.csv.minisig").link("ds/data/acme.csv.minisig", "../../acme.csv.minisig"),
			want: []string{`^exposure: data/acme\.csv: data/acme\.csv\.minisig resolves outside the dataset folder \(symbolic link\)$`}},
		{name: "path-symlink-key", doc: "a key file that is a symbolic link out of the folder",
			dir:  b().put("acme.pub", string(publicKey(t, "acme"))).link("ds/keys/acme.pub", "../../acme.pub"),
			want: []string{`^exposure: dataset\.yaml:7:10: sources\[0\]\.key: keys/acme\.pub resolves outside the dataset folder \(symbolic link\)$`}},
		{name: "path-symlink-config", doc: "dataset.yaml that is a symbolic link out of the folder",
			dir:  b().put("evil.yaml", baseYAML).link("ds/dataset.yaml", "../evil.yaml"),
			want: []string{`^exposure: dataset\.yaml: dataset\.yaml resolves outside the dataset folder \(symbolic link\)$`}},
		{name: "path-control-char", doc: "control characters in a file name",
			dir:  b().yaml(inputFile(`"data/acme\a.csv"`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "data/acme\\a\.csv" contains a control character$`}},
		{name: "path-newline", doc: "a newline in a file name, which would forge a line of the error output",
			dir:  b().yaml(inputFile(`"data/a.csv\nexposure: all good"`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "data/a\.csv\\nexposure: all good" contains a control character$`}},
		{name: "path-c1-control", doc: "a C1 control character (NEL) in a file name",
			dir:  b().yaml(inputFile(`"data/acme\N.csv"`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "data/acme\\u0085\.csv" contains a control character$`}},
		{name: "path-backslash", doc: "a Windows path",
			dir:  b().yaml(inputFile(`'data\acme.csv'`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "data\\\\acme\.csv" contains a backslash`}},
		{name: "path-drive", doc: "a Windows drive letter",
			dir:  b().yaml(inputFile(`"C:/data/acme.csv"`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "C:/data/acme\.csv" is absolute`}},
		{name: "path-directory", doc: "an input that is a folder",
			dir:  b().yaml(inputFile("data/folder.csv")).put("ds/data/folder.csv/README", "a folder, not a file\n"),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: data/folder\.csv is not a regular file$`}},
		{name: "path-dataset-itself", doc: "an input path that names the folder",
			dir:  b().yaml(inputFile(`"."`)),
			want: []string{`^exposure: dataset\.yaml:9:11: inputs\[0\]\.file: path "\." names the dataset folder itself`}},
		// Limits.
		{name: "limit-file-bytes", doc: "a file above limits.max_file_bytes",
			dir:  b().yaml(yamlWith("limits: {max_file_bytes: 100}\n")),
			want: []string{`^exposure: data/acme\.csv: 2\d\d bytes is more than the limit of 100 \(limits\.max_file_bytes`}},
		{name: "limit-rows", doc: "a file above limits.max_rows_per_file",
			dir:  b().yaml(yamlWith("limits: {max_rows_per_file: 2}\n")),
			want: []string{`^exposure: data/acme\.csv:4: more than 2 data rows \(limits\.max_rows_per_file`}},
		{name: "limit-rows-parquet", doc: "a Parquet file above limits.max_rows_per_file",
			dir:  b().parquetInput(t, pq(t, goodParquetRows())).edit("ds/dataset.yaml", func(s string) string { return s + "limits: {max_rows_per_file: 1}\n" }),
			want: []string{`^exposure: data/acme\.parquet: the file has 2 rows, more than 1 \(limits\.max_rows_per_file`}},
		{name: "limit-cells", doc: "a table above limits.max_cells_per_table",
			dir:  b().yaml(yamlWith("limits: {max_cells_per_table: 3}\n")),
			want: []string{`^exposure: data/acme\.csv:5: the table \(2019-09-16, exposed_systems\) has more than 3 leaf cells \(limits\.max_cells_per_table`}},
		{name: "limit-rows-flag", doc: "a file above --max-rows-per-file",
			dir:  b(),
			args: []string{"--max-rows-per-file", "1"},
			want: []string{`^exposure: data/acme\.csv:3: more than 1 data rows \(limits\.max_rows_per_file`}},
		{name: "limit-cells-set", doc: "a table above --set limits.max_cells_per_table",
			dir:  b(),
			args: []string{"--set", "limits.max_cells_per_table=2"},
			want: []string{`^exposure: data/acme\.csv:4: the table \(2019-09-16, exposed_systems\) has more than 2 leaf cells`}},
	}
}

// copyFile copies a file of the case to another path.
func (d caseFiles) copyFile(from, to string) caseFiles {
	d.files[to] = append([]byte(nil), d.files[from]...)
	return d
}

// bigFile makes path a file of n bytes of comment lines, written at test time.
func (d caseFiles) bigFile(path string, n int) caseFiles {
	delete(d.files, path)
	d.big[path] = func(w io.Writer) error {
		line := []byte("# " + strings.Repeat("x", 61) + "\n")
		for left := n; left > 0; left -= len(line) {
			if _, err := w.Write(line[:min(left, len(line))]); err != nil {
				return err
			}
		}
		return nil
	}
	return d
}

// writeCase writes a case folder: its files, links, want and args; with big set, the files made
// at test time too.
func writeCase(t testing.TB, dir string, c hostileCase, big bool) {
	write := func(rel string, data []byte) {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel, data := range c.dir.files {
		write(rel, data)
	}
	for rel, target := range c.dir.links {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
	if big {
		for rel, gen := range c.dir.big {
			path := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := gen(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "# " + c.doc + "\n" + strings.Join(c.want, "\n") + "\n"
	write("want", []byte(want))
	if len(c.args) > 0 {
		write("args", []byte(strings.Join(c.args, "\n")+"\n"))
	}
}

// listTree lists a folder's files and links with their content (a link's target), for comparing
// the committed corpus with the generator.
func listTree(t testing.TB, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = "link:" + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHostileCorpus checks that testdata/hostile is what the generator writes, so that the corpus
// and its expectations stay reviewable files; -update rewrites it.
func TestHostileCorpus(t *testing.T) {
	const root = "testdata/hostile"
	cases := hostileCases(t)
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("case %s is listed twice", c.name)
		}
		names[c.name] = true
	}
	if *update {
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		writeCase(t, filepath.Join(root, baselineCase), hostileCase{name: baselineCase,
			doc: "the valid dataset whose report every case must leave untouched", dir: baseDir(t)}, false)
		for _, c := range cases {
			writeCase(t, filepath.Join(root, c.name), c, false)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		if e.Name() != baselineCase {
			onDisk = append(onDisk, e.Name())
		}
	}
	var generated []string
	for name := range names {
		generated = append(generated, name)
	}
	sort.Strings(generated)
	if strings.Join(onDisk, " ") != strings.Join(generated, " ") {
		t.Fatalf("testdata/hostile holds\n%v\nbut the generator makes\n%v\n(run go test -run TestHostileCorpus -update)", onDisk, generated)
	}
	for _, c := range cases {
		tmp := t.TempDir()
		writeCase(t, tmp, c, false)
		got, want := listTree(t, filepath.Join(root, c.name)), listTree(t, tmp)
		for path, content := range want {
			if got[path] != content {
				t.Errorf("%s/%s differs from what the generator writes (run go test -run TestHostileCorpus -update)", c.name, path)
			}
		}
		for path := range got {
			if _, ok := want[path]; !ok {
				t.Errorf("%s/%s is not written by the generator", c.name, path)
			}
		}
	}
}
