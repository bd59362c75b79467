package protect

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// The joint problem is what an attacker knows at once (SPEC 4, "What an attacker knows"): the cells
// of every table, each table's additive relations, the relations between metrics in force, and
// non-negativity, with the published cells fixed and a suppressed cell possibly hiding a zero. The
// tables are networks (see layout); what links them are occurrences: a relation between metrics at
// one period, holding at every key (area, organization type) where it is in force, e.g.
// new_systems(t, k) <= exposed_systems(t, k) for every k.
//
// The protection proves the rule with witnesses: for a sensitive cell, two points of the joint
// system, one where the cell is at most v(1-q) and one where it is at least v(1+q), every other
// constraint holding. A witness is found as a move: a template (a set of tables, each with a sign)
// and one circulation f in the tables' common network, applied to every member table with its sign.
// Additivity holds in each member because f is a circulation; an occurrence whose member terms
// cancel (coefficient times sign summing to 0) holds whatever f is; any other occurrence, and
// non-negativity, bound f at each key, which keeps the problem a network flow with arc bounds
// (tables outside the template keep their true values). The single-table template {T: +1} is the
// common case; with an identity in force (the stock-flow identity) a cell moves only together with
// its partners, e.g. exposed_systems(t), new_systems(t) and offline_systems(t+1) by the same f.
// Each witness is then checked by code that knows nothing of networks (witness.go).

// cellRef names one cell of the joint problem: a table (index in joint.tables) and a cell of it.
type cellRef struct {
	table, cell int32
}

func (a cellRef) less(b cellRef) bool {
	return a.table < b.table || (a.table == b.table && a.cell < b.cell)
}

func compareRefs(a, b cellRef) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// occTerm is one term of an occurrence: a table of the joint problem and its coefficient.
type occTerm struct {
	table int32
	coef  int64
}

// occurrence is one linear relation among tables, holding at every key where it is in force:
// sum(coef * x(table, key)) op 0, a structural zero counting 0. It stands for a relation between
// metrics at one period (SPEC 3.3).
type occurrence struct {
	name  string // for messages: the relation and its period
	terms []occTerm
	op    schemas.RelOp
	mask  []bool // by key index: in force there; nil means at every key
}

func (o *occurrence) inForce(k int) bool { return o.mask == nil || o.mask[k] }

// link is an occurrence that names a table, and the term that does.
type link struct {
	occ, term int32
}

// member is one table of a template and the sign with which it moves.
type member struct {
	table int32
	sign  int64
}

// template is a way cells of an origin table can move: every member table moves by sign times the
// same circulation f. lo and hi bound the origin's working value at each of its cells (the origin's
// sign is +1), from the members' non-negativity and the occurrences the members do not balance; a
// key that some member lacks, or where an equality is not balanced, is pinned (lo = hi = x).
type template struct {
	members []member
	lo, hi  []int64
	// partners lists, per member beyond the origin, the member's cell at each origin cell (-1 when
	// it has none), so that freeness and weights of the members are read without lookups.
	partners [][]int32
	occs     []changedOcc // the occurrences the members change
	// zlo, zhi and zero are the bounds and zero keys of a swap (zero.go), computed on first use.
	zlo, zhi []int64
	zero     []bool
}

// maxTemplateMembers and maxTemplates bound the search for templates: a move that needs more tables
// than this is not tried (its witness would need even more cells suppressed), and at most this many
// templates are kept per table, the smallest first.
const (
	maxTemplateMembers = 4
	maxTemplates       = 12
)

