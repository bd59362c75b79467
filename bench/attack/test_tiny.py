#!/usr/bin/env python3
"""test_tiny.py: sanity checks of lpattack.py on hand-made reports whose intervals are worked out by hand.

Usage: /usr/bin/python3 bench/attack/test_tiny.py      (prints "ok" and exits 0 when every check passes)

Geography used: DE and FR (sub-region 155 Western Europe, region 150 Europe, world 001), TW (no
region: straight to world).
"""
import json
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


def write(path, cells, suppressed, breaks=None, source=None):
    """breaks: None (no obs_status column) or a set of (period, geo, org) whose cells are 'B'.
    source: None (no source column) or {country: source id}; a total gets the sources below it,
    comma-separated and quoted as in a dumped cells.parquet. suppressed: keys (period, metric, geo,
    org); "*" as the geo or org matches any."""
    srcs = {}
    if source is not None:
        for k in cells:
            if k[2] == "country":
                g = k[3]
                while True:
                    for oo in (k[4], "all"):
                        srcs.setdefault((k[0], k[1], g, oo), set()).add(source[k[3]])
                    if g == "001":
                        break
                    g = PARENT[g]
    with open(path, "w") as f:
        f.write("period,metric,geo_level,geo,org_type,geo_name,value,status"
                + (",obs_status,conf_status" if breaks is not None else "")
                + (",source" if source is not None else "") + "\n")
        for k in sorted(cells):
            s = any(q in suppressed for q in [(k[0], k[1], k[3], k[4]), (k[0], k[1], "*", k[4]),
                                              (k[0], k[1], k[3], "*"), (k[0], k[1], "*", "*")]) or k in suppressed
            f.write(",".join(k) + f",name,{'' if s else cells[k]},{'suppressed' if s else 'published'}")
            if breaks is not None:
                f.write(",B" if (k[0], k[3], k[4]) in breaks else ",A")
                f.write(",C" if s else ",F")
            if source is not None:
                f.write(',"' + ",".join(sorted(srcs[(k[0], k[1], k[3], k[4])])) + '"')
            f.write("\n")


def manifest(path, inputs, relations=()):
    """inputs: [(file, source, sha256, [tables "YYYY-MM-DD metric"])] -> a minimal manifest.json."""
    with open(path, "w") as f:
        json.dump({"inputs": [{"file": fi, "source": so, "sha256": sh, "key_id": "K", "rows": 1, "tables": t}
                              for fi, so, sh, t in inputs],
                   "protection": {"relations": [{"relation": r, "normal_form": r} for r in relations]}}, f)


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


tmp = os.environ.get("TINY_TMP") or tempfile.mkdtemp()
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

# 5. --linked-by-inputs, a late file. Release 1 has source a only (DE hospital 5, clinic 3) and
#    publishes the world total 001/all = 8, nothing else. Release 2 adds a late file of source b
#    (FR hospital 7) and publishes 001/all = 15, nothing else. Alone, release 2 gives FRh in [0, 15].
#    a's file is the same in both manifests, so DEh and DEc are linked: DEh + DEc = 8 from release 1,
#    and FRh = 15 - 8 = 7 exactly; DEh stays [0, 8]. FRh is not linked (b is new), nor are totals.
T1 = P1 + " " + E
SRC = {"DE": "a", "FR": "b", "TW": "b"}
old = grid({(P1, E, "DE", "hospital"): 5, (P1, E, "DE", "clinic"): 3})
new = grid({(P1, E, "DE", "hospital"): 5, (P1, E, "DE", "clinic"): 3, (P1, E, "FR", "hospital"): 7})
f5o, f5n = os.path.join(tmp, "late_old.csv"), os.path.join(tmp, "late_new.csv")
write(f5o, old, {k for k in {(P1, E, g, o) for g in ("DE", "155", "150", "001") for o in ("hospital", "clinic", "all")}
                 if k != (P1, E, "001", "all")}, source=SRC)
write(f5n, new, {k for k in {(P1, E, g, o) for g in ("DE", "FR", "155", "150", "001") for o in ("hospital", "clinic", "all")}
                 if k != (P1, E, "001", "all")}, source=SRC)
