package ingest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"aead.dev/minisign"
	"golang.org/x/crypto/blake2b"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// fuzzRules are the rules the fuzz targets read rows with: source beta's scope (DE and FR,
// exposed_systems, 2019), so that the scope rules are exercised too.
func fuzzRules(t testing.TB) *rowRules {
	t.Helper()
	vocab, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	return newRowRules(vocab, Source{ID: "beta", Scope: Scope{
		Countries: []string{"DE", "FR"},
		Metrics:   []string{"exposed_systems"},
		Periods:   PeriodRange{From: "2019-01-01", To: "2019-12-31"},
	}})
}

// readRows runs one reader over data and returns the tables it accepted and the errors.
func readRows(t testing.TB, data []byte, parquetFile bool) ([]*Table, *collector, *inputReader) {
	t.Helper()
	rules := fuzzRules(t)
	errs := &collector{max: 1 << 20}
	b := newBuilder(math.MaxInt64)
	ir := newInputReader("data/f", 0, parquetFile, rules, errs, b)
	var err error
	if parquetFile {
		err = ir.readParquet(context.Background(), bytes.NewReader(data), int64(len(data)))
	} else {
		err = ir.readCSV(context.Background(), bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("reader returned %v without a cancelled context", err)
	}
	tables, _ := b.finish(rules.vocab, func(at, first place, cell string) error {
		return &Error{File: "data/f", Row: at.at(), Err: fail(ErrDuplicateCell, "%s", cell)}
	}, errs)
	return tables, errs, ir
}

// checkAccepted asserts every rule of SPEC 3.1 and the scope on every leaf a reader accepted, and
// that every error is one line naming the file; it returns the leaves written as text.
func checkAccepted(t *testing.T, rules *rowRules, tables []*Table, errs *collector) []string {
	t.Helper()
	for _, err := range errs.errs {
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "data/f") {
			t.Fatalf("error message is not one line naming the file: %q", msg)
		}
	}
	lo, _ := schemas.ParseDate("2019-01-01")
	hi, _ := schemas.ParseDate("2019-12-31")
	var leaves []string
	for _, tb := range tables {
		if tb.Period < lo || tb.Period > hi || rules.vocab.Metric(tb.Metric).Code != "exposed_systems" {
			t.Fatalf("accepted a table outside the scope: %s %d", tb.Period, tb.Metric)
		}
		for i, l := range tb.Leaves {
			node := rules.vocab.Geo.Node(l.Geo)
			switch {
			case node.Level != schemas.Country || (node.Code != "DE" && node.Code != "FR"):
				t.Fatalf("accepted country %s", node.Code)
			case l.Org == schemas.OrgAll || int(l.Org) > rules.vocab.NumOrgs():
				t.Fatalf("accepted org %d", l.Org)
			case l.Value < 0 || l.Contributors < 0:
				t.Fatalf("accepted a negative count: %+v", l)
			case (l.Value > 0) != (l.Contributors > 0):
				t.Fatalf("accepted value %d with %d contributors", l.Value, l.Contributors)
			case l.SecondLargest != Unknown && l.Largest == Unknown:
				t.Fatalf("accepted second_largest without largest: %+v", l)
			case l.Largest != Unknown && (l.Largest < 0 || l.Largest > l.Value):
				t.Fatalf("accepted largest %d with value %d", l.Largest, l.Value)
			case l.SecondLargest != Unknown && (l.SecondLargest < 0 || l.SecondLargest > l.Largest || l.SecondLargest > l.Value-l.Largest):
				t.Fatalf("accepted dominance %d+%d of %d", l.Largest, l.SecondLargest, l.Value)
			case i > 0 && (tb.Leaves[i-1].Geo > l.Geo || (tb.Leaves[i-1].Geo == l.Geo && tb.Leaves[i-1].Org >= l.Org)):
				t.Fatalf("leaves unsorted or duplicated")
			}
			leaves = append(leaves, fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%d", tb.Period, node.Code,
				rules.vocab.Org(l.Org).Code, rules.vocab.Metric(tb.Metric).Code, l.Value, l.Contributors, l.Largest, l.SecondLargest))
		}
	}
	sort.Strings(leaves)
	return leaves
}

