# An outsider's recomputation of a report folder's derived figures from its published files only
# (CSV dumps of the Parquet files, made by DuckDB) and the public M49 table, with numpy and scipy:
# series segments, n, S, p (brute force up to 9 values, normal approximation above 10), labels,
# Sen's slope and interval, CAGR; changes and index across breaks; provable ranks and level
# statistics from LP intervals computed with scipy's HiGHS; comparisons of two series.
import csv, itertools, math, random, sys
from collections import defaultdict
from datetime import date
from fractions import Fraction

import numpy as np
from scipy import stats
from scipy.optimize import linprog

folder, m49 = sys.argv[1], sys.argv[2]
random.seed(7)
problems = []


def fail(msg):
    problems.append(msg)
    if len(problems) <= 25:
        print("MISMATCH", msg)


def rows(name):
    with open(f"{folder}/{name}.csv", newline="") as f:
        for r in csv.DictReader(f):
            yield {k: (None if v == "NULL" else v) for k, v in r.items()}


def num(x):
    return None if x is None else float(x)


def close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(b))


# The hierarchy, from the public M49 table.
parent = {}
with open(m49, newline="") as f:
    for r in csv.DictReader(f):
        sub, reg = r["sub-region-code"], r["region-code"]
        parent[r["alpha-2"]] = sub or reg or "001"
        if sub:
            parent[sub] = reg
        if reg:
            parent[reg] = "001"

cells = {}
tables = defaultdict(dict)
for r in rows("cells"):
    key = (r["period"], r["metric"], r["geo"], r["org_type"])
    v = None if r["value"] is None else int(r["value"])
    cells[key] = (v, r["obs_status"], r["geo_level"])
    tables[(r["period"], r["metric"])][(r["geo"], r["org_type"])] = (v, r["geo_level"])

# ---- series -------------------------------------------------------------------------------------
history = defaultdict(list)  # (metric, geo, org) -> [(period, value, obs)]
for (p, m, g, o), (v, obs, _) in sorted(cells.items()):
    history[(m, g, o)].append((p, v, obs))


def segment(m, g, o):
    h = history[(m, g, o)]
    start = h[0][0]
    for p, v, obs in h:
        if obs == "B":
            start = p
    return start, [(p, v) for p, v, _ in h if p >= start and v is not None]


def years(ds):
    d0 = date.fromisoformat(ds[0])
    return [(date.fromisoformat(d) - d0).days / 365.2425 for d in ds]


def brute_p(values):
    ranks = np.array([sorted(set(values)).index(v) for v in values])
    n = len(values)
    s = sum(int(np.sign(ranks[j] - ranks[i])) for i in range(n) for j in range(i + 1, n))
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int8)
    r = ranks[perms]
    sc = np.zeros(len(r), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            sc += np.sign(r[:, j] - r[:, i])
    return s, float(np.mean(np.abs(sc) >= abs(s)))


def normal_p(values):
    n = len(values)
    s = sum(int(np.sign(values[j] - values[i])) for i in range(n) for j in range(i + 1, n))
    _, counts = np.unique(values, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in counts)) / 18
    return s, 1.0 if s == 0 else math.erfc((abs(s) - 1) / math.sqrt(var) / math.sqrt(2))


def theil(y, x):
    res = stats.theilslopes(y, x, alpha=0.95)
    nt = len(x) * (len(x) - 1) // 2
    _, reps = np.unique(np.asarray(y), return_counts=True)
    var = (len(y) * (len(y) - 1) * (2 * len(y) + 5) - sum(k * (k - 1) * (2 * k + 5) for k in reps)) / 18
    z = stats.norm.ppf(0.025)
    ru, rl = int(np.round((nt - z * math.sqrt(var)) / 2)), int(np.round((nt + z * math.sqrt(var)) / 2)) - 1
    return res[0], (None if rl < 0 else res[2]), (None if ru > nt - 1 else res[3])


def label(n, p, slope):
    if n < 5:
        return "too few periods"
    if p < 0.05 and slope > 0:
        return "rising"
    if p < 0.05 and slope < 0:
        return "falling"
    return "no significant trend"


def a_year_after(d):
    d = date.fromisoformat(d)
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return date(d.year + 1, 3, 1)


