package protect

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/exposure-research/exposure/internal/lp"
	"github.com/exposure-research/exposure/schemas"
)

// linRow is one linear constraint on the suppressed cells of the joint problem after the published
// cells are substituted: sum(coefs * vars) op rhs.
type linRow struct {
	vars  []int32
	coefs []int64
	op    schemas.RelOp // RelEq or RelLe
	rhs   int64
	what  string // the relation it stands for, for messages; "" for a table's additive relation
}

// linSystem is what an attacker can write down about the suppressed cells: their additive relations,
// the relations between metrics and non-negativity (each variable >= 0).
type linSystem struct {
	vars  []cellRef // the suppressed cells, in table then cell order
	varOf [][]int32 // per table, per cell: the variable, or -1 for a published cell
	rows  []linRow
}

// buildSystem writes the joint problem j (whose free cells are the suppressed ones, with values 0
// there when they are not known) as a linear system.
func buildSystem(j *joint) *linSystem {
	sys := &linSystem{varOf: make([][]int32, len(j.tables))}
	for t, ts := range j.tables {
		sys.varOf[t] = make([]int32, len(ts.p.cells))
		for i := range ts.p.cells {
			sys.varOf[t][i] = -1
			if ts.free[i] {
				sys.varOf[t][i] = int32(len(sys.vars))
				sys.vars = append(sys.vars, cellRef{int32(t), int32(i)})
			}
		}
	}
	// Each table's additive relations: conservation at every node of its network.
	for t, ts := range j.tables {
		p := ts.p
		type term struct {
			cell int32
			sign int64
		}
		at := map[int32][]term{}
		var nodes []int32
		for i := range p.cells {
			for _, n := range [2]struct {
				node int32
				sign int64
			}{{p.head[i], 1}, {p.tail[i], -1}} {
				if _, ok := at[n.node]; !ok {
					nodes = append(nodes, n.node)
				}
				at[n.node] = append(at[n.node], term{int32(i), n.sign})
			}
		}
		slices.Sort(nodes)
		for _, n := range nodes {
			var r linRow
			for _, tm := range at[n] {
				if v := sys.varOf[t][tm.cell]; v >= 0 {
					r.vars, r.coefs = append(r.vars, v), append(r.coefs, tm.sign)
				} else {
					r.rhs -= tm.sign * p.cells[tm.cell].value
				}
			}
			if len(r.vars) > 0 {
				sys.rows = append(sys.rows, r)
			}
		}
	}
	// The relations between metrics, at every key in force where a term is suppressed.
	for _, o := range j.occs {
		keys := map[int]bool{}
		for _, term := range o.terms {
			ts := j.tables[term.table]
			for i, c := range ts.p.cells {
				if ts.free[i] {
					keys[j.lay.keyIndex(c.key)] = true
				}
			}
		}
		sorted := make([]int, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			if !o.inForce(k) {
				continue
			}
			r := linRow{op: o.op, what: o.name}
			for _, term := range o.terms {
				ts := j.tables[term.table]
				c := ts.cellAt[k]
				switch {
				case c < 0:
				case sys.varOf[term.table][c] >= 0:
					r.vars, r.coefs = append(r.vars, sys.varOf[term.table][c]), append(r.coefs, term.coef)
				default:
					r.rhs -= term.coef * ts.p.cells[c].value
				}
			}
			if len(r.vars) > 0 {
				sys.rows = append(sys.rows, r)
			}
		}
	}
	return sys
}

