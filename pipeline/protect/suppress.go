package protect

import (
	"fmt"
	"slices"
	"sort"

	"github.com/exposure-research/exposure/schemas"
)

// protector is one worker's state: the network and the buffers it reuses, over a joint problem.
// At any time the network holds one origin table's arcs with one template's bounds (load).
type protector struct {
	lay   *layout
	rules *rules
	b     *builder
	nw    *network
	j     *joint

	// singleOnly restricts moves to the single-table template (phase A: tables in parallel, each
	// touching only itself); allowed, when set, restricts templates to member tables it contains
	// (phase C: groups in parallel, each touching only its own tables).
	singleOnly bool
	allowed    []bool

	cur   int32    // origin table the network holds, or -1
	view  *tplView // the template whose bounds and freeness it holds, or nil
	x     []int64  // the origin's true values
	tw    []int64  // per origin arc: what suppressing it costs in the template (noBound: not allowed); the view's
	free  []bool   // scratch of viewOf
	ck    checker  // scratch of checkWitness
	views viewCache

	trial  []cellRef // cells suppressed since the trial began, when recording
	record bool
}

func newProtector(lay *layout, r *rules) *protector {
	return &protector{lay: lay, rules: r, b: newBuilder(lay, r, nil), nw: newNetwork(lay), cur: -1}
}

// pattern is a suppression pattern of one table: which cells are withheld, and of those which were
// chosen to protect others (the secondary suppressions). Only tests look at the split.
type pattern struct {
	suppressed []bool
	secondary  []bool
}

// attach makes pr work on joint problem j.
func (pr *protector) attach(j *joint) {
	pr.j, pr.cur, pr.view = j, -1, nil
	pr.views = viewCache{}
}

// usable reports whether pr may use template tpl now for a witness of e with cell fixed held at its
// value: not when fixed is one of e's partners, which move with e. A template is computed here when
// first found usable (joint.ready): every use of one passes this test first.
func (pr *protector) usable(tpl *template, e, fixed cellRef) bool {
	if pr.singleOnly && len(tpl.members) > 1 {
		return false
	}
	if pr.allowed != nil {
		for _, m := range tpl.members {
			if !pr.allowed[m.table] {
				return false
			}
		}
	}
	pr.j.ready(tpl)
	if fixed.table >= 0 {
		for mi, mb := range tpl.members[1:] {
			if mb.table == fixed.table && tpl.memberCell(mi+1, e.cell) == fixed.cell {
				return false
			}
		}
	}
	return true
}

// load makes the network hold origin table t with template tpl: its arcs, the template's bounds,
// an arc free when its cells are suppressed in every member, to be avoided when one of them has a
// single contributor, and the cost of suppressing it in the members where it is published. The
// last three come from the template's view (view.go), brought up to date with the cells changed
// since it was last loaded.
func (pr *protector) load(t int32, tpl *template) {
	nw := pr.nw
	if pr.cur == t && pr.view != nil && pr.view.tpl == tpl {
		pr.sync(pr.view)
		return
	}
	v := pr.viewOf(tpl)
	if pr.cur != t {
		p := pr.j.tables[t].p
		pr.x = grow(pr.x, len(p.cells))
		for i, c := range p.cells {
			pr.x[i] = c.value
		}
		nw.loadValues(p.tail, p.head, pr.x)
		pr.cur = t
	}
	copy(nw.lo, tpl.lo)
	copy(nw.hi, tpl.hi)
	nw.arcLists = &v.lists
	pr.tw, pr.view = v.tw, v
}

// suppress withholds cell ref to protect another.
func (pr *protector) suppress(ref cellRef) {
	ts := pr.j.tables[ref.table]
	if ts.free[ref.cell] || ts.frozen || (ts.locked != nil && ts.locked[ref.cell]) {
		return
	}
	ts.setFree(ref.cell, true)
	ts.secondary[ref.cell] = true
	if pr.record {
		pr.trial = append(pr.trial, ref)
	}
	if v := pr.view; v != nil {
		pr.sync(v)
	}
}

// singleton reports whether suppressed cell ref has a single contributor, who knows its value.
func (pr *protector) singleton(ref cellRef) bool {
	ts := pr.j.tables[ref.table]
	return ts.free[ref.cell] && ts.p.cells[ref.cell].contributors == 1
}

// requirement is the slack a suppressed sensitive cell needs: how far its value must be able to move
// up and down given everything the attacker knows. Both are integers, so up >= ceil(v q) is exactly
// hi >= v(1+q), and likewise down; when both are 0 (q = 0) it still needs hi - lo >= 1.
type requirement struct {
	up, down int64
}

