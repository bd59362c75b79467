package protect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// Interval is what an outsider can derive about one suppressed cell from the published cells of its
// table, the additive relations and non-negativity: the cell's value lies in [Lo, Hi], and every
// integer in it is possible. These are the exact bounds of the continuous LP (which are integers,
// the constraint matrix being a network matrix).
type Interval struct {
	Period    schemas.Date
	Metric    schemas.MetricID
	Cell      CellKey
	Lo, Hi    int64
	Unbounded bool // Hi is +infinity: nothing published caps the cell
}

// Width returns Hi - Lo, or math.MaxInt64 when the interval is unbounded.
func (iv Interval) Width() int64 {
	if iv.Unbounded {
		return math.MaxInt64
	}
	return iv.Hi - iv.Lo
}

// Finding is one failure of the protection: a suppressed cell that can be narrowed down too far, or
// a sensitive cell that is published. With a Singleton, the failure shows only once the single
// contributor of that suppressed cell uses what it knows: its own value.
type Finding struct {
	Period       schemas.Date
	Metric       schemas.MetricID
	Cell         CellKey
	HasSingleton bool
	Singleton    CellKey
	Problem      string // what fails, in words, with the figures
}

// AuditReport is the result of an audit: the interval of every suppressed cell in published order
// (period, metric, geo, org), and the findings. It prints the same on every machine.
type AuditReport struct {
	Vocab      *schemas.Vocabulary
	Tables     int  // tables audited
	Cells      int  // cells in them, totals included
	Suppressed int  // suppressed cells, one interval each
	RuleCheck  bool // the full rule was checked against true values (AuditDataset)
	Intervals  []Interval
	Findings   []Finding
}

// OK reports whether the audit found nothing.
func (r *AuditReport) OK() bool { return len(r.Findings) == 0 }

// WriteTo prints the report: a summary line, one line per suppressed cell
// `period metric geo_level geo org_type [lo, hi]`, then one line per finding.
func (r *AuditReport) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	what := "outsider's attack on the published cells"
	if r.RuleCheck {
		what += " and the full rule against the true values"
	}
	fmt.Fprintf(&b, "audit (%s): %d tables, %d cells, %d suppressed, %d findings\n",
		what, r.Tables, r.Cells, r.Suppressed, len(r.Findings))
	for _, iv := range r.Intervals {
		hi := "+inf"
		if !iv.Unbounded {
			hi = fmt.Sprint(iv.Hi)
		}
		fmt.Fprintf(&b, "%s [%d, %s]\n", r.cellName(iv.Period, iv.Metric, iv.Cell), iv.Lo, hi)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "FINDING %s: %s", r.cellName(f.Period, f.Metric, f.Cell), f.Problem)
		if f.HasSingleton {
			fmt.Fprintf(&b, " (when the single contributor of %s %s knows its value)",
				r.Vocab.Geo.Node(f.Singleton.Geo).Code, r.Vocab.Org(f.Singleton.Org).Code)
		}
		b.WriteByte('\n')
	}
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// String returns the printed report.
func (r *AuditReport) String() string {
	var b bytes.Buffer
	_, _ = r.WriteTo(&b)
	return b.String()
}

func (r *AuditReport) cellName(period schemas.Date, metric schemas.MetricID, k CellKey) string {
	node := r.Vocab.Geo.Node(k.Geo)
	return fmt.Sprintf("%s %s %s %s %s", period, r.Vocab.Metric(metric).Code, node.Level, node.Code, r.Vocab.Org(k.Org).Code)
}

// Audit is the outsider's attack (sdcTable's attack): from the published cells alone it derives the
// exact interval of every suppressed cell and reports as a finding every one narrower than 1, i.e.
// disclosed exactly. Published data that no table satisfies (a total that differs from the sum of
// its published parts, or no non-negative values for the suppressed cells) is an error naming the
// table and the relation.
func Audit(vocab *schemas.Vocabulary, tables []*Table) (*AuditReport, error) {
	lay := newLayout(vocab)
	nw := newNetwork(lay)
	rep := &AuditReport{Vocab: vocab}
	sorted := append([]*Table(nil), tables...)
	if slices.Contains(sorted, nil) {
		return nil, errors.New("audit: a table is nil")
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		return a.Period < b.Period || (a.Period == b.Period && a.Metric < b.Metric)
	})
	for i, t := range sorted {
		if i > 0 && sorted[i-1].Period == t.Period && sorted[i-1].Metric == t.Metric {
			return nil, fmt.Errorf("audit: two tables for %s %s", t.Period, metricCode(vocab, t.Metric))
		}
		ivs, err := auditTable(lay, nw, t)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		rep.Tables++
		rep.Cells += len(t.Cells)
		rep.Suppressed += len(ivs)
		for _, iv := range ivs {
			rep.Intervals = append(rep.Intervals, iv)
			if iv.Width() < 1 {
				rep.Findings = append(rep.Findings, Finding{Period: iv.Period, Metric: iv.Metric, Cell: iv.Cell,
					Problem: fmt.Sprintf("interval [%d, %d] is narrower than 1: the value is disclosed", iv.Lo, iv.Hi)})
			}
		}
	}
	return rep, nil
}

