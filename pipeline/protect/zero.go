package protect

import (
	"slices"

	"github.com/exposure-research/exposure/schemas"
)

// Zeros behind an x. A method that never withholds a zero tells everyone that every x is at least 1,
// which no sensitive cell of value 1 survives (SPEC 4). Zeros are therefore suppressed as secondary
// cells (value cost 0, the per-cell charge), and a sensitive cell whose protection must let it reach
// 0 (its downward need is its whole value: a 1 with q = 0.2) is protected by a swap: a witness in
// which it is 0 while a zero that is withheld beside it rises in its place, every other withheld
// positive count staying at least 1. The truth has a zero behind an x where the cell is, and a point
// of the joint system has the cell at 0 with no other withheld count at 0: an attacker who assumes
// every x is at least 1 is wrong there, and one who allows a single zero cannot tell the cell from
// the zero. This is the role of tau-ARGUS's zero
// safety rule (zero cells can be made unsafe so that an x may hide them; de Wolf et al., tau-ARGUS
// user's manual, "zero unsafe"), applied only where it protects a cell.
//
// Where no zero can stand behind a cell (a table whose every cell is positive, or a move that
// pins them), the cell keeps its ordinary protection and is counted (Result.Summary.WithoutSwap).

// zeroSwap reports whether sensitive cell e needs a swap: its downward need takes it to 0.
func (pr *protector) zeroSwap(e cellRef) bool {
	v := pr.j.tables[e.table].p.cells[e.cell].value
	return v > 0 && pr.need(e).down >= v
}

// swapBounds returns the template's bounds with positive cells kept at 1 or more in every member,
// and which origin keys are zeros in every member (a zero moves up only with all members moving up).
func (j *joint) swapBounds(tpl *template) (lo, hi []int64, zero []bool) {
	if tpl.zlo != nil {
		return tpl.zlo, tpl.zhi, tpl.zero
	}
	origin := j.tables[tpl.members[0].table]
	m := len(origin.p.cells)
	tpl.zlo, tpl.zhi, tpl.zero = make([]int64, m), make([]int64, m), make([]bool, m)
	for i, c := range origin.p.cells {
		lo, hi := tpl.lo[i], tpl.hi[i]
		zero := true
		for mi, mb := range tpl.members {
			mc := tpl.memberCell(mi, int32(i))
			if mc < 0 {
				zero = false
				continue
			}
			v := j.tables[mb.table].p.cells[mc].value
			if v == 0 {
				if mb.sign < 0 {
					zero = false
				}
				continue
			}
			zero = false
			// The member's cell v + sign*f >= 1, in the origin's scale f = y - x.
			if mb.sign > 0 {
				lo = max(lo, c.value-(v-1))
			} else if hi == noBound || hi > c.value+(v-1) {
				hi = c.value + (v - 1)
			}
		}
		tpl.zlo[i], tpl.zhi[i], tpl.zero[i] = lo, hi, zero && c.value == 0
	}
	return tpl.zlo, tpl.zhi, tpl.zero
}

