# Reference values for the tests of pipeline/trend that R's Kendall package cannot give: the exact
# Mann-Kendall p-value with ties, the confidence interval of Sen's slope and the comparison of two
# series' trends.
#
# Regenerate with Debian's python3 with numpy and scipy (apt-get install python3-scipy):
#   /usr/bin/python3 pipeline/trend/testdata/reference.py > pipeline/trend/testdata/reference_scipy.txt
# The tests only read reference_scipy.txt.
#
# Every figure is computed independently of the Go code:
#   exactp   S and the two-sided p-value P(|S| >= |s|) by brute force: S of every one of the n!
#            orderings in time of the values (numpy, all permutations), ties included
#   sen      scipy.stats.theilslopes(values, years, alpha=0.95): the slope and the ends of its
#            confidence interval; clamped=LH, L (H) 1 when scipy's order of the lower (upper) end
#            fell outside the slopes and it clamped it to the smallest (largest) slope; the Go code
#            gives null there
#   compare  the common periods of two series where both are above 0; S and the exact p-value of
#            the ratio series by brute force as above, with ties decided on exact fractions; and
#            theilslopes of log(a / b) against years
import itertools
import math
import sys
from datetime import date
from fractions import Fraction

import numpy as np
import scipy
from scipy import stats


def num(x):
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))


def ints(xs):
    return ",".join(str(int(x)) for x in xs)


def score(values):
    """Mann-Kendall S of values in time order; values may be any comparable numbers."""
    s = 0
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            s += int(values[j] > values[i]) - int(values[j] < values[i])
    return s


def exact_p(values):
    """S and P(|S| >= |s|) over all n! orderings of the values (ranks, so ties are exact)."""
    distinct = sorted(set(values))
    ranks = np.array([distinct.index(v) for v in values], dtype=np.int64)
    n = len(values)
    s = score(list(ranks))
    hits = total = 0
    perms = itertools.permutations(range(n))
    while True:
        chunk = np.array(list(itertools.islice(perms, 200_000)), dtype=np.int64)
        if chunk.size == 0:
            break
        r = ranks[chunk]  # rows: orderings of the ranks
        sc = np.zeros(len(r), dtype=np.int64)
        for i in range(n):
            for j in range(i + 1, n):
                sc += np.sign(r[:, j] - r[:, i])
        hits += int(np.count_nonzero(np.abs(sc) >= abs(s)))
        total += len(r)
    return s, hits / total


def years(dates):
    return [(d - dates[0]).days / 365.2425 for d in dates]


def theil(y, x):
    """scipy's slope and interval, and whether scipy clamped an end (its own index arithmetic)."""
    res = stats.theilslopes(y, x, alpha=0.95)
    nt = len(x) * (len(x) - 1) // 2
    _, yreps = np.unique(np.asarray(y), return_counts=True)
    sigsq = (len(y) * (len(y) - 1) * (2 * len(y) + 5) - sum(k * (k - 1) * (2 * k + 5) for k in yreps)) / 18
    z = stats.norm.ppf(0.025)
    sigma = math.sqrt(sigsq)
    ru = int(np.round((nt - z * sigma) / 2))
    rl = int(np.round((nt + z * sigma) / 2)) - 1
    return res[0], res[2], res[3], "%d%d" % (rl < 0, ru > nt - 1)


def dates_of(texts):
    return [date.fromisoformat(t) for t in texts]


def monthly(start, n):
    y, m = start
    out = []
    for _ in range(n):
        out.append(date(y, m, 1))
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


print("# Written by testdata/reference.py with Python %s, numpy %s and scipy %s; do not edit by hand."
      % (sys.version.split()[0], np.__version__, scipy.__version__))

exact_cases = [
    ("two_distinct", [3, 5]),
    ("three_pair", [1, 1, 2]),
    ("four_triple", [7, 7, 7, 8]),            # the case: 0.5, not the normal 0.371
    ("four_two_pairs", [1, 1, 2, 2]),
    ("five_quad", [5, 5, 5, 5, 6]),
    ("five_distinct_extreme", [1, 2, 3, 4, 5]),
    ("six_ties_falling", [9, 9, 7, 7, 4, 1]),
    ("seven_ties", [10, 12, 12, 15, 15, 15, 14]),
    ("seven_steps", [1, 2, 2, 3, 3, 3, 4]),
    ("eight_mixed", [3, 3, 1, 4, 1, 5, 9, 2]),
    ("nine_zeros", [0, 0, 0, 2, 1, 0, 3, 3, 4]),
    ("ten_pi", [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]),
    ("ten_blocks", [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]),
    ("ten_constant_but_one", [4, 4, 4, 4, 4, 4, 4, 4, 4, 5]),
]
for name, values in exact_cases:
    s, p = exact_p(values)
    print("exactp %s values=%s S=%d p=%s" % (name, ints(values), s, num(p)))