// tableState is one table of the joint problem with its suppression pattern and the protection's
// bookkeeping.
type tableState struct {
	p      *problem
	cellAt []int32 // by key index (GeoID*width + OrgID): the cell, or -1 for a structural zero
	free   []bool  // suppressed now; changed only through setFree
	// version counts the changes of free, and stamp holds per cell the version of its last one, so
	// that what a protector keeps of a template (tplView) catches up with the cells changed since;
	// log lists the cells of the changes since version logBase, a few at most (setFree).
	version   uint32
	stamp     []uint32
	log       []int32
	logBase   uint32
	secondary []bool  // suppressed to protect another cell
	locked    []bool  // may not be suppressed (published before and public); nil for none
	frozen    bool    // the pattern may not change (an earlier release's table, or one kept unchanged)
	target    bool    // its sensitive cells are protected (false for an earlier release's version)
	weight    []int64 // per cell: suppressionCost
	base      int64   // the per-cell charge of suppressionCost
	links     []link
	tpls      []*template // computed on first use
	// noSwap marks the sensitive cells that need a swap (zero.go) but have none; nil for none.
	noSwap []bool
	// waived marks the sensitive cells the publisher accepts as disclosed (earlier.go): withheld,
	// without the guarantee; nil for none.
	waived []bool
	swaps  map[int32]witness // per sensitive cell: the last swap witness found (zero.go)
	// lpFound keeps the witnesses widen found by linear programming, per sensitive cell, cell held
	// and direction: an LP on another pattern may reach a fractional point that does not round.
	lpFound map[witnessKey][]witness
	// known marks, for an earlier release's version of a table, the cells whose values are known
	// (published, or equal to this build's); the rest are completed (earlier.go). nil otherwise.
	known []bool
	// caps holds the requirements of sensitive cells against singletons that no pattern can meet,
	// capped at what one can give (capSingleton); nil for none.
	caps map[capKey]requirement
	// support holds, per sensitive cell, the cells its current witnesses move, sorted.
	support [][]cellRef
	// dependents lists, per cell, sensitive cells whose witnesses used it at some time (some may
	// no longer); used to find whom publishing the cell may harm.
	dependents [][]cellRef
}

// joint is the joint problem of one release.
type joint struct {
	lay    *layout
	rules  *rules
	tables []*tableState // this build's tables sorted by period, then metric; then earlier versions
	occs   []*occurrence
	// earlier is what the joint problem keeps of earlier releases (earlier.go); nil without.
	earlier *earlierState
}

// keyIndex is a cell key's index in the dense per-key arrays.
func (l *layout) keyIndex(k CellKey) int { return int(k.Geo)*l.width + int(k.Org) }

// newTableState wraps a problem; free starts as the primary pattern.
func newTableState(lay *layout, p *problem) *tableState {
	ts := &tableState{p: p, target: true, cellAt: make([]int32, lay.geo.Len()*lay.width)}
	for i := range ts.cellAt {
		ts.cellAt[i] = -1
	}
	m := len(p.cells)
	ts.free = make([]bool, m)
	ts.stamp = make([]uint32, m)
	ts.secondary = make([]bool, m)
	ts.weight = make([]int64, m)
	ts.support = make([][]cellRef, m)
	ts.dependents = make([][]cellRef, m)
	ts.base = 1
	for i, c := range p.cells {
		ts.cellAt[lay.keyIndex(c.key)] = int32(i)
		ts.free[i] = c.sensitive
		if c.key.Org != schemas.OrgAll && lay.geo.Node(c.key.Geo).Level == schemas.Country {
			ts.base = max(ts.base, c.value)
		}
	}
	for i, c := range p.cells {
		ts.weight[i] = suppressionCost(c.value, ts.base)
	}
	return ts
}

// release drops what only the protection of the table's group needs (templates, witnesses' supports
// and dependents, recorded witnesses, caps) once the group is proved: what stays is the pattern and
// what other groups read of the table (its cells and their values, for the relations).
func (ts *tableState) release() {
	ts.tpls, ts.support, ts.dependents = nil, nil, nil
	ts.lpFound, ts.swaps, ts.caps = nil, nil, nil
	ts.weight, ts.log = nil, nil
}

// setFree withholds (free) or publishes cell c, counting the change.
func (ts *tableState) setFree(c int32, free bool) {
	if ts.free[c] == free {
		return
	}
	ts.free[c] = free
	ts.version++
	ts.stamp[c] = ts.version
	if len(ts.log) >= maxLog {
		ts.log, ts.logBase = ts.log[:0], ts.version-1
	}
	ts.log = append(ts.log, c)
}

// maxLog bounds a table's log of changes: a view further behind reads the stamps of every cell.
const maxLog = 256

// value returns the true value of the table's cell at key index k, 0 for a structural zero.
func (ts *tableState) value(k int) int64 {
	if c := ts.cellAt[k]; c >= 0 {
		return ts.p.cells[c].value
	}
	return 0
}

// tableIndex returns the index of each table of j by its period and metric.
func (j *joint) tableIndex() map[schemas.TableRef]int32 {
	index := make(map[schemas.TableRef]int32, len(j.tables))
	for i, ts := range j.tables {
		index[schemas.TableRef{Period: ts.p.period, Metric: ts.p.metric}] = int32(i)
	}
	return index
}

// addOccurrence adds an occurrence and links it from its tables.
func (j *joint) addOccurrence(o *occurrence) {
	id := int32(len(j.occs))
	j.occs = append(j.occs, o)
	for ti, t := range o.terms {
		j.tables[t.table].links = append(j.tables[t.table].links, link{occ: id, term: int32(ti)})
	}
}