// need returns the requirement of sensitive cell e against an outsider: ceil(v q) each way.
func (pr *protector) need(e cellRef) requirement {
	t := pr.rules.interval.ceilMul(pr.j.tables[e.table].p.cells[e.cell].value)
	return requirement{t, t}
}

// singletonNeed returns the requirement of sensitive cell e against the single contributor of
// suppressed cell s, who knows its own value v(s), and whether there is one. The contributor owns a
// part k of e: in e's own table the leaves the two cells share, k = v(s ∩ e); in another table what
// the relations make of its value (ownedAcross), e.g. its new systems are among its exposed
// systems. e cannot fall below k in its eyes, so the downward need is capped at v - k (the rule asks
// the impossible otherwise), and a cell that is all its own (k >= v) needs nothing (the reasoning of
// the p% rule: what must stay uncertain is what the others contributed; Hundepool et al. 2012, 4.2).
// Likewise a relation can make s's value an upper bound u of e (a single contributor of exposed
// systems knows the new systems of its cell are at most its own): e cannot rise above u in its eyes,
// so the upward need is capped at u - v. Otherwise the need is the outsider's, ceil(v q) each way.
func (pr *protector) singletonNeed(s, e cellRef) (requirement, bool) {
	req, ok := pr.literalSingletonNeed(s, e)
	if !ok {
		return req, false
	}
	if c, capped := pr.j.tables[e.table].caps[capKey{e.cell, s}]; capped {
		req.up, req.down = min(req.up, c.up), min(req.down, c.down)
		if req.up == 0 && req.down == 0 {
			return requirement{}, false
		}
	}
	return req, true
}

// capKey names a sensitive cell of a table and a singleton known to its contributor.
type capKey struct {
	cell int32
	s    cellRef
}

// capSingleton caps the requirement req of sensitive cell e against the contributor of singleton s
// at what any pattern can give (reach): where the relations and the structural zeros alone bound e
// once s is known (a stock whose previous period is a structural zero is at most its new systems),
// no suppression can do more, and the rule cannot hold literally (as for the parts a singleton owns;
// Hundepool et al. 2012, ch. 4, the singleton problem). It records the cap for e and s, and returns
// the capped requirement and whether it is smaller than req.
func (pr *protector) capSingleton(e, s cellRef, req requirement) (requirement, bool) {
	out := req
	if req.up > 0 {
		if r, ok := pr.reach(e, s, direction{true, req.up}); ok && r < req.up {
			out.up = max(0, r)
		}
	}
	if req.down > 0 {
		if r, ok := pr.reach(e, s, direction{false, req.down}); ok && r < req.down {
			out.down = max(0, r)
		}
	}
	if out == req {
		return req, false
	}
	ts := pr.j.tables[e.table]
	if ts.caps == nil {
		ts.caps = map[capKey]requirement{}
	}
	ts.caps[capKey{e.cell, s}] = out
	return out, true
}

// literalSingletonNeed is singletonNeed before the caps of capSingleton.
func (pr *protector) literalSingletonNeed(s, e cellRef) (requirement, bool) {
	p := pr.j.tables[e.table].p
	v := p.cells[e.cell].value
	t := pr.rules.interval.ceilMul(v)
	req := requirement{up: t, down: t}
	if s.table == e.table {
		own := p.overlap(pr.lay, p.cells[s.cell].key, p.cells[e.cell].key)
		req.down = min(t, v-own)
		if v-own <= 0 {
			return requirement{}, false
		}
		return req, true
	}
	req.down = min(t, max(0, v-pr.ownedAcross(s, e)))
	if ub, ok := pr.boundedAcross(s, e); ok {
		req.up = min(t, max(0, ub-v))
	}
	if req.up == 0 && req.down == 0 {
		return requirement{}, false
	}
	return req, true
}

// boundedAcross returns the upper bound that knowing cell s alone puts on sensitive cell e of
// another table, when relations give one at every leaf of e's table below e, each of them inside
// s's key (impliedRatio): e is then the sum of leaves each bounded by s's table at its key, times a
// ratio of coefficients, and those sum to at most v(s). New systems are bounded by exposed ones
// (new_systems <= exposed_systems), and under the stock-flow identity a country's exposed systems
// by its new ones where it had none before.
func (pr *protector) boundedAcross(s, e cellRef) (int64, bool) {
	j := pr.j
	ss, es := j.tables[s.table], j.tables[e.table]
	sk, ek := ss.p.cells[s.cell].key, es.p.cells[e.cell].key
	leaves := es.leavesBelow(pr.lay, ek)
	if len(leaves) == 0 {
		return 0, false
	}
	for _, l := range leaves {
		if !contains2(pr.lay, sk, l) {
			return 0, false
		}
	}
	v := ss.p.cells[s.cell].value
	// The largest ratio over the leaves bounds the sum.
	var num, den int64 = -1, 1
	for _, leaf := range leaves {
		k := pr.lay.keyIndex(leaf)
		bn, bd, ok := int64(-1), int64(1), false
		for _, l := range es.links {
			o := j.occs[l.occ]
			if !o.inForce(k) {
				continue
			}
			for si, term := range o.terms {
				if term.table != s.table {
					continue
				}
				if n, d, found := pr.impliedRatio(o, si, int(l.term), k, false); found && (!ok || n*bd < bn*d) {
					bn, bd, ok = n, d, true
				}
			}
		}
		if !ok {
			return 0, false
		}
		if num < 0 || bn*den > num*bd {
			num, den = bn, bd
		}
	}
	return num * v / den, true
}

