package protect

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// testPeriod is the period of every test table.
var testPeriod = schemas.Date(18140) // 2019-09-01

func defaultVocab(t testing.TB) *schemas.Vocabulary {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func metricID(t testing.TB, v *schemas.Vocabulary, code string) schemas.MetricID {
	t.Helper()
	id, ok := v.MetricByCode(code)
	if !ok {
		t.Fatalf("no metric %q", code)
	}
	return id
}

// testDataset wraps tables into a dataset with the given protection parameters.
func testDataset(v *schemas.Vocabulary, prot ingest.Protection, tables ...*ingest.Table) *ingest.Dataset {
	return &ingest.Dataset{
		Config: &ingest.Config{ID: "test", Title: "Test", Licence: "CC0-1.0", Protection: prot, SHA256: "00", Sources: []ingest.Source{{ID: "s", Name: "S"}}},
		Vocab:  v,
		Tables: tables,
	}
}

// parseLeaves reads one leaf per line: `CC org value contributors [largest second]`.
func parseLeaves(t testing.TB, v *schemas.Vocabulary, input string) []ingest.Leaf {
	t.Helper()
	var leaves []ingest.Leaf
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 && len(f) != 6 {
			t.Fatalf("leaf line %q: want `CC org value contributors [largest second]`", line)
		}
		geo, ok := v.Geo.CountryByCode(f[0])
		if !ok {
			t.Fatalf("leaf line %q: no country %s", line, f[0])
		}
		org, ok := v.OrgByCode(f[1])
		if !ok || org == schemas.OrgAll {
			t.Fatalf("leaf line %q: no organization type %s", line, f[1])
		}
		nums := make([]int64, 4)
		nums[2], nums[3] = ingest.Unknown, ingest.Unknown
		for i, s := range f[2:] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("leaf line %q: %v", line, err)
			}
			nums[i] = n
		}
		leaves = append(leaves, ingest.Leaf{Geo: geo, Org: org, Value: nums[0], Contributors: nums[1], Largest: nums[2], SecondLargest: nums[3]})
	}
	return leaves
}

// scanParams reads the protection parameters and the metric of a datadriven command.
func scanParams(t testing.TB, d *datadriven.TestData) (ingest.Protection, string) {
	prot := ingest.DefaultProtection()
	metric := "exposed_systems"
	for _, arg := range d.CmdArgs {
		val := arg.SingleVal(t)
		num := func() float64 {
			x, err := strconv.ParseFloat(val, 64)
			if err != nil {
				t.Fatalf("%s: %v", arg.Key, err)
			}
			return x
		}
		switch arg.Key {
		case "metric":
			metric = val
		case "min_contributors":
			prot.MinContributors = int64(num())
		case "min_value":
			prot.MinValue = map[string]int64{metric: int64(num())}
		case "p":
			prot.PPercent = num()
		case "q":
			prot.Interval = num()
		default:
			t.Fatalf("unknown argument %s", arg.Key)
		}
	}
	return prot, metric
}

// cellLabel names a cell as the published files do: level, code, organization type.
func cellLabel(v *schemas.Vocabulary, k CellKey) string {
	n := v.Geo.Node(k.Geo)
	return fmt.Sprintf("%-9s %-3s %s", n.Level, n.Code, v.Org(k.Org).Code)
}

func orgID(t testing.TB, v *schemas.Vocabulary, code string) schemas.OrgID {
	t.Helper()
	id, ok := v.OrgByCode(code)
	if !ok {
		t.Fatalf("no organization type %q", code)
	}
	return id
}