// swapPath looks for one path from src to dst, avoiding ex1 and ex2, that can carry need with every
// arc within the network's current bounds and passes at least one zero arc forward (a search over
// two copies of the nodes: before and after the zero). With extend, published arcs may be on it at
// their weight (noBound: never), the cheapest path found (Dijkstra); without, only free arcs.
// It leaves the path's arcs in nw.path, each with its net number of passes along it (negative:
// against it) in nw.pathMul.
func (nw *network) swapPath(src, dst, ex1, ex2 int32, need int64, zero []bool, weight []int64, extend bool) bool {
	n := int32(len(nw.adjStart) - 1)
	if cap(nw.dist2) < int(2*n) {
		nw.dist2 = make([]int64, 2*n)
		nw.seen2 = make([]uint32, 2*n)
		nw.pred2 = make([]int32, 2*n)
		nw.predState = make([]int32, 2*n)
	}
	nw.epoch2++
	if nw.epoch2 == 0 {
		clear(nw.seen2)
		nw.epoch2 = 1
	}
	h := nw.heap[:0]
	start := src // layer 0
	nw.seen2[start], nw.dist2[start] = nw.epoch2, 0
	h = heapPush(h, heapItem{0, start})
	goal := n + dst // layer 1
	found := false
	for len(h) > 0 {
		var it heapItem
		it, h = heapPop(h)
		state := it.node
		if it.dist != nw.dist2[state] {
			continue
		}
		if state == goal {
			found = true
			break
		}
		layer, node := state/n, state%n
		end := nw.freeEnd[node]
		if extend {
			end = nw.adjStart[node+1]
		}
		for _, half := range nw.adj[nw.adjStart[node]:end] {
			a := half.arc
			if a == ex1 || a == ex2 || nw.room(a, half.fwd) < need {
				continue
			}
			c := int64(costFree)
			if !nw.free[a] {
				if weight[a] == noBound {
					continue
				}
				c = weight[a]
			}
			next := layer*n + half.next
			if layer == 0 && half.fwd && zero[a] {
				next = n + half.next
			}
			d := it.dist + c
			if nw.seen2[next] != nw.epoch2 || d < nw.dist2[next] {
				nw.seen2[next], nw.dist2[next] = nw.epoch2, d
				nw.pred2[next], nw.predState[next] = a, state
				h = heapPush(h, heapItem{d, next})
			}
		}
	}
	nw.heap = h[:0]
	if !found {
		return false
	}
	// The path runs through two copies of the nodes, so it may pass a node twice, or an arc twice:
	// it is then a path plus cycles, a move all the same, taken by its net change on each arc,
	// which must stay within the bounds and raise a zero.
	nw.path, nw.pathMul = nw.path[:0], nw.pathMul[:0]
	for s := goal; s != start; s = nw.predState[s] {
		a := nw.pred2[s]
		mul := int64(-1)
		if nw.head[a] == s%n && nw.tail[a] == nw.predState[s]%n {
			mul = 1
		}
		if i := slices.Index(nw.path, a); i >= 0 {
			nw.pathMul[i] += mul
			continue
		}
		nw.path = append(nw.path, a)
		nw.pathMul = append(nw.pathMul, mul)
	}
	raised := false
	for i, a := range nw.path {
		m := nw.pathMul[i]
		switch {
		case m > 0 && (nw.hi[a] != noBound && nw.y[a]+m*need > nw.hi[a]):
			return false
		case m < 0 && nw.y[a]+m*need < nw.lo[a]:
			return false
		}
		if m > 0 && zero[a] {
			raised = true
		}
	}
	return raised
}

// pushPath moves need times each arc's multiplier along nw.path.
func (nw *network) pushPath(need int64) {
	for i, a := range nw.path {
		nw.touch(a)
		nw.y[a] += nw.pathMul[i] * need
	}
}

// swap finds the swap witness of sensitive cell e (zeroSwap), in the first template that has one;
// with extend it suppresses the cheapest cells that make one, in the single-table template first and
// then the others. Failing that, the witness recorded for e, if its cells are all still withheld.
// It returns the witness; the caller records it (recordSwap) together with e's support, so that
// a recorded swap moves only cells that e's support lists and republication asks e about.
func (pr *protector) swap(e cellRef, extend bool) (witness, bool) {
	none := cellRef{-1, -1}
	d := direction{false, pr.j.tables[e.table].p.cells[e.cell].value}
	for _, allowExtend := range [2]bool{false, true} {
		if allowExtend && !extend {
			break
		}
		for _, tpl := range pr.j.templatesOf(e.table) {
			if !pr.usable(tpl, e, none) {
				continue
			}
			pr.load(e.table, tpl)
			if !pr.nw.free[e.cell] || pr.nw.room(e.cell, false) < d.need {
				continue
			}
			if w, ok := pr.swapFlow(e, tpl, d, allowExtend); ok {
				return w, true
			}
		}
	}
	// The witness found before, if its cells are all still withheld, is still one (a later search
	// may miss it: see swapPath).
	return pr.recordedSwap(e)
}