func metricCode(vocab *schemas.Vocabulary, m schemas.MetricID) string {
	if int(m) < vocab.NumMetrics() {
		return vocab.Metric(m).Code
	}
	return fmt.Sprintf("metric#%d", m)
}

// publishedProblem turns a published table into a problem whose suppressed cells have value 0, and
// reports which are suppressed.
func publishedProblem(lay *layout, t *Table) (*problem, []bool, error) {
	vocab := lay.vocab
	name := fmt.Sprintf("table %s %s", t.Period, metricCode(vocab, t.Metric))
	if int(t.Metric) >= vocab.NumMetrics() {
		return nil, nil, fmt.Errorf("%s: metric id %d is not in the vocabulary", name, t.Metric)
	}
	cells := append([]Cell(nil), t.Cells...)
	sort.SliceStable(cells, func(i, j int) bool {
		return CellKey{cells[i].Geo, cells[i].Org}.less(CellKey{cells[j].Geo, cells[j].Org})
	})
	p := &problem{period: t.Period, metric: t.Metric}
	suppressed := make([]bool, len(cells))
	for i, c := range cells {
		k := CellKey{c.Geo, c.Org}
		if !lay.validKey(k) {
			return nil, nil, fmt.Errorf("%s: cell (geo id %d, org id %d) is not in the vocabulary", name, c.Geo, c.Org)
		}
		if i > 0 && p.cells[i-1].key == k {
			return nil, nil, fmt.Errorf("%s: cell %s %s appears twice", name, lay.geo.Node(k.Geo).Code, vocab.Org(k.Org).Code)
		}
		v, ok := c.Value()
		if ok && (v < 0 || v > maxCount) {
			return nil, nil, fmt.Errorf("%s: cell %s %s has value %d, outside [0, %d]", name, lay.geo.Node(k.Geo).Code, vocab.Org(k.Org).Code, v, maxCount)
		}
		suppressed[i] = !ok
		tail, head := lay.arc(k)
		p.cells = append(p.cells, cell{key: k, value: v, largest: ingest.Unknown, second: ingest.Unknown})
		p.tail = append(p.tail, tail)
		p.head = append(p.head, head)
	}
	return p, suppressed, nil
}

// Bounds returns the interval that anyone can derive for every suppressed cell of t from t's own
// published cells, its additive relations and non-negativity, in t's cell order. Relations with
// other tables can only narrow these intervals further, so a statement that holds for every value
// in them (a rank, a maximum) holds for the suppressed cells whatever else is published: this is
// what the trend stage proves its statistics with. It is an error when the published cells are
// inconsistent.
func Bounds(vocab *schemas.Vocabulary, t *Table) ([]Interval, error) {
	lay := newLayout(vocab)
	return auditTable(lay, newNetwork(lay), t)
}

// auditTable derives the interval of every suppressed cell of one published table.
func auditTable(lay *layout, nw *network, t *Table) ([]Interval, error) {
	p, suppressed, err := publishedProblem(lay, t)
	if err != nil {
		return nil, err
	}
	if err := checkPublishedRelations(lay, p, suppressed); err != nil {
		return nil, err
	}
	x := make([]int64, len(p.cells))
	for i, c := range p.cells {
		x[i] = c.value
	}
	nw.load(p.tail, p.head, x)
	nw.setPattern(suppressed)
	if n, ok := nw.feasible(); !ok {
		return nil, fmt.Errorf("%s: no non-negative values of the suppressed cells satisfy the relation %s",
			p.name(lay.vocab), lay.relation(n))
	}
	var ivs []Interval
	for i := range p.cells {
		if !suppressed[i] {
			continue
		}
		e := int32(i)
		iv := Interval{Period: p.period, Metric: p.metric, Cell: p.cells[i].key}
		up, unbounded := nw.slack(nw.head[e], nw.tail[e], e, -1, math.MaxInt64)
		nw.restore()
		down, _ := nw.slack(nw.tail[e], nw.head[e], e, -1, x[e])
		nw.restore()
		iv.Lo, iv.Unbounded = x[e]-down, unbounded
		if !unbounded {
			iv.Hi = x[e] + up
		}
		ivs = append(ivs, iv)
	}
	return ivs, nil
}

