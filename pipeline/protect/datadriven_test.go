package protect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/exposure-research/exposure/pipeline/ingest"
)

// TestDataDriven runs the cases under testdata/datadriven/: `protect` prints the suppression pattern of a small
// table (primary and secondary marked, which the published files never do) with the outsider's
// interval of each suppressed cell; `audit` prints the outsider's audit of a table given as published.
// go test -run TestDataDriven -rewrite regenerates the expectations.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/datadriven", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "protect":
				return runProtect(t, d)
			case "audit":
				return runAudit(t, d)
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}

func runProtect(t *testing.T, d *datadriven.TestData) string {
	v := defaultVocab(t)
	prot, metric := scanParams(t, d)
	table := &ingest.Table{Period: testPeriod, Metric: metricID(t, v, metric), Leaves: parseLeaves(t, v, d.Input)}
	ds := testDataset(v, prot, table)
	res, err := Protect(context.Background(), ds, Options{Workers: 1})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	// The split into primary and secondary comes from the method itself, for the test's eyes only.
	r, err := newRules(prot, v)
	if err != nil {
		t.Fatal(err)
	}
	pr := newProtector(newLayout(v), r)
	p, err := pr.b.makeProblem(table, nil)
	if err != nil {
		t.Fatal(err)
	}
	pat, err := pr.protectTable(p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := AuditDataset(ds, res.Tables)
	if err != nil {
		t.Fatalf("AuditDataset: %v", err)
	}
	if !rep.OK() {
		t.Errorf("AuditDataset finds:\n%s", rep)
	}
	intervals := map[CellKey]Interval{}
	for _, iv := range rep.Intervals {
		intervals[iv.Cell] = iv
	}
	var b strings.Builder
	primary, secondary := 0, 0
	for i, c := range p.cells {
		got := res.Tables[0].Cells[i]
		if got.Geo != c.key.Geo || got.Org != c.key.Org || got.Suppressed() != pat.suppressed[i] {
			t.Fatalf("Protect and protectTable disagree on cell %d", i)
		}
		status := "published"
		switch {
		case c.sensitive:
			status, primary = "primary", primary+1
		case pat.secondary[i]:
			status, secondary = "secondary", secondary+1
		}
		fmt.Fprintf(&b, "%s %d %s", cellLabel(v, c.key), c.value, status)
		if iv, ok := intervals[c.key]; ok {
			hi := "+inf"
			if !iv.Unbounded {
				hi = formatBound(iv.Hi)
			}
			fmt.Fprintf(&b, " [%s, %s]", formatBound(iv.Lo), hi)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "cells %d, primary %d, secondary %d\n", len(p.cells), primary, secondary)
	return b.String()
}

// runAudit reads a published table, one cell per line: `code org value`, or `code org x` for a
// suppressed cell, where code is an alpha-2 country code or an M49 area code.
func runAudit(t *testing.T, d *datadriven.TestData) string {
	v := defaultVocab(t)
	_, metric := scanParams(t, d)
	table := &Table{Period: testPeriod, Metric: metricID(t, v, metric)}
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("cell line %q: want `code org value|x`", line)
		}
		geo, ok := v.Geo.ByCode(f[0])
		if !ok {
			t.Fatalf("cell line %q: no area %s", line, f[0])
		}
		org, ok := v.OrgByCode(f[1])
		if !ok {
			t.Fatalf("cell line %q: no organization type %s", line, f[1])
		}
		if f[2] == "x" {
			table.Cells = append(table.Cells, SuppressedCell(geo, org))
			continue
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("cell line %q: %v", line, err)
		}
		table.Cells = append(table.Cells, PublishedCell(geo, org, n))
	}
	rep, err := Audit(v, []*Table{table}, nil)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	return rep.String()
}
