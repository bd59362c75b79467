#!/usr/bin/env python3
"""bigcells.py: write a large made-up cells.csv (random leaves and a random suppression pattern,
NOT a protected report) to time lpattack.py.

Usage: /usr/bin/python3 bench/attack/bigcells.py [N_COUNTRIES [SEED]] > /tmp/big.csv
       /usr/bin/python3 bench/attack/lpattack.py /tmp/big.csv --vocabulary-relations --summary-only

With the defaults (249 countries, seed 1): 4 monthly periods x 4 metrics, half of the
(country, org_type) leaves present, about 11,700 suppressed cells. The systems metrics satisfy
new_systems <= exposed_systems and offline_systems <= prev(exposed_systems) at every leaf.
"""
import csv
import os
import random
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lpattack as L  # noqa: E402  (for the M49 hierarchy only)

n_countries = int(sys.argv[1]) if len(sys.argv) > 1 else 249
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
parent = L.load_m49(L.DEFAULT_M49)


def level(g):
    if g == L.WORLD:
        return "world"
    if g.isalpha():
        return "country"
    return "region" if parent[g] == L.WORLD else "subregion"


countries = sorted(k for k in parent if k.isalpha())[:n_countries]
orgs = ["hospital", "clinic", "radiology_provider", "imaging_center", "research", "government", "other", "unknown"]
periods = ["2019-01-01", "2019-02-01", "2019-03-01", "2019-04-01"]
leafset = [(c, o) for c in countries for o in orgs if random.random() < 0.5]
cells, prev = {}, {}
for p in periods:
    for c, o in leafset:
        e = random.choice([0, 1, 2, 3, 5, 8, 20, 100])
        n = random.randint(0, e)
        off = random.randint(0, prev.get((c, o), 0))
        prev[(c, o)] = e
        for m, v in (("exposed_systems", e), ("new_systems", n), ("offline_systems", off),
                     ("exposed_studies", e * random.randint(10, 100))):
            for g in L.ancestors(c, parent):
                for oo in (o, "all"):
                    k = (p, m, level(g), g, oo)
                    cells[k] = cells.get(k, 0) + v
w = csv.writer(sys.stdout)
w.writerow(["period", "metric", "geo_level", "geo", "org_type", "geo_name", "value", "status"])
for k in sorted(cells):
    s = random.random() < (0.55 if k[2] == "country" else 0.3)
    w.writerow(list(k) + ["-", "" if s else cells[k], "suppressed" if s else "published"])