// checkPublishedRelations finds a relation whose total and parts are all published but do not add
// up, so that the error can name it plainly. Structural zeros count as published zeros.
func checkPublishedRelations(lay *layout, p *problem, suppressed []bool) error {
	// relationSum is the running sum of a relation's parts; a relation is checked only when it has
	// parts and all of them are published.
	type relationSum struct {
		sum             int64
		parts, withheld bool
	}
	w := lay.width
	byArea := make([]relationSum, lay.geo.Len()*w) // total (g,o) = sum over the sub-areas of g
	byOrg := make([]relationSum, lay.geo.Len())    // total (g,all) = sum over the organization types
	add := func(r *relationSum, i int) {
		r.parts = true
		if suppressed[i] {
			r.withheld = true
		} else {
			r.sum += p.cells[i].value
		}
	}
	for i, c := range p.cells {
		if c.key.Geo != lay.geo.WorldID() {
			add(&byArea[int(lay.geo.Node(c.key.Geo).Parent)*w+int(c.key.Org)], i)
		}
		if c.key.Org != schemas.OrgAll {
			add(&byOrg[c.key.Geo], i)
		}
	}
	check := func(k CellKey, r relationSum, over string) error {
		if !r.parts || r.withheld {
			return nil
		}
		var total int64
		if ti := p.find(k); ti >= 0 {
			if suppressed[ti] {
				return nil
			}
			total = p.cells[ti].value
		}
		if total != r.sum {
			return fmt.Errorf("%s: relation %s %s = sum over %s: published total %d, published parts sum to %d",
				p.name(lay.vocab), lay.geo.Node(k.Geo).Code, lay.vocab.Org(k.Org).Code, over, total, r.sum)
		}
		return nil
	}
	for g := 0; g < lay.geo.Len(); g++ {
		for o := 0; o < w; o++ {
			k := CellKey{schemas.GeoID(g), schemas.OrgID(o)}
			if err := check(k, byArea[g*w+o], "its sub-areas"); err != nil {
				return err
			}
			if o == 0 {
				if err := check(k, byOrg[g], "its organization types"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// feasible replaces the reference values of the free arcs by a flow that balances every node, i.e.
// values of the suppressed cells that satisfy every relation: a maximum flow from the nodes the
// published arcs leave with excess inflow to the nodes they leave short. It returns false and a node
// whose relation cannot be met when there is none.
func (nw *network) feasible() (int32, bool) {
	nodes := len(nw.adjStart) - 1
	bal := make([]int64, nodes) // inflow minus outflow of the fixed arcs; free arcs start at 0
	for a := range nw.tail {
		if nw.free[a] {
			nw.x[a], nw.y[a] = 0, 0
			continue
		}
		bal[nw.head[a]] += nw.x[a]
		bal[nw.tail[a]] -= nw.x[a]
	}
	for {
		// Multi-source BFS from every node with excess to the first node short of inflow.
		nw.nextEpoch()
		q := nw.queue[:0]
		for n := 0; n < nodes; n++ {
			if bal[n] > 0 {
				nw.seen[n] = nw.epoch
				nw.pred[n] = -1
				q = append(q, int32(n))
			}
		}
		if len(q) == 0 {
			nw.queue = q
			break
		}
		dst := int32(-1)
		for i := 0; i < len(q) && dst < 0; i++ {
			n := q[i]
			for _, h := range nw.adj[nw.adjStart[n]:nw.freeEnd[n]] {
				a, next := h.arc, h.next
				if nw.seen[next] == nw.epoch || (!h.fwd && nw.y[a] == 0) {
					continue
				}
				nw.seen[next] = nw.epoch
				nw.pred[next] = a
				if bal[next] < 0 {
					dst = next
					break
				}
				q = append(q, next)
			}
		}
		nw.queue = q[:0]
		if dst < 0 {
			for n := 0; n < nodes; n++ {
				if bal[n] != 0 {
					return int32(n), false
				}
			}
		}
		amount := -bal[dst]
		src := dst
		for nw.pred[src] >= 0 {
			a := nw.pred[src]
			if nw.head[a] == src {
				src = nw.tail[a]
			} else {
				amount = min(amount, nw.y[a])
				src = nw.head[a]
			}
		}
		amount = min(amount, bal[src])
		for n := dst; n != src; {
			a := nw.pred[n]
			if nw.head[a] == n {
				nw.y[a] += amount
				n = nw.tail[a]
			} else {
				nw.y[a] -= amount
				n = nw.head[a]
			}
		}
		bal[src] -= amount
		bal[dst] += amount
	}
	copy(nw.x, nw.y)
	return 0, true
}

// AuditDataset is Audit plus the full rule of SPEC 4 against the true values of ds: every sensitive
// cell must be suppressed with lo <= v(1-q), hi >= v(1+q) and hi - lo >= 1, also when any one
// suppressed single-contributor cell is known to its contributor. The published tables must be
// exactly ds's tables, with their true values where published.
func AuditDataset(ds *ingest.Dataset, tables []*Table) (*AuditReport, error) {
	if ds == nil || ds.Config == nil || ds.Vocab == nil || slices.Contains(ds.Tables, nil) {
		return nil, errors.New("audit: dataset is incomplete (configuration, vocabulary or a table missing)")
	}
	rep, err := Audit(ds.Vocab, tables)
	if err != nil {
		return nil, err
	}
	rep.RuleCheck = true
	r, err := newRules(ds.Config.Protection, ds.Vocab)
	if err != nil {
		return nil, err
	}
	lay := newLayout(ds.Vocab)
	pr := newProtector(lay, r)
	published := map[[2]int64]*Table{}
	for _, t := range tables {
		published[[2]int64{int64(t.Period), int64(t.Metric)}] = t
	}
	if len(published) != len(ds.Tables) {
		return nil, fmt.Errorf("audit: %d published tables, the dataset has %d", len(published), len(ds.Tables))
	}
	byCell := map[[3]int64]Interval{}
	for _, iv := range rep.Intervals {
		byCell[[3]int64{int64(iv.Period), int64(iv.Metric), int64(iv.Cell.Geo)<<8 | int64(iv.Cell.Org)}] = iv
	}
	var findings []Finding
	for _, dt := range ds.Tables {
		p, err := pr.b.makeProblem(dt, nil)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		t := published[[2]int64{int64(dt.Period), int64(dt.Metric)}]
		if t == nil {
			return nil, fmt.Errorf("audit: %s is not published", p.name(ds.Vocab))
		}
		suppressed, err := matchPublished(lay, p, t)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		for i, c := range p.cells {
			if c.sensitive && !suppressed[i] {
				findings = append(findings, Finding{Period: p.period, Metric: p.metric, Cell: c.key, Problem: "sensitive cell is published"})
			}
			if !c.sensitive || !suppressed[i] {
				continue
			}
			iv := byCell[[3]int64{int64(p.period), int64(p.metric), int64(c.key.Geo)<<8 | int64(c.key.Org)}]
			if msg := ruleProblem(r, c.value, iv.Lo, iv.Hi, iv.Unbounded); msg != "" {
				findings = append(findings, Finding{Period: p.period, Metric: p.metric, Cell: c.key, Problem: msg})
			}
		}
		findings = append(findings, pr.attack(p, suppressed, false)...)
	}
	rep.Findings = mergeFindings(rep.Findings, findings)
	return rep, nil
}

// ruleProblem says how the interval [lo, hi] of a sensitive cell of true value v fails the rule, or
// returns "" when it satisfies it: v - lo >= ceil(v q) and hi - v >= ceil(v q) (both sides are
// integers, so this is lo <= v(1-q) and hi >= v(1+q) exactly), and hi - lo >= 1.
func ruleProblem(r *rules, v, lo, hi int64, unbounded bool) string {
	need := r.interval.ceilMul(v)
	switch {
	case v-lo < need:
		return fmt.Sprintf("lower bound %d is above v(1-q) for v = %d", lo, v)
	case !unbounded && hi-v < need:
		return fmt.Sprintf("upper bound %d is below v(1+q) for v = %d", hi, v)
	case !unbounded && hi-lo < 1:
		return fmt.Sprintf("interval [%d, %d] is narrower than 1", lo, hi)
	}
	return ""
}

// matchPublished checks that the published table has exactly p's cells, published ones with their
// true values, and returns which are suppressed.
func matchPublished(lay *layout, p *problem, t *Table) ([]bool, error) {
	pub, suppressed, err := publishedProblem(lay, t)
	if err != nil {
		return nil, err
	}
	if len(pub.cells) != len(p.cells) {
		return nil, fmt.Errorf("%s: %d cells published, the dataset gives %d", p.name(lay.vocab), len(pub.cells), len(p.cells))
	}
	for i, c := range p.cells {
		k := pub.cells[i].key
		if k != c.key {
			return nil, fmt.Errorf("%s: published cell %s %s is not a cell of the dataset's table", p.name(lay.vocab),
				lay.geo.Node(k.Geo).Code, lay.vocab.Org(k.Org).Code)
		}
		if !suppressed[i] && pub.cells[i].value != c.value {
			return nil, fmt.Errorf("%s: published cell %s %s = %d, the dataset gives %d", p.name(lay.vocab),
				lay.geo.Node(k.Geo).Code, lay.vocab.Org(k.Org).Code, pub.cells[i].value, c.value)
		}
	}
	return suppressed, nil
}

// mergeFindings sorts the findings into published order, keeping the order of discovery among a
// cell's own.
func mergeFindings(a, b []Finding) []Finding {
	all := append(a, b...)
	sort.SliceStable(all, func(i, j int) bool {
		x, y := all[i], all[j]
		if x.Period != y.Period {
			return x.Period < y.Period
		}
		if x.Metric != y.Metric {
			return x.Metric < y.Metric
		}
		return x.Cell.less(y.Cell)
	})
	return all
}

// attack checks the full rule of SPEC 4 on one table with its true values and a suppression
// pattern, as exact decisions (is the slack at least the need?) on the residual graph: every
// sensitive cell suppressed and protected, with each single-contributor cell its witness uses known,
// and every suppressed cell not disclosed exactly. With normal false it reports only the findings
// that need a singleton, for callers that check the rest from exact intervals. The table is taken
// alone: relations with other tables are the joint proof's (prove).
func (pr *protector) attack(p *problem, suppressed []bool, normal bool) []Finding {
	ts := newTableState(pr.lay, p)
	copy(ts.free, suppressed)
	pr.attach(&joint{lay: pr.lay, rules: pr.rules, tables: []*tableState{ts}})
	pr.singleOnly, pr.allowed = false, nil
	var out []Finding
	report := func(i int32, s int32, msg string) {
		f := Finding{Period: p.period, Metric: p.metric, Cell: p.cells[i].key, Problem: msg}
		if s >= 0 {
			f.HasSingleton, f.Singleton = true, p.cells[s].key
		}
		out = append(out, f)
	}
	none := cellRef{-1, -1}
	for i, c := range p.cells {
		e := cellRef{0, int32(i)}
		switch {
		case c.sensitive && !suppressed[i]:
			if normal {
				report(e.cell, -1, "sensitive cell is published")
			}
		case c.sensitive:
			supp, ok, _ := pr.secure(e, none, pr.need(e), false, nil)
			if !ok {
				if normal {
					report(e.cell, -1, fmt.Sprintf("the interval is narrower than v(1±q) for v = %d", c.value))
				}
				continue
			}
			slices.SortFunc(supp, compareRefs)
			for _, s := range slices.Compact(supp) {
				if s == e || !pr.singleton(s) {
					continue
				}
				req, needed := pr.singletonNeed(s, e)
				if !needed {
					continue
				}
				if _, ok, _ := pr.secure(e, s, req, false, nil); !ok {
					report(e.cell, s.cell, fmt.Sprintf("cannot move up by %d and down by %d from v = %d", req.up, req.down, c.value))
				}
			}
		case suppressed[i] && normal:
			if _, up := pr.move(e, none, direction{true, 1}, nil); up {
				continue
			}
			if _, down := pr.move(e, none, direction{false, 1}, nil); !down {
				report(e.cell, -1, "interval is narrower than 1: the value is disclosed")
			}
		}
	}
	return out
}
