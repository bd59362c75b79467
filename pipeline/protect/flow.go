package protect

import (
	"math"
)

// maxCount is the largest cell value the exact arithmetic accepts: flows are sums of at most a few
// thousand cell values, which then stay far below the int64 range.
const maxCount = int64(1) << 50

// noBound is an arc's upper bound when nothing caps it.
const noBound = int64(math.MaxInt64)

// network is the residual-graph machinery of one table: the cells as arcs with a reference feasible
// flow x (the true values in the build; any table consistent with the published cells in the
// outsider's audit), and the buffers of the searches. One network per worker is reused for every
// table, so the inner loops do not allocate.
//
// In the residual graph a suppressed (free) arc a = u->v can carry more (forward, up to hi[a] - y[a])
// and less (backward, down to lo[a]: y[a] - lo[a]); a published arc is fixed and absent. Without
// relations between tables the bounds are those of non-negativity, lo = 0 and hi = +inf (noBound);
// a relation with a cell of another table held at its value bounds an arc further (see joint.go).
// The upward slack of a suppressed cell e = u->v is the maximum flow from v to u without e, the
// downward slack the maximum flow from u to v without e (each also capped by e's own bounds).
type network struct {
	lay        *layout
	tail, head []int32
	x          []int64 // reference values
	y          []int64 // working values during a search; equal to x between searches
	lo, hi     []int64 // bounds of the working values; hi == noBound is +inf
	// The arcs' lists: the network's own (load), or a template's view in the protection (tplView),
	// which keeps them from one load to the next.
	*arcLists
	own arcLists

	seen    []uint32 // per node: == epoch when visited in the current search
	epoch   uint32
	pred    []int32 // per node: arc by which the search reached it
	queue   []int32
	dist    []int64
	heap    []heapItem
	touched []int32 // arcs whose y differs or differed from x since the last restore
	mark    []uint32
	markGen uint32
	path    []int32
	pathMul []int64 // with swapPath: the net passes of each arc of path, negative against it

	// The two-layer search of swapPath.
	dist2     []int64
	seen2     []uint32
	epoch2    uint32
	pred2     []int32
	predState []int32
}

// arcLists is which arcs of a table are free and to be avoided, and the adjacency lists of its
// nodes, each node's free arcs first.
type arcLists struct {
	free     []bool  // suppressed arcs; change only through setFree
	avoid    []bool  // arcs a witness should use only when it must: cells with a single contributor
	adjStart []int32 // CSR adjacency: arcs at node n are adj[adjStart[n]:adjStart[n+1]],
	freeEnd  []int32 // the free ones first, in adj[adjStart[n]:freeEnd[n]], so searches skip the rest
	adj      []halfArc
	pos      []int32 // position of arc a in its tail's list (2a) and its head's list (2a+1)
	fill     []int32 // build's fill pointers
}

// halfArc is an arc as seen from one of its nodes. It carries the node at the other end and the
// direction, so that the searches' inner loops step across an arc without reading its tail and
// head: on the 1,000,000-row synthetic dataset this took augment, the largest part of a build's CPU
// time, from 4.05 to 3.38 s (pprof, one run each).
type halfArc struct {
	arc  int32 // the cell
	next int32 // the node at the other end
	fwd  bool  // the arc leaves this node: stepping across it goes along it
}

type heapItem struct {
	dist int64
	node int32
}

func newNetwork(lay *layout) *network {
	n := lay.nodes
	nw := &network{lay: lay, seen: make([]uint32, n), pred: make([]int32, n), dist: make([]int64, n)}
	nw.arcLists = &nw.own
	return nw
}

// load sets the network to the arcs of p with reference values x and no arc free, in its own lists.
func (nw *network) load(tail, head []int32, x []int64) {
	nw.loadValues(tail, head, x)
	nw.arcLists = &nw.own
	nw.own.build(tail, head, len(nw.seen), nil)
	nw.avoid = growBool(nw.avoid, len(tail))
	clear(nw.avoid)
}

