package protect

import (
	"fmt"
	"math"
	"sort"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// CellKey names a cell of a (period, metric) table: an area of the geographic hierarchy crossed with
// an organization type or the total over all types (schemas.OrgAll). Ascending (Geo, Org) is the
// published order.
type CellKey struct {
	Geo schemas.GeoID
	Org schemas.OrgID
}

func (k CellKey) less(o CellKey) bool {
	return k.Geo < o.Geo || (k.Geo == o.Geo && k.Org < o.Org)
}

// layout is the shape of the network that the additive relations of every table of a vocabulary form
// (a 1H2D table: one hierarchical dimension, one flat with a total). There is one node T(g,o) per
// area g above the countries and per o in the organization types and `all`, one node L(c) per
// country, and a super node S. Every cell is one arc:
//
//	(c,o), o != all:        T(parent(c),o) -> L(c)
//	(g,o), g internal:      T(parent(g),o) -> T(g,o), or S -> T(world,o) for the world
//	(c,all):                L(c) -> T(parent(c),all)
//	(g,all), g internal:    T(g,all) -> T(parent(g),all), or T(world,all) -> S for the world
//
// Conservation at T(g,o) is "total = sum of its sub-areas" for one organization type, at L(c) the
// organization-type relation of a country, at S that of the world; the organization-type relations of
// the sub-regions and regions are sums of the countries' ones, so the flows are exactly the tables
// that satisfy every relation of SPEC 4. Network matrices are totally unimodular, which is why the
// continuous LP bounds of any cell are integers and equal to flow bounds (Castro 2007).
type layout struct {
	vocab       *schemas.Vocabulary
	geo         *schemas.Geography
	width       int     // organization types plus `all`
	internalIdx []int32 // per GeoID: index among the areas above countries, or -1
	countryIdx  []int32 // per GeoID: index among the countries, or -1
	nInternal   int
	nodes       int // nInternal*width + countries + 1 (the super node, last)
}

func newLayout(vocab *schemas.Vocabulary) *layout {
	g := vocab.Geo
	l := &layout{vocab: vocab, geo: g, width: vocab.NumOrgs() + 1,
		internalIdx: make([]int32, g.Len()), countryIdx: make([]int32, g.Len())}
	countries := 0
	for id := 0; id < g.Len(); id++ {
		l.internalIdx[id], l.countryIdx[id] = -1, -1
		if g.Node(schemas.GeoID(id)).Level == schemas.Country {
			l.countryIdx[id] = int32(countries)
			countries++
		} else {
			l.internalIdx[id] = int32(l.nInternal)
			l.nInternal++
		}
	}
	l.nodes = l.nInternal*l.width + countries + 1
	return l
}

func (l *layout) super() int32 { return int32(l.nodes - 1) }

func (l *layout) tNode(g schemas.GeoID, o schemas.OrgID) int32 {
	return l.internalIdx[g]*int32(l.width) + int32(o)
}

func (l *layout) lNode(c schemas.GeoID) int32 {
	return int32(l.nInternal*l.width) + l.countryIdx[c]
}

// arc returns the tail and head of the cell's arc.
func (l *layout) arc(k CellKey) (tail, head int32) {
	g := l.geo.Node(k.Geo)
	world := k.Geo == l.geo.WorldID()
	switch {
	case g.Level == schemas.Country && k.Org != schemas.OrgAll:
		return l.tNode(g.Parent, k.Org), l.lNode(k.Geo)
	case g.Level == schemas.Country:
		return l.lNode(k.Geo), l.tNode(g.Parent, schemas.OrgAll)
	case world && k.Org != schemas.OrgAll:
		return l.super(), l.tNode(k.Geo, k.Org)
	case world:
		return l.tNode(k.Geo, k.Org), l.super()
	case k.Org != schemas.OrgAll:
		return l.tNode(g.Parent, k.Org), l.tNode(k.Geo, k.Org)
	default:
		return l.tNode(k.Geo, k.Org), l.tNode(g.Parent, schemas.OrgAll)
	}
}

// validKey reports whether k names a cell of the vocabulary.
func (l *layout) validKey(k CellKey) bool {
	return int(k.Geo) < l.geo.Len() && int(k.Org) < l.width
}

// relation describes in words the additive relation that conservation at node n stands for.
func (l *layout) relation(n int32) string {
	if n == l.super() {
		return fmt.Sprintf("%s %s = sum over organization types", schemas.WorldCode, schemas.AllOrgTypes)
	}
	if int(n) >= l.nInternal*l.width {
		c := int32(int(n) - l.nInternal*l.width)
		for id, ci := range l.countryIdx {
			if ci == c {
				return fmt.Sprintf("%s %s = sum over organization types", l.geo.Node(schemas.GeoID(id)).Code, schemas.AllOrgTypes)
			}
		}
	}
	gi, o := int32(int(n)/l.width), schemas.OrgID(int(n)%l.width)
	for id, ii := range l.internalIdx {
		if ii == gi {
			return fmt.Sprintf("%s %s = sum over its sub-areas", l.geo.Node(schemas.GeoID(id)).Code, l.vocab.Org(o).Code)
		}
	}
	return fmt.Sprintf("node %d", n)
}

// cell is one cell of a table with its true value, its sensitivity and the facts the protection
// needs after it. For a total, contributors is the sum over its leaves (an upper bound on the
// distinct organizations). The dominance figures are read once, by the sensitivity rules
// (makeProblem), and not kept.
type cell struct {
	key          CellKey
	flags        schemas.ObsFlags
	sources      SourceSet
	value        int64
	contributors int64
	sensitive    bool
}

// problem is one table to protect (sdcTable's makeProblem): its cells in (Geo, Org) order, each with
// its arc in the layout's network. Cell i is arc i.
type problem struct {
	period     schemas.Date
	metric     schemas.MetricID
	cells      []cell
	tail, head []int32
}

// name is how errors and findings name the table.
func (p *problem) name(v *schemas.Vocabulary) string {
	return fmt.Sprintf("table %s %s", p.period, v.Metric(p.metric).Code)
}

// find returns the index of the cell k, or -1 when the table has no such cell (a structural zero).
func (p *problem) find(k CellKey) int {
	i := sort.Search(len(p.cells), func(i int) bool { return !p.cells[i].key.less(k) })
	if i < len(p.cells) && p.cells[i].key == k {
		return i
	}
	return -1
}

// overlap returns the sum of the leaves that cells a and b share: in a 1H2D table the leaves below
// two cells intersect in the leaves of one cell (the deeper area, the more specific organization
// type), or in none.
func (p *problem) overlap(l *layout, a, b CellKey) int64 {
	var k CellKey
	switch {
	case a.Org == b.Org || b.Org == schemas.OrgAll:
		k.Org = a.Org
	case a.Org == schemas.OrgAll:
		k.Org = b.Org
	default:
		return 0
	}
	switch {
	case isAncestorOrSelf(l.geo, a.Geo, b.Geo):
		k.Geo = b.Geo
	case isAncestorOrSelf(l.geo, b.Geo, a.Geo):
		k.Geo = a.Geo
	default:
		return 0
	}
	if i := p.find(k); i >= 0 {
		return p.cells[i].value
	}
	return 0
}

func isAncestorOrSelf(g *schemas.Geography, anc, id schemas.GeoID) bool {
	for {
		if id == anc {
			return true
		}
		if id == g.WorldID() {
			return false
		}
		id = g.Node(id).Parent
	}
}

// accumulator is the running total of one cell while the leaves are summed up.
type accumulator struct {
	flags               schemas.ObsFlags
	sources             SourceSet
	value, contributors int64
	top1, top2          int64 // the two largest parts seen
	dominanceMissing    bool  // a non-zero leaf below does not give its largest parts
	present             bool
}

// builder turns the leaves of an ingest.Table into a problem, reusing its dense buffers.
type builder struct {
	lay         *layout
	rules       *rules
	inputSource []SourceSet   // by the leaves' Input: the source that signed the input, as a set
	acc         []accumulator // by GeoID*width + OrgID
	leaves      []ingest.Leaf
	up          []schemas.GeoID
}

func newBuilder(lay *layout, r *rules, inputSource []SourceSet) *builder {
	return &builder{lay: lay, rules: r, inputSource: inputSource, acc: make([]accumulator, lay.geo.Len()*lay.width)}
}

// makeProblem builds the table of one (period, metric): the leaves the submissions name and every
// total above them, with values, contributors and dominance summed up, and the primary suppressions
// marked. A cell's flags are those of its leaves together, and a total whose set of leaves differs
// from its previous period's (coverage, from coverageBreaks; nil for none) is a break too. It does
// not depend on the order of the leaves.
func (b *builder) makeProblem(t *ingest.Table, coverage []bool) (*problem, error) {
	lay, geo := b.lay, b.lay.geo
	p := &problem{period: t.Period, metric: t.Metric}
	if int(t.Metric) >= lay.vocab.NumMetrics() {
		return nil, fmt.Errorf("table %s: metric id %d is not in the vocabulary", t.Period, t.Metric)
	}
	b.leaves = append(b.leaves[:0], t.Leaves...)
	sort.Slice(b.leaves, func(i, j int) bool {
		return CellKey{b.leaves[i].Geo, b.leaves[i].Org}.less(CellKey{b.leaves[j].Geo, b.leaves[j].Org})
	})
	for i := range b.acc {
		b.acc[i] = accumulator{}
	}
	for i, leaf := range b.leaves {
		if int(leaf.Geo) >= geo.Len() || geo.Node(leaf.Geo).Level != schemas.Country {
			return nil, fmt.Errorf("%s: leaf geo id %d is not a country", p.name(lay.vocab), leaf.Geo)
		}
		code := geo.Node(leaf.Geo).Code
		if leaf.Org == schemas.OrgAll || int(leaf.Org) >= lay.width {
			return nil, fmt.Errorf("%s: leaf %s has organization type id %d, not a leaf type", p.name(lay.vocab), code, leaf.Org)
		}
		if i > 0 && b.leaves[i-1].Geo == leaf.Geo && b.leaves[i-1].Org == leaf.Org {
			return nil, fmt.Errorf("%s: cell %s %s is submitted twice", p.name(lay.vocab), code, lay.vocab.Org(leaf.Org).Code)
		}
		if leaf.Value < 0 || leaf.Contributors < 0 {
			return nil, fmt.Errorf("%s: cell %s %s has a negative count", p.name(lay.vocab), code, lay.vocab.Org(leaf.Org).Code)
		}
		var src SourceSet
		if int(leaf.Input) < len(b.inputSource) {
			src = b.inputSource[leaf.Input]
		}
		b.up = append(b.up[:0], leaf.Geo)
		b.up = append(b.up, geo.Ancestors(leaf.Geo)...)
		for _, g := range b.up {
			for _, o := range [2]schemas.OrgID{leaf.Org, schemas.OrgAll} {
				a := &b.acc[int(g)*lay.width+int(o)]
				a.present = true
				a.flags |= leaf.Flags
				a.sources |= src
				if a.value > math.MaxInt64-leaf.Value || a.contributors > math.MaxInt64-leaf.Contributors {
					return nil, fmt.Errorf("%s: the total %s %s overflows a 64-bit integer", p.name(lay.vocab), geo.Node(g).Code, lay.vocab.Org(o).Code)
				}
				a.value += leaf.Value
				a.contributors += leaf.Contributors
				if leaf.Value == 0 {
					continue
				}
				if !leaf.HasDominance() {
					a.dominanceMissing = true
					continue
				}
				for _, part := range [2]int64{leaf.Largest, leaf.SecondLargest} {
					if part > a.top1 {
						a.top1, a.top2 = part, a.top1
					} else if part > a.top2 {
						a.top2 = part
					}
				}
			}
		}
	}
	for i := range b.acc {
		a := &b.acc[i]
		if !a.present {
			continue
		}
		k := CellKey{schemas.GeoID(i / lay.width), schemas.OrgID(i % lay.width)}
		if a.value > maxCount {
			return nil, fmt.Errorf("%s: the total %s %s = %d is above %d, the largest count protected exactly",
				p.name(lay.vocab), geo.Node(k.Geo).Code, lay.vocab.Org(k.Org).Code, a.value, maxCount)
		}
		c := cell{key: k, flags: a.flags, sources: a.sources, value: a.value, contributors: a.contributors}
		if coverage != nil && coverage[i] {
			c.flags |= schemas.ObsBreak | schemas.BreakCoverage
		}
		largest, second := ingest.Unknown, ingest.Unknown
		if !a.dominanceMissing && a.value > 0 {
			largest, second = a.top1, a.top2
		}
		c.sensitive = b.rules.sensitive(t.Metric, c.value, c.contributors, largest, second)
		tail, head := lay.arc(k)
		p.cells = append(p.cells, c)
		p.tail = append(p.tail, tail)
		p.head = append(p.head, head)
	}
	return p, nil
}
