package protect

import (
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// coverageBreaks finds, for every table of ds, the totals whose set of leaves differs from the set
// they covered in their previous period (the latest earlier table of the same metric that has the
// total): a world total over 61 countries after one over 52 is not the same series, whatever the
// leaves say (SPEC 5, flags: a total is B when the set of leaves it covers differs, in either
// direction). The result is indexed like ds.Tables, each a set of cells by GeoID*width + OrgID.
//
// A set of leaves is compared by its size and an order-free 64-bit digest (the sum of a mixing hash
// of each leaf's key), so the pass is linear in the leaves.
func coverageBreaks(lay *layout, tables []*ingest.Table) [][]bool {
	type coverage struct {
		count  int64
		digest uint64
	}
	width := lay.width
	cells := lay.geo.Len() * width
	// last[metric][cell] is the coverage of the cell in the latest table of the metric that has it.
	last := map[schemas.MetricID][]coverage{}
	// The tables are sorted by period then metric, so each metric's tables come in period order.
	out := make([][]bool, len(tables))
	cur := make([]coverage, cells)
	var up []schemas.GeoID
	for i, t := range tables {
		prev := last[t.Metric]
		if prev == nil {
			prev = make([]coverage, cells)
			last[t.Metric] = prev
		}
		clear(cur)
		for _, leaf := range t.Leaves {
			h := mixKey(uint64(leaf.Geo)<<8 | uint64(leaf.Org))
			up = append(append(up[:0], leaf.Geo), lay.geo.Ancestors(leaf.Geo)...)
			for _, g := range up {
				for _, o := range [2]schemas.OrgID{leaf.Org, schemas.OrgAll} {
					if g == leaf.Geo && o == leaf.Org {
						continue // a leaf covers itself, always
					}
					c := &cur[int(g)*width+int(o)]
					c.count++
					c.digest += h
				}
			}
		}
		var breaks []bool
		for k, c := range cur {
			if c.count == 0 {
				continue
			}
			if p := prev[k]; p.count > 0 && p != c {
				if breaks == nil {
					breaks = make([]bool, cells)
				}
				breaks[k] = true
			}
			prev[k] = c
		}
		out[i] = breaks
	}
	return out
}

// mixKey is splitmix64's finalizer: a bijection of 64-bit words whose outputs look independent, so
// that sums of them over two different sets of keys collide with negligible chance.
func mixKey(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