// loadValues sets the network to the arcs of p with reference values x and the bounds of
// non-negativity, leaving the arcs' lists to the caller.
func (nw *network) loadValues(tail, head []int32, x []int64) {
	m := len(tail)
	nw.tail, nw.head = tail, head
	nw.x = x
	nw.y = grow(nw.y, m)
	copy(nw.y, x)
	nw.lo = grow(nw.lo, m)
	clear(nw.lo)
	nw.hi = grow(nw.hi, m)
	for a := range nw.hi {
		nw.hi[a] = noBound
	}
	nw.mark = growU32(nw.mark, m)
	clear(nw.mark)
	nw.markGen = 1
}

// build sets the lists to the arcs tail -> head over the given number of nodes, those that free
// marks free (nil: none), each node's free arcs placed first as setFree keeps them.
func (l *arcLists) build(tail, head []int32, nodes int, free []bool) {
	m := len(tail)
	l.free = growBool(l.free, m)
	if free != nil {
		copy(l.free, free)
	} else {
		clear(l.free)
	}
	l.adjStart = growI32(l.adjStart, nodes+1)
	clear(l.adjStart)
	for a := 0; a < m; a++ {
		l.adjStart[tail[a]+1]++
		l.adjStart[head[a]+1]++
	}
	for i := 1; i < len(l.adjStart); i++ {
		l.adjStart[i] += l.adjStart[i-1]
	}
	if cap(l.adj) < 2*m {
		l.adj = make([]halfArc, 2*m)
	}
	l.adj = l.adj[:2*m]
	l.pos = growI32(l.pos, 2*m)
	// Two passes over the arcs, the free ones first, each node's list filled from its start: after
	// the first pass the fill pointers are where the node's free arcs end.
	l.freeEnd = append(l.freeEnd[:0], l.adjStart[:nodes]...)
	place := func(a int, fill []int32) {
		l.pos[2*a] = fill[tail[a]]
		l.adj[fill[tail[a]]] = halfArc{arc: int32(a), next: head[a], fwd: true}
		fill[tail[a]]++
		l.pos[2*a+1] = fill[head[a]]
		l.adj[fill[head[a]]] = halfArc{arc: int32(a), next: tail[a]}
		fill[head[a]]++
	}
	for a := 0; a < m && free != nil; a++ {
		if free[a] {
			place(a, l.freeEnd)
		}
	}
	l.fill = append(l.fill[:0], l.freeEnd...)
	for a := 0; a < m; a++ {
		if free == nil || !free[a] {
			place(a, l.fill)
		}
	}
}

// setFree suppresses (free) or publishes (fixes) arc a, keeping each node's free arcs first.
func (nw *network) setFree(a int32, free bool) { nw.arcLists.setFree(nw.tail, nw.head, a, free) }

// setFree suppresses (free) or publishes (fixes) arc a = tail[a] -> head[a], keeping each node's
// free arcs first.
func (l *arcLists) setFree(tail, head []int32, a int32, free bool) {
	if l.free[a] == free {
		return
	}
	l.free[a] = free
	for end, n := range [2]int32{tail[a], head[a]} {
		var q int32
		if free {
			q = l.freeEnd[n]
			l.freeEnd[n]++
		} else {
			l.freeEnd[n]--
			q = l.freeEnd[n]
		}
		p := l.pos[2*int(a)+end]
		b := l.adj[q]
		l.adj[p], l.adj[q] = b, l.adj[p]
		l.pos[2*int(a)+end] = q
		if b.fwd { // b leaves n: n is its tail
			l.pos[2*int(b.arc)] = p
		} else {
			l.pos[2*int(b.arc)+1] = p
		}
	}
}

// nextEpoch starts a new search: every node is unvisited.
func (nw *network) nextEpoch() {
	nw.epoch++
	if nw.epoch == 0 {
		clear(nw.seen)
		nw.epoch = 1
	}
}