// plainInt is the independent reading of a count: decimal digits only.
var plainInt = regexp.MustCompile(`^[0-9]+$`)

// independentCSV reads a submission with encoding/csv and strconv alone, to compare with what the
// reader accepted when it reported no error. It returns false when the file is not clean by this
// reading, which must then not have been accepted.
func independentCSV(data []byte) ([]string, bool) {
	data = bytes.TrimPrefix(data, utf8BOM)
	r := csv.NewReader(bytes.NewReader(data))
	records, err := r.ReadAll()
	if err != nil || len(records) == 0 {
		return nil, false
	}
	at := map[string]int{}
	for i, name := range records[0] {
		if _, dup := at[name]; dup || columnIndex(name) < 0 {
			return nil, false
		}
		at[name] = i
	}
	for _, name := range columnNames[:requiredColumns] {
		if _, ok := at[name]; !ok {
			return nil, false
		}
	}
	var leaves []string
	for _, rec := range records[1:] {
		field := func(name string) string {
			if i, ok := at[name]; ok {
				return rec[i]
			}
			return ""
		}
		var nums [4]int64
		for i, name := range []string{"value", "contributors", "largest", "second_largest"} {
			s := field(name)
			if s == "" && i >= 2 {
				nums[i] = Unknown
				continue
			}
			if !plainInt.MatchString(s) {
				return nil, false
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, false
			}
			nums[i] = n
		}
		if _, err := schemas.ParseDate(field("period")); err != nil {
			return nil, false
		}
		leaves = append(leaves, fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%d", field("period"), field("country"), field("org_type"), field("metric"),
			nums[0], nums[1], nums[2], nums[3]))
	}
	sort.Strings(leaves)
	return leaves, true
}

// FuzzCSV feeds arbitrary bytes to the CSV reader. It must not panic, must never accept a row that
// breaks a rule, and when it reports no error at all, an independent reading of the file must find
// exactly the rows it accepted.
func FuzzCSV(f *testing.F) {
	for _, seed := range []string{
		header + "2019-09-01,DE,hospital,exposed_systems,10,3,5,2\n",
		header + "2019-09-01,FR,clinic,exposed_systems,0,0,,\r\n2019-09-02,DE,research,exposed_systems,4,1,4,0\r\n",
		"\ufeff" + "value,contributors,metric,org_type,country,period\n\"7\",\"2\",exposed_systems,other,DE,2019-12-31\n",
		header + "2019-09-01,UK,hospital,exposed_systems,-1,0,11,12\n",
		header + "2019-09-01,DE,hospital,exposed_systems,9223372036854775807,1,9223372036854775807,0\n",
		header + "2019-09-01,DE,hospital,exposed_systems,10,3,,2\n2019-09-01,DE,hospital,exposed_systems,10,3,6,5\n",
		header + "2019-09-01,DE,hospital,exposed_systems,10,3,,\n2019-09-01,DE,hospital,exposed_systems,10,3,,\n",
		"period,country,org_type,metric,value,contributors,ip\n",
		header + "\"2019-09-01\",\"D\"\"E\",hospital,exposed_systems,1,1,,\n",
		header + "2019-09-01,D\x00,hospital,exposed_systems,1,1,,\n2019-09-01,DE,hosp\xff,exposed_systems,1,1,,\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tables, errs, _ := readRows(t, data, false)
		accepted := checkAccepted(t, fuzzRules(t), tables, errs)
		if errs.count() > 0 {
			return
		}
		independent, ok := independentCSV(data)
		if !ok {
			t.Fatalf("accepted a file that an independent reading refuses: %q", data)
		}
		if strings.Join(independent, "\n") != strings.Join(accepted, "\n") {
			t.Fatalf("accepted rows differ from an independent reading:\n got: %q\nwant: %q", accepted, independent)
		}
	})
}

