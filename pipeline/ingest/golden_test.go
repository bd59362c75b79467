package ingest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestErrorsGolden loads a dataset with many kinds of mistake in several files and compares the
// whole error list, as the command line prints it, with testdata/errors.golden. Run with -update to
// rewrite the file after a deliberate change of messages, and review the diff.
func TestErrorsGolden(t *testing.T) {
	p := day(t, "2019-09-01")
	pq := parquetInput(parquetBytes(t, []pqRow{
		{p, "DE", "hospital", "exposed_systems", 10, 3, nil, nil},
		{p, "FR", "clinic", "exposed_systems", -5, 2, nil, nil},
	}))
	pq.file = "data/b.parquet"
	unsigned := input{file: "data/c.csv", source: "alpha", signer: "-", data: []byte(header)}
	foreign := input{file: "data/d.csv", source: "alpha", signer: "beta", data: []byte(header)}
	scoped := input{file: "data/e.csv", source: "beta", data: []byte("country,period,metric,org_type,value,contributors\r\n" +
		"GB,2019-09-01,exposed_systems,hospital,3,1\r\n" +
		"FR,2020-01-06,exposed_systems,hospital,3,1\r\n")}
	a := csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,5,2\n" +
		"2019-09-01,UK,clinic,exposed_systems,1e3,0,,\n" +
		"2019-9-1,FR,hospitals,exposed_hosts,4,0,5,6\n" +
		"2019-09-08,FR,clinic,exposed_systems,0,2,,\n" +
		"2019-09-08,FR,clinic,exposed_studies,10,2,,3\n" +
		"2019-09-08,FR,other,exposed_studies,10,2,6,5\n")
	list := loadErrors(t, makeDataset(t, a, pq, unsigned, foreign, scoped), Options{})
	got := list.Error() + "\n"
	path := filepath.Join("testdata", "errors.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s (run go test -update and review the diff):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
