package protect

import (
	"fmt"
	"slices"
	"sort"

	"github.com/exposure-research/exposure/schemas"
)

// protector is one worker's state: the network and the buffers it reuses from table to table.
type protector struct {
	lay   *layout
	rules *rules
	b     *builder
	nw    *network

	x         []int64
	weight    []int64   // per cell: suppressionCost
	base      int64     // the per-cell charge of suppressionCost: the largest leaf
	secondary []bool    // per cell: suppressed to protect another
	support   [][]int32 // per sensitive cell: the arcs its current witnesses use, sorted
	order     []int32   // the sensitive cells, largest value first
	pending   []pendingSupport
}

// pendingSupport is a sensitive cell's new witness support, committed only when a trial publication
// of a secondary cell succeeds.
type pendingSupport struct {
	cell    int32
	support []int32
}

func newProtector(lay *layout, r *rules) *protector {
	return &protector{lay: lay, rules: r, b: newBuilder(lay, r, nil), nw: newNetwork(lay)}
}

// pattern is a suppression pattern of one table: which cells are withheld, and of those which were
// chosen to protect others (the secondary suppressions). Only tests look at the split.
type pattern struct {
	suppressed []bool
	secondary  []bool
}

// load prepares the network for p with the true values as the reference flow and the primary cells
// suppressed.
func (pr *protector) load(p *problem) {
	m := len(p.cells)
	pr.x = grow(pr.x, m)
	pr.weight = grow(pr.weight, m)
	pr.secondary = growBool(pr.secondary, m)
	clear(pr.secondary)
	pr.base = 1
	for i, c := range p.cells {
		pr.x[i] = c.value
		if c.key.Org != schemas.OrgAll && pr.lay.geo.Node(c.key.Geo).Level == schemas.Country {
			pr.base = max(pr.base, c.value)
		}
	}
	for i, c := range p.cells {
		pr.weight[i] = suppressionCost(c.value, pr.base)
	}
	pr.nw.load(p.tail, p.head, pr.x)
	for i, c := range p.cells {
		pr.nw.setFree(int32(i), c.sensitive)
		pr.nw.avoid[i] = c.contributors == 1
	}
	if cap(pr.support) < m {
		pr.support = make([][]int32, m)
	}
	pr.support = pr.support[:m]
	pr.order = pr.order[:0]
	for i, c := range p.cells {
		pr.support[i] = pr.support[i][:0]
		if c.sensitive {
			pr.order = append(pr.order, int32(i))
		}
	}
	// Largest first: a large cell needs a wide interval, and the cells suppressed for it often
	// protect the small ones on the way (Castro 2007). Cells are in key order already.
	sort.SliceStable(pr.order, func(i, j int) bool { return p.cells[pr.order[i]].value > p.cells[pr.order[j]].value })
}

// protectTable chooses the secondary suppressions of one table (sdcTable's protectTable): a
// shortest-path heuristic in the spirit of Castro (2007), with exact flow checks deciding every step.
func (pr *protector) protectTable(p *problem) (pattern, error) {
	pr.load(p)
	nw := pr.nw
	var err error
	for _, e := range pr.order {
		if pr.support[e], _, err = pr.secure(p, e, -1, pr.need(p, e), true, pr.support[e][:0]); err != nil {
			return pattern{}, err
		}
		pr.support[e] = sortUnique(pr.support[e])
	}
	if err := pr.protectSingletons(p); err != nil {
		return pattern{}, err
	}
	pr.publishUnneeded(p)
	pat := pattern{suppressed: make([]bool, len(p.cells)), secondary: make([]bool, len(p.cells))}
	copy(pat.suppressed, nw.free)
	copy(pat.secondary, pr.secondary[:len(p.cells)])
	return pat, nil
}

// singleton reports whether suppressed cell s has a single contributor, who knows its value.
func (pr *protector) singleton(p *problem, s int32) bool {
	return pr.nw.free[s] && p.cells[s].contributors == 1
}

