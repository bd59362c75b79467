package protect

import (
	"math"
	"runtime"
	"slices"

	"github.com/exposure-research/exposure/internal/lp"
	"github.com/exposure-research/exposure/schemas"
)

// lpWitness is widen's exact fallback: a witness of one direction of e found by linear programming
// (GLPK) over the tables of e's templates, every other table held at its true values. The variables
// are the cells of those tables that may be withheld (all of them but the locked ones, the frozen
// tables' published ones and the fixed cell); the constraints are the tables' additive relations, the
// relations between metrics at every key (cells of other tables at their values), non-negativity and
// e's bound (at most v - need, or at least v + need). Among the points that satisfy them it takes
// one closest to the truth, counting a move of a withheld cell as almost free and of a published
// one at its suppression cost, so that the witness withholds few and small cells. The point is a
// vertex of a system of small integer coefficients, in practice integral; it is rounded and
// accepted only when checkWitness confirms it exactly. Sums of template moves cannot reach every
// point of the joint system (a move of flows alone, say, beside one of stocks and flows); the LP can.
//
// With freeOnly the variables are the withheld cells alone: a witness on the current pattern, which
// suppresses nothing, from a smaller program.
//
// With wide the program spans every table linked to e's table through the relations, at any
// distance (those the groups of the proof allow): the last resort, for a move no template of at
// most maxTemplateMembers tables expresses (a stock whose flows are known moves only with the
// flows of the next periods).
func (pr *protector) lpWitness(e, fixed cellRef, d direction, freeOnly, wide bool) (witness, bool) {
	w, _, ok := pr.lpProgram(e, fixed, d, freeOnly, wide, false)
	return w, ok
}

// reach returns how far sensitive cell e can move in direction d, with cell fixed held at its value,
// if every cell of every table linked to e's could be withheld (all but the locked ones and those
// of frozen tables): the most any pattern can give it. A requirement beyond it cannot be met by
// any pattern, whatever else is suppressed.
func (pr *protector) reach(e, fixed cellRef, d direction) (int64, bool) {
	_, x, ok := pr.lpProgram(e, fixed, d, false, true, true)
	if !ok {
		return 0, false
	}
	v := float64(pr.j.tables[e.table].p.cells[e.cell].value)
	if d.up {
		return int64(math.Floor(x - v + intervalTolerance)), true
	}
	return int64(math.Floor(v - x + intervalTolerance)), true
}

