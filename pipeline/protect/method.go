package protect

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// protectJoint protects every target table of j (sdcTable's protectTable, for the joint problem)
// with the protectors prs as workers, and proves the result; the tests' entry.
func protectJoint(j *joint, prs []*protector) error {
	return protectJointCtx(context.Background(), j, prs, nil)
}

// protectJointCtx chooses the secondary suppressions of the joint problem in three phases, then
// proves them:
//
//	A. every table on its own, in parallel: each sensitive cell (largest first) secured by
//	   single-table moves, extending the pattern by Castro's shortest paths, then its singletons;
//	   a cell that no single-table move can protect (an identity pins it, or a relation caps it
//	   below its need) is left for B;
//	B. the cells left, one after another in table order, with every template: each template's
//	   extension is costed on the current pattern and the cheapest applied;
//	C. the tables joined into groups by the witnesses that move cells of several of them, each
//	   group in parallel: every secondary cell tried for publication again, then every witness
//	   found anew and checked independently (witness.go), and the suppressed cells that no
//	   witness moves (they protect nothing, and nothing shows them) published.
//
// done, if set, is called once per table when its group is finished.
func protectJointCtx(ctx context.Context, j *joint, prs []*protector, done func()) error {
	for _, pr := range prs {
		pr.attach(j)
	}
	deferred := make([][]int32, len(j.tables))
	err := parallel(ctx, len(j.tables), prs, func(pr *protector, t int) error {
		pr.singleOnly, pr.allowed = true, nil
		if !j.tables[t].target {
			return nil
		}
		var err error
		deferred[t], err = pr.protectAlone(int32(t))
		return err
	})
	if err != nil {
		return err
	}
	pr := prs[0]
	pr.singleOnly, pr.allowed = false, nil
	var failures []error
	for t, cells := range deferred {
		for _, e := range cells {
			ref := cellRef{int32(t), e}
			ok, err := pr.protectCell(ref, true)
			if err == nil && ok {
				ok, err = pr.protectSingletons(ref)
			}
			if err != nil {
				return err
			}
			if !ok && !j.waive(ref) {
				failures = append(failures, fmt.Errorf("%s cannot be protected: no pattern gives it an interval of v(1±q) for v = %d%s",
					pr.describeCell(ref), j.tables[t].p.cells[e].value, j.earlierCause(ref)))
			}
		}
	}
	if len(failures) > 0 {
		if j.earlier != nil && len(j.earlier.names) > 0 {
			failures = append(failures, errors.New(frozenAdvice))
		}
		return errors.Join(failures...)
	}
	groups := j.groups()
	return parallel(ctx, len(groups), prs, func(pr *protector, g int) error {
		group := groups[g]
		pr.singleOnly = false
		pr.allowed = make([]bool, len(j.tables))
		for _, t := range group {
			pr.allowed[t] = true
		}
		pr.publishUnneeded(group)
		err := pr.prove(group)
		for _, t := range group {
			j.tables[t].release()
		}
		if done != nil {
			for range group {
				done()
			}
		}
		return err
	})
}