// ownedAcross returns the part of sensitive cell e (of another table) that knowing cell s alone
// makes certain. Knowing s fixes s's own key to v(s), and a leaf too when s covers only that leaf;
// a relation then makes e's table at least v(s) times a ratio of coefficients at that key
// (impliedRatio: its new systems are among its exposed systems), and e at least as much when every
// leaf of its table below that key is below e.
func (pr *protector) ownedAcross(s, e cellRef) int64 {
	j := pr.j
	ss, es := j.tables[s.table], j.tables[e.table]
	sk := ss.p.cells[s.cell].key
	v := ss.p.cells[s.cell].value
	keys := []CellKey{sk}
	if leaves := ss.leavesBelow(pr.lay, sk); len(leaves) == 1 && leaves[0] != sk {
		keys = append(keys, leaves[0])
	}
	ek := es.p.cells[e.cell].key
	var own int64
	for _, k := range keys {
		ki := pr.lay.keyIndex(k)
		var b int64
		for _, l := range es.links {
			o := j.occs[l.occ]
			if !o.inForce(ki) {
				continue
			}
			for si, term := range o.terms {
				if term.table != s.table {
					continue
				}
				if n, d, found := pr.impliedRatio(o, si, int(l.term), ki, true); found {
					b = max(b, (n*v+d-1)/d)
				}
			}
		}
		if b <= own {
			continue
		}
		leaves := es.leavesBelow(pr.lay, k)
		inside := len(leaves) > 0
		for _, l := range leaves {
			if !contains2(pr.lay, ek, l) {
				inside = false
				break
			}
		}
		if inside {
			own = b
		}
	}
	return own
}