m5o, m5n = os.path.join(tmp, "late_old.json"), os.path.join(tmp, "late_new.json")
manifest(m5o, [("data/a.csv", "a", "s1", [T1])])
manifest(m5n, [("data/a.csv", "a", "s1", [T1]), ("data/b.csv", "b", "t1", [T1])])
out, log = run(f5n)
check("late alone FRh", out.get((P1, E, "FR", "hospital")), (0, 15))
out, log = run(f5n, "--manifest", m5n, "--previous-csv", f5o, "--previous-manifest", m5o, "--linked-by-inputs")
check("late linked FRh", out.get((P1, E, "FR", "hospital")), (7, 7))
check("late linked DEh", out.get((P1, E, "DE", "hospital")), (0, 8))
check("late linked counts", "linked-by-inputs: 2 leaves linked (2 equalities with an unknown), 1 leaves free" in log, True)
# --same-data would link every key in both grids, the world totals (8 and 15) too: infeasible.
out, log = run(f5n, "--previous-csv", f5o, "--same-data")
check("late same-data infeasible", "INFEASIBLE" in log, True)
# without the manifests --linked-by-inputs refuses to guess
out, log = run(f5n, "--previous-csv", f5o, "--linked-by-inputs")
check("late linked needs manifests", "need the manifest of every release" in log, True)

# 5b. Earlier releases are linked with each other too. Release 3 = release 2's cells, but a's file was
#     corrected (sha s2): nothing of a links release 3 to 1 or 2. b's late file is the same in
#     releases 2 and 3, so FRh_3 = FRh_2, and releases 1 and 2 together pin FRh_2 = 15 - 8 = 7 (as in 5):
#     FRh_3 = 7. Linking each earlier release to the current one only would leave FRh_3 in [0, 15].
m5c = os.path.join(tmp, "late_corr.json")
manifest(m5c, [("data/a.csv", "a", "s2", [T1]), ("data/b.csv", "b", "t1", [T1])])
out, log = run(f5n, "--manifest", m5c, "--previous-csv", f5o, "--previous-manifest", m5o,
               "--previous-csv", f5n, "--previous-manifest", m5n, "--linked-by-inputs")
check("chain FRh", out.get((P1, E, "FR", "hospital")), (7, 7))
check("chain DEh (a changed)", out.get((P1, E, "DE", "hospital")), (0, 8))

# 6. --linked-by-inputs, a corrected file: which leaves are linked. Both releases have DE (source a)
#    and FR (source b), values DEh 5, DEc 3, FRh 7, FRc 2 (the correction changed a value elsewhere).
#    Release 2 is the 2x2 square (leaves suppressed, totals published): alone, DEh in [3, 8].
#    Release 1 published FRh = 7 and nothing else (its other cells are free).
#    6a. b's file changed (sha t1 -> t2): FR's leaves are free, DE's linked but release 1 says nothing
#        about them: DEh still [3, 8].
#    6b. b's file unchanged: FRh is linked, = 7, and the square is pinned: DEh = 5, FRc = 2.
#    6c. b's file for this table unchanged, b's new second file covers another table only (P2):
#        still linked at P1 (the manifests' `tables` tell): pinned as in 6b.
#    6d. as 6c, in an older manifest format without `tables`: every file of b counts, so FR is free.
sq = grid({(P1, E, "DE", "hospital"): 5, (P1, E, "DE", "clinic"): 3,
           (P1, E, "FR", "hospital"): 7, (P1, E, "FR", "clinic"): 2})
f6o, f6n = os.path.join(tmp, "corr_old.csv"), os.path.join(tmp, "corr_new.csv")
write(f6o, sq, {k for k in {(P1, E, g, o) for g in ("DE", "FR", "155", "150", "001")
                            for o in ("hospital", "clinic", "all")} if k != (P1, E, "FR", "hospital")}, source=SRC)
