package schemas

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCellList(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data string
		want       []string // the cells, or the errors' texts
		fails      bool
	}{
		{"two cells, sorted", "period,metric,geo,org_type\n2019-11-17,new_systems,DE,hospital\n2019-11-17,exposed_systems,150,all\n",
			[]string{"2019-11-17 exposed_systems 150 all", "2019-11-17 new_systems DE hospital"}, false},
		{"header with a BOM and CRLF", "\ufeffperiod,metric,geo,org_type\r\n2019-11-17,new_systems,DE,hospital\r\n",
			[]string{"2019-11-17 new_systems DE hospital"}, false},
		{"empty", "", []string{"x.csv:1: empty: want the header period,metric,geo,org_type"}, true},
		{"wrong header", "period,metric,geo\n", []string{`x.csv:1:1: the header is "period,metric,geo", want "period,metric,geo,org_type"`}, true},
		{"every field wrong", "period,metric,geo,org_type\n2019-13-01,nope,XX,robots\n",
			[]string{`x.csv:2:1: period "2019-13-01" is not a date (YYYY-MM-DD)`, `x.csv:2:12: unknown metric "nope"`,
				`x.csv:2:17: unknown area "XX"`, `x.csv:2:20: unknown organization type "robots"`}, true},
		{"twice", "period,metric,geo,org_type\n2019-11-17,new_systems,DE,hospital\n2019-11-17,new_systems,DE,hospital\n",
			[]string{"x.csv:3:1: the cell 2019-11-17 new_systems DE hospital is listed twice (first at line 2)"}, true},
		{"short row", "period,metric,geo,org_type\n2019-11-17,new_systems\n",
			[]string{"x.csv:2: 2 fields, want 4 (period,metric,geo,org_type)"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells, err := ParseCellList([]byte(tc.data), "x.csv", v)
			var got []string
			if err != nil {
				if !tc.fails {
					t.Fatal(err)
				}
				got = strings.Split(err.Error(), "\n")
			} else {
				if tc.fails {
					t.Fatalf("no error, want %v", tc.want)
				}
				for _, c := range cells {
					got = append(got, c.String(v))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func FuzzParseCellList(f *testing.F) {
	v, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"period,metric,geo,org_type\n2019-11-17,new_systems,DE,hospital\n", "period,metric,geo,org_type\n\"a", "", "a,b\n1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cells, err := ParseCellList(data, "x.csv", v)
		if err != nil {
			for e := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.HasPrefix(e, "x.csv:") {
					t.Fatalf("error %q names no place", e)
				}
			}
			var ce *CellListError
			if !errors.As(err, &ce) || ce.Line < 1 {
				t.Fatalf("error %v has no line", err)
			}
			return
		}
		for i := 1; i < len(cells); i++ {
			if cells[i-1].Compare(cells[i]) >= 0 {
				t.Fatalf("cells not sorted and distinct: %v", cells)
			}
		}
	})
}
