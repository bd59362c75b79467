package protect

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

const singletonLeaves = `
DE hospital 20 1
DE clinic 8 2
DE research 50 10
FR hospital 30 5
FR clinic 9 2
FR research 40 10
`

func TestExactRatio(t *testing.T) {
	for _, tc := range []struct {
		name     string
		x        float64
		scale    int64
		num, den uint64
	}{
		{"interval 0.2 is 1/5", 0.2, 1, 1, 5},
		{"p 10 percent is 1/10", 10, 100, 1, 10},
		{"p 12.5 percent is 1/8", 12.5, 100, 1, 8},
		{"interval 0.1+0.2 keeps its digits", sum(0.1, 0.2), 1, 7500000000000001, 25000000000000000},
		{"zero", 0, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := exactRatio("x", tc.x, tc.scale)
			if err != nil {
				t.Fatal(err)
			}
			if r.num != tc.num || r.den != tc.den {
				t.Fatalf("got %d/%d, want %d/%d", r.num, r.den, tc.num, tc.den)
			}
		})
	}
	if got := (ratio{1, 5}).ceilMul(10); got != 2 {
		t.Errorf("ceil(10 * 1/5) = %d, want 2", got)
	}
	if got := (ratio{1, 5}).ceilMul(11); got != 3 {
		t.Errorf("ceil(11 * 1/5) = %d, want 3", got)
	}
	if got := (ratio{1, 1}).ceilMul(maxCount); got != maxCount {
		t.Errorf("ceil(2^50 * 1) = %d", got)
	}
}

// sum adds at run time, in float64 (a constant expression would be exact).
func sum(a, b float64) float64 { return a + b }

