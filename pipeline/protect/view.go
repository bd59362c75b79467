package protect

// A template's view is what loading it into the network derives from the joint state, per origin
// arc: whether the arc is free (its cells suppressed in every member), to be avoided (one of them
// has a single contributor) and what suppressing it costs. Computing it reads every member's cell at
// every arc; the checks of the protection switch between the few templates of a table thousands of
// times while only a handful of cells change in between. So each protector keeps the views it
// computed, and a view catches up with a member table by the cells changed since it last looked:
// every change of a table's pattern goes through tableState.setFree, which counts it (version),
// stamps the cell and logs it (the last few), so a view reads the log, or the stamps when it is far
// behind.

// tplView is one template's view, current up to seen.
type tplView struct {
	tpl   *template
	lists arcLists // free and avoid per arc, and the origin's adjacency lists with the free arcs first
	tw    []int64
	seen  []uint32 // per member: the version of its table the view reflects
	used  uint64   // when it was last loaded, for eviction
}

// maxViews bounds the views a protector keeps (a few megabytes for tables of 2,448 cells); the one
// loaded longest ago goes first.
const maxViews = 128

// viewCache holds a protector's views.
type viewCache struct {
	views map[*template]*tplView
	clock uint64
}

// viewOf returns tpl's view, up to date, computing it on first use.
func (pr *protector) viewOf(tpl *template) *tplView {
	c := &pr.views
	c.clock++
	if v, ok := c.views[tpl]; ok {
		v.used = c.clock
		pr.sync(v)
		return v
	}
	if c.views == nil {
		c.views = map[*template]*tplView{}
	}
	var v *tplView
	if len(c.views) >= maxViews {
		var old *tplView
		for _, w := range c.views {
			if w != pr.view && (old == nil || w.used < old.used) {
				old = w
			}
		}
		delete(c.views, old.tpl)
		v = old // its buffers are reused
	} else {
		v = &tplView{}
	}
	m := len(tpl.lo)
	v.tpl, v.used, v.seen = tpl, c.clock, v.seen[:0]
	for _, mb := range tpl.members {
		v.seen = append(v.seen, pr.j.tables[mb.table].version)
	}
	pr.free = growBool(pr.free, m)
	v.lists.avoid = growBool(v.lists.avoid, m)
	v.tw = grow(v.tw, m)
	for a := int32(0); a < int32(m); a++ {
		pr.free[a], v.lists.avoid[a], v.tw[a] = pr.arcState(tpl, a)
	}
	p := pr.j.tables[tpl.members[0].table].p
	v.lists.build(p.tail, p.head, pr.lay.nodes, pr.free)
	c.views[tpl] = v
	return v
}

// sync brings view v up to date with the cells of its members changed since it last looked, and the
// network too when it holds v.
func (pr *protector) sync(v *tplView) {
	j := pr.j
	tpl := v.tpl
	origin := j.tables[tpl.members[0].table]
	for mi, mb := range tpl.members {
		ts := j.tables[mb.table]
		since := v.seen[mi]
		if ts.version == since {
			continue
		}
		at := func(c int32) {
			a := c
			if mi > 0 {
				if a = origin.cellAt[pr.lay.keyIndex(ts.p.cells[c].key)]; a < 0 || tpl.partners[mi-1][a] != c {
					return
				}
			}
			pr.refresh(v, a)
		}
		if since >= ts.logBase {
			for _, c := range ts.log[since-ts.logBase:] {
				at(c) // a cell changed twice is refreshed twice, to the same state
			}
		} else {
			for c, st := range ts.stamp {
				if st > since {
					at(int32(c))
				}
			}
		}
		v.seen[mi] = ts.version
	}
}

// refresh recomputes the freeness, avoidance and cost of origin arc a in view v from the joint
// state; the network sees it when it holds v.
func (pr *protector) refresh(v *tplView, a int32) {
	free, avoid, cost := pr.arcState(v.tpl, a)
	if v.lists.free[a] != free {
		p := pr.j.tables[v.tpl.members[0].table].p
		v.lists.setFree(p.tail, p.head, a, free)
	}
	v.lists.avoid[a], v.tw[a] = avoid, cost
}

// arcState returns whether origin arc a is free under tpl (its cells suppressed in every member),
// to be avoided (one of them has a single contributor), and what suppressing the rest costs
// (noBound: some may not be suppressed).
func (pr *protector) arcState(tpl *template, a int32) (free, avoid bool, cost int64) {
	free = true
	for mi, mb := range tpl.members {
		c := tpl.memberCell(mi, a)
		if c < 0 {
			return false, avoid, noBound
		}
		ts := pr.j.tables[mb.table]
		if ts.free[c] {
			if ts.p.cells[c].contributors == 1 {
				avoid = true
			}
			continue
		}
		free = false
		if cost == noBound || ts.frozen || (ts.locked != nil && ts.locked[c]) {
			cost = noBound
			continue
		}
		cost += ts.weight[c]
	}
	return free, avoid, cost
}