// FuzzParquet feeds arbitrary bytes to the Parquet reader: it must not panic and must never accept
// a row that breaks a rule.
func FuzzParquet(f *testing.F) {
	p := day(f, "2019-09-01")
	for _, rows := range [][]pqRow{
		{{p, "DE", "hospital", "exposed_systems", 10, 3, ptr[int64](5), ptr[int64](2)}, {p, "FR", "clinic", "exposed_systems", 0, 0, nil, nil}},
		{{p, "UK", "hospital", "exposed_systems", -1, 0, ptr[int64](11), nil}},
		{},
	} {
		f.Add(parquetBytes(f, rows))
		f.Add(arrowParquet(f, rows))
	}
	f.Add(parquetBytes(f, []pqExtraColumn{{pqRow{Period: p, Country: "DE"}, "10.0.0.1"}}))
	f.Add(parquetBytes(f, []pqUnsigned{{p, "DE", "hospital", "exposed_systems", 1 << 63, 1}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		tables, errs, ir := readRows(t, data, true)
		checkAccepted(t, fuzzRules(t), tables, errs)
		leaves := 0
		for _, tb := range tables {
			leaves += len(tb.Leaves)
		}
		if int64(leaves) > ir.rows {
			t.Fatalf("%d leaves from %d rows", leaves, ir.rows)
		}
	})
}

// FuzzConfig feeds arbitrary bytes as dataset.yaml. It must not panic, every error must be one line,
// and a configuration it accepts must satisfy every check.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(validYAML))
	f.Add([]byte(strings.Replace(baseYAML, "%s", "  - file: data/a.csv\n    source: beta\n", 1)))
	f.Add([]byte("id: x\ntitle: y\nsources: [{id: a, name: b, key: keys/alpha.pub}]\ninputs: [{file: data/a.csv, source: a}]\n"))
	f.Add([]byte("a: &a [x, x]\nb: [*a, *a]\n"))
	f.Add([]byte("protection: {min_contributors: 0, interval: .nan, p_percent: 1e400, min_value: {x: -1}}\n"))
	f.Add([]byte("id: x\nid: y\n---\nz: 1\n"))
	f.Add([]byte(validYAML + "breaks:\n  - {period: 2019-03-01, countries: [DE], metrics: [exposed_systems], reason: new}\n" +
		"estimates:\n  - {file: data/a.csv, countries: [FR], reason: allocated}\ncomparisons:\n  - [DE, FR]\n"))
	f.Add([]byte(validYAML + "breaks: [{period: 2019-02-30}, {reason: \"\"}]\nestimates: [{file: ../x.csv}]\ncomparisons: [[DE], [DE, DE, FR], [UK, DE]]\n"))
	f.Add([]byte("\"a\\nexposure: forged\": 1\nprotection: {\"\\rx\": 2}\n"))
	dir := f.TempDir()
	writePublicKey(f, filepath.Join(dir, "keys/alpha.pub"), keyFor(f, "alpha").pub)
	writePublicKey(f, filepath.Join(dir, "keys/beta.pub"), keyFor(f, "beta").pub)
	mustWrite(f, filepath.Join(dir, "data/a.csv"), []byte(header))
	root, err := os.OpenRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { root.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		lc, err := checkConfig(root, data, Options{MaxErrors: 1000, Env: []string{}}.withDefaults())
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %q is not an ErrorList", err)
			}
			for _, e := range list {
				if msg := e.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
					t.Fatalf("error is not one line: %q", msg)
				}
			}
			return
		}
		cfg := lc.cfg
		p := cfg.Protection
		switch {
		case !safeName.MatchString(cfg.ID) || strings.TrimSpace(cfg.Title) == "":
			t.Fatalf("accepted id %q title %q", cfg.ID, cfg.Title)
		case len(cfg.Sources) == 0 || len(cfg.Inputs) == 0:
			t.Fatal("accepted a dataset without sources or inputs")
		case p.MinContributors < 1 || !(p.Interval > 0 && p.Interval < 1) || !(p.PPercent >= 0 && p.PPercent < 100):
			t.Fatalf("accepted protection %+v", p)
		}
		for _, b := range cfg.Breaks {
			if _, err := schemas.ParseDate(b.Period); err != nil || strings.TrimSpace(b.Reason) == "" {
				t.Fatalf("accepted break %+v", b)
			}
		}
		for _, e := range cfg.Estimates {
			if !slices.ContainsFunc(cfg.Inputs, func(in Input) bool { return in.File == e.File }) || strings.TrimSpace(e.Reason) == "" {
				t.Fatalf("accepted estimate %+v", e)
			}
		}
		for _, pair := range cfg.Comparisons {
			if len(pair) != 2 || pair[0] == pair[1] {
				t.Fatalf("accepted comparison %v", pair)
			}
		}
		for code, n := range p.MinValue {
			if _, ok := lc.vocab.MetricByCode(code); !ok || n < 0 {
				t.Fatalf("accepted min_value %s: %d", code, n)
			}
		}
		for _, in := range cfg.Inputs {
			if _, ok := lc.keys[in.Source]; !ok {
				t.Fatalf("accepted input %s of a source without a key", in.File)
			}
			if clean, err := cleanRelPath(in.File); err != nil || clean != in.File {
				t.Fatalf("accepted input path %q", in.File)
			}
		}
	})
}