write(f6n, sq, {(P1, E, g, o) for g in ("DE", "FR") for o in ("hospital", "clinic")}, source=SRC)
m6o, m6n = os.path.join(tmp, "corr_old.json"), os.path.join(tmp, "corr_new.json")
manifest(m6o, [("data/a.csv", "a", "s1", [T1]), ("data/b.csv", "b", "t1", [T1])])
args6 = ["--manifest", m6n, "--previous-csv", f6o, "--previous-manifest", m6o, "--linked-by-inputs"]
manifest(m6n, [("data/a.csv", "a", "s1", [T1]), ("data/b.csv", "b", "t2", [T1])])
out, log = run(f6n, *args6)
check("corrected DEh", out.get((P1, E, "DE", "hospital")), (3, 8))
check("corrected counts", "2 leaves linked (2 equalities with an unknown), 2 leaves free" in log, True)
manifest(m6n, [("data/a.csv", "a", "s1", [T1]), ("data/b.csv", "b", "t1", [T1])])
out, log = run(f6n, *args6)
check("unchanged DEh", out.get((P1, E, "DE", "hospital")), (5, 5))
check("unchanged FRc", out.get((P1, E, "FR", "clinic")), (2, 2))
manifest(m6n, [("data/a.csv", "a", "s1", [T1]), ("data/b.csv", "b", "t1", [T1]),
               ("data/b2.csv", "b", "u1", [P2 + " " + E])])
out, log = run(f6n, *args6)
check("other-table file DEh", out.get((P1, E, "DE", "hospital")), (5, 5))
with open(m6n) as f:
    m = json.load(f)
for i in m["inputs"]:
    del i["tables"]
with open(m6n, "w") as f:
    json.dump(m, f)
out, log = run(f6n, *args6)
check("no tables DEh", out.get((P1, E, "DE", "hospital")), (3, 8))

# 7. Relations per release from each manifest (--linked-by-inputs): release 1 states the stock-flow
#    identity, release 2 does not. Release 1, periods P1 and P2, DE/hospital only (source a):
#    exposed 5 -> 6 published, new_systems 3 published, offline suppressed (and its totals): the
#    identity gives offline = 5 + 3 - 6 = 2 in release 1. Release 2 is the same data (same file),
#    offline suppressed, no stated identity: alone [0, 5] (offline <= prev exposed, vocabulary);
#    linked to release 1 and its relations: [2, 2]. Without release 1's relation (--same-data applies
#    only the command line's relations): [0, 5].
lv = {(P1, E, "DE", "hospital"): 5, (P2, E, "DE", "hospital"): 6, (P2, N, "DE", "hospital"): 3,
      (P2, O, "DE", "hospital"): 2}
c7 = grid(lv)
f7o, f7n = os.path.join(tmp, "sf_old.csv"), os.path.join(tmp, "sf_new.csv")
hide7 = {(P2, O, "*", "*")}
write(f7o, c7, hide7, source=SRC)
write(f7n, c7, hide7, source=SRC)
m7o, m7n = os.path.join(tmp, "sf_old.json"), os.path.join(tmp, "sf_new.json")
tabs7 = [P1 + " " + E, P2 + " " + E, P2 + " " + N, P2 + " " + O]
VOCAB = ["new_systems <= exposed_systems", "offline_systems <= prev(exposed_systems)"]
manifest(m7o, [("data/a.csv", "a", "s1", tabs7)],
         VOCAB + ["exposed_systems = prev(exposed_systems) + new_systems - offline_systems"])
manifest(m7n, [("data/a.csv", "a", "s1", tabs7)], VOCAB)
out, log = run(f7n, "--vocabulary-relations")
check("sf alone", out.get((P2, O, "DE", "hospital")), (0, 5))
out, log = run(f7n, "--vocabulary-relations", "--previous-csv", f7o, "--same-data")
check("sf same-data, command-line relations only", out.get((P2, O, "DE", "hospital")), (0, 5))
out, log = run(f7n, "--vocabulary-relations", "--manifest", m7n, "--previous-csv", f7o,
               "--previous-manifest", m7o, "--linked-by-inputs")
check("sf linked with release 1's relations", out.get((P2, O, "DE", "hospital")), (2, 2))
check("sf relation from manifest logged", "(from its manifest)" in log, True)

if FAILS:
    print("\n".join(FAILS))
    sys.exit(1)
print("ok")