// addRelations adds the occurrences of the relations between metrics in force (schemas.InForce). A
// relation that names a previous period is not in force at a leaf that is a break at its period on
// any of the relation's current-period tables, nor at a total above such a leaf: across a change of
// source or definition the previous period does not measure the same systems (the ingest stage
// checks the data by the same rule).
func (j *joint) addRelations(vocab *schemas.Vocabulary, rels []schemas.Relation) {
	if len(rels) == 0 || len(j.tables) == 0 {
		return
	}
	index := j.tableIndex()
	var periods []schemas.Date
	for _, ts := range j.tables {
		if len(periods) == 0 || periods[len(periods)-1] != ts.p.period {
			periods = append(periods, ts.p.period)
		}
	}
	slices.Sort(periods)
	periods = slices.Compact(periods)
	has := func(r schemas.TableRef) bool { _, ok := index[r]; return ok }
	for _, at := range schemas.InForce(rels, periods, has) {
		r := rels[at.Relation]
		o := &occurrence{name: fmt.Sprintf("%q at %s", r.Text, at.Period), op: r.Op}
		for ti, ref := range at.Tables {
			o.terms = append(o.terms, occTerm{table: index[ref], coef: r.Terms[ti].Coef})
		}
		if r.HasPrev() {
			o.mask = j.breakMask(o, r)
		}
		j.addOccurrence(o)
	}
}

// breakMask returns where an occurrence of a relation with a previous period is in force: at every
// key but the leaves that are breaks in a current-period table of the relation and the totals above
// them; nil when there is no such leaf.
func (j *joint) breakMask(o *occurrence, r schemas.Relation) []bool {
	var mask []bool
	geo := j.lay.geo
	for ti, t := range o.terms {
		if r.Terms[ti].Prev {
			continue
		}
		p := j.tables[t.table].p
		for _, c := range p.cells {
			if !c.flags.Has(schemas.ObsBreak) || geo.Node(c.key.Geo).Level != schemas.Country || c.key.Org == schemas.OrgAll {
				continue
			}
			if mask == nil {
				mask = make([]bool, geo.Len()*j.lay.width)
				for i := range mask {
					mask[i] = true
				}
			}
			for g := range geo.AndUp(c.key.Geo) {
				mask[j.lay.keyIndex(CellKey{g, c.key.Org})] = false
				mask[j.lay.keyIndex(CellKey{g, schemas.OrgAll})] = false
			}
		}
	}
	return mask
}

// templatesOf returns the templates of table t, the single-table template first, listing them on
// first use; each is computed when first used (ready).
func (j *joint) templatesOf(t int32) []*template {
	ts := j.tables[t]
	if ts.tpls == nil {
		for _, members := range j.enumerateTemplates(t) {
			ts.tpls = append(ts.tpls, &template{members: members})
		}
	}
	return ts.tpls
}

// ready computes template tpl's partners and bounds if it has none yet: the tables in parallel use
// the single-table template alone, so the others, which hold as much again per member, are computed
// only for the cells that need them.
func (j *joint) ready(tpl *template) {
	if tpl.lo == nil {
		j.makeTemplate(tpl)
	}
}

// net returns the coefficient with which a move of the members changes occurrence o.
func (j *joint) net(o *occurrence, members []member) int64 {
	var net int64
	for _, t := range o.terms {
		for _, m := range members {
			if m.table == t.table {
				net += t.coef * m.sign
			}
		}
	}
	return net
}

// enumerateTemplates lists the member sets of the templates of origin t: breadth first from {t: +1},
// each step balancing one occurrence that the members change, by adding one of its other tables
// with the sign that cancels it; a set is a template when every equality it changes is balanced
// (inequalities it changes only bound the move). Smaller sets come first, and the single-table move
// is always the first; at most maxTemplates, each of at most maxTemplateMembers tables.
func (j *joint) enumerateTemplates(t int32) [][]member {
	start := []member{{table: t, sign: 1}}
	queue := [][]member{start}
	seen := map[string]bool{memberKey(start): true}
	var out [][]member
	for len(queue) > 0 && len(out) < maxTemplates {
		ms := queue[0]
		queue = queue[1:]
		valid := true
		var expand []*occurrence
		for _, m := range ms {
			for _, l := range j.tables[m.table].links {
				o := j.occs[l.occ]
				if j.net(o, ms) == 0 || slices.Contains(expand, o) {
					continue
				}
				if o.op == schemas.RelEq {
					valid = false
				}
				expand = append(expand, o)
			}
		}
		// The single-table move is always the first template: an equality it does not balance
		// pins the keys where it is in force (makeTemplate), which leaves the others free.
		if valid || len(ms) == 1 {
			out = append(out, ms)
		}
		if len(ms) >= maxTemplateMembers {
			continue
		}
		for _, o := range expand {
			net := j.net(o, ms)
			for _, term := range o.terms {
				if slices.ContainsFunc(ms, func(m member) bool { return m.table == term.table }) {
					continue
				}
				if net%term.coef != 0 {
					continue
				}
				sign := -net / term.coef
				if sign != 1 && sign != -1 {
					continue
				}
				next := append(slices.Clone(ms), member{table: term.table, sign: sign})
				slices.SortFunc(next[1:], func(a, b member) int { return int(a.table - b.table) })
				if key := memberKey(next); !seen[key] {
					seen[key] = true
					queue = append(queue, next)
				}
			}
		}
	}
	return out
}