// touch records that arc a's working value changes.
func (nw *network) touch(a int32) {
	if nw.mark[a] != nw.markGen {
		nw.mark[a] = nw.markGen
		nw.touched = append(nw.touched, a)
	}
}

// restore sets every working value back to the reference values.
func (nw *network) restore() {
	for _, a := range nw.touched {
		nw.y[a] = nw.x[a]
	}
	nw.touched = nw.touched[:0]
	nw.markGen++
	if nw.markGen == 0 {
		clear(nw.mark)
		nw.markGen = 1
	}
}

// augment finds a shortest augmenting path from src to dst over free arcs other than ex1 and ex2
// (Edmonds-Karp), and with avoid set also other than the arcs marked to avoid, and pushes
// min(path capacity, need) along it. It returns the amount pushed (0 when there is no path) and
// whether the path had unbounded capacity (no arc traversed backward).
func (nw *network) augment(src, dst, ex1, ex2 int32, need int64, avoid bool) (int64, bool) {
	nw.nextEpoch()
	nw.seen[src] = nw.epoch
	q := append(nw.queue[:0], src)
	found := false
	for i := 0; i < len(q) && !found; i++ {
		n := q[i]
		for _, h := range nw.adj[nw.adjStart[n]:nw.freeEnd[n]] {
			a, next := h.arc, h.next
			if a == ex1 || a == ex2 || (avoid && nw.avoid[a]) {
				continue
			}
			if nw.seen[next] == nw.epoch || !nw.canMove(a, h.fwd) {
				continue
			}
			nw.seen[next] = nw.epoch
			nw.pred[next] = a
			if next == dst {
				found = true
				break
			}
			q = append(q, next)
		}
	}
	nw.queue = q[:0]
	if !found {
		return 0, false
	}
	return nw.push(src, dst, need)
}

// canMove reports whether arc a can carry more (fwd) or less flow than it does now.
func (nw *network) canMove(a int32, fwd bool) bool {
	if fwd {
		return nw.y[a] < nw.hi[a]
	}
	return nw.y[a] > nw.lo[a]
}

// push sends min(capacity, need) along the path that pred describes from src to dst.
func (nw *network) push(src, dst int32, need int64) (int64, bool) {
	capacity := int64(math.MaxInt64)
	for n := dst; n != src; {
		a := nw.pred[n]
		if nw.head[a] == n {
			if nw.hi[a] != noBound {
				capacity = min(capacity, nw.hi[a]-nw.y[a])
			}
			n = nw.tail[a]
		} else {
			capacity = min(capacity, nw.y[a]-nw.lo[a])
			n = nw.head[a]
		}
	}
	unbounded := capacity == math.MaxInt64
	amount := min(capacity, need)
	for n := dst; n != src; {
		a := nw.pred[n]
		nw.touch(a)
		if nw.head[a] == n {
			nw.y[a] += amount
			n = nw.tail[a]
		} else {
			nw.y[a] -= amount
			n = nw.head[a]
		}
	}
	return amount, unbounded
}

// slack returns min(need, maximum flow from src to dst over free arcs other than ex1 and ex2), the
// flow left in y (restore undoes it). need may be math.MaxInt64 for the exact maximum; unbounded
// reports a path of unbounded capacity.
func (nw *network) slack(src, dst, ex1, ex2 int32, need int64) (flow int64, unbounded bool) {
	for flow < need {
		pushed, inf := nw.augment(src, dst, ex1, ex2, need-flow, false)
		if inf {
			return need, true
		}
		if pushed == 0 {
			break
		}
		flow += pushed
	}
	return flow, false
}

// costFree is what an already suppressed cell costs on a cheapest path: almost nothing, as its
// information is lost anyway, but not zero, so that of two equally cheap paths the shorter wins.
const costFree = 1

