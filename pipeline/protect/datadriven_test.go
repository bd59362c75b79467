package protect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// TestDataDriven runs the cases under testdata/datadriven/: `protect` prints the suppression pattern of a small
// table (primary and secondary marked, which the published files never do) with the outsider's
// interval of each suppressed cell; `audit` prints the outsider's audit of a table given as published;
// `protect-joint` protects several tables linked by the relations between metrics (the vocabulary's,
// and any `relation: ...` line of the input) and prints every table's pattern with the joint
// intervals, after the full rule was checked against the true values (AuditDataset).
// go test -run TestDataDriven -rewrite regenerates the expectations.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/datadriven", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "protect":
				return runProtect(t, d)
			case "audit":
				return runAudit(t, d)
			case "protect-joint":
				return runProtectJoint(t, d)
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

// runProtectJoint reads tables, each introduced by `table YYYY-MM-DD metric` and followed by leaf
// lines as for protect; lines `relation: TEXT` declare a relation of the dataset.
func runProtectJoint(t *testing.T, d *datadriven.TestData) string {
	v := defaultVocab(t)
	prot, _ := scanParams(t, d)
	var tables []*ingest.Table
	rels := v.Relations()
	var cur *ingest.Table
	var lines []string
	flush := func() {
		if cur != nil {
			cur.Leaves = parseLeaves(t, v, strings.Join(lines, "\n"))
			tables = append(tables, cur)
		}
		lines = nil
	}
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "relation:"):
			r, err := schemas.ParseRelation(strings.TrimSpace(strings.TrimPrefix(line, "relation:")), v)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			rels = append(rels, r)
		case len(f) == 3 && f[0] == "table":
			flush()
			period, err := schemas.ParseDate(f[1])
			if err != nil {
				t.Fatal(err)
			}
			cur = &ingest.Table{Period: period, Metric: metricID(t, v, f[2])}
		case len(f) > 0:
			lines = append(lines, line)
		}
	}
	flush()
	ds := testDataset(v, prot, tables...)
	ds.Relations = rels
	res, err := Protect(context.Background(), ds, Options{Workers: 2})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	rep, err := AuditDataset(ds, res.Tables)
	if err != nil {
		t.Fatalf("AuditDataset: %v", err)
	}
	if !rep.OK() {
		t.Errorf("AuditDataset finds:\n%s", rep)
	}
	intervals := map[[3]int64]Interval{}
	for _, iv := range rep.Intervals {
		intervals[[3]int64{int64(iv.Period), int64(iv.Metric), int64(iv.Cell.Geo)<<8 | int64(iv.Cell.Org)}] = iv
	}
	r, err := newRules(prot, v)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(newLayout(v), r, nil)
	var out strings.Builder
	for ti, pt := range res.Tables {
		fmt.Fprintf(&out, "table %s %s\n", pt.Period, v.Metric(pt.Metric).Code)
		var src *ingest.Table
		for _, tb := range tables {
			if tb.Period == pt.Period && tb.Metric == pt.Metric {
				src = tb
			}
		}
		p, err := b.makeProblem(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range p.cells {
			got := res.Tables[ti].Cells[i]
			status := "published"
			switch {
			case c.sensitive:
				status = "primary"
			case got.Suppressed():
				status = "secondary"
			}
			fmt.Fprintf(&out, "  %s %d %s", cellLabel(v, c.key), c.value, status)
			if iv, ok := intervals[[3]int64{int64(pt.Period), int64(pt.Metric), int64(c.key.Geo)<<8 | int64(c.key.Org)}]; ok {
				hi := "+inf"
				if !iv.Unbounded {
					hi = formatBound(iv.Hi)
				}
				fmt.Fprintf(&out, " [%s, %s]", formatBound(iv.Lo), hi)
			}
			out.WriteByte('\n')
		}
	}
	fmt.Fprintf(&out, "cells %d, suppressed %d\n", res.Summary.Cells, res.Summary.Suppressed)
	return out.String()
}
