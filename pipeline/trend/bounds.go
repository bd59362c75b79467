package trend

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// unboundedHi stands for an interval that nothing published caps.
const unboundedHi = math.MaxInt64

// cellBounds are the intervals anyone can derive for the suppressed cells of one table from its
// published cells (protect.Bounds: the exact per-table LP bounds). Relations with other tables can
// only narrow them, so a statement that holds for every value in them (a rank, a maximum) holds
// whatever else is known: it is what the provable statistics rest on (SPEC 4, everything derived).
// A table whose statistics need no interval has none.
type cellBounds struct {
	cells  []int32 // indices in the table's cells of its suppressed cells, ascending
	lo, hi []int64 // hi is unboundedHi when nothing published caps the cell
}

// interval returns the interval of the suppressed cell at index i of the table.
func (b *cellBounds) interval(i int) (lo, hi int64) {
	j, ok := slices.BinarySearch(b.cells, int32(i))
	if !ok {
		return 0, unboundedHi // no interval derived: nothing is known beyond non-negativity
	}
	return b.lo[j], b.hi[j]
}

// needsBounds reports whether a statistic of t depends on the intervals of its suppressed cells: a
// rank or an order statistic of a group (level and organization type) that mixes published and
// suppressed cells. A group that is all suppressed proves no rank, median or maximum anyway.
func (lay *layout) needsBounds(t *protect.Table) bool {
	const published, suppressed = 1, 2
	seen := make([]uint8, len(schemas.GeoLevels)*lay.numOrgs)
	for _, c := range t.Cells {
		g := int(lay.levels[c.Geo])*lay.numOrgs + int(c.Org)
		if c.Suppressed() {
			seen[g] |= suppressed
		} else {
			seen[g] |= published
		}
		if seen[g] == published|suppressed {
			return true
		}
	}
	return false
}

// computeBounds derives the intervals of every table that needs them, on every core: each costs two
// maximum flows per suppressed cell (protect.Bounds), and tables are independent. The result is
// indexed like lay.p.Tables and does not depend on the scheduling. It is an error when a table's
// published cells are inconsistent (no protected result has such a table).
func computeBounds(ctx context.Context, lay *layout) ([]cellBounds, error) {
	tables := lay.p.Tables
	out := make([]cellBounds, len(tables))
	errs := make([]error, len(tables))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(tables))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tables) || ctx.Err() != nil {
					return
				}
				out[i], errs[i] = tableBounds(lay, tables[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			t := tables[i]
			return nil, fmt.Errorf("table %s %s: deriving the intervals of suppressed cells: %w", t.Period, lay.p.Vocab.Metric(t.Metric).Code, err)
		}
	}
	return out, nil
}

// tableBounds derives the intervals of one table's suppressed cells, if its statistics need them.
func tableBounds(lay *layout, t *protect.Table) (cellBounds, error) {
	if !lay.needsBounds(t) {
		return cellBounds{}, nil
	}
	ivs, err := protect.Bounds(lay.p.Vocab, t)
	if err != nil {
		return cellBounds{}, err
	}
	b := cellBounds{cells: make([]int32, 0, len(ivs)), lo: make([]int64, 0, len(ivs)), hi: make([]int64, 0, len(ivs))}
	j := 0
	for _, iv := range ivs {
		// Both are in (Geo, Org) order: walk the cells to the interval's.
		for j < len(t.Cells) && (t.Cells[j].Geo != iv.Cell.Geo || t.Cells[j].Org != iv.Cell.Org) {
			j++
		}
		if j == len(t.Cells) {
			return cellBounds{}, fmt.Errorf("an interval for cell (%d, %d), which is not in the table's order", iv.Cell.Geo, iv.Cell.Org)
		}
		// Bounds of a table alone are flow bounds: integers, held exactly by a float64 (counts are
		// below 2^50).
		hi := int64(iv.Hi)
		if iv.Unbounded {
			hi = unboundedHi
		}
		b.cells = append(b.cells, int32(j))
		b.lo = append(b.lo, int64(iv.Lo))
		b.hi = append(b.hi, hi)
	}
	return b, nil
}