sen_cases = [
    ("two", dates_of(["2019-01-01", "2020-01-01"]), [5, 10]),
    ("three_falling", dates_of(["2019-01-01", "2019-07-01", "2020-01-01"]), [100, 90, 95]),
    ("five_exact", monthly((2019, 1), 5), [1, 3, 2, 5, 4]),
    ("eight_noisy", dates_of(["2018-01-01", "2018-04-01", "2018-07-01", "2018-10-01", "2019-01-01",
                              "2019-04-01", "2019-07-01", "2019-10-01"]), [120, 135, 128, 150, 149, 170, 162, 181]),
    ("seven_ties", dates_of(["2019-01-01", "2019-03-01", "2019-05-01", "2019-07-01", "2019-09-01",
                             "2019-11-01", "2020-01-01"]), [10, 12, 12, 15, 15, 15, 14]),
    ("twelve_weekly", [date.fromordinal(date(2019, 1, 7).toordinal() + 7 * i) for i in range(12)],
     [40, 42, 41, 45, 47, 47, 50, 49, 53, 55, 54, 58]),
    ("twenty_noisy", monthly((2017, 3), 20),
     [int(1000 + 15 * i + 40 * math.sin(1.7 * i) + (i % 3) * 11) for i in range(20)]),
    ("constant", monthly((2019, 1), 6), [4, 4, 4, 4, 4, 4]),
]
for name, dates, values in sen_cases:
    slope, low, high, clamped = theil(values, years(dates))
    print("sen %s dates=%s values=%s slope=%s low=%s high=%s clamped=%s" % (
        name, ",".join(d.isoformat() for d in dates), ints(values), num(slope), num(low), num(high), clamped))

compare_cases = [
    # A country growing faster than its region for six quarters.
    ("faster", dates_of(["2019-01-01", "2019-04-01", "2019-07-01", "2019-10-01", "2020-01-01", "2020-04-01"]),
     [10, 12, 15, 19, 24, 30], [100, 104, 109, 113, 118, 123]),
    # Parallel growth: the same ratio at every period ties the whole log-ratio series.
    ("parallel", monthly((2019, 1), 6), [5, 10, 15, 20, 25, 30], [10, 20, 30, 40, 50, 60]),
    # A zero in one series drops that period; equal ratios of different counts tie.
    ("zero_and_ties", monthly((2020, 1), 8), [3, 0, 6, 6, 9, 12, 8, 16], [6, 4, 12, 10, 18, 12, 16, 16]),
    # Twelve periods: the normal approximation.
    ("twelve", monthly((2018, 1), 12), [50, 52, 51, 55, 53, 56, 58, 57, 60, 59, 62, 61],
     [500, 490, 505, 500, 498, 503, 495, 500, 497, 502, 499, 496]),
]
for name, dates, a, b in compare_cases:
    keep = [i for i in range(len(dates)) if a[i] > 0 and b[i] > 0]
    ds = [dates[i] for i in keep]
    ratios = [Fraction(a[i], b[i]) for i in keep]
    logs = [math.log(a[i] / b[i]) for i in keep]
    n = len(ds)
    if n <= 10:
        s, p = exact_p(ratios)
    else:
        s = score(ratios)
        distinct, counts = np.unique([float(r) for r in ratios], return_counts=True)
        var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in counts)) / 18
        p = 1.0 if s == 0 else math.erfc((abs(s) - 1) / math.sqrt(var) / math.sqrt(2))
    slope, low, high, clamped = theil(logs, years(ds))
    print("compare %s dates=%s a=%s b=%s n=%d S=%d p=%s slope=%s low=%s high=%s clamped=%s" % (
        name, ",".join(d.isoformat() for d in dates), ints(a), ints(b), n, s, num(p), num(slope), num(low),
        num(high), clamped))