// recordSwap keeps e's swap witness.
func (pr *protector) recordSwap(e cellRef, w witness) {
	ts := pr.j.tables[e.table]
	if ts.swaps == nil {
		ts.swaps = map[int32]witness{}
	}
	ts.swaps[e.cell] = w
}

// recordedSwap returns e's recorded swap witness when every cell it moves is still withheld.
func (pr *protector) recordedSwap(e cellRef) (witness, bool) {
	w, ok := pr.j.tables[e.table].swaps[e.cell]
	if !ok {
		return witness{}, false
	}
	for _, c := range w.cells {
		if !pr.j.tables[c.table].free[c.cell] {
			return witness{}, false
		}
	}
	return w, true
}

// swapFlow runs the swap search for e in the loaded template, with the template's positivity
// bounds in place of its bounds for the search, and returns the witness.
func (pr *protector) swapFlow(e cellRef, tpl *template, d direction, extend bool) (witness, bool) {
	nw := pr.nw
	zlo, zhi, zero := pr.j.swapBounds(tpl)
	// The totals above e fall with it (a country with one leaf has a total that is the leaf): they
	// may reach 0 too, and keep the template's bounds. The network searches within zlo and zhi,
	// those totals set aside and put back after.
	origin := pr.j.tables[e.table]
	ek := origin.p.cells[e.cell].key
	type saved struct {
		i      int32
		lo, hi int64
	}
	above := make([]saved, 0, 2*len(schemas.GeoLevels))
	for a := range pr.lay.geo.AndUp(ek.Geo) {
		for _, o := range [2]schemas.OrgID{ek.Org, schemas.OrgAll} {
			if i := origin.cellAt[pr.lay.keyIndex(CellKey{a, o})]; i >= 0 && (len(above) == 0 || above[len(above)-1].i != i) {
				above = append(above, saved{i, zlo[i], zhi[i]})
				zlo[i], zhi[i] = tpl.lo[i], tpl.hi[i]
			}
		}
	}
	lo, hi := nw.lo, nw.hi
	nw.lo, nw.hi = zlo, zhi
	defer func() {
		nw.lo, nw.hi = lo, hi
		for _, s := range slices.Backward(above) {
			zlo[s.i], zhi[s.i] = s.lo, s.hi
		}
	}()
	src, dst, _ := pr.endpoints(e, cellRef{-1, -1}, tpl, d)
	if !nw.swapPath(src, dst, e.cell, -1, d.need, zero, pr.tw, extend) {
		return witness{}, false
	}
	if extend {
		for _, a := range nw.path {
			if !nw.free[a] {
				for mi, mb := range tpl.members {
					pr.suppress(cellRef{mb.table, tpl.memberCell(mi, a)})
				}
			}
		}
	}
	nw.pushPath(d.need)
	w := pr.extractWitness(e, tpl, d)
	nw.restore()
	return w, true
}

// swapsZero reports whether witness w is a swap for e: e goes to 0, no other withheld positive
// count does but the totals that hold e (which fall with it), and a withheld zero rises (with it the
// zero totals above it, which are zeros too).
func swapsZero(j *joint, w witness, e cellRef) bool {
	ek := j.tables[e.table].p.cells[e.cell].key
	up, eDown := 0, false
	for i, c := range w.cells {
		cell := j.tables[c.table].p.cells[c.cell]
		switch {
		case cell.value > 0 && cell.value+w.delta[i] == 0:
			if c == e {
				eDown = true
			} else if !contains2(j.lay, cell.key, ek) {
				return false
			}
		case cell.value == 0 && w.delta[i] > 0:
			up++
		}
	}
	return eDown && up >= 1
}
