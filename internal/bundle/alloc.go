package main

import (
	"fmt"
	"math/big"
	"sort"
)

// allocate splits total into integer parts in proportion to keys by the largest-remainder (Hamilton)
// method, so that the parts sum exactly to total. A part never exceeds its cap (nil caps: no cap); the
// share above a cap is handed on to the uncapped parts, which is the usual way of apportioning under
// bounds. Among equal remainders the part with the larger key, then the earlier one, gets the unit,
// so the result depends on nothing but the inputs.
func allocate(total int64, keys []int64, caps []int64) ([]int64, error) {
	parts := make([]int64, len(keys))
	if total == 0 {
		return parts, nil
	}
	if total < 0 {
		return nil, fmt.Errorf("cannot allocate a negative total %d", total)
	}
	capped := make([]bool, len(keys))
	rest := total
	for {
		var keySum int64
		for i, k := range keys {
			if k < 0 {
				return nil, fmt.Errorf("negative allocation key %d", k)
			}
			if !capped[i] {
				keySum += k
			}
		}
		if keySum == 0 {
			return nil, fmt.Errorf("cannot allocate %d: no part with a positive key and room below its cap", rest)
		}
		// A part whose exact share exceeds its cap is fixed at the cap; then the rest is shared again.
		again := false
		for i, k := range keys {
			if capped[i] || caps == nil {
				continue
			}
			if cmpProduct(rest, k, caps[i], keySum) > 0 {
				capped[i], parts[i] = true, caps[i]
				rest -= caps[i]
				again = true
			}
		}
		if again {
			continue
		}
		type share struct {
			index     int
			remainder *big.Int
		}
		var shares []share
		handed := int64(0)
		for i, k := range keys {
			if capped[i] {
				continue
			}
			q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(rest), big.NewInt(k)), big.NewInt(keySum), new(big.Int))
			parts[i] = q.Int64()
			handed += parts[i]
			shares = append(shares, share{i, r})
		}
		sort.SliceStable(shares, func(a, b int) bool {
			if c := shares[a].remainder.Cmp(shares[b].remainder); c != 0 {
				return c > 0
			}
			return keys[shares[a].index] > keys[shares[b].index]
		})
		for j := int64(0); j < rest-handed; j++ {
			parts[shares[j].index]++
		}
		return parts, nil
	}
}

// cmpProduct compares a*b with c*d without overflow.
func cmpProduct(a, b, c, d int64) int {
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	y := new(big.Int).Mul(big.NewInt(c), big.NewInt(d))
	return x.Cmp(y)
}