// FuzzSignature feeds an arbitrary signature file and message to the verification. Whatever it
// accepts must verify independently: the Ed25519 signature of the message (or of its BLAKE2b-512
// hash) and of the signature with the trusted comment, by alpha's key.
func FuzzSignature(f *testing.F) {
	key := keyFor(f, "alpha")
	message := []byte(header + "2019-09-01,DE,hospital,exposed_systems,10,3,,\n")
	prehashed, err := signing.Sign(bytes.NewReader(message), key.priv, "test")
	if err != nil {
		f.Fatal(err)
	}
	legacy := minisign.SignWithComments(key.priv, message, "test", "legacy")
	f.Add(prehashed, message)
	f.Add(legacy, message)
	f.Add(prehashed, message[1:])
	f.Add(bytes.Replace(prehashed, []byte("test"), []byte("tesT"), 1), message)
	f.Add(minisign.SignWithComments(keyFor(f, "mallory").priv, message, "x", "y"), message)
	f.Add([]byte("untrusted comment: x\n\ntrusted comment: \n\n"), []byte{})
	raw := ed25519Key(key.pub)
	f.Fuzz(func(t *testing.T, sigText, msg []byte) {
		check, err := checkSignature(sigText, key.pub, "s", "k")
		if err != nil {
			return
		}
		prehash := check.prehashed()
		ok := check.checkMessage(key.pub, msg)
		streamed := minisign.NewReader(bytes.NewReader(msg))
		if _, err := io.Copy(io.Discard, streamed); err != nil {
			t.Fatal(err)
		}
		if prehash && streamed.Verify(key.pub, sigText) != ok {
			t.Fatal("streamed and in-memory verification disagree")
		}
		if !ok {
			return
		}
		lines := strings.SplitN(string(sigText), "\n", 4)
		sigBytes, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[1]))
		if err != nil || len(sigBytes) != 74 || binary.LittleEndian.Uint64(sigBytes[2:10]) != key.pub.ID() {
			t.Fatalf("accepted a signature line that does not decode independently")
		}
		signed := msg
		if prehash {
			sum := blake2b.Sum512(msg)
			signed = sum[:]
		}
		comment := strings.TrimPrefix(strings.TrimRight(lines[2], "\r"), "trusted comment: ")
		commentSig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[3]))
		if !ed25519.Verify(raw, signed, sigBytes[10:]) || err != nil ||
			!ed25519.Verify(raw, append(append([]byte(nil), sigBytes[10:]...), comment...), commentSig) {
			t.Fatalf("accepted a signature that does not verify independently")
		}
	})
}

// FuzzPublicKey feeds arbitrary bytes as a public key file: no panic, and a key it accepts is one
// whose key line decodes to it.
func FuzzPublicKey(f *testing.F) {
	key := keyFor(f, "alpha").pub
	f.Add([]byte("untrusted comment: minisign public key\n" + key.String() + "\n"))
	f.Add([]byte(key.String()))
	f.Add([]byte("untrusted comment: a\r\n\r\n" + key.String() + "\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := parsePublicKey(data)
		if err != nil {
			return
		}
		if !strings.Contains(string(data), parsed.String()) {
			t.Fatalf("accepted key %s is not in the file", parsed.String())
		}
	})
}
