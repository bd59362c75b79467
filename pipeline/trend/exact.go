package trend

import (
	"sync"
)

// sDistribution is the exact null distribution of the Mann-Kendall score S for one pattern of ties:
// the number of distinct orderings in time of the values that give each score. Under the null
// hypothesis of no trend every ordering of the n values is equally likely, and the orderings of a
// multiset (values that tie are interchangeable) are equally likely too, each standing for the same
// number of permutations; so the distribution depends only on the sizes of the tie groups, taken in
// value order (Kendall 1975, Rank Correlation Methods, ch. 4: the permutation distribution of S
// when one ranking has ties).
type sDistribution struct {
	maxS   int64   // n(n-1)/2: no score is larger in absolute value
	counts []int64 // counts[s+maxS]: orderings with score s
	total  int64   // all orderings, n! / (product of the tie groups' factorials)
}

// tail returns P(|S| >= |s|), the two-sided p-value of the score s.
func (d *sDistribution) tail(s int64) float64 {
	s = absInt(s)
	var tail int64
	for i, c := range d.counts {
		if absInt(int64(i)-d.maxS) >= s {
			tail += c
		}
	}
	return float64(tail) / float64(d.total)
}

// exactCache holds the distribution of every tie pattern met so far; there are at most 2^(n-1)
// patterns of n values, 1,023 in all for n up to 10.
var exactCache = struct {
	sync.Mutex
	byPattern map[string]*sDistribution
}{byPattern: map[string]*sDistribution{}}

// nullDistribution returns the distribution of S for values whose tie groups, in ascending order of
// value, have the given sizes (all 1 when no value ties). It is computed once per pattern.
func nullDistribution(groups []int) *sDistribution {
	key := make([]byte, len(groups))
	for i, g := range groups {
		key[i] = byte(g)
	}
	exactCache.Lock()
	defer exactCache.Unlock()
	if d, ok := exactCache.byPattern[string(key)]; ok {
		return d
	}
	d := countOrderings(groups)
	exactCache.byPattern[string(key)] = d
	return d
}

// countOrderings counts the orderings of the multiset by score, building them one position at a
// time: the state is how many values of each tie group are placed, and placing a value of group g
// adds to S one for every placed value of a lower group and takes one for every placed value of a
// higher group, whatever their order. There are at most 2^n states (1,024 for n = 10), each with
// a count per score.
func countOrderings(groups []int) *sDistribution {
	n := 0
	for _, g := range groups {
		n += g
	}
	maxS := int64(n * (n - 1) / 2)
	width := int(2*maxS + 1)
	// Mixed-radix state index: digit g counts the placed values of group g.
	stride := make([]int, len(groups)+1)
	stride[0] = 1
	for g, size := range groups {
		stride[g+1] = stride[g] * (size + 1)
	}
	states := stride[len(groups)]
	dp := make([][]int64, states)
	dp[0] = make([]int64, width)
	dp[0][maxS] = 1
	used := make([]int, len(groups))
	for state := range states {
		counts := dp[state]
		if counts == nil {
			continue
		}
		rest := state
		for g := len(groups) - 1; g >= 0; g-- {
			used[g] = rest / stride[g]
			rest %= stride[g]
		}
		if state == states-1 {
			break
		}
		below := 0
		above := 0
		for _, u := range used {
			above += u
		}
		for g, size := range groups {
			above -= used[g]
			if used[g] < size {
				next := state + stride[g]
				if dp[next] == nil {
					dp[next] = make([]int64, width)
				}
				shift := below - above
				dst := dp[next]
				for i, c := range counts {
					if c != 0 {
						dst[i+shift] += c
					}
				}
			}
			below += used[g]
		}
		dp[state] = nil // every successor has a larger index: this state is done
	}
	d := &sDistribution{maxS: maxS, counts: dp[states-1]}
	for _, c := range d.counts {
		d.total += c
	}
	return d
}
