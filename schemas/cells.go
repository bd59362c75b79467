package schemas

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CellID names one cell of a release: its table (period, metric) and its key (area, organization
// type). Publishers name cells with it in an accept list (exposure build --accept-disclosed).
type CellID struct {
	Period Date
	Metric MetricID
	Geo    GeoID
	Org    OrgID
}

// Compare orders cell ids by period, metric, area and organization type.
func (c CellID) Compare(d CellID) int {
	switch {
	case c.Period != d.Period:
		return cmpInt(int(c.Period), int(d.Period))
	case c.Metric != d.Metric:
		return cmpInt(int(c.Metric), int(d.Metric))
	case c.Geo != d.Geo:
		return cmpInt(int(c.Geo), int(d.Geo))
	}
	return cmpInt(int(c.Org), int(d.Org))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String writes the cell as a list names it: "2019-11-17 exposed_systems DE hospital".
func (c CellID) String(v *Vocabulary) string {
	return fmt.Sprintf("%s %s %s %s", c.Period, v.Metric(c.Metric).Code, v.Geo.Node(c.Geo).Code, v.Org(c.Org).Code)
}

// CellListColumns is the header of a cell list.
var CellListColumns = []string{ColPeriod, ColMetric, ColGeo, ColOrgType}

// CellListError is a problem in a cell list at a line and column (1-based; column 0 for the line).
type CellListError struct {
	File         string
	Line, Column int
	Msg          string
}

// Error implements error: "accept.csv:3:12: unknown metric \"x\"".
func (e *CellListError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// maxCellListErrors is how many problems ParseCellList reports before it stops.
const maxCellListErrors = 20

// ParseCellList reads a list of cells: CSV with the header period,metric,geo,org_type and one cell
// per row, e.g. "2019-11-17,exposed_systems,DE,hospital" (org_type "all" and an area's total are
// cells too). name names the file in messages. Every row is checked (a date, codes of the
// vocabulary, no cell twice); the problems are returned together, each a *CellListError with line
// and column. The cells are returned sorted.
func ParseCellList(data []byte, name string, v *Vocabulary) ([]CellID, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var errs []error
	fail := func(line, col int, format string, args ...any) {
		if len(errs) < maxCellListErrors {
			errs = append(errs, &CellListError{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
		}
	}
	var out []CellID
	first := map[CellID]int{}
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fail(max(pe.Line, 1), pe.Column, "%s", pe.Err)
			} else {
				fail(1, 0, "%s", err)
			}
			break
		}
		line, _ := r.FieldPos(0)
		if header {
			header = false
			got := make([]string, len(rec))
			for i, f := range rec {
				got[i] = strings.TrimSpace(strings.TrimPrefix(f, "\ufeff"))
			}
			if !slices.Equal(got, CellListColumns) {
				fail(line, 1, "the header is %q, want %q", strings.Join(got, ","), strings.Join(CellListColumns, ","))
				break
			}
			continue
		}
		if len(rec) != len(CellListColumns) {
			fail(line, 0, "%d fields, want %d (%s)", len(rec), len(CellListColumns), strings.Join(CellListColumns, ","))
			continue
		}
		col := func(i int) int { _, c := r.FieldPos(i); return c }
		var c CellID
		ok := true
		d, err := ParseDate(rec[0])
		if err != nil {
			fail(line, col(0), "period %q is not a date (YYYY-MM-DD)", rec[0])
			ok = false
		}
		c.Period = d
		metric, found := v.MetricByCode(rec[1])
		if !found {
			fail(line, col(1), "unknown metric %q", rec[1])
			ok = false
		}
		c.Metric = metric
		geo, found := v.Geo.ByCode(rec[2])
		if !found {
			fail(line, col(2), "unknown area %q", rec[2])
			ok = false
		}
		c.Geo = geo
		org, found := v.OrgByCode(rec[3])
		if !found {
			fail(line, col(3), "unknown organization type %q", rec[3])
			ok = false
		}
		c.Org = org
		if !ok {
			continue
		}
		if at, dup := first[c]; dup {
			fail(line, 1, "the cell %s is listed twice (first at line %d)", c.String(v), at)
			continue
		}
		first[c] = line
		out = append(out, c)
	}
	if header && len(errs) == 0 {
		fail(1, 0, "empty: want the header %s", strings.Join(CellListColumns, ","))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, CellID.Compare)
	return out, nil
}