series = list(rows("series"))
sample = [r for r in series if int(r["n_periods"]) <= 9 or int(r["n_periods"]) > 10]
sample = random.sample(sample, min(300, len(sample)))
checked = defaultdict(int)
for r in sample:
    key = (r["metric"], r["geo"], r["org_type"])
    start, pts = segment(*key)
    n = len(pts)
    if r["segment_start"] != start or int(r["n_periods"]) != n:
        fail(f"series {key}: segment {r['segment_start']}/{r['n_periods']}, outsider {start}/{n}")
        continue
    checked["series"] += 1
    if n >= 2:
        ds, vs = [p for p, _ in pts], [v for _, v in pts]
        s, p = brute_p(vs) if n <= 9 else normal_p(vs)
        slope, lo, hi = theil(vs, years(ds))
        if int(r["mann_kendall_s"]) != s or not close(num(r["mann_kendall_p"]), p, 1e-12):
            fail(f"series {key}: S {r['mann_kendall_s']} p {r['mann_kendall_p']}, outsider {s} {p}")
        if not close(num(r["sen_slope_per_year"]), slope) or not close(num(r["sen_slope_lower"]), lo) or not close(num(r["sen_slope_upper"]), hi):
            fail(f"series {key}: Sen {r['sen_slope_per_year']} [{r['sen_slope_lower']}, {r['sen_slope_upper']}], outsider {slope} [{lo}, {hi}]")
        if r["trend"] != label(n, p, slope):
            fail(f"series {key}: label {r['trend']}, outsider {label(n, p, slope)}")
        checked["labels with a test"] += 1
    elif r["trend"] != "too few periods":
        fail(f"series {key}: label {r['trend']} with n = {n}")
    nz = [i for i, (_, v) in enumerate(pts) if v != 0]
    want = None
    if nz and nz[0] != n - 1 and date.fromisoformat(pts[-1][0]) >= a_year_after(pts[nz[0]][0]):
        first, last = pts[nz[0]], pts[-1]
        want = (last[1] / first[1]) ** (1 / years([first[0], last[0]])[1]) - 1
    if not close(num(r["cagr"]), want, 1e-9):
        fail(f"series {key}: cagr {r['cagr']}, outsider {want}")
    checked["cagr (null or value)"] += 1

# ---- changes and index across breaks ------------------------------------------------------------
for r in rows("trends"):
    checked["trend rows"] += 1
    has = [r[c] is not None for c in ("abs_change", "pct_change", "index_base100")]
    if r["obs_status"] == "B" and any(has):
        fail(f"trends {r['period']} {r['geo']} {r['org_type']} {r['metric']}: a figure across a break")
    if r["obs_status"] != "B" and r["value"] is not None and r["prev_value"] is not None:
        if int(r["abs_change"]) != int(r["value"]) - int(r["prev_value"]):
            fail(f"trends {r}: abs_change")
        checked["changes recomputed"] += 1
    if r["obs_status"] == "B":
        checked["break rows, all null"] += 1

# ---- provable ranks and level statistics from LP intervals -------------------------------------
def intervals(table):
    keys = sorted(table)
    idx = {k: i for i, k in enumerate(keys)}
    A, b = [], []
    children = defaultdict(list)
    for g, o in keys:
        if g != "001":
            children[(parent.get(g, "001"), o)].append(idx[(g, o)])
    for (g, o), kids in children.items():
        if (g, o) in idx:
            row = np.zeros(len(keys)); row[idx[(g, o)]] = 1; row[kids] -= 1
            A.append(row); b.append(0)
    for g in {g for g, _ in keys}:
        parts = [idx[(g, o)] for gg, o in keys if gg == g and o != "all"]
        if (g, "all") in idx and parts:
            row = np.zeros(len(keys)); row[idx[(g, "all")]] = 1; row[parts] -= 1
            A.append(row); b.append(0)
    bounds = [(table[k][0], table[k][0]) if table[k][0] is not None else (0, None) for k in keys]
    out = {}
    for k in keys:
        if table[k][0] is not None:
            continue
        c = np.zeros(len(keys)); c[idx[k]] = 1
        lo = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        out[k] = (round(lo.fun), None if hi.status == 3 else round(-hi.fun))
    return out