// components splits the system into its connected parts: variables linked by a row. It returns,
// per part, its variables (ascending) and its rows.
func (sys *linSystem) components() (vars [][]int32, rows [][]int) {
	parent := make([]int32, len(sys.vars))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(a int32) int32 {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	for _, r := range sys.rows {
		for _, v := range r.vars[1:] {
			if a, b := find(r.vars[0]), find(v); a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	index := map[int32]int{}
	for v := range sys.vars {
		root := find(int32(v))
		if _, ok := index[root]; !ok {
			index[root] = len(vars)
			vars = append(vars, nil)
			rows = append(rows, nil)
		}
		vars[index[root]] = append(vars[index[root]], int32(v))
	}
	for i, r := range sys.rows {
		c := index[find(r.vars[0])]
		rows[c] = append(rows[c], i)
	}
	return vars, rows
}

// lpSolution is the exact LP interval of each variable of a part, with the optimal points.
type lpPart struct {
	sys   *linSystem
	vars  []int32       // the part's variables
	col   map[int32]int // variable -> LP column
	prob  *lp.Problem
	lo    []float64 // per column
	hi    []float64 // per column; +inf when unbounded
	argLo [][]float64
	argHi [][]float64
}

// intervalTolerance is how close an LP optimum must be to an integer to be taken as that integer:
// the counts are integers of at most 2^50 and every coefficient is a small integer, so an optimum
// that is not an integer is a fraction with a small denominator, far from this. A value that is
// not taken as an integer is confirmed in exact arithmetic.
const intervalTolerance = 1e-7

// solvePart computes the interval of every variable of one part with GLPK. keep says whether the
// optimal points are kept (for the singleton checks). The caller must hold its OS thread.
func solvePart(sys *linSystem, vars []int32, rows []int, keep bool) (*lpPart, error) {
	part := &lpPart{sys: sys, vars: vars, col: make(map[int32]int, len(vars))}
	for c, v := range vars {
		part.col[v] = c
	}
	prob, err := lp.New(len(vars))
	if err != nil {
		return nil, err
	}
	part.prob = prob
	for _, ri := range rows {
		r := sys.rows[ri]
		cols := make([]int, len(r.vars))
		coefs := make([]float64, len(r.vars))
		for i, v := range r.vars {
			cols[i], coefs[i] = part.col[v], float64(r.coefs[i])
		}
		op := lp.Eq
		if r.op == schemas.RelLe {
			op = lp.Le
		}
		if err := prob.AddRow(cols, coefs, op, float64(r.rhs)); err != nil {
			prob.Close()
			return nil, err
		}
	}
	part.lo = make([]float64, len(vars))
	part.hi = make([]float64, len(vars))
	if keep {
		part.argLo = make([][]float64, len(vars))
		part.argHi = make([][]float64, len(vars))
	}
	for c := range vars {
		for _, maximize := range [2]bool{false, true} {
			val, st, err := optimize(prob, c, maximize)
			if err != nil {
				prob.Close()
				return nil, err
			}
			switch st {
			case lp.Infeasible:
				prob.Close()
				var names []string
				for _, ri := range rows {
					if w := sys.rows[ri].what; w != "" && !slices.Contains(names, w) {
						names = append(names, w)
					}
				}
				return nil, fmt.Errorf("no non-negative values of the suppressed cells satisfy the published cells together with the relations %s", strings.Join(names, ", "))
			case lp.Unbounded:
				part.hi[c] = math.Inf(1)
				continue
			}
			if maximize {
				part.hi[c] = val
			} else {
				part.lo[c] = val
			}
			if keep {
				point := make([]float64, len(vars))
				for k := range point {
					point[k] = prob.Value(k)
				}
				if maximize {
					part.argHi[c] = point
				} else {
					part.argLo[c] = point
				}
			}
		}
	}
	return part, nil
}

// optimize returns a column's optimum, as an exact integer when it is one and confirmed in rational
// arithmetic otherwise.
func optimize(prob *lp.Problem, col int, maximize bool) (float64, lp.Status, error) {
	val, st, err := prob.Optimize(col, maximize, false)
	if err != nil || st != lp.Optimal {
		return val, st, err
	}
	if r := math.Round(val); math.Abs(val-r) < intervalTolerance {
		return r, st, nil
	}
	return prob.Optimize(col, maximize, true)
}

// jointIntervals computes the interval of every suppressed cell of j, exact: by flows for the
// tables whose suppressed cells no relation between metrics links (there the LP bounds are flow
// bounds), by the LP over each connected part otherwise. parts receives the LP parts (closed by
// the caller) when not nil.
func jointIntervals(j *joint, keepParts bool) ([]Interval, []*lpPart, error) {
	sys := buildSystem(j)
	vars, rows := sys.components()
	linked := make([]bool, len(sys.vars))
	for c := range vars {
		for _, ri := range rows[c] {
			if sys.rows[ri].what != "" {
				for _, v := range vars[c] {
					linked[v] = true
				}
				break
			}
		}
	}
	out := make([]Interval, len(sys.vars))
	// Tables with a variable outside every linked part: flows, per table.
	nw := newNetwork(j.lay)
	for t, ts := range j.tables {
		need := false
		for i := range ts.p.cells {
			if v := sys.varOf[t][i]; v >= 0 && !linked[v] {
				need = true
				break
			}
		}
		if !need {
			continue
		}
		ivs, err := flowIntervals(j.lay, nw, ts)
		if err != nil {
			return nil, nil, err
		}
		k := 0
		for i := range ts.p.cells {
			if v := sys.varOf[t][i]; v >= 0 {
				if !linked[v] {
					out[v] = ivs[k]
				}
				k++
			}
		}
	}
	var parts []*lpPart
	err := func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for c := range vars {
			if !linked[vars[c][0]] {
				continue
			}
			part, err := solvePart(sys, vars[c], rows[c], keepParts)
			if err != nil {
				return err
			}
			for ci, v := range part.vars {
				ref := sys.vars[v]
				p := j.tables[ref.table].p
				iv := Interval{Period: p.period, Metric: p.metric, Cell: p.cells[ref.cell].key, Lo: part.lo[ci], Hi: part.hi[ci]}
				if math.IsInf(iv.Hi, 1) {
					iv.Hi, iv.Unbounded = 0, true
				}
				out[v] = iv
			}
			if keepParts {
				parts = append(parts, part)
			} else {
				part.prob.Close()
			}
		}
		return nil
	}()
	if err != nil {
		for _, p := range parts {
			p.prob.Close()
		}
		return nil, nil, err
	}
	// An earlier release's tables are knowledge, not the subject: only this release's cells.
	kept := out[:0]
	for v, iv := range out {
		if j.tables[sys.vars[v].table].target {
			kept = append(kept, iv)
		}
	}
	return kept, parts, nil
}

// flowIntervals derives the interval of every suppressed cell of one table from its published cells
// by flows (Castro 2007: LP bounds of a network are flow bounds), in cell order.
func flowIntervals(lay *layout, nw *network, ts *tableState) ([]Interval, error) {
	p := ts.p
	x := make([]int64, len(p.cells))
	for i, c := range p.cells {
		x[i] = c.value
	}
	nw.load(p.tail, p.head, x)
	nw.setPattern(ts.free)
	if n, ok := nw.feasible(); !ok {
		return nil, fmt.Errorf("%s: no non-negative values of the suppressed cells satisfy the relation %s",
			p.name(lay.vocab), lay.relation(n))
	}
	var ivs []Interval
	for i := range p.cells {
		if !ts.free[i] {
			continue
		}
		e := int32(i)
		iv := Interval{Period: p.period, Metric: p.metric, Cell: p.cells[i].key}
		up, unbounded := nw.slack(nw.head[e], nw.tail[e], e, -1, math.MaxInt64)
		nw.restore()
		down, _ := nw.slack(nw.tail[e], nw.head[e], e, -1, x[e])
		nw.restore()
		iv.Lo, iv.Unbounded = float64(x[e]-down), unbounded
		if !unbounded {
			iv.Hi = float64(x[e] + up)
		}
		ivs = append(ivs, iv)
	}
	return ivs, nil
}
