package protect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"

	"github.com/exposure-research/exposure/internal/lp"
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
	Lo, Hi    float64 // the bounds of the LP: integers in a table alone, fractions possibly across tables
	Unbounded bool    // Hi is +infinity: nothing published caps the cell
}

// Width returns Hi - Lo, or +inf when the interval is unbounded.
func (iv Interval) Width() float64 {
	if iv.Unbounded {
		return math.Inf(1)
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
			hi = formatBound(iv.Hi)
		}
		fmt.Fprintf(&b, "%s [%s, %s]\n", r.cellName(iv.Period, iv.Metric, iv.Cell), formatBound(iv.Lo), hi)
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

// Audit is the outsider's attack (sdcTable's attack): from the published cells alone, with the
// relations between metrics in force that the report states (SPEC 4: "What an attacker knows"), it
// derives the exact interval of every suppressed cell in the joint model of all tables and reports
// as a finding every one narrower than 1, i.e. disclosed exactly. Published data that no table
// satisfies (a total that differs from the sum of its published parts, or no non-negative values for
// the suppressed cells) is an error naming the table and the relation.
func Audit(vocab *schemas.Vocabulary, tables []*Table, relations []schemas.Relation) (*AuditReport, error) {
	j, err := publishedJoint(vocab, tables, relations)
	if err != nil {
		return nil, err
	}
	return auditJoint(j)
}

// publishedJoint builds the joint problem of published tables: suppressed cells free with value 0.
func publishedJoint(vocab *schemas.Vocabulary, tables []*Table, relations []schemas.Relation) (*joint, error) {
	lay := newLayout(vocab)
	sorted := append([]*Table(nil), tables...)
	if slices.Contains(sorted, nil) {
		return nil, errors.New("audit: a table is nil")
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		return a.Period < b.Period || (a.Period == b.Period && a.Metric < b.Metric)
	})
	j := &joint{lay: lay}
	for i, t := range sorted {
		if i > 0 && sorted[i-1].Period == t.Period && sorted[i-1].Metric == t.Metric {
			return nil, fmt.Errorf("audit: two tables for %s %s", t.Period, metricCode(vocab, t.Metric))
		}
		p, suppressed, err := publishedProblem(lay, t)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if err := checkPublishedRelations(lay, p, suppressed); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		ts := newTableState(lay, p)
		copy(ts.free, suppressed)
		j.tables = append(j.tables, ts)
	}
	j.addRelations(vocab, relations)
	return j, nil
}

// auditJoint computes the intervals of the joint problem j and the findings of an outsider.
func auditJoint(j *joint) (*AuditReport, error) {
	ivs, _, err := jointIntervals(j, false)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep := &AuditReport{Vocab: j.lay.vocab, Suppressed: len(ivs), Intervals: ivs}
	for _, ts := range j.tables {
		if ts.target {
			rep.Tables++
			rep.Cells += len(ts.p.cells)
		}
	}
	for _, iv := range ivs {
		if iv.Width() < 1 {
			rep.Findings = append(rep.Findings, Finding{Period: iv.Period, Metric: iv.Metric, Cell: iv.Cell,
				Problem: fmt.Sprintf("interval [%s, %s] is narrower than 1: the value is disclosed", formatBound(iv.Lo), formatBound(iv.Hi))})
		}
	}
	return rep, nil
}

