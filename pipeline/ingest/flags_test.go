package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// flagsDataset writes a dataset of two sources: alpha sends a.csv (DE and FR, January and March)
// and c.csv (DE in May), beta sends b.csv (DE in March, a second organization type, and FR in
// May), with extra appended to dataset.yaml.
func flagsDataset(t *testing.T, extra string) string {
	t.Helper()
	dir := makeDataset(t,
		input{file: "data/a.csv", source: "alpha", data: []byte(header +
			"2019-01-01,DE,hospital,exposed_systems,10,3,,\n" +
			"2019-01-01,FR,hospital,exposed_systems,8,3,,\n" +
			"2019-01-01,DE,hospital,exposed_studies,100,3,,\n" +
			"2019-03-01,DE,hospital,exposed_systems,11,3,,\n" +
			"2019-03-01,FR,hospital,exposed_systems,9,3,,\n")},
		input{file: "data/b.csv", source: "beta", data: []byte(header +
			"2019-03-01,DE,clinic,exposed_systems,4,3,,\n" +
			"2019-05-01,FR,hospital,exposed_systems,9,3,,\n")},
		input{file: "data/c.csv", source: "alpha", data: []byte(header +
			"2019-05-01,DE,hospital,exposed_systems,12,3,,\n" +
			"2019-05-01,DE,clinic,exposed_systems,5,3,,\n")},
	)
	path := filepath.Join(dir, ConfigFile)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, append(text, extra...))
	return dir
}

// leafFlags returns the flags of every leaf as "PERIOD METRIC CC:ORG=CODE(REASONS)", for the leaves
// that have any.
func leafFlags(ds *Dataset) []string {
	var out []string
	for _, t := range ds.Tables {
		for _, l := range t.Leaves {
			if l.Flags == 0 {
				continue
			}
			s := fmt.Sprintf("%s %s %s:%s=%s", t.Period, ds.Vocab.Metric(t.Metric).Code, ds.Vocab.Geo.Node(l.Geo).Code,
				ds.Vocab.Org(l.Org).Code, l.Flags.Code())
			if r := l.Flags.BreakReason(); r != "" {
				s += "(" + r + ")"
			}
			if l.Flags.Has(schemas.ObsEstimated) && l.Flags.Has(schemas.ObsBreak) {
				s += "+E"
			}
			out = append(out, s)
		}
	}
	return out
}