// requirement is the slack a suppressed sensitive cell needs: how far its value must be able to move
// up and down given everything the attacker knows. Both are integers, so up >= ceil(v q) is exactly
// hi >= v(1+q), and likewise down; when both are 0 (q = 0) it still needs hi - lo >= 1.
type requirement struct {
	up, down int64
}

// need returns the requirement of sensitive cell e against an outsider: ceil(v q) each way.
func (pr *protector) need(p *problem, e int32) requirement {
	t := pr.rules.interval.ceilMul(p.cells[e].value)
	return requirement{t, t}
}

// singletonNeed returns the requirement of sensitive cell e against the single contributor of
// suppressed cell s, who knows its own value v(s), and whether there is one. Where s and e share no
// leaf it is the outsider's. Where they do, the contributor owns k = v(s ∩ e) of e: e cannot fall
// below k in its eyes, so the downward need is capped at v - k (the rule asks the impossible
// otherwise), and a cell that is all its own (k = v) needs nothing (the reasoning of the p% rule:
// what must stay uncertain is what the others contributed; Hundepool et al. 2012, 4.2). The upward
// need stays ceil(v q).
func (pr *protector) singletonNeed(p *problem, s, e int32) (requirement, bool) {
	v := p.cells[e].value
	own := p.overlap(pr.lay, p.cells[s].key, p.cells[e].key)
	if v-own <= 0 {
		return requirement{}, false
	}
	t := pr.rules.interval.ceilMul(v)
	return requirement{up: t, down: min(t, v-own)}, true
}

// protectSingletons extends the pattern until the rule holds for every sensitive cell when any one
// suppressed single-contributor cell is known (SPEC 4, singletons; Hundepool et al. 2012, ch. 4,
// the singleton problem). Only the singletons that a sensitive cell's witnesses use need a check:
// the other witnesses do not move them. A witness found here may use a singleton that this very
// step suppressed, so each cell's support is walked as a growing list. Suppressing more never
// invalidates a witness, so the cells done before stay done.
func (pr *protector) protectSingletons(p *problem) error {
	for _, e := range pr.order {
		for i := 0; i < len(pr.support[e]); i++ {
			s := pr.support[e][i]
			if s == e || !pr.singleton(p, s) || slices.Contains(pr.support[e][:i], s) {
				continue
			}
			req, ok := pr.singletonNeed(p, s, e)
			if !ok {
				continue
			}
			var err error
			if pr.support[e], _, err = pr.secure(p, e, s, req, true, pr.support[e]); err != nil {
				return err
			}
		}
		pr.support[e] = sortUnique(pr.support[e])
	}
	return nil
}

// publishUnneeded tries to publish again each secondary suppression, the heaviest first, and keeps
// it published when every sensitive cell still passes, singletons included. A cell that survives
// this pass is needed: publishing it alone breaks the rule, and publishing others later only narrows
// the intervals further.
func (pr *protector) publishUnneeded(p *problem) {
	nw := pr.nw
	var cands []int32
	for i := range p.cells {
		if pr.secondary[i] {
			cands = append(cands, int32(i))
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return pr.weight[cands[i]] > pr.weight[cands[j]] })
	for _, a := range cands {
		nw.setFree(a, false)
		ok := true
		pr.pending = pr.pending[:0]
		for _, e := range pr.order {
			if !contains(pr.support[e], a) {
				continue
			}
			var supp []int32
			supp, ok = pr.verifyCell(p, e, nil)
			if !ok {
				break
			}
			pr.pending = append(pr.pending, pendingSupport{e, supp})
		}
		if !ok {
			nw.setFree(a, true)
			continue
		}
		pr.secondary[a] = false
		for _, ps := range pr.pending {
			pr.support[ps.cell] = ps.support
		}
	}
}

