package synth

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/schemas"
)

// fileStats is what the checker counts in the data files of a dataset.
type fileStats struct {
	rows      int64
	zeros     int64 // rows with value 0
	nonZero   int64 // rows with value > 0
	small     int64 // non-zero rows with fewer than 3 contributors
	dominance int64 // non-zero rows that give largest and second_largest
	// cells holds every row's value by cell, to check the relations between metrics and that no cell
	// appears in two files; where names the file and line of each.
	cells map[cellKey]int64
	where map[cellKey]string
	// sourceOf is the source that sends each country.
	sourceOf map[string]string
}

// cellKey names a leaf cell by its text, as the checker reads it from the CSV.
type cellKey struct{ period, country, org, metric string }

// tb is what the checkers need of a test: *testing.T and rapid's *rapid.T both have it.
type tb interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

const submissionHeader = "period,country,org_type,metric,value,contributors,largest,second_largest"

// checkDataFile checks one data file against SPEC 3.1 independently of pipeline/ingest: the header,
// the codes, the integers, the contributor and dominance rules, the sort order and uniqueness of the
// cells, and that its signature verifies with pub. It returns every violation it finds.
func checkDataFile(t tb, path, source string, pub minisign.PublicKey, st *fileStats) []string {
	t.Helper()
	vocab, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	report := func(line int, format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf("%s:%d: %s", filepath.Base(path), line, fmt.Sprintf(format, args...)))
		}
	}
	sig, err := os.ReadFile(path + ".minisig")
	if err != nil {
		report(0, "no signature: %v", err)
	} else {
		r := minisign.NewReader(bytes.NewReader(data))
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		if !r.Verify(pub, sig) {
			report(0, "signature does not verify with the source's key")
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	var prevKey string
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != submissionHeader {
				report(line, "header %q", text)
			}
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 8 {
			report(line, "%d fields", len(f))
			continue
		}
		if _, err := schemas.ParseDate(f[0]); err != nil {
			report(line, "period %q: %v", f[0], err)
		}
		if _, ok := vocab.Geo.CountryByCode(f[1]); !ok {
			report(line, "country %q", f[1])
		}
		org, ok := vocab.OrgByCode(f[2])
		if !ok || org == schemas.OrgAll {
			report(line, "org_type %q", f[2])
		}
		metric, ok := vocab.MetricByCode(f[3])
		if !ok {
			report(line, "metric %q", f[3])
		}
		num := func(s string, optional bool) int64 {
			if s == "" && optional {
				return -1
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
				report(line, "not a non-negative plain integer: %q", s)
			}
			return n
		}
		value, contributors := num(f[4], false), num(f[5], false)
		largest, second := num(f[6], true), num(f[7], true)
		switch {
		case value > 0 && contributors == 0:
			report(line, "value %d with no contributors", value)
		case value == 0 && contributors > 0:
			report(line, "value 0 with %d contributors", contributors)
		case contributors > value:
			report(line, "%d contributors for value %d", contributors, value)
		}
		if (largest < 0) != (second < 0) {
			report(line, "only one of largest and second_largest given")
		}
		if largest >= 0 {
			if largest > value || second > largest || largest+second > value {
				report(line, "dominance %d, %d of value %d", largest, second, value)
			}
		}
		// Rows are sorted by (period, country, org_type, metric); ids sort like codes.
		key := fmt.Sprintf("%s,%s,%03d,%03d", f[0], f[1], org, metric)
		if key <= prevKey {
			report(line, "cell %s,%s,%s,%s out of order or repeated", f[0], f[1], f[2], f[3])
		}
		prevKey = key
		cell := cellKey{f[0], f[1], f[2], f[3]}
		here := fmt.Sprintf("%s:%d", filepath.Base(path), line)
		if other, dup := st.where[cell]; dup {
			report(line, "cell %v also at %s", cell, other)
		}
		st.cells[cell], st.where[cell] = value, here
		if s, ok := st.sourceOf[f[1]]; ok && s != source {
			report(line, "country %s sent by %s and %s", f[1], s, source)
		}
		st.sourceOf[f[1]] = source
		st.rows++
		if value == 0 {
			st.zeros++
			continue
		}
		st.nonZero++
		if contributors < 3 {
			st.small++
		}
		if largest >= 0 {
			st.dominance++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) || bytes.Contains(data, []byte("\r")) {
		report(line, "lines must end in LF")
	}
	return problems
}

// checkDataset runs checkDataFile over every data file of a synthetic dataset (data/<source>.csv or
// data/<source>-<year>.csv) with its source's public key and fails the test on any violation.
func checkDataset(t tb, dir string) fileStats {
	t.Helper()
	st := fileStats{cells: map[cellKey]int64{}, where: map[cellKey]string{}, sourceOf: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(dir, "data", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no data files")
	}
	for _, file := range files {
		id, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".csv"), "-")
		pub, err := minisign.PublicKeyFromFile(filepath.Join(dir, "keys", id+".pub"))
		if err != nil {
			t.Fatalf("public key of %s: %v", id, err)
		}
		for _, p := range checkDataFile(t, file, id, pub, &st) {
			t.Error(p)
		}
	}
	return st
}