// TestLeafFlags checks every rule that flags a leaf (flags.go): a declared break where the leaf has a
// previous period, restricted to its countries and metrics; a change of source between a leaf's
// previous period and this one; estimates of a file or part of one; none of it on a leaf's first
// period.
func TestLeafFlags(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{
			// FR in May comes from beta after alpha in March; DE clinic moves from beta to alpha.
			// DE hospital stays with alpha, though its file changes.
			name: "a change of source is a break by itself",
			want: []string{
				"2019-05-01 exposed_systems DE:clinic=B(source)",
				"2019-05-01 exposed_systems FR:hospital=B(source)",
			},
		},
		{
			name:  "a declared break for one country",
			extra: "breaks:\n  - {period: 2019-03-01, countries: [DE], reason: new method}\n",
			// DE clinic appears in March: it has no previous period to break from.
			want: []string{
				"2019-03-01 exposed_systems DE:hospital=B(declared)",
				"2019-05-01 exposed_systems DE:clinic=B(source)",
				"2019-05-01 exposed_systems FR:hospital=B(source)",
			},
		},
		{
			name:  "a declared break for every country of one metric",
			extra: "breaks:\n  - {period: 2019-05-01, metrics: [exposed_systems], reason: new scanner}\n",
			want: []string{
				"2019-05-01 exposed_systems DE:clinic=B(declared,source)",
				"2019-05-01 exposed_systems DE:hospital=B(declared)",
				"2019-05-01 exposed_systems FR:hospital=B(declared,source)",
			},
		},
		{
			name:  "an estimated file",
			extra: "estimates:\n  - {file: data/b.csv, reason: allocated by a stated rule}\n",
			want: []string{
				"2019-03-01 exposed_systems DE:clinic=E",
				"2019-05-01 exposed_systems DE:clinic=B(source)",
				"2019-05-01 exposed_systems FR:hospital=B(source)+E",
			},
		},
		{
			name:  "an estimated part of a file",
			extra: "estimates:\n  - {file: ./data/a.csv, countries: [FR], metrics: [exposed_systems], reason: modelled}\n",
			want: []string{
				"2019-01-01 exposed_systems FR:hospital=E",
				"2019-03-01 exposed_systems FR:hospital=E",
				"2019-05-01 exposed_systems DE:clinic=B(source)",
				"2019-05-01 exposed_systems FR:hospital=B(source)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := mustLoad(t, flagsDataset(t, tt.extra))
			got := leafFlags(ds)
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("flags:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestFlagDeclarationErrors checks that a break or an estimate that marks nothing, or is malformed,
// is refused at its place in dataset.yaml. The appended keys start at line 23.
func TestFlagDeclarationErrors(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		kind  error
		want  string
	}{
		{"break at a period without data", "breaks:\n  - {period: 2019-02-01, reason: x}\n", ErrConfig,
			"dataset.yaml:24:14: breaks[0].period: no submitted cell of any country is at 2019-02-01: the break names no period of the data"},
		{"break at the first period", "breaks:\n  - {period: 2019-01-01, countries: [FR], reason: x}\n", ErrConfig,
			"dataset.yaml:24:14: breaks[0].period: no cell of FR at 2019-01-01 has an earlier period: a break there changes nothing"},
		{"break for a country without data", "breaks:\n  - {period: 2019-03-01, countries: [IT], reason: x}\n", ErrConfig,
			"dataset.yaml:24:14: breaks[0].period: no submitted cell of IT is at 2019-03-01: the break names no period of the data"},
		{"break without a reason", "breaks:\n  - {period: 2019-03-01}\n", ErrConfig,
			"dataset.yaml:24:5: breaks[0].reason: a break needs a reason (what changed)"},
		{"break without a period", "breaks:\n  - reason: x\n", ErrConfig,
			"dataset.yaml:24:5: breaks[0].period: a break needs the period at which the series break"},
		{"break date malformed", "breaks:\n  - {period: 2019-3-1, reason: x}\n", ErrDate,
			`dataset.yaml:24:14: breaks[0].period: "2019-3-1" is not a date of the form YYYY-MM-DD`},
		{"break country not ISO", "breaks:\n  - {period: 2019-03-01, countries: [UK], reason: x}\n", ErrVocabulary,
			`dataset.yaml:24:38: breaks[0].countries[0]: "UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"`},
		{"break with an unknown key", "breaks:\n  - {period: 2019-03-01, reason: x, country: [DE]}\n", ErrUnknownKey,
			"dataset.yaml:24:37: breaks[0].country: unknown key (known here: countries, metrics, period, reason)"},
		{"estimate of a file that is not an input", "estimates:\n  - {file: data/d.csv, reason: x}\n", ErrConfig,
			"dataset.yaml:24:12: estimates[0].file: data/d.csv is not an input of the dataset (inputs: data/a.csv, data/b.csv, data/c.csv)"},
		{"estimate that marks nothing", "estimates:\n  - {file: data/b.csv, countries: [DE], metrics: [exposed_studies], reason: x}\n", ErrConfig,
			"dataset.yaml:24:12: estimates[0].file: data/b.csv has no cell of DE, exposed_studies: the estimate marks nothing"},
		{"estimate metric unknown", "estimates:\n  - {file: data/b.csv, metrics: [exposed_hosts], reason: x}\n", ErrVocabulary,
			`dataset.yaml:24:34: estimates[0].metrics[0]: "exposed_hosts" is not a metric (known: affected_patients, critical_vulnerabilities, exposed_images, exposed_studies, exposed_systems, high_vulnerabilities, new_systems, offline_systems)`},
		{"estimate without a reason", "estimates:\n  - file: data/b.csv\n", ErrConfig,
			"dataset.yaml:24:5: estimates[0].reason: an estimate needs a reason (how the figures were made)"},
		{"comparison of one country", "comparisons:\n  - [DE]\n", ErrConfig,
			"dataset.yaml:24:5: comparisons[0]: a comparison is a list of two countries, got 1"},
		{"comparison with itself", "comparisons:\n  - [DE, DE]\n", ErrConfig,
			`dataset.yaml:24:10: comparisons[0][1]: a country is compared with another, not with itself ("DE")`},
		{"comparison of an unknown country", "comparisons:\n  - [DE, XX]\n", ErrVocabulary,
			`dataset.yaml:24:10: comparisons[0][1]: "XX" is not an ISO 3166-1 alpha-2 country code`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := loadErrors(t, flagsDataset(t, tt.extra), Options{})
			if len(list) == 0 {
				t.Fatal("Load accepted the dataset")
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
