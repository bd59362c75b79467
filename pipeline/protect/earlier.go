package protect

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/exposure-research/exposure/internal/lp"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// Earlier releases (SPEC 4, "Releases"). Every cell once published stays public, so an earlier
// release of the dataset is part of what an attacker knows. What is known of how its tables relate
// to this build's is what the two manifests say: a source's leaves of a table are the same in both
// when the source's inputs that cover the table are the same files (name and SHA-256). Hence:
//
//   - a table whose every source is unchanged and whose rules are unchanged is the same table: it
//     keeps the earlier pattern exactly (stable patterns; the table is frozen, and its sensitive
//     cells are proved again against everything published now);
//   - any other table meets its earlier version in the joint problem as a frozen table of its own,
//     equal to the current one at every leaf of an unchanged source (an occurrence masked to those
//     leaves); the earlier version's withheld values are unknown to the build too, so it stands in
//     with a completion: non-negative values that add up to every published total of that version,
//     the unchanged leaves at their values (found by linear programming; the witnesses are points of
//     the joint system whichever completion is taken, since the earlier version's withheld cells are
//     variables of it);
//   - a cell published before with the value it has now stays published (locked): withholding it
//     again hides nothing. A sensitive cell among them was disclosed by the earlier release.
//
// A sensitive cell that no pattern can protect, or one disclosed before, is a frozen cell: the build
// refuses to publish unless the publisher accepts it by name (Options.AcceptDisclosed), and then it
// is withheld without the guarantee, and the methodology names it. This carries earlier suppressions
// forward as tau-ARGUS's a-priori files and Statistics Norway's AdditionalSuppression do, but within
// the joint problem, so the whole history is proved at once.
//
// Left out: an earlier release's table with no table of the same period and metric in this build
// (a period withdrawn) is not linked, and relations between metrics among earlier versions of changed
// tables are not in the model; either can only matter through a relation to a table that is not
// published now.

// Earlier is an earlier release of the dataset as the protection knows it: its published tables and
// what its manifest says about how they were made.
type Earlier struct {
	Name           string            // how messages name the release: its folder
	ManifestSHA256 string            // the SHA-256 of its manifest.json, which identifies it
	Tables         []*Table          // its published tables, metric ids of this build's vocabulary
	Sources        []string          // source ids: bit i of a cell's Sources
	Inputs         []EarlierInput    // its inputs
	Parameters     ingest.Protection // the rules it applied
	Relations      []string          // the normal forms of the relations between metrics in force
}

// EarlierInput is one input of an earlier release: file, source, digest and the tables it covers.
type EarlierInput struct {
	File, Source, SHA256 string
	Tables               []schemas.TableRef
}

// DisclosedCell names a cell the publisher accepts as disclosed by earlier releases.
type DisclosedCell = schemas.CellID

// earlierState is what the joint problem keeps of the earlier releases: their names, which
// current tables are stable (and under which release), and the accepted cells.
type earlierState struct {
	names    []string               // by release index (oldest first)
	linked   map[int32][]int        // current table -> releases whose versions are linked to it
	stable   map[int32]int          // current table -> the release whose pattern it keeps
	accepted map[DisclosedCell]bool // cells the publisher accepts as disclosed
	// Accepted are the accepted cells that were indeed disclosed or unprotectable, as found (see
	// acceptedCells).
	Accepted []DisclosedCell
}