// verifyCell checks the full rule for sensitive cell e against the current pattern without
// suppressing anything: the interval, and the interval with each singleton its witness uses known.
// It returns the arcs the witnesses use.
func (pr *protector) verifyCell(p *problem, e int32, supp []int32) ([]int32, bool) {
	supp, ok, _ := pr.secure(p, e, -1, pr.need(p, e), false, supp)
	if !ok {
		return supp, false
	}
	normal := len(supp)
	for i := 0; i < normal; i++ {
		s := supp[i]
		if s == e || !pr.singleton(p, s) || slices.Contains(supp[:i], s) {
			continue
		}
		req, needed := pr.singletonNeed(p, s, e)
		if !needed {
			continue
		}
		if supp, ok, _ = pr.secure(p, e, s, req, false, supp); !ok {
			return supp, false
		}
	}
	return sortUnique(supp), true
}

// secure checks that suppressed cell e can move up by req.up and down by req.down (and by at
// least 1 in all) with arc fixed held at its value, appending the witnesses' arcs to supp. With
// extend it suppresses the cheapest further cells until that holds; without, it reports whether it
// holds.
func (pr *protector) secure(p *problem, e, fixed int32, req requirement, extend bool, supp []int32) ([]int32, bool, error) {
	nw := pr.nw
	u, v := nw.tail[e], nw.head[e]
	// up: flow from the head back to the tail; down: the other way.
	dirs := [2]struct {
		src, dst int32
		need     int64
	}{{v, u, req.up}, {u, v, req.down}}
	if req.up == 0 && req.down == 0 {
		// q = 0: only hi - lo >= 1 is required, so one unit either way will do.
		for _, d := range dirs {
			if f, _ := nw.slack(d.src, d.dst, e, fixed, 1); f >= 1 {
				supp = nw.support(supp)
				nw.restore()
				return supp, true, nil
			}
			nw.restore()
		}
		if !extend {
			return supp, false, nil
		}
		dirs[0].need = 1
	}
	for _, d := range dirs {
		if d.need == 0 {
			continue
		}
		ok, err := pr.open(p, d.src, d.dst, e, fixed, d.need, extend)
		if err != nil || !ok {
			nw.restore()
			return supp, false, err
		}
		supp = nw.support(supp)
		nw.restore()
	}
	return supp, true, nil
}

// open pushes need units from src to dst in the residual graph without arcs e and fixed. When the
// suppressed cells cannot carry them and extend is set, it suppresses the published cells of the
// cheapest path that can (Castro 2007's shortest-path step) and goes on; every such step suppresses
// at least one cell, since the path search runs on the residual graph of a maximum flow.
func (pr *protector) open(p *problem, src, dst, e, fixed int32, need int64, extend bool) (bool, error) {
	nw := pr.nw
	// Witnesses that avoid single-contributor cells spare the singleton checks, so those cells
	// are used only once the others cannot carry the need.
	avoid := true
	for flow := int64(0); flow < need; {
		pushed, _ := nw.augment(src, dst, e, fixed, need-flow, avoid)
		if pushed > 0 {
			flow += pushed
			continue
		}
		if avoid {
			avoid = false
			continue
		}
		if !extend {
			return false, nil
		}
		if !nw.cheapestPath(src, dst, e, fixed, need-flow, pr.weight, pr.base) {
			k := p.cells[e].key
			return false, fmt.Errorf("%s: cell %s %s cannot be protected", p.name(pr.lay.vocab),
				pr.lay.geo.Node(k.Geo).Code, pr.lay.vocab.Org(k.Org).Code)
		}
		for _, a := range nw.path {
			if !nw.free[a] {
				nw.setFree(a, true)
				pr.secondary[a] = true
			}
		}
	}
	return true, nil
}

func contains(sorted []int32, a int32) bool {
	_, ok := slices.BinarySearch(sorted, a)
	return ok
}

func sortUnique(s []int32) []int32 {
	slices.Sort(s)
	return slices.Compact(s)
}
