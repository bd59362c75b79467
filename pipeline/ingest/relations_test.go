package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRelationsInData checks that leaves breaking a relation in force are refused with every row
// named, and that data keeping them load.
func TestRelationsInData(t *testing.T) {
	const identity = "exposed_systems = prev(exposed_systems) + new_systems - offline_systems"
	tests := []struct {
		name      string
		rows      string
		relations []string
		want      []string // substrings of the one error; nil: loads
	}{
		{"flows within their stocks", `2019-01-07,DE,hospital,exposed_systems,5,3,,
2019-02-04,DE,hospital,exposed_systems,6,3,,
2019-02-04,DE,hospital,new_systems,2,2,,
2019-02-04,DE,hospital,offline_systems,1,1,,
`, []string{identity}, nil},
		{"a new system that is not exposed", `2019-01-07,DE,hospital,exposed_systems,5,3,,
2019-01-07,DE,hospital,new_systems,7,3,,
`, nil, []string{`data/a.csv:2:5: DE hospital breaks the relation "new_systems <= exposed_systems" (new_systems <= exposed_systems): 2019-01-07 exposed_systems = 5 (data/a.csv:2:1), 2019-01-07 new_systems = 7 (data/a.csv:3:1)`}},
		{"a new system where no system is exposed", `2019-01-07,DE,hospital,exposed_systems,5,3,,
2019-01-07,FR,clinic,new_systems,1,1,,
`, nil, []string{`FR clinic breaks the relation "new_systems <= exposed_systems"`, `2019-01-07 exposed_systems = 0 (no row: 0)`}},
		{"more offline than were exposed", `2019-01-07,DE,hospital,exposed_systems,2,2,,
2019-02-04,DE,hospital,exposed_systems,2,2,,
2019-02-04,DE,hospital,offline_systems,3,3,,
`, nil, []string{`data/a.csv:2:5: DE hospital breaks the relation "offline_systems <= prev(exposed_systems)"`, "2019-01-07 prev(exposed_systems) = 2 (data/a.csv:2:1)"}},
		{"no previous period, no relation", `2019-02-04,DE,hospital,exposed_systems,2,2,,
2019-02-04,DE,hospital,offline_systems,3,3,,
`, nil, nil},
		{"the identity broken", `2019-01-07,DE,hospital,exposed_systems,5,3,,
2019-02-04,DE,hospital,exposed_systems,6,3,,
2019-02-04,DE,hospital,new_systems,2,2,,
2019-02-04,DE,hospital,offline_systems,0,0,,
`, []string{identity}, []string{`breaks the relation "` + identity + `" (exposed_systems + offline_systems = new_systems + prev(exposed_systems))`}},
		{"the identity is not in force without its tables", `2019-01-07,DE,hospital,exposed_systems,5,3,,
2019-02-04,DE,hospital,exposed_systems,9,3,,
`, []string{identity}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeDataset(t, csvInput(tc.rows))
			if len(tc.relations) > 0 {
				appendRelations(t, dir, tc.relations)
			}
			errs := loadErrors(t, dir, Options{})
			if tc.want == nil {
				if errs != nil {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !errors.Is(errs[0], ErrRelation) {
				t.Fatalf("got %v, want one relation error", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("error %v\nwant it to contain %q", errs[0], w)
				}
			}
		})
	}
}

func appendRelations(t *testing.T, dir string, relations []string) {
	t.Helper()
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "relations:\n"...)
	for _, r := range relations {
		data = append(data, "  - \""+r+"\"\n"...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRelationsConfig checks the errors of relations that cannot be read: at their line and the
// column of the problem inside the quoted text.
func TestRelationsConfig(t *testing.T) {
	dir := makeDataset(t, csvInput("2019-01-07,DE,hospital,exposed_systems,5,3,,\n"))
	appendRelations(t, dir, []string{"new_systems <= exposed_sytems", "exposed_systems >= new_systems", "exposed_systems <= 2 * exposed_studies * exposed_images"})
	errs := loadErrors(t, dir, Options{})
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	lines := strings.Count(strings.Replace(baseYAML, "%s", "  - file: data/a.csv\n    source: alpha\n", 1), "\n")
	want := []string{
		`dataset.yaml:` + strconv.Itoa(lines+2) + `:21: relations[0]: relation "new_systems <= exposed_sytems": "exposed_sytems" is not a metric`,
		`dataset.yaml:` + strconv.Itoa(lines+3) + `:5: relations[1]: relation "exposed_systems >= new_systems" says what the vocabulary says already (new_systems <= exposed_systems)`,
		`dataset.yaml:` + strconv.Itoa(lines+4) + `:45: relations[2]: relation "exposed_systems <= 2 * exposed_studies * exposed_images": * makes the relation non-linear`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