// lpProgram is lpWitness's program; with probe it finds the extreme of e in direction d instead
// of a witness and returns it.
func (pr *protector) lpProgram(e, fixed cellRef, d direction, freeOnly, wide, probe bool) (witness, float64, bool) {
	j := pr.j
	tables := map[int32]bool{}
	for _, tpl := range j.templatesOf(e.table) {
		if pr.usable(tpl, e, fixed) {
			for _, mb := range tpl.members {
				tables[mb.table] = true
			}
		}
	}
	if wide {
		queue := []int32{e.table}
		tables[e.table] = true
		for len(queue) > 0 {
			t := queue[0]
			queue = queue[1:]
			for _, l := range j.tables[t].links {
				for _, term := range j.occs[l.occ].terms {
					u := term.table
					if !tables[u] && (pr.allowed == nil || pr.allowed[u]) {
						tables[u] = true
						queue = append(queue, u)
					}
				}
			}
		}
	}
	order := sortedTables(tables)
	// Columns: per variable cell x = truth + plus - minus, the two moves weighted in the objective.
	var cols []lpColumn
	colOf := map[cellRef]int{}
	for _, t := range order {
		ts := j.tables[t]
		for i := range ts.p.cells {
			ref := cellRef{t, int32(i)}
			if ref == fixed || (!ts.free[i] && (freeOnly || ts.frozen || (ts.locked != nil && ts.locked[i]))) {
				continue
			}
			w := float64(costFree)
			if !ts.free[i] {
				w = float64(ts.weight[i])
			}
			colOf[ref] = len(cols)
			cols = append(cols, lpColumn{ref, w})
		}
	}
	if _, ok := colOf[e]; !ok || len(cols) == 0 {
		return witness{}, 0, false
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := len(cols)
	prob, err := lp.New(3 * n) // x, plus, minus
	if err != nil {
		return witness{}, 0, false
	}
	defer prob.Close()
	value := func(ref cellRef) int64 { return j.tables[ref.table].p.cells[ref.cell].value }
	for c, col := range cols {
		// x - plus + minus = truth
		if prob.AddRow([]int{c, n + c, 2*n + c}, []float64{1, -1, 1}, lp.Eq, float64(value(col.ref))) != nil {
			return witness{}, 0, false
		}
	}
	ev := float64(value(e))
	var err2 error
	switch {
	case probe:
	case d.up:
		err2 = prob.SetBounds(colOf[e], ev+float64(d.need), math.Inf(1))
	default:
		err2 = prob.SetBounds(colOf[e], 0, ev-float64(d.need))
	}
	if err2 != nil {
		return witness{}, 0, false
	}
	// Additive relations of each table: conservation at every node of its network.
	for _, t := range order {
		p := j.tables[t].p
		at := map[int32][][2]int64{}
		for i := range p.cells {
			at[p.head[i]] = append(at[p.head[i]], [2]int64{int64(i), 1})
			at[p.tail[i]] = append(at[p.tail[i]], [2]int64{int64(i), -1})
		}
		for node := int32(0); node < int32(j.lay.nodes); node++ {
			terms, ok := at[node]
			if !ok {
				continue
			}
			var idx []int
			var coefs []float64
			var rhs float64
			for _, tm := range terms {
				ref := cellRef{t, int32(tm[0])}
				if c, ok := colOf[ref]; ok {
					idx, coefs = append(idx, c), append(coefs, float64(tm[1]))
				} else {
					rhs -= float64(tm[1] * value(ref))
				}
			}
			if len(idx) > 0 && prob.AddRow(idx, coefs, lp.Eq, rhs) != nil {
				return witness{}, 0, false
			}
		}
	}
	// Relations between metrics at every key of the tables where a term is a variable.
	done := map[int32]bool{}
	for _, t := range order {
		for _, l := range j.tables[t].links {
			if done[l.occ] {
				continue
			}
			done[l.occ] = true
			o := j.occs[l.occ]
			// The keys in order: the order of the rows steers the simplex, and of several optimal
			// points it reaches one, so a map's order here made the witness, and the pattern built
			// on it, differ from run to run.
			var keys []int
			for _, term := range o.terms {
				if tables[term.table] {
					for _, c := range j.tables[term.table].p.cells {
						keys = append(keys, j.lay.keyIndex(c.key))
					}
				}
			}
			slices.Sort(keys)
			for _, k := range slices.Compact(keys) {
				if !o.inForce(k) {
					continue
				}
				var idx []int
				var coefs []float64
				var rhs float64
				for _, term := range o.terms {
					ts := j.tables[term.table]
					ci := ts.cellAt[k]
					if ci < 0 {
						continue
					}
					ref := cellRef{term.table, ci}
					if c, ok := colOf[ref]; ok {
						idx, coefs = append(idx, c), append(coefs, float64(term.coef))
					} else {
						rhs -= float64(term.coef * value(ref))
					}
				}
				if len(idx) == 0 {
					continue
				}
				op := lp.Eq
				if o.op == schemas.RelLe {
					op = lp.Le
				}
				if prob.AddRow(idx, coefs, op, rhs) != nil {
					return witness{}, 0, false
				}
			}
		}
	}
	c := make([]float64, 3*n)
	if probe {
		c[colOf[e]] = 1
		if d.up {
			c[colOf[e]] = -1
		}
		obj, st, err := prob.Minimize(c)
		if err != nil || st != lp.Optimal {
			return witness{}, 0, false
		}
		return witness{}, math.Abs(obj), true
	}
	for i, col := range cols {
		c[n+i], c[2*n+i] = col.weight, col.weight
	}
	if _, st, err := prob.Minimize(c); err != nil || st != lp.Optimal {
		return witness{}, 0, false
	}
	w := witness{}
	deltas := map[cellRef]int64{}
	for c, col := range cols {
		x := prob.Value(c)
		r := math.Round(x)
		if math.Abs(x-r) > intervalTolerance {
			return witness{}, 0, false
		}
		if dv := int64(r) - value(col.ref); dv != 0 {
			deltas[col.ref] = dv
		}
	}
	for _, t := range order {
		for i := range j.tables[t].p.cells {
			ref := cellRef{t, int32(i)}
			if dv, ok := deltas[ref]; ok {
				w.cells, w.delta = append(w.cells, ref), append(w.delta, dv)
			}
		}
	}
	return w, 0, true
}

// lpColumn is a cell of lpWitness's program and what moving it costs.
type lpColumn struct {
	ref    cellRef
	weight float64
}