// suppressionCost is the weight of suppressing a published cell of the given value: the value
// itself (prefer small cells: the information lost is the suppressed total, tau-ARGUS's default
// weight; Hundepool et al. 2012, ch. 4, cost functions) plus a fixed charge per cell, base, the
// largest leaf of the table (prefer few cells, on the table's own scale). Measured on 10 random
// full-size tables: this suppresses 62% less value than a weight of 1 + log(value), for 1.6% more
// cells; a unit weight is worse on both counts (6% more cells, 4x the value); the median leaf as
// base costs 7% more cells.
func suppressionCost(value, base int64) int64 {
	return base + value
}

// cheapestPath finds the cheapest path from src to dst (Dijkstra) over free arcs and published arcs
// other than ex1 and ex2 that could move in the direction of the path once suppressed, where a
// published arc costs its weight: the cheapest set of cells whose suppression opens a further
// augmenting path. A published zero can be on the path forward (a zero may be suppressed to protect
// another cell: value cost 0, but the per-cell charge). A weight of noBound marks a cell that may not
// be suppressed. It leaves the path's arcs in nw.path.
//
// A cell whose room is too small to carry the remaining need costs shortfall more, because the path
// will have to be complemented by another.
func (nw *network) cheapestPath(src, dst, ex1, ex2 int32, need int64, weight []int64, shortfall int64) bool {
	nw.nextEpoch()
	h := nw.heap[:0]
	nw.dist[src] = 0
	nw.seen[src] = nw.epoch
	h = heapPush(h, heapItem{0, src})
	found := false
	for len(h) > 0 {
		var it heapItem
		it, h = heapPop(h)
		n := it.node
		if it.dist != nw.dist[n] {
			continue
		}
		if n == dst {
			found = true
			break
		}
		for _, half := range nw.adj[nw.adjStart[n]:nw.adjStart[n+1]] {
			a, next, fwd := half.arc, half.next, half.fwd
			if a == ex1 || a == ex2 || !nw.canMove(a, fwd) {
				continue
			}
			c := int64(costFree)
			if !nw.free[a] {
				c = weight[a]
				if c == noBound {
					continue
				}
			}
			if room := nw.room(a, fwd); room < need {
				c += shortfall
			}
			d := it.dist + c
			if nw.seen[next] != nw.epoch || d < nw.dist[next] {
				nw.seen[next] = nw.epoch
				nw.dist[next] = d
				nw.pred[next] = a
				h = heapPush(h, heapItem{d, next})
			}
		}
	}
	nw.heap = h[:0]
	if !found {
		return false
	}
	nw.path = nw.path[:0]
	for n := dst; n != src; {
		a := nw.pred[n]
		nw.path = append(nw.path, a)
		if nw.head[a] == n {
			n = nw.tail[a]
		} else {
			n = nw.head[a]
		}
	}
	return true
}

// room returns how far arc a can move from its working value in one direction.
func (nw *network) room(a int32, fwd bool) int64 {
	if fwd {
		if nw.hi[a] == noBound {
			return noBound
		}
		return nw.hi[a] - nw.y[a]
	}
	return nw.y[a] - nw.lo[a]
}

func heapLess(a, b heapItem) bool {
	return a.dist < b.dist || (a.dist == b.dist && a.node < b.node)
}

func heapPush(h []heapItem, it heapItem) []heapItem {
	h = append(h, it)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !heapLess(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []heapItem) (heapItem, []heapItem) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && heapLess(h[l], h[m]) {
			m = l
		}
		if r < len(h) && heapLess(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

func grow(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	return s[:n]
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growU32(s []uint32, n int) []uint32 {
	if cap(s) < n {
		return make([]uint32, n)
	}
	return s[:n]
}

func growBool(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	return s[:n]
}

// setPattern makes exactly the arcs marked in suppressed free.
func (nw *network) setPattern(suppressed []bool) {
	for a, s := range suppressed {
		nw.setFree(int32(a), s)
	}
}