// groups joins the tables that a witness links: a sensitive cell's table with the tables of every
// cell its witnesses move. Each group, sorted, can then be finished on its own; the groups come in
// the order of their first table.
func (j *joint) groups() [][]int32 {
	parent := make([]int32, len(j.tables))
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
	for t, ts := range j.tables {
		for _, supp := range ts.support {
			for _, s := range supp {
				if a, b := find(int32(t)), find(s.table); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	index := map[int32]int{}
	var out [][]int32
	for t := range j.tables {
		root := find(int32(t))
		g, ok := index[root]
		if !ok {
			g = len(out)
			index[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], int32(t))
	}
	return out
}

// prove finds every witness of the group's sensitive cells anew on the final pattern, checks each
// with checkWitness, and then publishes the suppressed cells that no checked witness moves: they
// protect no sensitive cell, and an outsider could not move them either (or, if it could, they
// would still protect nothing). A sensitive cell without witnesses is an error: the method failed.
func (pr *protector) prove(group []int32) error {
	j := pr.j
	moved := map[cellRef]bool{}
	var problems []string
	for _, t := range group {
		ts := j.tables[t]
		if !ts.target {
			continue
		}
		for i, c := range ts.p.cells {
			if !c.sensitive || (ts.waived != nil && ts.waived[i]) {
				continue
			}
			e := cellRef{t, int32(i)}
			if !ts.free[i] {
				problems = append(problems, pr.describeCell(e)+": sensitive cell is published")
				continue
			}
			if msg := pr.proveCell(e, moved); msg != "" {
				problems = append(problems, pr.describeCell(e)+": "+msg)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the proof of the suppression pattern failed: %s", strings.Join(problems, "; "))
	}
	for _, t := range group {
		ts := j.tables[t]
		if ts.frozen || !ts.target {
			continue
		}
		for i, c := range ts.p.cells {
			if ts.free[i] && !c.sensitive && !moved[cellRef{t, int32(i)}] {
				ts.setFree(int32(i), false)
				ts.secondary[i] = false
			}
		}
	}
	return nil
}

// proveCell finds and checks the witnesses of sensitive cell e: up and down against an outsider,
// and the same with each singleton they move held at its value. It adds the cells they move to
// moved and returns what failed, or "".
func (pr *protector) proveCell(e cellRef, moved map[cellRef]bool) string {
	none := cellRef{-1, -1}
	var cells []cellRef
	check := func(fixed cellRef, req requirement) string {
		dirs := []direction{{true, req.up}, {false, req.down}}
		if req.up == 0 && req.down == 0 {
			for _, d := range []direction{{true, 1}, {false, 1}} {
				if w, ok := pr.findWitness(e, fixed, d); ok {
					if msg := pr.ck.check(pr.j, w, e, d, fixed); msg != "" {
						return msg
					}
					for _, c := range w.cells {
						moved[c] = true
					}
					cells = append(cells, w.cells...)
					return ""
				}
			}
			return "no witness moves it by 1"
		}
		for _, d := range dirs {
			if d.need == 0 {
				continue
			}
			w, ok := pr.findWitness(e, fixed, d)
			if !ok {
				what := "down"
				if d.up {
					what = "up"
				}
				if fixed.table >= 0 {
					return fmt.Sprintf("no witness moves it %s by %d when the single contributor of %s knows its value", what, d.need, pr.describeCell(fixed))
				}
				return fmt.Sprintf("no witness moves it %s by %d", what, d.need)
			}
			if msg := pr.ck.check(pr.j, w, e, d, fixed); msg != "" {
				return msg
			}
			for _, c := range w.cells {
				moved[c] = true
			}
			cells = append(cells, w.cells...)
		}
		return ""
	}
	if msg := check(none, pr.need(e)); msg != "" {
		return msg
	}
	if pr.needsSwap(e) {
		w, ok := pr.swap(e, false)
		if !ok {
			return "no swap with a withheld zero takes it to 0"
		}
		d := direction{false, pr.j.tables[e.table].p.cells[e.cell].value}
		if msg := pr.ck.check(pr.j, w, e, d, none); msg != "" {
			return msg
		}
		if !swapsZero(pr.j, w, e) {
			return "its swap does not keep the number of withheld zeros"
		}
		for _, c := range w.cells {
			moved[c] = true
		}
		cells = append(cells, w.cells...)
	}
	outsider := len(cells)
	seen := map[cellRef]bool{}
	for _, s := range cells[:outsider] {
		if s == e || seen[s] || !pr.singleton(s) {
			continue
		}
		seen[s] = true
		req, ok := pr.singletonNeed(s, e)
		if !ok {
			continue
		}
		if msg := check(s, req); msg != "" {
			return msg
		}
	}
	return ""
}