// formatBound prints an interval's bound: an integer as one, a fraction with up to six decimals.
func formatBound(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
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
		p.cells = append(p.cells, cell{key: k, flags: c.Flags, sources: c.Sources, value: v})
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
	p, suppressed, err := publishedProblem(lay, t)
	if err != nil {
		return nil, err
	}
	if err := checkPublishedRelations(lay, p, suppressed); err != nil {
		return nil, err
	}
	ts := newTableState(lay, p)
	copy(ts.free, suppressed)
	return flowIntervals(lay, newNetwork(lay), ts)
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

// AuditDataset is Audit plus the full rule of SPEC 4 against the true values of ds, in the same
// joint model: every sensitive cell must be suppressed with lo <= v(1-q), hi >= v(1+q) and
// hi - lo >= 1, also when any one suppressed single-contributor cell is known to its contributor
// (with the caps of singletonNeed where the rule cannot hold literally). The published tables must
// be exactly ds's tables, with their true values where published.
func AuditDataset(ds *ingest.Dataset, tables []*Table) (*AuditReport, error) {
	if ds == nil || ds.Config == nil || ds.Vocab == nil || slices.Contains(ds.Tables, nil) {
		return nil, errors.New("audit: dataset is incomplete (configuration, vocabulary or a table missing)")
	}
	pub, err := publishedJoint(ds.Vocab, tables, ds.Relations)
	if err != nil {
		return nil, err
	}
	r, err := newRules(ds.Config.Protection, ds.Vocab)
	if err != nil {
		return nil, err
	}
	truth, err := truthJoint(ds, r, pub)
	if err != nil {
		return nil, err
	}
	// The LP parts live on one thread from first to last use (internal/lp).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ivs, parts, err := jointIntervals(truth, true)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer func() {
		for _, p := range parts {
			p.prob.Close()
		}
	}()
	rep := &AuditReport{Vocab: ds.Vocab, Tables: len(truth.tables), Suppressed: len(ivs), Intervals: ivs, RuleCheck: true}
	for _, iv := range ivs {
		if iv.Width() < 1 {
			rep.Findings = append(rep.Findings, Finding{Period: iv.Period, Metric: iv.Metric, Cell: iv.Cell,
				Problem: fmt.Sprintf("interval [%s, %s] is narrower than 1: the value is disclosed", formatBound(iv.Lo), formatBound(iv.Hi))})
		}
	}
	pr := newProtector(truth.lay, r)
	pr.attach(truth)
	var findings []Finding
	k := 0
	for _, ts := range truth.tables {
		p := ts.p
		rep.Cells += len(p.cells)
		for i, c := range p.cells {
			var iv Interval
			if ts.free[i] {
				iv = ivs[k]
				k++
			}
			switch {
			case c.sensitive && !ts.free[i]:
				findings = append(findings, Finding{Period: p.period, Metric: p.metric, Cell: c.key, Problem: "sensitive cell is published"})
			case c.sensitive:
				if msg := ruleProblem(r, c.value, iv.Lo, iv.Hi, iv.Unbounded); msg != "" {
					findings = append(findings, Finding{Period: p.period, Metric: p.metric, Cell: c.key, Problem: msg})
				}
			}
		}
		// The single contributors, table by table: a finding here holds in the joint model too,
		// which only adds constraints.
		findings = append(findings, pr.attack(p, ts.free, false)...)
		pr.attach(truth)
	}
	lpFindings, err := singletonFindings(pr, truth, parts)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep.Findings = mergeFindings(rep.Findings, dedupeFindings(append(findings, lpFindings...)))
	return rep, nil
}

// truthJoint builds the joint problem of ds's true tables with the suppression pattern of the
// published joint problem pub, checking that the two are the same tables with the same published
// values.
func truthJoint(ds *ingest.Dataset, r *rules, pub *joint) (*joint, error) {
	lay := pub.lay
	tables := append([]*ingest.Table(nil), ds.Tables...)
	sort.SliceStable(tables, func(i, j int) bool {
		a, b := tables[i], tables[j]
		return a.Period < b.Period || (a.Period == b.Period && a.Metric < b.Metric)
	})
	if len(tables) != len(pub.tables) {
		return nil, fmt.Errorf("audit: %d published tables, the dataset has %d", len(pub.tables), len(tables))
	}
	inputSource, err := inputSources(ds, sortedSources(ds.Config.Sources))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	coverage := coverageBreaks(lay, tables)
	b := newBuilder(lay, r, inputSource)
	truth := &joint{lay: lay, rules: r}
	for i, dt := range tables {
		p, err := b.makeProblem(dt, coverage[i])
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		pp := pub.tables[i].p
		if pp.period != p.period || pp.metric != p.metric {
			return nil, fmt.Errorf("audit: %s is not published", p.name(ds.Vocab))
		}
		suppressed, err := matchProblems(lay, p, pp, pub.tables[i].free)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		ts := newTableState(lay, p)
		copy(ts.free, suppressed)
		truth.tables = append(truth.tables, ts)
	}
	truth.addRelations(ds.Vocab, ds.Relations)
	return truth, nil
}

