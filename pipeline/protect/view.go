package protect

// A template's view is what loading it into the network derives from the joint state, per origin
// arc: whether the arc is free (its cells suppressed in every member), to be avoided (one of them
// has a single contributor) and what suppressing it costs. Computing it reads every member's cell at
// every arc; the checks of the protection switch between the few templates of a table thousands of
// times while only a handful of cells change in between. So each protector keeps the views it
// computed, and a view catches up with a member table by the cells changed since it last looked:
// every change of a table's pattern goes through tableState.setFree, which counts it (version) and
// stamps the cell.

// tplView is one template's view, current up to seen.
type tplView struct {
	tpl   *template
	free  []bool
	avoid []bool
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
		if len(old.free) == len(tpl.lo) {
			v = old // reuse its buffers
		}
	}
	m := len(tpl.lo)
	if v == nil {
		v = &tplView{free: make([]bool, m), avoid: make([]bool, m), tw: make([]int64, m)}
	}
	v.tpl, v.used, v.seen = tpl, c.clock, v.seen[:0]
	for _, mb := range tpl.members {
		v.seen = append(v.seen, pr.j.tables[mb.table].version)
	}
	for a := int32(0); a < int32(m); a++ {
		pr.refresh(v, a)
	}
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
		for c, st := range ts.stamp {
			if st <= since {
				continue
			}
			a := int32(c)
			if mi > 0 {
				if a = origin.cellAt[pr.lay.keyIndex(ts.p.cells[c].key)]; a < 0 || tpl.partners[mi-1][a] != int32(c) {
					continue
				}
			}
			pr.refresh(v, a)
		}
		v.seen[mi] = ts.version
	}
}

// refresh recomputes the freeness, avoidance and cost of origin arc a in view v from the joint state,
// and in the network when it holds v.
func (pr *protector) refresh(v *tplView, a int32) {
	tpl := v.tpl
	free, avoid := true, false
	var cost int64
	for mi, mb := range tpl.members {
		c := tpl.memberCell(mi, a)
		if c < 0 {
			free, cost = false, noBound
			break
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
	v.free[a], v.avoid[a], v.tw[a] = free, avoid, cost
	if pr.view == v {
		pr.nw.setFree(a, free)
		pr.nw.avoid[a] = avoid
	}
}