// impliedRatio returns the ratio n/d such that, through occurrence o at key k, a value w of term si
// alone (every other cell free and non-negative) makes term ti at least (lower) or at most n/d * w.
// Written as c_t x_t + c_s w + sum(c_j x_j) <= 0 (an equality counts both ways), an upper bound
// needs c_t > 0 and c_s < 0, a lower bound c_t < 0 and c_s > 0, and either no other negative term
// (the others, non-negative, only tighten it; a negative one could absorb any x_t); a structural
// zero (a table without the key) is no term at all.
func (pr *protector) impliedRatio(o *occurrence, si, ti, k int, lower bool) (n, d int64, found bool) {
	orientations := []int64{1}
	if o.op == schemas.RelEq {
		orientations = []int64{1, -1}
	}
	for _, sign := range orientations {
		ct, cs := sign*o.terms[ti].coef, sign*o.terms[si].coef
		if (!lower && (ct <= 0 || cs >= 0)) || (lower && (ct >= 0 || cs <= 0)) {
			continue
		}
		ok := true
		for jt, term := range o.terms {
			if jt == si || jt == ti || pr.j.tables[term.table].cellAt[k] < 0 {
				continue
			}
			if sign*term.coef < 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		cn, cd := -cs, ct
		if lower {
			cn, cd = cs, -ct
		}
		if !found || (lower && cn*d > n*cd) || (!lower && cn*d < n*cd) {
			n, d, found = cn, cd, true
		}
	}
	return n, d, found
}

// leavesBelow returns the leaf keys of the table's grid that key k contains.
func (ts *tableState) leavesBelow(lay *layout, k CellKey) []CellKey {
	var out []CellKey
	for _, c := range ts.p.cells {
		if lay.isLeaf(c.key) && contains2(lay, k, c.key) {
			out = append(out, c.key)
		}
	}
	return out
}

// contains2 reports whether cell key a contains cell key b in both dimensions: b's area is a's or
// below it, and b's organization type is a's or a is the total over all types.
func contains2(lay *layout, a, b CellKey) bool {
	return (a.Org == schemas.OrgAll || a.Org == b.Org) && isAncestorOrSelf(lay.geo, a.Geo, b.Geo)
}

// direction is one of the two ways a sensitive cell must be able to move.
type direction struct {
	up   bool
	need int64
}

// secure checks that suppressed cell e can move up by req.up and down by req.down (and by at least 1
// in all) with cell fixed held at its value, appending the cells the witnesses move to supp. With
// extend it suppresses the cheapest further cells until that holds; without, it reports whether it
// holds.
func (pr *protector) secure(e, fixed cellRef, req requirement, extend bool, supp []cellRef) ([]cellRef, bool, error) {
	if req.up == 0 && req.down == 0 {
		// q = 0: only hi - lo >= 1 is required, so one unit either way will do.
		for _, up := range [2]bool{true, false} {
			if s, ok := pr.move(e, fixed, direction{up, 1}, supp); ok {
				return s, true, nil
			}
		}
		if !extend {
			return supp, false, nil
		}
		req.up = 1
	}
	for _, d := range [2]direction{{true, req.up}, {false, req.down}} {
		if d.need == 0 {
			continue
		}
		s, ok := pr.move(e, fixed, d, supp)
		if !ok && extend {
			var err error
			if s, ok, err = pr.extend(e, fixed, d, supp); err != nil {
				return supp, false, err
			}
		}
		if !ok {
			return supp, false, nil
		}
		supp = s
	}
	return supp, true, nil
}

// move looks for a witness of one direction without suppressing anything: a template whose
// members' suppressed cells carry the need. It appends the witness's cells to supp.
func (pr *protector) move(e, fixed cellRef, d direction, supp []cellRef) ([]cellRef, bool) {
	for _, tpl := range pr.j.templatesOf(e.table) {
		if !pr.usable(tpl, e, fixed) {
			continue
		}
		pr.load(e.table, tpl)
		if !pr.nw.free[e.cell] || pr.nw.room(e.cell, d.up) < d.need {
			continue
		}
		ok := pr.flow(e, fixed, tpl, d, false)
		if ok {
			supp = pr.witnessCells(e, tpl, supp)
		}
		pr.nw.restore()
		if ok {
			return supp, true
		}
	}
	if w, ok := pr.composite(e, fixed, d); ok {
		return append(supp, w.cells...), true
	}
	// A witness that widen found by linear programming is kept while its cells are withheld (a
	// fresh LP here, for every check of the republication pass, would cost too much).
	if w, ok := pr.recordedWitness(e, fixed, d); ok {
		return append(supp, w.cells...), true
	}
	return supp, false
}

// endpoints returns where the flow of a direction starts and ends, and the arc excluded as held.
func (pr *protector) endpoints(e, fixed cellRef, tpl *template, d direction) (src, dst, ex2 int32) {
	nw := pr.nw
	src, dst = nw.tail[e.cell], nw.head[e.cell]
	if d.up {
		// up: flow from the head back to the tail closes a cycle that e carries forward.
		src, dst = dst, src
	}
	ex2 = -1
	if fixed.table >= 0 {
		origin := pr.j.tables[e.table]
		k := pr.lay.keyIndex(pr.j.tables[fixed.table].p.cells[fixed.cell].key)
		for mi, mb := range tpl.members {
			if mb.table == fixed.table {
				if a := origin.cellAt[k]; a >= 0 && tpl.memberCell(mi, a) == fixed.cell {
					ex2 = a
				}
			}
		}
	}
	return src, dst, ex2
}

// flow pushes the need of direction d for e in the loaded template, suppressing the cheapest
// further cells when extend is set (Castro 2007's shortest-path step); every such step suppresses
// at least one cell, since the path search runs on the residual graph of a maximum flow. It leaves
// the flow in the network (restore undoes it) and reports whether the need was met.
func (pr *protector) flow(e, fixed cellRef, tpl *template, d direction, extend bool) bool {
	nw := pr.nw
	src, dst, ex2 := pr.endpoints(e, fixed, tpl, d)
	// Witnesses that avoid single-contributor cells spare the singleton checks, so those cells are
	// used only once the others cannot carry the need.
	avoid := true
	for flow := int64(0); flow < d.need; {
		pushed, _ := nw.augment(src, dst, e.cell, ex2, d.need-flow, avoid)
		if pushed > 0 {
			flow += pushed
			continue
		}
		if avoid {
			avoid = false
			continue
		}
		if !extend || !nw.cheapestPath(src, dst, e.cell, ex2, d.need-flow, pr.tw, pr.j.tables[e.table].base) {
			return false
		}
		for _, a := range nw.path {
			if nw.free[a] {
				continue
			}
			for mi, mb := range tpl.members {
				pr.suppress(cellRef{mb.table, tpl.memberCell(mi, a)})
			}
		}
	}
	return true
}

// witnessCells appends the cells the flow in the network moves (in every member) and e's partners
// in the other members, which move with it.
func (pr *protector) witnessCells(e cellRef, tpl *template, supp []cellRef) []cellRef {
	nw := pr.nw
	add := func(a int32) {
		for mi, mb := range tpl.members {
			if c := tpl.memberCell(mi, a); c >= 0 && !(mi == 0 && a == e.cell) {
				supp = append(supp, cellRef{mb.table, c})
			}
		}
	}
	add(e.cell)
	for _, a := range nw.touched {
		if nw.y[a] != nw.x[a] {
			add(a)
		}
	}
	return supp
}

// extend finds the cheapest template to protect one direction of e with further suppressions, and
// applies it. Each usable template is tried on the current pattern, what it would suppress costed
// (the members' cells at e's key included, which must move with e) and undone; the cheapest is then
// applied for good (ties go to the smaller template, the earlier in order).
func (pr *protector) extend(e, fixed cellRef, d direction, supp []cellRef) ([]cellRef, bool, error) {
	tpls := pr.j.templatesOf(e.table)
	best, bestCost := -1, int64(0)
	var candidates []int
	for ti, tpl := range tpls {
		if !pr.usable(tpl, e, fixed) {
			continue
		}
		pr.load(e.table, tpl)
		if pr.nw.room(e.cell, d.up) < d.need || pr.tw[e.cell] == noBound && !pr.nw.free[e.cell] {
			continue
		}
		candidates = append(candidates, ti)
	}
	if len(candidates) == 1 {
		best = candidates[0]
	} else {
		for _, ti := range candidates {
			cost, ok := pr.tryTemplate(e, fixed, tpls[ti], d)
			if ok && (best < 0 || cost < bestCost) {
				best, bestCost = ti, cost
			}
		}
	}
	if best >= 0 {
		tpl := tpls[best]
		pr.load(e.table, tpl)
		pr.openKey(e, tpl)
		ok := pr.flow(e, fixed, tpl, d, true)
		if ok {
			supp = pr.witnessCells(e, tpl, supp)
		}
		pr.nw.restore()
		if ok {
			return supp, true, nil
		}
	}
	if w, ok := pr.composite(e, fixed, d); ok {
		return append(supp, w.cells...), true, nil
	}
	if w, ok := pr.widen(e, fixed, d); ok {
		return append(supp, w.cells...), true, nil
	}
	return supp, false, nil
}

// openKey suppresses e's partners in the template's members, which must move with it.
func (pr *protector) openKey(e cellRef, tpl *template) {
	for mi, mb := range tpl.members[1:] {
		pr.suppress(cellRef{mb.table, tpl.memberCell(mi+1, e.cell)})
	}
}

// tryTemplate costs protecting one direction of e with tpl: it applies the extension, sums the
// weights of what it suppressed, and undoes it all.
func (pr *protector) tryTemplate(e, fixed cellRef, tpl *template, d direction) (int64, bool) {
	pr.load(e.table, tpl)
	pr.record, pr.trial = true, pr.trial[:0]
	pr.openKey(e, tpl)
	ok := pr.flow(e, fixed, tpl, d, true)
	pr.nw.restore()
	pr.record = false
	var cost int64
	for _, ref := range pr.trial {
		ts := pr.j.tables[ref.table]
		cost += ts.weight[ref.cell]
		ts.setFree(ref.cell, false)
		ts.secondary[ref.cell] = false
	}
	return cost, ok
}

// protectCell secures sensitive cell e against an outsider, with a swap where it needs one (zero.go),
// and records its witnesses' cells. With final false (tables in parallel) a missing swap leaves
// the cell to the joint phase; with final true it is recorded as having none.
func (pr *protector) protectCell(e cellRef, final bool) (bool, error) {
	ts := pr.j.tables[e.table]
	supp, ok, err := pr.secure(e, cellRef{-1, -1}, pr.need(e), true, ts.support[e.cell][:0])
	if err != nil || !ok {
		return false, err
	}
	if pr.zeroSwap(e) {
		w, ok := pr.swap(e, true)
		switch {
		case ok:
			pr.recordSwap(e, w)
			supp = append(supp, w.cells...)
		case !final:
			return false, nil
		default:
			if ts.noSwap == nil {
				ts.noSwap = make([]bool, len(ts.p.cells))
			}
			ts.noSwap[e.cell] = true
		}
	}
	pr.setSupport(e, supp)
	return true, nil
}

// needsSwap reports whether sensitive cell e is protected by a swap.
func (pr *protector) needsSwap(e cellRef) bool {
	ts := pr.j.tables[e.table]
	return pr.zeroSwap(e) && (ts.noSwap == nil || !ts.noSwap[e.cell])
}

// setSupport records the cells e's witnesses move.
func (pr *protector) setSupport(e cellRef, supp []cellRef) {
	slices.SortFunc(supp, compareRefs)
	supp = slices.Compact(supp)
	if cap(supp) > len(supp)+len(supp)/8 {
		// Every sensitive cell's support is kept until its group is proved: no room to spare.
		supp = slices.Clone(supp)
	}
	pr.j.tables[e.table].support[e.cell] = supp
	for _, s := range supp {
		dep := &pr.j.tables[s.table].dependents[s.cell]
		if n := len(*dep); n == 0 || (*dep)[n-1] != e {
			*dep = append(*dep, e)
		}
	}
}

// protectSingletons extends the protection of e until the rule holds when any one suppressed
// single-contributor cell is known (SPEC 4, singletons; Hundepool et al. 2012, ch. 4, the singleton
// problem). Only the singletons that e's witnesses move need a check: the other witnesses do not
// move them. A witness found here may move a singleton that this very step suppressed, so e's
// support is walked as a growing list. Suppressing more never invalidates a witness, so the cells
// done before stay done.
func (pr *protector) protectSingletons(e cellRef) (bool, error) {
	ts := pr.j.tables[e.table]
	supp := ts.support[e.cell]
	for i := 0; i < len(supp); i++ {
		s := supp[i]
		if s == e || !pr.singleton(s) || slices.Contains(supp[:i], s) {
			continue
		}
		req, ok := pr.singletonNeed(s, e)
		if !ok {
			continue
		}
		next, ok, err := pr.secure(e, s, req, true, supp)
		if err == nil && !ok && !pr.singleOnly {
			// No pattern found: if none can exist, the requirement is capped at what one can give.
			// Not with the single-table template alone (the tables in parallel): the phase with
			// every template may find one, and the cap's LP spans tables other workers change.
			if capped, changed := pr.capSingleton(e, s, req); changed {
				if capped.up == 0 && capped.down == 0 {
					continue
				}
				next, ok, err = pr.secure(e, s, capped, true, supp)
			}
		}
		if err != nil || !ok {
			return false, err
		}
		supp = next
	}
	pr.setSupport(e, supp)
	return true, nil
}

// verifyCell checks the full rule for sensitive cell e against the current pattern without
// suppressing anything: the interval, and the interval with each singleton its witness uses known.
// It returns the cells the witnesses move and the swap witness, when e needs one (zero.go); the
// caller records both if it keeps the pattern.
func (pr *protector) verifyCell(e cellRef, supp []cellRef) ([]cellRef, *witness, bool) {
	supp, ok, _ := pr.secure(e, cellRef{-1, -1}, pr.need(e), false, supp)
	if !ok {
		return supp, nil, false
	}
	var sw *witness
	if pr.needsSwap(e) {
		w, ok := pr.swap(e, false)
		if !ok {
			return supp, nil, false
		}
		sw = &w
		supp = append(supp, w.cells...)
	}
	normal := len(supp)
	for i := 0; i < normal; i++ {
		s := supp[i]
		if s == e || !pr.singleton(s) || slices.Contains(supp[:i], s) {
			continue
		}
		req, needed := pr.singletonNeed(s, e)
		if !needed {
			continue
		}
		if supp, ok, _ = pr.secure(e, s, req, false, supp); !ok {
			return supp, nil, false
		}
	}
	slices.SortFunc(supp, compareRefs)
	return slices.Compact(supp), sw, true
}

// sensitiveOrder returns the sensitive cells of table t, largest value first (ties in key order): a
// large cell needs a wide interval, and the cells suppressed for it often protect the small ones on
// the way (Castro 2007).
func (pr *protector) sensitiveOrder(t int32) []int32 {
	p := pr.j.tables[t].p
	var order []int32
	for i, c := range p.cells {
		if c.sensitive {
			order = append(order, int32(i))
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return p.cells[order[a]].value > p.cells[order[b]].value })
	return order
}

// protectAlone protects the sensitive cells of table t with single-table moves (phase A of
// protectJoint): each cell, then its singletons. It returns the cells that need moves with other
// tables, in the order they were met.
func (pr *protector) protectAlone(t int32) ([]int32, error) {
	var deferred []int32
	order := pr.sensitiveOrder(t)
	done := make([]bool, len(pr.j.tables[t].p.cells))
	for _, e := range order {
		ok, err := pr.protectCell(cellRef{t, e}, false)
		if err != nil {
			return nil, err
		}
		if !ok {
			deferred = append(deferred, e)
			continue
		}
		done[e] = true
	}
	for _, e := range order {
		if !done[e] {
			continue
		}
		ok, err := pr.protectSingletons(cellRef{t, e})
		if err != nil {
			return nil, err
		}
		if !ok && !slices.Contains(deferred, e) {
			deferred = append(deferred, e)
		}
	}
	return deferred, nil
}

// publishUnneeded tries to publish again each secondary suppression of the given tables (table by
// table, the heaviest first), and keeps it published when every sensitive cell whose witnesses move
// it still passes, singletons included. A cell that survives this pass is needed: publishing it
// alone breaks the rule, and publishing others later only narrows the intervals further.
func (pr *protector) publishUnneeded(tables []int32) {
	j := pr.j
	mark := map[cellRef]bool{}
	for _, t := range tables {
		ts := j.tables[t]
		if ts.frozen {
			continue
		}
		var cands []int32
		for i := range ts.p.cells {
			if ts.secondary[i] {
				cands = append(cands, int32(i))
			}
		}
		sort.SliceStable(cands, func(a, b int) bool { return ts.weight[cands[a]] > ts.weight[cands[b]] })
		for _, a := range cands {
			ref := cellRef{t, a}
			ts.setFree(a, false)
			clear(mark)
			ok := true
			type update struct {
				e    cellRef
				supp []cellRef
				swap *witness
			}
			var updates []update
			for _, e := range ts.dependents[a] {
				if mark[e] {
					continue
				}
				mark[e] = true
				es := j.tables[e.table]
				if _, in := slices.BinarySearchFunc(es.support[e.cell], ref, compareRefs); !in {
					continue
				}
				supp, sw, verified := pr.verifyCell(e, nil)
				if ok = verified; !ok {
					break
				}
				updates = append(updates, update{e, supp, sw})
			}
			if !ok {
				ts.setFree(a, true)
				continue
			}
			ts.secondary[a] = false
			for _, u := range updates {
				if u.swap != nil {
					pr.recordSwap(u.e, *u.swap)
				}
				pr.setSupport(u.e, u.supp)
			}
			// The dependents that no longer use the cell need not be asked again.
			ts.dependents[a] = ts.dependents[a][:0]
		}
	}
}

// describeCell names a cell for messages: "table 2019-09-16 exposed_systems: DE hospital".
func (pr *protector) describeCell(ref cellRef) string {
	p := pr.j.tables[ref.table].p
	k := p.cells[ref.cell].key
	return fmt.Sprintf("%s: cell %s %s", p.name(pr.lay.vocab), pr.lay.geo.Node(k.Geo).Code, pr.lay.vocab.Org(k.Org).Code)
}

// protectTable protects one table on its own (no relations with other tables) and returns its
// pattern; the tests' entry to the method.
func (pr *protector) protectTable(p *problem) (pattern, error) {
	j := &joint{lay: pr.lay, rules: pr.rules, tables: []*tableState{newTableState(pr.lay, p)}}
	if err := protectJoint(j, []*protector{pr}); err != nil {
		return pattern{}, err
	}
	ts := j.tables[0]
	return pattern{suppressed: slices.Clone(ts.free), secondary: slices.Clone(ts.secondary)}, nil
}

// isLeaf reports whether k is a leaf key: a country and an organization type.
func (l *layout) isLeaf(k CellKey) bool {
	return k.Org != schemas.OrgAll && l.geo.Node(k.Geo).Level == schemas.Country
}

// composite looks for a witness of one direction of e that no single template gives: a sum of
// template moves, each from the point the ones before reached, none suppressing anything. A single
// move keeps every member table on one circulation; a sum lets, say, one country's stock fall with
// its flows held while another's falls together with them (the bounds of each move are recomputed at
// the point reached). It returns the witness.
func (pr *protector) composite(e, fixed cellRef, d direction) (witness, bool) {
	var tpls []*template
	for _, tpl := range pr.j.templatesOf(e.table) {
		if pr.usable(tpl, e, fixed) {
			tpls = append(tpls, tpl)
		}
	}
	if len(tpls) < 2 {
		return witness{}, false
	}
	j := pr.j
	origin := j.tables[e.table]
	moved := map[cellRef]int64{}
	value := func(t, c int32) int64 { return j.tables[t].p.cells[c].value + moved[cellRef{t, c}] }
	// The keys at which a move so far changed a cell: the bounds of a template differ from its own
	// (taken at the truth) there alone (boundsAt), and so do the origin's reference values.
	var keys []int
	atKey := map[int]bool{}
	nw := pr.nw
	remaining := d.need
	for round := 0; remaining > 0 && round < 2*len(tpls); round++ {
		progress := false
		for _, tpl := range tpls {
			pr.load(e.table, tpl)
			// The network's reference values and bounds at the point reached, at the keys moved.
			for _, k := range keys {
				if i := origin.cellAt[k]; i >= 0 {
					pr.x[i] = value(e.table, i)
					nw.y[i] = pr.x[i]
					nw.lo[i], nw.hi[i] = j.boundsAt(tpl, value, i)
				}
			}
			if room := nw.room(e.cell, d.up); nw.free[e.cell] && room > 0 {
				step := direction{d.up, min(remaining, room)}
				if got := pr.flowUpTo(e, fixed, tpl, step); got > 0 {
					w := pr.extractWitness(e, tpl, direction{d.up, got})
					for i, c := range w.cells {
						moved[c] += w.delta[i]
						if k := pr.lay.keyIndex(j.tables[c.table].p.cells[c.cell].key); !atKey[k] {
							atKey[k] = true
							keys = append(keys, k)
						}
					}
					remaining -= got
					progress = true
				}
				nw.restore()
			}
			// Back to the truth and the template's own bounds: the network holds tpl as load left it.
			for _, k := range keys {
				if i := origin.cellAt[k]; i >= 0 {
					pr.x[i] = origin.p.cells[i].value
					nw.y[i] = pr.x[i]
					nw.lo[i], nw.hi[i] = tpl.lo[i], tpl.hi[i]
				}
			}
			if remaining == 0 {
				break
			}
		}
		if !progress {
			break
		}
	}
	if remaining > 0 {
		return witness{}, false
	}
	var w witness
	for c, dv := range moved {
		if dv != 0 {
			w.cells = append(w.cells, c)
		}
	}
	slices.SortFunc(w.cells, compareRefs)
	for _, c := range w.cells {
		w.delta = append(w.delta, moved[c])
	}
	return w, true
}

// flowUpTo pushes as much of d.need as the loaded network carries without suppressing anything, and
// returns how much (the flow stays in the network until restore).
func (pr *protector) flowUpTo(e, fixed cellRef, tpl *template, d direction) int64 {
	src, dst, ex2 := pr.endpoints(e, fixed, tpl, d)
	var flow int64
	for _, avoid := range [2]bool{true, false} {
		for flow < d.need {
			pushed, _ := pr.nw.augment(src, dst, e.cell, ex2, d.need-flow, avoid)
			if pushed == 0 {
				break
			}
			flow += pushed
		}
	}
	return flow
}

// widen is extend's last resort, for a direction of e that no template's shortest paths can open
// from the current pattern: it finds a witness as if every cell of e's templates' tables were
// withheld (but those that may not be), by the moves or, failing them, by linear programming
// (lpWitness), and withholds exactly the cells that witness moves. A witness that exists at all in
// those tables is found this way, at some cost in information; the pass that publishes unneeded
// cells again takes back what it can.
func (pr *protector) widen(e, fixed cellRef, d direction) (witness, bool) {
	j := pr.j
	saved := map[int32][]bool{}
	for _, tpl := range j.templatesOf(e.table) {
		if !pr.usable(tpl, e, fixed) {
			continue
		}
		for _, mb := range tpl.members {
			ts := j.tables[mb.table]
			if _, ok := saved[mb.table]; ok || ts.frozen {
				continue
			}
			saved[mb.table] = slices.Clone(ts.free)
			for i := range ts.free {
				if ts.locked == nil || !ts.locked[i] {
					ts.setFree(int32(i), true)
				}
			}
		}
	}
	w, ok := pr.moveWitness(e, fixed, d)
	for t, free := range saved {
		for i, f := range free {
			j.tables[t].setFree(int32(i), f)
		}
	}
	lpFound := false
	// With the single-table template alone (phase A) the LP's program is e's table with every other
	// table at its true values: the network with the template's bounds, whose maximum flow
	// moveWitness has just found short with every cell withheld. The LP cannot do better there, and
	// the cell is left to the phase that has every template.
	if !ok && !pr.singleOnly {
		if w, ok = pr.lpWitness(e, fixed, d, true, false); !ok {
			if w, ok = pr.lpWitness(e, fixed, d, false, false); !ok {
				w, ok = pr.lpWitness(e, fixed, d, false, true)
			}
		}
		lpFound = ok
	}
	if !ok {
		return witness{}, false
	}
	for _, c := range w.cells {
		if c != e {
			pr.suppress(c)
		}
	}
	if lpFound {
		if pr.ck.check(j, w, e, d, fixed) != "" {
			return witness{}, false
		}
		pr.recordWitness(e, fixed, d, w)
	}
	return w, true
}