func memberKey(ms []member) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%d:%d,", m.table, m.sign)
	}
	return b.String()
}

// makeTemplate computes a template's partners and its bounds on the origin's cells.
func (j *joint) makeTemplate(tpl *template) {
	members := tpl.members
	origin := j.tables[members[0].table]
	m := len(origin.p.cells)
	tpl.lo, tpl.hi = make([]int64, m), make([]int64, m)
	for _, mb := range members[1:] {
		part := make([]int32, m)
		other := j.tables[mb.table]
		for i, c := range origin.p.cells {
			part[i] = other.cellAt[j.lay.keyIndex(c.key)]
		}
		tpl.partners = append(tpl.partners, part)
	}
	// The occurrences the members change, with the net coefficient of each.
	var occs []changedOcc
	for _, mb := range members {
		for _, l := range j.tables[mb.table].links {
			o := j.occs[l.occ]
			if net := j.net(o, members); net != 0 && !slices.ContainsFunc(occs, func(c changedOcc) bool { return c.o == o }) {
				occs = append(occs, changedOcc{o, net})
			}
		}
	}
	tpl.occs = occs
	j.bounds(tpl, func(t int32, c int32) int64 { return j.tables[t].p.cells[c].value }, tpl.lo, tpl.hi)
}

// changedOcc is an occurrence a template's members change, with the net coefficient of the move.
type changedOcc struct {
	o   *occurrence
	net int64
}

// bounds computes the template's bounds on the origin's working values around the point whose
// values value gives, at every origin cell (boundsAt).
func (j *joint) bounds(tpl *template, value func(t, c int32) int64, lo, hi []int64) {
	for i := range j.tables[tpl.members[0].table].p.cells {
		lo[i], hi[i] = j.boundsAt(tpl, value, int32(i))
	}
}

// boundsAt returns the template's bounds on the working value of origin cell i around the point
// whose values value gives: each member's cell stays non-negative, each changed inequality keeps
// its slack, and a key that a member lacks or where a changed equality is in force is pinned. They
// depend on the values at i's key alone.
func (j *joint) boundsAt(tpl *template, value func(t, c int32) int64, i int32) (lo, hi int64) {
	origin := j.tables[tpl.members[0].table]
	k := j.lay.keyIndex(origin.p.cells[i].key)
	x := value(tpl.members[0].table, i)
	fLo, fHi := -x, noBound
	for mi, mb := range tpl.members[1:] {
		pc := tpl.partners[mi][i]
		if pc < 0 {
			return x, x
		}
		v := value(mb.table, pc)
		if mb.sign > 0 {
			fLo = max(fLo, -v)
		} else {
			fHi = min(fHi, v)
		}
	}
	for _, ch := range tpl.occs {
		if !ch.o.inForce(k) {
			continue
		}
		if ch.o.op == schemas.RelEq {
			return x, x
		}
		var lhs int64
		for _, term := range ch.o.terms {
			if c := j.tables[term.table].cellAt[k]; c >= 0 {
				lhs += term.coef * value(term.table, c)
			}
		}
		slack := max(0, -lhs)
		if ch.net > 0 {
			fHi = min(fHi, slack/ch.net)
		} else {
			fLo = max(fLo, -(slack / -ch.net))
		}
	}
	if fHi == noBound {
		return x + fLo, noBound
	}
	return x + fLo, x + fHi
}

// memberCell returns the cell of member mi (0 is the origin) at origin cell i, or -1.
func (tpl *template) memberCell(mi int, i int32) int32 {
	if mi == 0 {
		return i
	}
	return tpl.partners[mi-1][i]
}

// sortedTables returns the table indexes in a deterministic order; used where a set is walked.
func sortedTables(set map[int32]bool) []int32 {
	out := make([]int32, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}