func TestRulesRefuseBadParameters(t *testing.T) {
	v := defaultVocab(t)
	for _, tc := range []struct {
		name string
		edit func(*ingest.Protection)
		want string
	}{
		{"interval above 1", func(p *ingest.Protection) { p.Interval = 1.5 }, "interval"},
		{"negative p", func(p *ingest.Protection) { p.PPercent = -1 }, "p_percent"},
		{"unknown metric", func(p *ingest.Protection) { p.MinValue = map[string]int64{"patients": 5} }, "not a metric"},
		{"negative threshold", func(p *ingest.Protection) { p.MinContributors = -1 }, "min_contributors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prot := ingest.DefaultProtection()
			tc.edit(&prot)
			_, err := Protect(context.Background(), testDataset(v, prot), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestProtectRefusesBadTables(t *testing.T) {
	v := defaultVocab(t)
	leaves := parseLeaves(t, v, singletonLeaves)
	dup := append(append([]ingest.Leaf(nil), leaves...), leaves[0])
	for _, tc := range []struct {
		name   string
		tables []*ingest.Table
		want   string
	}{
		{"duplicate leaf", []*ingest.Table{{Period: testPeriod, Leaves: dup}}, "submitted twice"},
		{"duplicate table", []*ingest.Table{{Period: testPeriod, Leaves: leaves}, {Period: testPeriod, Leaves: leaves}}, "two tables"},
		{"leaf of org all", []*ingest.Table{{Period: testPeriod, Leaves: []ingest.Leaf{{Geo: leaves[0].Geo, Org: schemas.OrgAll, Value: 1, Contributors: 1}}}}, "not a leaf type"},
		{"too large", []*ingest.Table{{Period: testPeriod, Leaves: []ingest.Leaf{{Geo: leaves[0].Geo, Org: 1, Value: maxCount + 1, Contributors: 5, Largest: -1, SecondLargest: -1}}}}, "largest count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Protect(context.Background(), testDataset(v, ingest.DefaultProtection(), tc.tables...), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestProtectHonoursCancellation(t *testing.T) {
	v := defaultVocab(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ds := testDataset(v, ingest.DefaultProtection(), &ingest.Table{Period: testPeriod, Leaves: parseLeaves(t, v, singletonLeaves)})
	if _, err := Protect(ctx, ds, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestProtectResult(t *testing.T) {
	v := defaultVocab(t)
	leaves := parseLeaves(t, v, singletonLeaves)
	patients := metricID(t, v, "affected_patients")
	ds := testDataset(v, ingest.DefaultProtection(),
		&ingest.Table{Period: testPeriod + 30, Metric: 0, Leaves: leaves},
		&ingest.Table{Period: testPeriod, Metric: patients, Leaves: leaves})
	ds.Config.Caveats = []string{"Illustrative."}
	ds.Inputs = []ingest.InputFile{{File: "data/a.csv", Source: "s", SHA256: "ab", KeyID: "CD", Rows: 12}}
	res, err := Protect(context.Background(), ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tables[0].Period != testPeriod || res.Tables[1].Period != testPeriod+30 {
		t.Errorf("tables are not sorted by period")
	}
	pv := res.Provenance
	if pv.DatasetID != "test" || pv.ConfigSHA256 != "00" || len(pv.Inputs) != 1 || pv.Caveats[0] != "Illustrative." || pv.Parameters.Interval != 0.2 {
		t.Errorf("provenance not filled from the dataset: %+v", pv)
	}
	perMetric := res.SuppressedByMetric()
	total := 0
	for _, n := range perMetric {
		total += n
	}
	if res.Summary.Tables != 2 || res.Summary.Cells != 40 || res.Summary.Suppressed != total || total == 0 {
		t.Errorf("summary %+v, suppressed by metric %v", res.Summary, perMetric)
	}
	for _, tab := range res.Tables {
		for _, c := range tab.Cells {
			if val, ok := c.Value(); c.Suppressed() && (ok || val != 0) {
				t.Errorf("suppressed cell %v gives a value", c)
			}
		}
	}
}

// suppressedTable publishes p with the cells whose labels are listed suppressed.
func suppressedTable(t *testing.T, v *schemas.Vocabulary, p *problem, labels ...string) *Table {
	out := &Table{Period: p.period, Metric: p.metric}
	found := 0
	for _, c := range p.cells {
		label := v.Geo.Node(c.key.Geo).Code + " " + v.Org(c.key.Org).Code
		hide := false
		for _, l := range labels {
			hide = hide || l == label
		}
		if hide {
			found++
			out.Cells = append(out.Cells, SuppressedCell(c.key.Geo, c.key.Org))
		} else {
			out.Cells = append(out.Cells, PublishedCell(c.key.Geo, c.key.Org, c.value))
		}
	}
	if found != len(labels) {
		t.Fatalf("only %d of the cells %v exist", found, labels)
	}
	return out
}

// TestAuditDatasetFindsViolations checks that the full rule catches what the outsider's audit
// cannot: a published sensitive cell, and a singleton who recovers another sensitive cell.
func TestAuditDatasetFindsViolations(t *testing.T) {
	v := defaultVocab(t)
	table := &ingest.Table{Period: testPeriod, Metric: metricID(t, v, "exposed_systems"), Leaves: parseLeaves(t, v, singletonLeaves)}
	ds := testDataset(v, ingest.DefaultProtection(), table)
	r, _ := newRules(ds.Config.Protection, v)
	p, err := newBuilder(newLayout(v), r, nil).makeProblem(table, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		hidden []string
		want   []string // findings, as printed
	}{
		{
			// The rectangle protects every sensitive cell from outsiders, but the single hospital
			// in DE knows its 20 and then reads DE clinic off DE all = 78.
			name:   "singleton recovers a cell",
			hidden: []string{"DE hospital", "DE clinic", "FR hospital", "FR clinic"},
			want: []string{
				"country DE clinic: cannot move up by 2 and down by 2 from v = 8 (when the single contributor of DE hospital knows its value)",
				"country FR clinic: cannot move up by 2 and down by 2 from v = 9 (when the single contributor of DE hospital knows its value)",
			},
		},
		{
			name:   "sensitive cell published",
			hidden: []string{"DE hospital", "DE research", "FR hospital", "FR research"},
			want:   []string{"country DE clinic: sensitive cell is published", "country FR clinic: sensitive cell is published"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := AuditDataset(ds, []*Table{suppressedTable(t, v, p, tc.hidden...)})
			if err != nil {
				t.Fatal(err)
			}
			out := rep.String()
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if rest, ok := strings.CutPrefix(line, "FINDING 2019-09-01 exposed_systems "); ok {
					got = append(got, rest)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || rep.OK() {
				t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestAuditDatasetRefusesMismatch(t *testing.T) {
	v := defaultVocab(t)
	table := &ingest.Table{Period: testPeriod, Leaves: parseLeaves(t, v, singletonLeaves)}
	ds := testDataset(v, ingest.DefaultProtection(), table)
	res, err := Protect(context.Background(), ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub := res.Tables[0]
	missing := &Table{Period: pub.Period, Metric: pub.Metric, Cells: pub.Cells[1:]}
	if _, err := AuditDataset(ds, []*Table{missing}); err == nil {
		t.Fatalf("a published table with a cell missing passes")
	}
	// A dataset whose research figures are all one higher: the published table is consistent, but
	// not with these true values.
	other := *table
	other.Leaves = append([]ingest.Leaf(nil), table.Leaves...)
	research, _ := v.OrgByCode("research")
	for i := range other.Leaves {
		if other.Leaves[i].Org == research {
			other.Leaves[i].Value++
		}
	}
	if _, err := AuditDataset(testDataset(v, ingest.DefaultProtection(), &other), res.Tables); err == nil || !strings.Contains(err.Error(), "the dataset gives") {
		t.Fatalf("published values that differ from the dataset: got %v", err)
	}
	if _, err := AuditDataset(ds, nil); err == nil {
		t.Fatalf("a missing table passes")
	}
	dup := &Table{Period: pub.Period, Metric: pub.Metric, Cells: append(append([]Cell(nil), pub.Cells...), pub.Cells[0])}
	if _, err := Audit(v, []*Table{dup}, nil); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("a duplicate cell: got %v", err)
	}
}
