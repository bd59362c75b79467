#!/usr/bin/env python3
"""test_tiny.py: sanity checks of lpattack.py on hand-made reports whose intervals are worked out by hand.

Usage: /usr/bin/python3 bench/attack/test_tiny.py      (prints "ok" and exits 0 when every check passes)

Geography used: DE and FR (sub-region 155 Western Europe, region 150 Europe, world 001), TW (no
region: straight to world).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PARENT = {"DE": "155", "FR": "155", "TW": "001", "155": "150", "150": "001"}
LEVEL = {"DE": "country", "FR": "country", "TW": "country", "155": "subregion", "150": "region", "001": "world"}


def grid(leaves):
    """leaves {(period, metric, country, org): value} -> every cell with its totals {key5: value}."""
    cells = {}
    for (p, m, c, o), v in leaves.items():
        g = c
        while True:
            for oo in (o, "all"):
                k = (p, m, LEVEL[g], g, oo)
                cells[k] = cells.get(k, 0) + v
            if g == "001":
                break
            g = PARENT[g]
    return cells


def write(path, cells, suppressed, breaks=None):
    """breaks: None (no obs_status column) or a set of (period, geo, org) whose cells are 'B'."""
    with open(path, "w") as f:
        f.write("period,metric,geo_level,geo,org_type,geo_name,value,status"
                + (",obs_status,conf_status" if breaks is not None else "") + "\n")
        for k in sorted(cells):
            s = k in suppressed or (k[0], k[1], k[3], k[4]) in suppressed
            f.write(",".join(k) + f",name,{'' if s else cells[k]},{'suppressed' if s else 'published'}")
            if breaks is not None:
                f.write(",B" if (k[0], k[3], k[4]) in breaks else ",A")
                f.write(",C" if s else ",F")
            f.write("\n")


def run(csv, *opts):
    r = subprocess.run([sys.executable, os.path.join(HERE, "lpattack.py"), csv, *opts],
                       capture_output=True, text=True)
    out = {}
    for ln in r.stdout.splitlines():
        if "[" in ln and not ln.startswith(("summary", "dataset", " ")):
            key, iv = ln.split(" [", 1)
            lo, hi = iv.split("]")[0].split(", ")
            p, m, gl, g, o = key.split()
            out[(p, m, g, o)] = (float(lo), float(hi))
    return out, r.stdout + r.stderr


FAILS = []


def check(name, got, want):
    if got != want:
        FAILS.append(f"{name}: got {got}, want {want}")


tmp = tempfile.mkdtemp()
P1, P2 = "2019-09-16", "2019-11-17"

# 1. A 2x2 square inside one table: DE/FR x hospital/clinic suppressed, their totals published.
#    DEh + DEc = 8, FRh + FRc = 9, DEh + FRh = 12, DEc + FRc = 5  =>  DEh in [3, 8], DEc in [0, 5],
#    FRh in [4, 9], FRc in [0, 5]; with x >= 1: [4, 7], [1, 4], [5, 8], [1, 4].
leaves = {(P1, "exposed_systems", "DE", "hospital"): 5, (P1, "exposed_systems", "DE", "clinic"): 3,
          (P1, "exposed_systems", "FR", "hospital"): 7, (P1, "exposed_systems", "FR", "clinic"): 2}
cells = grid(leaves)
sup = {(P1, "exposed_systems", g, o) for g in ("DE", "FR") for o in ("hospital", "clinic")}
f1 = os.path.join(tmp, "square.csv")
write(f1, cells, sup)
out, log = run(f1)
E = "exposed_systems"
check("square DEh", out.get((P1, E, "DE", "hospital")), (3, 8))
check("square DEc", out.get((P1, E, "DE", "clinic")), (0, 5))
check("square FRh", out.get((P1, E, "FR", "hospital")), (4, 9))
check("square FRc", out.get((P1, E, "FR", "clinic")), (0, 5))
out, log = run(f1, "--min-suppressed", "1")
check("square>=1 DEh", out.get((P1, E, "DE", "hospital")), (4, 7))
check("square>=1 FRc", out.get((P1, E, "FR", "clinic")), (1, 4))

# 2. Relations and structural zeros. Period 1: exposed DEh = 1, FRh = 5 (published); new_systems
#    DEh = 1, FRh = 3 suppressed with every total except world (4) and sub-region/region.
#    Without relations: DEh_new in [0, 4]. With new <= exposed: DEh_new in [0, 1], FRh_new in [3, 4]
#    (width 1: not disclosed); with x >= 1 as well: DEh_new = [1, 1], FRh_new = [3, 3].
#    TW/clinic exists in the exposed table only, published 0: exposed of an absent new cell is fine.
leaves = {(P1, E, "DE", "hospital"): 1, (P1, E, "FR", "hospital"): 5, (P1, E, "TW", "clinic"): 0,
          (P1, "new_systems", "DE", "hospital"): 1, (P1, "new_systems", "FR", "hospital"): 3}
cells = grid(leaves)
N = "new_systems"
sup = {(P1, N, g, o) for g in ("DE", "FR", "155", "150") for o in ("hospital", "all")}
f2 = os.path.join(tmp, "rel.csv")
write(f2, cells, sup)
out, log = run(f2)
check("norel DEh_new", out.get((P1, N, "DE", "hospital")), (0, 4))
out, log = run(f2, "--vocabulary-relations")
check("rel DEh_new", out.get((P1, N, "DE", "hospital")), (0, 1))
check("rel FRh_new", out.get((P1, N, "FR", "hospital")), (3, 4))
check("rel summary (155, 150 totals pinned by world)", "disclosed (width < 1) 4," in log, True)
out, log = run(f2, "--vocabulary-relations", "--min-suppressed", "1")
check("rel>=1 DEh_new", out.get((P1, N, "DE", "hospital")), (1, 1))
check("rel>=1 FRh_new", out.get((P1, N, "FR", "hospital")), (3, 3))
check("rel>=1 summary", "disclosed (width < 1) 8," in log, True)
# An explicit relation equivalent to the vocabulary one, written the other way round.
out, log = run(f2, "--relation", "exposed_systems - new_systems >= 0")
check("rel2 DEh_new", out.get((P1, N, "DE", "hospital")), (0, 1))

# 3. prev(): period 2 has offline_systems DEh = 1, FRh = 0 suppressed, world published 1. Without
#    relations DEh_off in [0, 1] anyway; use FR: offline FRh <= prev(exposed FRh) = 5 is not binding,
#    so make world 3 with DEh = 1, FRh = 2: DEh_off <= prev exposed DEh = 1 -> DEh in [0, 1],
#    FRh in [2, 3]. The stock-flow identity needs new_systems at period 2, which is absent: not applied.
leaves.update({(P2, E, "DE", "hospital"): 1, (P2, E, "FR", "hospital"): 4,
               (P2, "offline_systems", "DE", "hospital"): 1, (P2, "offline_systems", "FR", "hospital"): 2})
cells = grid(leaves)
O = "offline_systems"
sup2 = sup | {(P2, O, g, o) for g in ("DE", "FR", "155", "150") for o in ("hospital", "all")}
f3 = os.path.join(tmp, "prev.csv")
write(f3, cells, sup2)
out, log = run(f3)
check("noprev DEh_off", out.get((P2, O, "DE", "hospital")), (0, 3))
out, log = run(f3, "--vocabulary-relations", "--relation",
               "exposed_systems = prev(exposed_systems) + new_systems - offline_systems")
check("prev DEh_off", out.get((P2, O, "DE", "hospital")), (0, 1))
check("prev FRh_off", out.get((P2, O, "FR", "hospital")), (2, 3))
check("stock-flow skipped (no new_systems table at P2)", "INFEASIBLE" in log, False)

# 3b. --no-relation-at-breaks: DE/hospital is a break at P2, so offline DEh <= prev(exposed DEh) is
#     not applied there nor at the totals above it (FR's still is: FRh_off <= 5, not binding):
#     back to DEh_off in [0, 3].
f3b = os.path.join(tmp, "breaks.csv")
# (a total is B when any of its leaves is: DE/all and every area above DE, hospital and all)
write(f3b, cells, sup2, breaks={(P2, g, o) for g in ("DE", "155", "150", "001") for o in ("hospital", "all")})
out, log = run(f3b, "--vocabulary-relations")
check("breaks kept DEh_off", out.get((P2, O, "DE", "hospital")), (0, 1))
out, log = run(f3b, "--vocabulary-relations", "--no-relation-at-breaks")
check("breaks skipped DEh_off", out.get((P2, O, "DE", "hospital")), (0, 3))
check("breaks skipped count", "(8 skipped at breaks)" in log, True)

# 4. --same-data with an earlier release that published the square's DEh: everything pinned.
leaves = {(P1, E, "DE", "hospital"): 5, (P1, E, "DE", "clinic"): 3,
          (P1, E, "FR", "hospital"): 7, (P1, E, "FR", "clinic"): 2}
cells = grid(leaves)
f4 = os.path.join(tmp, "old.csv")
write(f4, cells, sup - {(P1, E, "DE", "hospital")} | {(P1, E, "DE", "all")})
out, log = run(f1, "--previous-csv", f4)
check("ignored previous DEh", out.get((P1, E, "DE", "hospital")), (3, 8))
out, log = run(f1, "--previous-csv", f4, "--same-data")
check("same-data DEh", out.get((P1, E, "DE", "hospital")), (5, 5))
check("same-data FRc", out.get((P1, E, "FR", "clinic")), (2, 2))

if FAILS:
    print("\n".join(FAILS))
    sys.exit(1)
print("ok")