trend_rank = {(r["period"], r["metric"], r["geo"], r["org_type"]): r["rank"] for r in rows("trends")}
summary = {(r["period"], r["metric"], r["geo_level"], r["org_type"]): r for r in rows("summary")}
periods = sorted({p for p, _ in tables})
picked = [t for t in tables if t[0] != periods[0] and any(v is None for v, _ in tables[t].values())]
picked = random.sample(picked, min(3, len(picked)))
for t in picked:
    table = tables[t]
    iv = intervals(table)
    groups = defaultdict(list)
    for (g, o), (v, level) in table.items():
        groups[(level, o)].append(((g, o), v))
    for (level, o), members in groups.items():
        supp = [iv[k] for k, v in members if v is None]
        for k, v in members:
            if v is None:
                continue
            above = sum(1 for lo, hi in supp if lo > v)
            not_above = sum(1 for lo, hi in supp if hi is not None and hi <= v)
            want = None
            if above + not_above == len(supp):
                want = 1 + above + sum(1 for _, w in members if w is not None and w > v)
            got = trend_rank.get((t[0], t[1], k[0], k[1]), "absent")
            if got == "absent":
                continue
            if (None if got is None else int(got)) != want:
                fail(f"rank {t} {k}: published {got}, outsider {want}")
            checked["ranks recomputed"] += 1
        # Level statistics: max and median by the box of intervals.
        lows = sorted([v for _, v in members if v is not None] + [lo for lo, _ in supp])
        highs = sorted([v for _, v in members if v is not None] + [math.inf if hi is None else hi for _, hi in supp])
        srow = summary[(t[0], t[1], level, o)]
        n = len(members)
        want_max = lows[-1] if lows[-1] == highs[-1] and any(v is not None for _, v in members) else None
        if (None if srow["max"] is None else int(srow["max"])) != want_max:
            fail(f"summary {t} {level} {o}: max {srow['max']}, outsider {want_max}")
        h = (n - 1) * 0.5
        j = int(math.floor(h))
        want_med = None
        if any(v is not None for _, v in members) and lows[j] == highs[j] and (h == j or lows[j + 1] == highs[j + 1]):
            want_med = lows[j] + (h - j) * ((lows[j + 1] - lows[j]) if h != j else 0)
        if not close(num(srow["median"]), want_med):
            fail(f"summary {t} {level} {o}: median {srow['median']}, outsider {want_med}")
        checked["level statistics recomputed"] += 1

# ---- comparisons --------------------------------------------------------------------------------
comps = [r for r in rows("comparisons")]
for r in random.sample(comps, min(150, len(comps))):
    m, a, b = r["metric"], r["geo"], r["other_geo"]
    sa, pa = segment(m, a, "all")
    sb, pb = segment(m, b, "all")
    start = max(sa, sb)
    vb = dict(pb)
    common = [(p, v, vb[p]) for p, v in pa if p >= start and p in vb and v > 0 and vb[p] > 0]
    n = len(common)
    if r["segment_start"] != start or int(r["n_periods"]) != n:
        fail(f"comparison {m} {a}-{b}: {r['segment_start']}/{r['n_periods']}, outsider {start}/{n}")
        continue
    if 2 <= n <= 9:
        ratios = [Fraction(x, y) for _, x, y in common]
        s, p = brute_p(ratios)
        slope, lo, hi = theil([math.log(x / y) for _, x, y in common], years([d for d, _, _ in common]))
        if int(r["mann_kendall_s"]) != s or not close(num(r["mann_kendall_p"]), p, 1e-12) or not close(num(r["log_ratio_slope_per_year"]), slope):
            fail(f"comparison {m} {a}-{b}: S {r['mann_kendall_s']} p {r['mann_kendall_p']} slope {r['log_ratio_slope_per_year']}, outsider {s} {p} {slope}")
        if r["trend"] != label(n, p, slope):
            fail(f"comparison {m} {a}-{b}: label {r['trend']}, outsider {label(n, p, slope)}")
    checked["comparisons"] += 1

print(dict(checked))
print(f"{len(problems)} mismatches")
