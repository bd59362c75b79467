package protect

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// ratio is a non-negative rational number num/den held exactly, so that a parameter written 0.2 in
// dataset.yaml is the fraction 1/5 and not the nearest binary float: the rules compare integers with
// it, and a rounding error would flip a cell that sits exactly on a rule's boundary.
type ratio struct {
	num, den uint64
}

// exactRatio converts a parameter read as float64 to the fraction its shortest decimal form denotes
// (strconv's 'g' -1 format is the text a person wrote, as far as a float can tell).
// The result is divided by scale (100 for a percentage).
func exactRatio(name string, x float64, scale int64) (ratio, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		return ratio{}, fmt.Errorf("protection parameter %s = %v: want a finite number >= 0", name, x)
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return ratio{}, fmt.Errorf("protection parameter %s = %v: not a decimal number", name, x)
	}
	return ratioOf(name, r.Quo(r, big.NewRat(scale, 1)))
}

func ratioOf(name string, r *big.Rat) (ratio, error) {
	if !r.Num().IsUint64() || !r.Denom().IsUint64() || r.Num().Uint64() > math.MaxInt64 || r.Denom().Uint64() > math.MaxInt64 {
		return ratio{}, fmt.Errorf("protection parameter %s = %s: too many digits to apply exactly", name, r.RatString())
	}
	return ratio{num: r.Num().Uint64(), den: r.Denom().Uint64()}, nil
}

// ceilMul returns ceil(v * r) for v >= 0 and r <= 1, exactly (128-bit intermediate product).
func (r ratio) ceilMul(v int64) int64 {
	hi, lo := bits.Mul64(uint64(v), r.num)
	lo, carry := bits.Add64(lo, r.den-1, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, r.den)
	return int64(q)
}

// mulLess reports whether a * r.den < b * r.num for a, b >= 0, i.e. a < b*r, exactly.
func (r ratio) mulLess(a, b int64) bool {
	ah, al := bits.Mul64(uint64(a), r.den)
	bh, bl := bits.Mul64(uint64(b), r.num)
	return ah < bh || (ah == bh && al < bl)
}

// rules are the sensitivity rules of SPEC 4 and the required protection interval, with every
// parameter held exactly. Anchors: Hundepool et al. (2012) 4.2 for the threshold and p% rules,
// 4.3 for the protection interval.
type rules struct {
	params          ingest.Protection
	minContributors int64
	minValue        []int64 // by MetricID; 0 where the dataset sets none
	pShare          ratio   // p/100, the share of the largest part that must stay uncertain
	interval        ratio   // q, the half-width of the protection interval as a share of the value
}

// newRules checks the protection parameters against the vocabulary and converts them to exact form.
func newRules(p ingest.Protection, vocab *schemas.Vocabulary) (*rules, error) {
	if p.MinContributors < 0 {
		return nil, fmt.Errorf("protection parameter min_contributors = %d: want >= 0", p.MinContributors)
	}
	r := &rules{params: p, minContributors: p.MinContributors, minValue: make([]int64, vocab.NumMetrics())}
	for _, code := range slices.Sorted(maps.Keys(p.MinValue)) {
		mv := p.MinValue[code]
		id, ok := vocab.MetricByCode(code)
		if !ok {
			return nil, fmt.Errorf("protection parameter min_value: %q is not a metric", code)
		}
		if mv < 0 {
			return nil, fmt.Errorf("protection parameter min_value[%s] = %d: want >= 0", code, mv)
		}
		r.minValue[id] = mv
	}
	var err error
	if r.pShare, err = exactRatio("p_percent", p.PPercent, 100); err != nil {
		return nil, err
	}
	if r.interval, err = exactRatio("interval", p.Interval, 1); err != nil {
		return nil, err
	}
	// The lower bound of a cell is never below 0, so lo <= v(1-q) cannot hold for q > 1.
	if r.interval.num > r.interval.den {
		return nil, fmt.Errorf("protection parameter interval = %v: want a fraction between 0 and 1", p.Interval)
	}
	return r, nil
}

// sensitive reports whether a cell is a primary suppression: a non-zero cell with too few
// contributors (threshold rule), too small a value, or a dominant pair of contributors (p% rule:
// the second largest could estimate the largest to within p percent; Hundepool et al. 2012, 4.2).
// largest and second are ingest.Unknown when the p% rule does not apply.
func (r *rules) sensitive(metric schemas.MetricID, value, contributors, largest, second int64) bool {
	if value <= 0 {
		return false
	}
	if contributors < r.minContributors || value < r.minValue[metric] {
		return true
	}
	if largest == ingest.Unknown || second == ingest.Unknown {
		return false
	}
	rest := value - largest - second
	if rest < 0 {
		return true
	}
	return r.pShare.mulLess(rest, largest)
}