// singletonFindings checks the single contributors in the parts solved by LP: for every sensitive
// cell and direction, a singleton whose value at the optimum found is its true value cannot change
// the optimum (the optimal point stays feasible when it is fixed), nor can one for which a witness
// of the move with it held exists; every other suppressed singleton of the part is fixed in turn and
// the optimum found again.
func singletonFindings(pr *protector, truth *joint, parts []*lpPart) ([]Finding, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out []Finding
	for _, part := range parts {
		sys := part.sys
		for ci, v := range part.vars {
			e := sys.vars[v]
			ec := truth.tables[e.table].p.cells[e.cell]
			if !ec.sensitive {
				continue
			}
			for _, maximize := range [2]bool{false, true} {
				point := part.argLo[ci]
				if maximize {
					point = part.argHi[ci]
				}
				if point == nil {
					continue // unbounded above
				}
				for si, sv := range part.vars {
					s := sys.vars[sv]
					sc := truth.tables[s.table].p.cells[s.cell]
					if si == ci || sc.contributors != 1 || math.Abs(point[si]-float64(sc.value)) < intervalTolerance {
						continue
					}
					req, needed := pr.singletonNeed(s, e)
					if !needed || (maximize && req.up == 0) || (!maximize && req.down == 0) {
						continue
					}
					// A witness of the move with s held, found by the flows, settles it; the LP
					// judges the rest.
					d := direction{maximize, req.down}
					if maximize {
						d.need = req.up
					}
					if _, ok := pr.findWitness(e, s, d); ok {
						continue
					}
					if err := part.prob.SetBounds(si, float64(sc.value), float64(sc.value)); err != nil {
						return nil, err
					}
					val, st, err := optimize(part.prob, ci, maximize)
					if err2 := part.prob.SetBounds(si, 0, math.Inf(1)); err == nil {
						err = err2
					}
					if err != nil {
						return nil, err
					}
					if st != lp.Optimal {
						continue // unbounded: nothing caps it
					}
					v := float64(ec.value)
					short := func(req requirement) bool {
						return (maximize && val-v < float64(req.up)-intervalTolerance) || (!maximize && v-val < float64(req.down)-intervalTolerance)
					}
					if short(req) {
						// Where no pattern could meet the requirement, it is capped (capSingleton).
						if capped, changed := pr.capSingleton(e, s, req); changed {
							req = capped
						}
					}
					if short(req) {
						f := Finding{Period: truth.tables[e.table].p.period, Metric: truth.tables[e.table].p.metric, Cell: ec.key,
							HasSingleton: true, Singleton: sc.key,
							Problem: fmt.Sprintf("cannot move up by %d and down by %d from v = %d (the bound is %s)", req.up, req.down, ec.value, formatBound(val))}
						if s.table != e.table {
							sp := truth.tables[s.table].p
							f.Problem += fmt.Sprintf(", knowing %s %s", pr.lay.vocab.Metric(sp.metric).Code, sp.period)
						}
						out = append(out, f)
					}
				}
			}
		}
	}
	return out, nil
}

// dedupeFindings drops repeated findings (the same cell, singleton and problem found twice).
func dedupeFindings(fs []Finding) []Finding {
	seen := map[string]bool{}
	var out []Finding
	for _, f := range fs {
		k := fmt.Sprintf("%v|%v|%v|%v|%s", f.Period, f.Metric, f.Cell, f.Singleton, f.Problem)
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// ruleProblem says how the interval [lo, hi] of a sensitive cell of true value v fails the rule, or
// returns "" when it satisfies it: lo <= v(1-q), hi >= v(1+q), hi - lo >= 1. The bounds are the
// LP's, exact (integers, or fractions confirmed in rational arithmetic); the comparisons allow for
// the rounding of a fraction to the nearest double only.
func ruleProblem(r *rules, v int64, lo, hi float64, unbounded bool) string {
	q := float64(r.interval.num) / float64(r.interval.den)
	tol := intervalTolerance * math.Max(1, float64(v))
	fv := float64(v)
	switch {
	case lo > fv*(1-q)+tol:
		return fmt.Sprintf("lower bound %s is above v(1-q) for v = %d", formatBound(lo), v)
	case !unbounded && hi < fv*(1+q)-tol:
		return fmt.Sprintf("upper bound %s is below v(1+q) for v = %d", formatBound(hi), v)
	case !unbounded && hi-lo < 1-intervalTolerance:
		return fmt.Sprintf("interval [%s, %s] is narrower than 1", formatBound(lo), formatBound(hi))
	}
	return ""
}

// matchProblems checks that the published problem pub (pattern suppressed) has exactly p's cells,
// published ones with their true values, and returns which are suppressed.
func matchProblems(lay *layout, p, pub *problem, suppressed []bool) ([]bool, error) {
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
	return slices.Clone(suppressed), nil
}

// swapPossible reports whether some pattern that withholds at least the cells of suppressed gives
// sensitive cell e a swap (zero.go): a scratch copy of the table lets the swap search suppress what
// it needs.
func swapPossible(pr *protector, p *problem, suppressed []bool, e cellRef) bool {
	ts := newTableState(pr.lay, p)
	copy(ts.free, suppressed)
	scratch := newProtector(pr.lay, pr.rules)
	scratch.attach(&joint{lay: pr.lay, rules: pr.rules, tables: []*tableState{ts}})
	_, ok := scratch.swap(e, true)
	return ok
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
			if normal && pr.zeroSwap(e) {
				if _, ok := pr.swap(e, false); !ok && swapPossible(pr, p, suppressed, e) {
					report(e.cell, -1, fmt.Sprintf("no swap with a withheld zero takes v = %d to 0, though a pattern could have one", c.value))
				}
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