// sameRules reports whether the earlier release applied the same rules: parameters and relations.
func sameRules(e *Earlier, prot ingest.Protection, rels []string) bool {
	if e.Parameters.MinContributors != prot.MinContributors || e.Parameters.PPercent != prot.PPercent ||
		e.Parameters.Interval != prot.Interval || len(e.Parameters.MinValue) != len(prot.MinValue) {
		return false
	}
	for k, v := range prot.MinValue {
		if w, ok := e.Parameters.MinValue[k]; !ok || w != v {
			return false
		}
	}
	a, b := slices.Clone(e.Relations), slices.Clone(rels)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// coverKey is a source's inputs of one table.
type coverKey struct {
	source string
	table  schemas.TableRef
}

// coverOf lists, per source and table, the inputs that cover it as "file sha256", sorted.
func coverOf(inputs []EarlierInput) map[coverKey][]string {
	out := map[coverKey][]string{}
	for _, in := range inputs {
		for _, t := range in.Tables {
			k := coverKey{in.Source, t}
			out[k] = append(out[k], in.File+" "+in.SHA256)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// addEarlier links the earlier releases into j (see above). It is called after the current tables
// and their relations are in j, before any protection; it returns the disclosed cells that are not
// accepted, as messages.
func (j *joint) addEarlier(b *builder, ds *ingest.Dataset, sources []ingest.Source, earlier []Earlier, accept []DisclosedCell) ([]string, error) {
	es := &earlierState{linked: map[int32][]int{}, stable: map[int32]int{}, accepted: map[DisclosedCell]bool{}}
	for _, a := range accept {
		es.accepted[a] = true
	}
	j.earlier = es
	if len(earlier) == 0 {
		return nil, nil
	}
	vocab := j.lay.vocab
	var rels []string
	for _, r := range ds.Relations {
		rels = append(rels, r.Normal(vocab))
	}
	self := Earlier{}
	for _, s := range sources {
		self.Sources = append(self.Sources, s.ID)
	}
	for _, in := range ds.Inputs {
		self.Inputs = append(self.Inputs, EarlierInput{File: in.File, Source: in.Source, SHA256: in.SHA256, Tables: in.Tables})
	}
	cur := self.releaseCover()
	index := j.tableIndex()
	n := int32(len(j.tables))
	// Each disclosed cell once, with the releases that published it, in table and key order.
	type disclosure struct {
		at       DisclosedCell
		text     string
		releases []string
	}
	found := map[DisclosedCell]*disclosure{}
	disclose := func(ts *tableState, i int, release string) {
		c := ts.p.cells[i]
		d := DisclosedCell{Period: ts.p.period, Metric: ts.p.metric, Geo: c.key.Geo, Org: c.key.Org}
		if es.accepted[d] {
			es.Accepted = append(es.Accepted, d)
			return
		}
		if found[d] == nil {
			found[d] = &disclosure{at: d, text: fmt.Sprintf("%s %s %s: published with value %d by ", ts.p.name(vocab), j.lay.geo.Node(c.key.Geo).Code, vocab.Org(c.key.Org).Code, c.value)}
		}
		found[d].releases = append(found[d].releases, release)
	}
	// Newest release first: a stable table keeps the newest earlier pattern; older versions of it
	// are linked like those of a changed table.
	es.names = make([]string, len(earlier))
	covers := releaseCovers(earlier)
	// versions lists, per current table, the earlier versions added to j so far (newest first);
	// pairs, the pairs of them that must agree at some leaves.
	versions := map[int32][]version{}
	pairs := map[int32][]versionPair{}
	for r := len(earlier) - 1; r >= 0; r-- {
		e := &earlier[r]
		es.names[r] = e.Name
		rulesSame := sameRules(e, ds.Config.Protection, rels)
		old := covers[r].cover
		for _, ot := range e.Tables {
			ref := schemas.TableRef{Period: ot.Period, Metric: ot.Metric}
			ti, ok := index[ref]
			if !ok {
				continue
			}
			ts := j.tables[ti]
			same, allSame, err := j.sameLeaves(ts, cur, ot, e, old)
			if err != nil {
				return nil, err
			}
			if _, done := es.stable[ti]; !done && allSame && rulesSame {
				if err := j.keepPattern(ts, ot, e.Name); err != nil {
					return nil, err
				}
				es.stable[ti] = r
				for i, c := range ts.p.cells {
					if c.sensitive && !ts.free[i] {
						disclose(ts, i, e.Name)
					}
				}
				continue
			}
			// The newer earlier versions of the table already in j: equal to this one wherever the
			// two releases' inputs are the same, which the completion must respect too.
			others, err := j.versionLinks(versions[ti], covers, ot, e, old)
			if err != nil {
				return nil, err
			}
			ots, err := j.earlierTable(b, ts, ot, same, e.Name)
			if err != nil {
				return nil, err
			}
			oi := j.addVersion(ti, ots, e.Name, same, others)
			// The newest earlier pattern is carried forward (tau-ARGUS's a-priori suppressions):
			// what it withheld is withheld again to start with, and the pass that publishes
			// unneeded cells takes back what this release does not need.
			if len(versions[ti]) == 0 {
				for _, c := range ot.Cells {
					if ci := ts.cellAt[j.lay.keyIndex(CellKey{c.Geo, c.Org})]; ci >= 0 && c.Suppressed() && !ts.free[ci] {
						ts.setFree(ci, true)
						ts.secondary[ci] = true
					}
				}
			}
			versions[ti] = append(versions[ti], version{oi, r})
			for _, o := range others {
				pairs[ti] = append(pairs[ti], versionPair{o.table, oi, o.same})
			}
			es.linked[ti] = append(es.linked[ti], r)
			// Cells published before with the value they have now stay published.
			if _, isStable := es.stable[ti]; isStable {
				continue
			}
			for _, c := range ot.Cells {
				v, pub := c.Value()
				if !pub {
					continue
				}
				ci := ts.cellAt[j.lay.keyIndex(CellKey{c.Geo, c.Org})]
				if ci < 0 || ts.p.cells[ci].value != v {
					continue
				}
				if ts.locked == nil {
					ts.locked = make([]bool, len(ts.p.cells))
				}
				ts.locked[ci] = true
				if ts.p.cells[ci].sensitive {
					disclose(ts, int(ci), e.Name)
				}
			}
		}
	}
	// The earlier versions' withheld values, completed together so that they agree where they must.
	for ti := range n {
		var tables []int32
		for _, v := range versions[ti] {
			tables = append(tables, v.table)
		}
		if len(tables) == 0 {
			continue
		}
		if err := completeVersions(j, tables, pairs[ti]); err != nil {
			return nil, fmt.Errorf("%s as published by the earlier releases: %w", j.tables[ti].p.name(vocab), err)
		}
	}
	// An accepted disclosed cell is published: its value is public already.
	for ti := range n {
		ts := j.tables[ti]
		if ts.locked == nil {
			continue
		}
		for i, c := range ts.p.cells {
			if ts.locked[i] && c.sensitive && es.accepted[DisclosedCell{Period: ts.p.period, Metric: ts.p.metric, Geo: c.key.Geo, Org: c.key.Org}] {
				ts.p.cells[i].sensitive = false
				ts.setFree(int32(i), false)
			}
		}
	}
	var list []*disclosure
	for _, d := range found {
		list = append(list, d)
	}
	slices.SortFunc(list, func(a, b *disclosure) int { return a.at.Compare(b.at) })
	var disclosed []string
	for _, d := range list {
		slices.Reverse(d.releases) // found newest first
		disclosed = append(disclosed, d.text+strings.Join(d.releases, ", "))
	}
	return disclosed, nil
}

// releaseCover is what the linking needs of the release being built or audited: the source ids
// (bit i of a cell's sources) and, per source and table, the inputs that cover it.
type releaseCover struct {
	sources []string
	cover   map[coverKey][]string
}

// releaseCover is the release's source ids and inputs per source and table.
func (e *Earlier) releaseCover() releaseCover {
	return releaseCover{sources: e.Sources, cover: coverOf(e.Inputs)}
}

// releaseCovers is releaseCover of every release, in order.
func releaseCovers(earlier []Earlier) []releaseCover {
	out := make([]releaseCover, len(earlier))
	for r := range earlier {
		out[r] = earlier[r].releaseCover()
	}
	return out
}

// version is an earlier release's version of a table in the joint problem: its table and release.
type version struct {
	table   int32
	release int
}

// versionLinks returns, for the earlier version ot of release e (inputs per source and table old),
// the leaves at which it equals each of the versions vs of the same table already in j (covers: the
// releases' inputs, by release).
func (j *joint) versionLinks(vs []version, covers []releaseCover, ot *Table, e *Earlier, old map[coverKey][]string) ([]versionLink, error) {
	var out []versionLink
	for _, v := range vs {
		same, _, err := j.sameLeaves(j.tables[v.table], covers[v.release], ot, e, old)
		if err != nil {
			return nil, err
		}
		out = append(out, versionLink{v.table, same})
	}
	return out, nil
}

// addVersion adds ots, release name's version of current table ti, to j: equal to ti at the leaves
// same, and to each earlier version of others at its leaves. It returns its index.
func (j *joint) addVersion(ti int32, ots *tableState, name string, same []bool, others []versionLink) int32 {
	oi := int32(len(j.tables))
	j.tables = append(j.tables, ots)
	table := j.tables[ti].p.name(j.lay.vocab)
	j.addOccurrence(&occurrence{
		name:  fmt.Sprintf("%s as published by %s", table, name),
		terms: []occTerm{{table: ti, coef: 1}, {table: oi, coef: -1}},
		op:    schemas.RelEq,
		mask:  same,
	})
	for _, o := range others {
		j.addOccurrence(&occurrence{
			name:  fmt.Sprintf("%s as published by %s and by another earlier release", table, name),
			terms: []occTerm{{table: o.table, coef: 1}, {table: oi, coef: -1}},
			op:    schemas.RelEq,
			mask:  o.same,
		})
	}
	return oi
}

// sameLeaves returns the leaves (by key index) at which current table ts and its earlier version ot
// are known to be equal, those whose every source's inputs covering the table are the same files in
// both releases, and whether that holds for every source of the table.
func (j *joint) sameLeaves(ts *tableState, cur releaseCover, ot *Table, e *Earlier, old map[coverKey][]string) ([]bool, bool, error) {
	vocab := j.lay.vocab
	ref := schemas.TableRef{Period: ot.Period, Metric: ot.Metric}
	unchanged := func(s string) bool { return slices.Equal(old[coverKey{s, ref}], cur.cover[coverKey{s, ref}]) }
	allSame := true
	for _, s := range cur.sources {
		allSame = allSame && unchanged(s)
	}
	for _, s := range e.Sources {
		allSame = allSame && unchanged(s)
	}
	same := make([]bool, len(ts.cellAt))
	oldAt := map[int]int{}
	for i, c := range ot.Cells {
		oldAt[j.lay.keyIndex(CellKey{c.Geo, c.Org})] = i
	}
	for k := range same {
		oi, inOld := oldAt[k]
		ci := ts.cellAt[k]
		if !inOld && ci < 0 {
			continue
		}
		geo := schemas.GeoID(k / j.lay.width)
		org := schemas.OrgID(k % j.lay.width)
		if org == schemas.OrgAll || j.lay.geo.Node(geo).Level != schemas.Country {
			continue
		}
		ok := true
		if ci >= 0 {
			for si, s := range cur.sources {
				if ts.p.cells[ci].sources.Has(si) && !unchanged(s) {
					ok = false
				}
			}
		}
		if inOld {
			for si, s := range e.Sources {
				if ot.Cells[oi].Sources.Has(si) && !unchanged(s) {
					ok = false
				}
			}
		}
		if ok && inOld != (ci >= 0) {
			have := map[bool]string{true: "none", false: "one"}[inOld]
			return nil, false, fmt.Errorf("%s: the earlier release %s has a leaf %s %s where this release has %s, though the sources covering it have the same inputs: it is not a release of these inputs",
				ts.p.name(vocab), e.Name, j.lay.geo.Node(geo).Code, vocab.Org(org).Code, have)
		}
		same[k] = ok
	}
	return same, allSame, nil
}

// keepPattern gives current table ts the pattern of its earlier version ot, which must be the same
// table: the same cells, and the same value wherever ot published one.
func (j *joint) keepPattern(ts *tableState, ot *Table, name string) error {
	vocab := j.lay.vocab
	if len(ot.Cells) != len(ts.p.cells) {
		return fmt.Errorf("%s: the earlier release %s has %d cells where this build has %d, though its inputs and rules are the same: it is not a release of these inputs",
			ts.p.name(vocab), name, len(ot.Cells), len(ts.p.cells))
	}
	for i, c := range ot.Cells {
		pc := ts.p.cells[i]
		if pc.key != (CellKey{c.Geo, c.Org}) {
			return fmt.Errorf("%s: the earlier release %s has cell %s %s where this build has %s %s: it is not a release of these inputs",
				ts.p.name(vocab), name, j.lay.geo.Node(c.Geo).Code, vocab.Org(c.Org).Code, j.lay.geo.Node(pc.key.Geo).Code, vocab.Org(pc.key.Org).Code)
		}
		if v, pub := c.Value(); pub && v != pc.value {
			return fmt.Errorf("%s: the earlier release %s published %s %s as %d, this build's value is %d, though its inputs are the same: it is not a release of these inputs",
				ts.p.name(vocab), name, j.lay.geo.Node(c.Geo).Code, vocab.Org(c.Org).Code, v, pc.value)
		}
	}
	for i, c := range ot.Cells {
		ts.setFree(int32(i), c.Suppressed())
		ts.secondary[i] = ts.free[i] && !ts.p.cells[i].sensitive
	}
	ts.frozen = true
	return nil
}

// earlierTable builds the earlier version ot of current table ts as a frozen table of the joint
// problem that no cell of is protected: its cells, withheld where ot withheld them, with values
// that complete it (published values as published, the leaves in same at the current values, the
// rest non-negative and adding up; see above).
func (j *joint) earlierTable(b *builder, ts *tableState, ot *Table, same []bool, name string) (*tableState, error) {
	vocab := j.lay.vocab
	leaves := &ingest.Table{Period: ot.Period, Metric: ot.Metric}
	for _, c := range ot.Cells {
		if c.Org == schemas.OrgAll || j.lay.geo.Node(c.Geo).Level != schemas.Country {
			continue
		}
		leaves.Leaves = append(leaves.Leaves, ingest.Leaf{Geo: c.Geo, Org: c.Org, Contributors: math.MaxInt32,
			Largest: ingest.Unknown, SecondLargest: ingest.Unknown})
	}
	p, err := b.makeProblem(leaves, nil)
	if err != nil {
		return nil, fmt.Errorf("the earlier release %s: %w", name, err)
	}
	if len(p.cells) != len(ot.Cells) {
		return nil, fmt.Errorf("the earlier release %s: %s has %d cells, its leaves make %d: it is not a report of this tool", name, p.name(vocab), len(ot.Cells), len(p.cells))
	}
	// Known values: published ones and the unchanged leaves; the rest are the LP's columns.
	known := make([]bool, len(p.cells))
	for i, c := range ot.Cells {
		// Its sources as its release names them (bits of that release's Sources).
		p.cells[i].sensitive, p.cells[i].sources = false, c.Sources
		if p.cells[i].key != (CellKey{c.Geo, c.Org}) {
			return nil, fmt.Errorf("the earlier release %s: %s is not in the order of this tool's reports", name, p.name(vocab))
		}
		k := j.lay.keyIndex(p.cells[i].key)
		v, pub := c.Value()
		switch {
		case same[k]:
			cur := ts.value(k)
			if pub && v != cur {
				return nil, fmt.Errorf("%s: the earlier release %s published %s %s as %d, this build's value is %d, though the sources covering it have the same inputs: it is not a release of these inputs",
					ts.p.name(vocab), name, j.lay.geo.Node(c.Geo).Code, vocab.Org(c.Org).Code, v, cur)
			}
			p.cells[i].value, known[i] = cur, true
		case pub:
			p.cells[i].value, known[i] = v, true
		}
	}
	ots := newTableState(j.lay, p)
	ots.target, ots.frozen = false, true
	ots.known = known
	for i, c := range ot.Cells {
		ots.setFree(int32(i), c.Suppressed())
	}
	return ots, nil
}

// versionLink is an earlier version of a table already in the joint problem and the leaves at which
// another earlier version equals it.
type versionLink struct {
	table int32
	same  []bool
}

// versionPair is two earlier versions of a table and the leaves at which they are equal.
type versionPair struct {
	a, b int32
	same []bool
}

// completeVersions sets the unknown cells (not ts.known) of the earlier versions tables of one
// table to non-negative integers that satisfy every additive relation of each version with its
// known cells, and make the two versions of each pair equal at its leaves, by one linear program;
// or fails when none exists. The values are checked after rounding.
func completeVersions(j *joint, tables []int32, pairs []versionPair) error {
	lay := j.lay
	col := map[cellRef]int{}
	n := 0
	for _, t := range tables {
		ts := j.tables[t]
		for i := range ts.p.cells {
			if !ts.known[i] {
				col[cellRef{t, int32(i)}] = n
				n++
			}
		}
	}
	value := func(r cellRef) int64 { return j.tables[r.table].p.cells[r.cell].value }
	check := func() error {
		for _, t := range tables {
			p := j.tables[t].p
			bal := make([]int64, lay.nodes)
			for i, c := range p.cells {
				if c.value < 0 {
					return fmt.Errorf("a withheld value completes below 0")
				}
				bal[p.head[i]] += c.value
				bal[p.tail[i]] -= c.value
			}
			for _, b := range bal {
				if b != 0 {
					return fmt.Errorf("its published totals do not add up")
				}
			}
		}
		for _, l := range pairs {
			a, b := j.tables[l.a], j.tables[l.b]
			for k, in := range l.same {
				if in && a.value(k) != b.value(k) {
					return fmt.Errorf("two earlier releases disagree at a leaf their inputs say is the same")
				}
			}
		}
		return nil
	}
	if n == 0 {
		return check()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prob, err := lp.New(n)
	if err != nil {
		return err
	}
	defer prob.Close()
	addRow := func(refs []cellRef, signs []float64) error {
		var idx []int
		var coefs []float64
		var rhs float64
		for i, r := range refs {
			if c, ok := col[r]; ok {
				idx, coefs = append(idx, c), append(coefs, signs[i])
			} else {
				rhs -= signs[i] * float64(value(r))
			}
		}
		if len(idx) > 0 {
			return prob.AddRow(idx, coefs, lp.Eq, rhs)
		}
		if rhs != 0 {
			return fmt.Errorf("its published totals do not add up, or two earlier releases disagree at a leaf their inputs say is the same")
		}
		return nil
	}
	for _, t := range tables {
		p := j.tables[t].p
		at := make([][]cellRef, lay.nodes)
		sg := make([][]float64, lay.nodes)
		for i := range p.cells {
			r := cellRef{t, int32(i)}
			at[p.head[i]], sg[p.head[i]] = append(at[p.head[i]], r), append(sg[p.head[i]], 1)
			at[p.tail[i]], sg[p.tail[i]] = append(at[p.tail[i]], r), append(sg[p.tail[i]], -1)
		}
		for node := range at {
			if err := addRow(at[node], sg[node]); err != nil {
				return err
			}
		}
	}
	for _, l := range pairs {
		a, b := j.tables[l.a], j.tables[l.b]
		for k, in := range l.same {
			if !in {
				continue
			}
			ca, cb := a.cellAt[k], b.cellAt[k]
			switch {
			case ca >= 0 && cb >= 0:
				err = addRow([]cellRef{{l.a, ca}, {l.b, cb}}, []float64{1, -1})
			case ca >= 0:
				err = addRow([]cellRef{{l.a, ca}}, []float64{1})
			case cb >= 0:
				err = addRow([]cellRef{{l.b, cb}}, []float64{1})
			}
			if err != nil {
				return err
			}
		}
	}
	_, status, err := prob.Minimize(make([]float64, n))
	if err != nil {
		return err
	}
	if status != lp.Optimal {
		return fmt.Errorf("no non-negative values of their withheld cells add up to their published totals (%s)", strings.ToLower(status.String()))
	}
	for r, c := range col {
		j.tables[r.table].p.cells[r.cell].value = int64(math.Round(prob.Value(c)))
	}
	return check()
}

// frozenAdvice is what a publisher can do about frozen cells.
const frozenAdvice = "these cells are frozen: earlier releases published what gives them away. Keep the earlier rules for their tables, " +
	"or accept the disclosure by listing each cell (period,metric,geo,org_type) in a CSV file given with --accept-disclosed FILE; the report's methodology then names them"

// waive marks sensitive cell e as accepted when the publisher accepts it as disclosed, and reports
// whether it did.
func (j *joint) waive(e cellRef) bool {
	ts := j.tables[e.table]
	c := ts.p.cells[e.cell]
	d := DisclosedCell{Period: ts.p.period, Metric: ts.p.metric, Geo: c.key.Geo, Org: c.key.Org}
	if j.earlier == nil || !j.earlier.accepted[d] {
		return false
	}
	if ts.waived == nil {
		ts.waived = make([]bool, len(ts.p.cells))
	}
	ts.waived[e.cell] = true
	ts.setFree(e.cell, true)
	j.earlier.Accepted = append(j.earlier.Accepted, d)
	return true
}

// earlierCause names, for a message about cell e that cannot be protected, the earlier releases
// whose versions of its table are linked to it or whose pattern it keeps: "" when there are none.
func (j *joint) earlierCause(e cellRef) string {
	es := j.earlier
	if es == nil || len(es.names) == 0 {
		return ""
	}
	var names []string
	if r, ok := es.stable[e.table]; ok {
		names = append(names, es.names[r]+" (its pattern is kept)")
	}
	for _, r := range es.linked[e.table] {
		names = append(names, es.names[r])
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return ", given what " + strings.Join(slices.Compact(names), " and ") + " published of its table"
}

// AuditWith is Audit with earlier releases of the same dataset in the joint model (SPEC 4,
// "Releases"): each earlier table is linked to this release's table of the same period and metric
// at every leaf whose sources' inputs are the same in both (self says which inputs this release has
// and the ids of its cells' source bits). The intervals and findings are those of this release's
// suppressed cells, against everything published together.
func AuditWith(vocab *schemas.Vocabulary, tables []*Table, relations []schemas.Relation, self Earlier, earlier []Earlier) (*AuditReport, error) {
	j, err := publishedJoint(vocab, tables, relations)
	if err != nil {
		return nil, err
	}
	if err := j.linkPublished(self, earlier); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return auditJoint(j)
}

// linkPublished adds the published tables of the earlier releases to the published joint problem j,
// linked where they are known to be equal.
func (j *joint) linkPublished(self Earlier, earlier []Earlier) error {
	cur := self.releaseCover()
	index := j.tableIndex()
	covers := releaseCovers(earlier)
	versions := map[int32][]version{}
	for r := range earlier {
		e := &earlier[r]
		old := covers[r].cover
		for _, ot := range e.Tables {
			ti, ok := index[schemas.TableRef{Period: ot.Period, Metric: ot.Metric}]
			if !ok {
				continue
			}
			same, _, err := j.sameLeaves(j.tables[ti], cur, ot, e, old)
			if err != nil {
				return err
			}
			others, err := j.versionLinks(versions[ti], covers, ot, e, old)
			if err != nil {
				return err
			}
			p, suppressed, err := publishedProblem(j.lay, ot)
			if err != nil {
				return fmt.Errorf("the earlier release %s: %w", e.Name, err)
			}
			ots := newTableState(j.lay, p)
			copy(ots.free, suppressed)
			ots.target, ots.frozen = false, true
			versions[ti] = append(versions[ti], version{j.addVersion(ti, ots, e.Name, same, others), r})
		}
	}
	return nil
}

// earlierDigests lists the manifest digests of the earlier releases, in their order.
func earlierDigests(earlier []Earlier) []string {
	var out []string
	for _, e := range earlier {
		out = append(out, e.ManifestSHA256)
	}
	return out
}

// acceptedCells returns the accepted cells that needed it, sorted, each once.
func (es *earlierState) acceptedCells() []DisclosedCell {
	out := slices.Clone(es.Accepted)
	slices.SortFunc(out, schemas.CellID.Compare)
	return slices.Compact(out)
}
