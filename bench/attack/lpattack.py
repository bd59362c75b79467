#!/usr/bin/env python3
"""lpattack.py: an outside attacker's LP attack on a published exposure report.

Written independently of the project's Go code, from SPEC.md sections 3-5 only.

The attacker knows (SPEC 4, "What an attacker knows"):
  * every published cell of the report (cells.csv, dumped from cells.parquet by dump.mjs);
  * the grid: every listed cell exists; a (period, metric, geo, org_type) that is not listed is a
    structural zero, known to be 0;
  * the additive relations of every (period, metric) table: country -> sub-region -> region ->
    world ("001"; a country without an M49 region rolls up straight to world), org_type -> "all";
  * relations between metrics of the same (period, geo, org_type) (--relation, repeatable, or
    --vocabulary-relations), where prev(m) is metric m in the report's previous period;
  * non-negativity (or x >= 1 for every suppressed cell with --min-suppressed 1);
  * optionally earlier releases (--previous DIR), each a second set of variables with its own table
    constraints and relations, linked to this release either
      --same-data: the attacker knows the data did not change, so a cell present in both grids has
        one value; or
      --linked-by-inputs: from the manifests (each input's file, source, sha256 and `tables`) and the
        cells' `source` column: a leaf (country x org_type) of table T is the same in two releases
        when every source covering it (in either release) has the same set of input files
        (file + sha256) covering T in both manifests; every other leaf is free in each release.
        Totals are never linked directly (they follow from the leaves). Each release also gets the
        relations its own manifest states (protection.relations).

It builds one sparse LP over all suppressed cells (published values substituted), splits it into
connected components, and for every suppressed cell solves min and max of the cell with
scipy.optimize.linprog (HiGHS) inside its component. With --dataset it also computes the true cells,
applies the primary rules of SPEC 4 independently and counts sensitive cells that the attack narrows
below the protection rule.

Usage:
  lpattack.py CELLS_CSV [--manifest MANIFEST] [--previous-csv OLD_CELLS_CSV
              [--previous-manifest OLD_MANIFEST] ...] [options]
  (bench/attack/run.sh REPORT_DIR [--previous DIR ...] ... does the Parquet -> CSV step, passes
   each folder's manifest.json and calls this script)

Options (see --help): --relation EXPR, --vocabulary-relations, --min-suppressed N,
  --no-relation-at-breaks, --same-data, --linked-by-inputs, --manifest-relations, --dataset DIR, --min-contributors N, --p N, --q X,
  --min-value METRIC=N, --summary-only, --m49 FILE.

Relation syntax: a linear (in)equality of terms "[number *] metric", "[number *] prev(metric)" or a
number, joined by + and -, with one of <=, >=, =. Examples:
  "new_systems <= exposed_systems"
  "offline_systems <= prev(exposed_systems)"
  "exposed_systems = prev(exposed_systems) + new_systems - offline_systems"
"""

import argparse
import collections
import csv
import glob
import json
import math
import os
import re
import sys
import time

try:
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog
    from scipy.sparse.csgraph import connected_components
except ImportError as e:  # e.g. a pyenv python3 first on PATH
    sys.exit(f"lpattack: {e}: needs numpy and scipy (apt-get install -y python3-scipy; "
             f"then run with /usr/bin/python3)")

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_M49 = os.path.normpath(os.path.join(HERE, "..", "..", "schemas", "data", "iso3166-m49.csv"))
VOCABULARY_RELATIONS = [
    "new_systems <= exposed_systems",
    "offline_systems <= prev(exposed_systems)",
]
WORLD = "001"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Geography: parent of every geo code (alpha-2 country, M49 sub-region, M49 region).
# Intermediate regions are not levels. A country without a region goes straight to world.
# --------------------------------------------------------------------------------------------------
def load_m49(path):
    parent = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            a2, reg, sub = r["alpha-2"].strip(), r["region-code"].strip(), r["sub-region-code"].strip()
            if sub:
                parent[a2] = sub
                if reg:
                    parent[sub] = reg
            elif reg:
                parent[a2] = reg
            else:
                parent[a2] = WORLD
            if reg:
                parent[reg] = WORLD
    return parent


def ancestors(geo, parent):
    """geo itself and every area above it, up to world."""
    out = [geo]
    while out[-1] != WORLD:
        p = parent.get(out[-1])
        if p is None:
            raise SystemExit(f"lpattack: geo {out[-1]!r} is not in the M49 hierarchy")
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------------
# A release: the cells of one report. key = (period, metric, geo_level, geo, org_type).
# --------------------------------------------------------------------------------------------------
class Release:
    def __init__(self, path, label):
        self.label = label
        self.value = {}     # key -> int, or None when suppressed
        self.obs = {}       # key -> obs_status, when the file has that column
        self.source = {}    # key -> frozenset of source ids, when the file has a `source` column
        self.manifest = None  # Manifest, when known
        with open(path, newline="", encoding="utf-8-sig") as f:
            rd = csv.DictReader(f)
            need = {"period", "metric", "geo_level", "geo", "org_type", "value", "status"}
            if not need <= set(rd.fieldnames or []):
                raise SystemExit(f"lpattack: {path}: missing columns {sorted(need - set(rd.fieldnames or []))}")
            self.has_obs = "obs_status" in rd.fieldnames
            self.has_source = "source" in rd.fieldnames
            for n, r in enumerate(rd, start=2):
                key = (r["period"], r["metric"], r["geo_level"], r["geo"], r["org_type"])
                if key in self.value:
                    raise SystemExit(f"lpattack: {path}:{n}: duplicate cell {key}")
                st = r["status"]
                if st == "suppressed":
                    if r["value"] not in ("", None):
                        raise SystemExit(f"lpattack: {path}:{n}: suppressed cell with a value")
                    self.value[key] = None
                elif st == "published":
                    self.value[key] = int(r["value"])
                else:
                    raise SystemExit(f"lpattack: {path}:{n}: unknown status {st!r}")
                if self.has_obs:
                    self.obs[key] = r["obs_status"]
                if self.has_source:
                    self.source[key] = frozenset(x.strip() for x in (r["source"] or "").split(",") if x.strip())
        self.periods = sorted({k[0] for k in self.value})
        self.tables = collections.defaultdict(dict)  # (period, metric) -> {(geo_level, geo, org): key}
        for k in self.value:
            self.tables[(k[0], k[1])][(k[2], k[3], k[4])] = k
        self.suppressed = sorted(k for k, v in self.value.items() if v is None)


class Manifest:
    """What a report's manifest.json tells an outsider: the inputs (file, source, sha256, and the
    "YYYY-MM-DD metric" tables each has leaves in) and the relations in force."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
        self.path = path
        self.inputs = m.get("inputs") or []
        self.has_tables = all("tables" in i for i in self.inputs)
        self.files = collections.defaultdict(set)   # (source, table) -> {(file, sha256)}
        self.any_files = collections.defaultdict(set)  # source -> {(file, sha256)}
        for i in self.inputs:
            fs = (i["file"], i["sha256"])
            self.any_files[i["source"]].add(fs)
            for t in i.get("tables") or []:
                p, _, metric = t.partition(" ")
                self.files[(i["source"], (p, metric))].add(fs)
        self.relations = [r.get("relation") or r.get("normal_form")
                          for r in ((m.get("protection") or {}).get("relations") or [])]

    def files_covering(self, source, table):
        """the input files (file, sha256) of `source` with leaves in `table`; without `tables` in the
        manifest (an older format), every input of the source (stricter: fewer leaves linked)."""
        if self.has_tables:
            return frozenset(self.files.get((source, table), ()))
        return frozenset(self.any_files.get(source, ()))


# --------------------------------------------------------------------------------------------------
# Relations between metrics: parsed into ([(coef, metric, lag)], const, op) meaning
#   sum coef * metric[t - lag] + const  op  0,   op in {"<=", "="}.
# --------------------------------------------------------------------------------------------------
TOKEN = re.compile(r"\s*(?:(<=|>=|==|=)|(prev\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\))|([A-Za-z_][A-Za-z0-9_]*)"
                   r"|(\d+(?:\.\d*)?)|([-+*]))")


def parse_relation(text):
    toks, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SystemExit(f"lpattack: cannot parse relation {text!r} at {text[pos:]!r}")
        pos = m.end()
        toks.append(m)
    sides, ops = [[]], []
    for m in toks:
        if m.group(1):
            ops.append(m.group(1))
            sides.append([])
        else:
            sides[-1].append(m)
    if len(ops) != 1:
        raise SystemExit(f"lpattack: relation {text!r} needs exactly one of <=, >=, =")

    def side(ms):
        """one side of the relation: a sum of signed terms -> ([(coef, metric, lag)], constant)."""
        terms, const, sign, coef = [], 0.0, 1.0, None
        for m in ms:
            if m.group(5) in ("+", "-"):
                if coef is not None:          # the number before was a constant term
                    const += sign * coef
                    coef, sign = None, 1.0
                sign *= -1.0 if m.group(5) == "-" else 1.0
            elif m.group(5) == "*":
                if coef is None:
                    raise SystemExit(f"lpattack: relation {text!r}: '*' must follow a number")
            elif m.group(4):
                if coef is not None:
                    raise SystemExit(f"lpattack: relation {text!r}: two numbers in a row")
                coef = float(m.group(4))
            else:
                name, lag = m.group(3), 0
                if m.group(2):
                    name, lag = re.sub(r"prev\s*\(\s*|\s*\)", "", m.group(2)), 1
                terms.append((sign * (coef if coef is not None else 1.0), name, lag))
                coef, sign = None, 1.0
        if coef is not None:                  # a trailing constant
            const += sign * coef
        return terms, const

    lt, lc = side(sides[0])
    rt, rc = side(sides[1])
    op = ops[0]
    terms = lt + [(-c, n, l) for c, n, l in rt]
    const = lc - rc
    if op == ">=":
        terms, const, op = [(-c, n, l) for c, n, l in terms], -const, "<="
    if op == "==":
        op = "="
    merged = collections.defaultdict(float)
    for c, n, l in terms:
        merged[(n, l)] += c
    canon = (tuple(sorted((n, l, c) for (n, l), c in merged.items() if c != 0.0)), const, op)
    return {"text": text, "terms": terms, "const": const, "op": op, "canon": canon}


# --------------------------------------------------------------------------------------------------
# The LP: rows of {var: coef} (op) rhs over the suppressed cells of every release modelled.
# --------------------------------------------------------------------------------------------------
class Model:
    def __init__(self):
        self.var_of = {}     # (release index, key) -> column
        self.vars = []       # column -> (release index, key)
        self.eq, self.ub = [], []   # lists of (dict col->coef, rhs, origin)
        self.violations = []        # constant-only rows that the published values break

    def col(self, ri, key):
        c = self.var_of.get((ri, key))
        if c is None:
            c = self.var_of[(ri, key)] = len(self.vars)
            self.vars.append((ri, key))
        return c

    def add(self, terms, op, origin):
        """terms: list of (coef, ri, release, key); absent key = structural zero; published = constant."""
        row, const = collections.defaultdict(float), 0.0
        for coef, ri, rel, key in terms:
            v = rel.value.get(key, 0) if key is not None else 0
            if key is not None and key in rel.value and v is None:
                row[self.col(ri, key)] += coef
            else:
                const += coef * v
        row = {c: a for c, a in row.items() if a != 0.0}
        rhs = -const
        if not row:  # nothing unknown: a consistency check of the published values
            bad = abs(rhs) > 1e-9 if op == "=" else rhs < -1e-9
            if bad:
                self.violations.append((origin, rhs))
            return False
        (self.eq if op == "=" else self.ub).append((row, rhs, origin))
        return True


def add_table_constraints(model, ri, rel, parent):
    """each total = sum of its grid children, along org_type and along geography."""
    children_org = collections.defaultdict(list)   # (p, m, gl, g) -> leaf org keys
    children_geo = collections.defaultdict(list)   # (p, m, parent geo, o) -> child keys
    for k in rel.value:
        p, m, gl, g, o = k
        if o != "all":
            children_org[(p, m, gl, g)].append(k)
        if gl != "world":
            par = parent.get(g)
            if par is None:
                raise SystemExit(f"lpattack: {rel.label}: geo {g!r} has no parent in the M49 hierarchy")
            children_geo[(p, m, par, o)].append(k)
    n = 0
    for k in rel.value:
        p, m, gl, g, o = k
        if o == "all":
            model.add([(1.0, ri, rel, k)] + [(-1.0, ri, rel, c) for c in children_org[(p, m, gl, g)]],
                      "=", ("org-total", ri, k))
            n += 1
        if gl != "country":
            model.add([(1.0, ri, rel, k)] + [(-1.0, ri, rel, c) for c in children_geo[(p, m, g, o)]],
                      "=", ("geo-total", ri, k))
            n += 1
    return n


def add_relation_constraints(model, ri, rel, relations, skip_breaks):
    n = skipped = 0
    for r in relations:
        metrics = {name for _, name, _ in r["terms"]}
        has_prev = any(lag for _, _, lag in r["terms"])
        for i, t in enumerate(rel.periods):
            if has_prev and i == 0:
                continue
            tp = rel.periods[i - 1] if i > 0 else None
            tabs = {(t if lag == 0 else tp, name) for _, name, lag in r["terms"]}
            if not all(tb in rel.tables for tb in tabs):
                continue  # the relation applies only where every table it names exists
            keys3 = set()
            for tb in tabs:
                keys3.update(rel.tables[tb].keys())
            for k3 in sorted(keys3):
                if skip_breaks and has_prev and rel.has_obs and any(
                        rel.obs.get((t, m) + k3) == "B" for m in metrics):
                    skipped += 1
                    continue
                terms = [(coef, ri, rel, ((t if lag == 0 else tp), name) + k3) for coef, name, lag in r["terms"]]
                if r["const"]:
                    terms.append((r["const"], ri, rel, None))
                model.add(terms, r["op"], ("relation", ri, r["text"], t) + k3)
                n += 1
    return n, skipped


def add_same_data(model, rels):
    """--same-data: a key present in both grids has one value (published in either -> known)."""
    n = 0
    cur = rels[0]
    for ri in range(1, len(rels)):
        old = rels[ri]
        for k in cur.value:
            if k in old.value:
                n += bool(model.add([(1.0, 0, cur, k), (-1.0, ri, old, k)], "=", ("same-data", ri, k)))
    return n


def is_leaf(key):
    return key[2] == "country" and key[4] != "all"


def add_input_links(model, rels):
    """--linked-by-inputs: x_i = x_j at every leaf of table T whose sources (by the cells' `source`
    column, in either release) each have the same input files (file, sha256) covering T in both
    manifests. Every pair of releases is linked. Returns (rows with an unknown, linked leaves,
    leaves left free) summed over the pairs."""
    nrows = nlinked = nfree = 0
    for i in range(len(rels)):
        for j in range(i + 1, len(rels)):
            A, B = rels[i], rels[j]
            MA, MB = A.manifest, B.manifest
            for k in sorted({k for k in A.value if is_leaf(k)} | {k for k in B.value if is_leaf(k)}):
                t = (k[0], k[1])
                srcs = A.source.get(k, frozenset()) | B.source.get(k, frozenset())
                same = bool(srcs)
                for sname in srcs:
                    fa, fb = MA.files_covering(sname, t), MB.files_covering(sname, t)
                    if not fa or fa != fb:
                        same = False
                        break
                if not same:
                    nfree += 1
                    continue
                nlinked += 1
                # a key absent from one grid is a structural zero there (Model.add takes it as 0)
                nrows += bool(model.add([(1.0, i, A, k), (-1.0, j, B, k)], "=", ("linked", i, j, k)))
    return nrows, nlinked, nfree


# --------------------------------------------------------------------------------------------------
# Solving: components, then min and max of every variable.
# --------------------------------------------------------------------------------------------------
def to_csr(rows, ncols, colmap):
    data, ri, ci, b = [], [], [], []
    for i, (row, rhs, _) in enumerate(rows):
        for c, a in row.items():
            ri.append(i)
            ci.append(colmap[c])
            data.append(a)
        b.append(rhs)
    return sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), ncols)), np.array(b, dtype=float)


def implied_bounds(A_eq, b_eq, A_ub, b_ub, n, lb, rounds=30):
    """Bound propagation: from every row sum a_k x_k <= b (an equality is two such rows) and the
    bounds of the other variables, x_j <= (b - min activity of the others) / a_j (a_j > 0), or
    x_j >= ... (a_j < 0). Sound (every feasible x stays inside), used only to recognise optima."""
    parts, rhs = [], []
    if A_ub is not None:
        parts.append(A_ub); rhs.append(b_ub)
    if A_eq is not None:
        parts += [A_eq, -A_eq]; rhs += [b_eq, -b_eq]
    G = sparse.vstack(parts).tocsr()
    h = np.concatenate(rhs)
    G.sum_duplicates()
    rows = np.repeat(np.arange(G.shape[0]), np.diff(G.indptr))
    cols, a = G.indices, G.data
    L = np.full(n, float(lb))
    U = np.full(n, np.inf)
    for _ in range(rounds):
        # each entry's contribution to its row's minimum activity
        c = np.where(a > 0, a * L[cols], a * U[cols])          # -inf where a < 0 and U = inf
        inf = ~np.isfinite(c)
        S = np.bincount(rows, weights=np.where(inf, 0.0, c), minlength=G.shape[0])
        K = np.bincount(rows, weights=inf.astype(float), minlength=G.shape[0])
        rest_inf = K[rows] - inf                                   # infinities among the others
        rest = S[rows] - np.where(inf, 0.0, c)
        ok = rest_inf == 0
        bound = np.where(ok, (h[rows] - rest) / a, np.nan)
        newU, newL = U.copy(), L.copy()
        up = ok & (a > 0)
        np.minimum.at(newU, cols[up], bound[up])
        dn = ok & (a < 0)
        np.maximum.at(newL, cols[dn], bound[dn])
        tol = 1e-9 * (1.0 + np.abs(np.where(np.isfinite(U), U, 0.0)))
        changed = np.any(newU < U - tol) or np.any(newL > L + 1e-9 * (1.0 + np.abs(L)))
        U, L = newU, newL
        if not changed:
            break
    return L, U


def solve(model, lb, progress=True, shortcuts=True, targets=None):
    """targets: release indices whose variables get their min and max (default: all); a component
    with none of them is only checked for feasibility."""
    nv = len(model.vars)
    allrows = model.eq + model.ub
    nr = len(allrows)
    # bipartite graph variables + rows -> connected components of the variables
    ii, jj = [], []
    for r, (row, _, _) in enumerate(allrows):
        for c in row:
            ii.append(nv + r)
            jj.append(c)
    g = sparse.coo_matrix((np.ones(len(ii)), (ii, jj)), shape=(nv + nr, nv + nr))
    ncomp, label = connected_components(g, directed=False)
    comp_vars = collections.defaultdict(list)
    for c in range(nv):
        comp_vars[label[c]].append(c)
    comp_eq, comp_ub = collections.defaultdict(list), collections.defaultdict(list)
    for r, row in enumerate(model.eq):
        comp_eq[label[next(iter(row[0]))]].append(row)
    for r, row in enumerate(model.ub):
        comp_ub[label[next(iter(row[0]))]].append(row)

    lo = np.full(nv, np.nan)
    hi = np.full(nv, np.nan)
    infeasible = []
    sizes = sorted((len(v) for v in comp_vars.values()), reverse=True)
    t0, done, nlp = time.time(), 0, 0
    for comp in sorted(comp_vars, key=lambda k: -len(comp_vars[k])):
        cols = comp_vars[comp]
        colmap = {c: i for i, c in enumerate(cols)}
        n = len(cols)
        eqs, ubs = comp_eq.get(comp, []), comp_ub.get(comp, [])
        A_eq, b_eq = to_csr(eqs, n, colmap) if eqs else (None, None)
        A_ub, b_ub = to_csr(ubs, n, colmap) if ubs else (None, None)
        bounds = [(lb, None)] * n
        if not eqs and not ubs:
            lo[cols], hi[cols] = lb, np.inf
            done += n
            continue

        def run(cvec):
            return linprog(cvec, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")

        # Implied bounds L <= x <= U by bound propagation over the rows (valid, not always tight).
        # Exact shortcut: when a feasible point found by any LP has x_j = L_j (or U_j), then
        # lo_j = L_j (hi_j = U_j) without solving for it; the variable bound lb is one such L.
        L, U = implied_bounds(A_eq, b_eq, A_ub, b_ub, n, lb)
        lo_c = np.full(n, np.nan)
        hi_c = np.full(n, np.nan)

        def harvest(x):
            if x is None or not shortcuts:
                return
            tl = 1e-9 * (1.0 + np.abs(L))
            m = np.isnan(lo_c) & (x <= L + tl)
            lo_c[m] = L[m]
            fin = np.isfinite(U)
            tu = 1e-9 * (1.0 + np.abs(np.where(fin, U, 0.0)))
            m = np.isnan(hi_c) & fin & (x >= U - tu)
            hi_c[m] = U[m]

        first = run(np.ones(n))        # min sum x: feasibility, and a witness low in every cell
        nlp += 1
        if first.status == 2:
            infeasible.append(cols)
            done += n
            continue
        if first.status != 0:
            raise SystemExit(f"lpattack: LP failed on a component of {n} cells: {first.message}")
        harvest(first.x)
        want = [j for j in range(n) if targets is None or model.vars[cols[j]][0] in targets]
        if not want:
            done += n
            continue
        r = run(-np.ones(n))           # max sum x: a witness high in every cell (if bounded)
        nlp += 1
        if r.status == 0:
            harvest(r.x)
        for j in want:
            e = np.zeros(n)
            if np.isnan(lo_c[j]):      # min x_j
                e[j] = 1.0
                r = run(e)
                nlp += 1
                if r.status != 0:
                    raise SystemExit(f"lpattack: min LP failed: {r.message}")
                lo_c[j] = max(lb, r.fun)
                harvest(r.x)
            if np.isnan(hi_c[j]):      # max x_j
                e[j] = -1.0
                r = run(e)
                nlp += 1
                if r.status == 3:
                    hi_c[j] = np.inf
                elif r.status != 0:
                    raise SystemExit(f"lpattack: max LP failed: {r.message}")
                else:
                    hi_c[j] = -r.fun
                    harvest(r.x)
            done += 1
            if progress and sys.stderr.isatty() and done % 200 == 0:
                log(f"  {done}/{nv} cells, {nlp} LPs, {time.time() - t0:.1f}s")
        lo[cols], hi[cols] = lo_c, hi_c
    return lo, hi, ncomp, sizes, infeasible, nlp, time.time() - t0


# --------------------------------------------------------------------------------------------------
# The confidential dataset: true values and primary sensitivity (SPEC 4), computed independently.
# --------------------------------------------------------------------------------------------------
def read_yaml_minimal(path):
    """Just what we need from dataset.yaml: the protection block and the input files."""
    prot, inputs, ignore = {}, [], []
    if not os.path.exists(path):
        return prot, inputs, ignore
    lines = open(path, encoding="utf-8").read().splitlines()
    section = None
    sub = None
    for ln in lines:
        s = ln.split("#", 1)[0].rstrip() if not ln.lstrip().startswith("- {") else ln.rstrip()
        if not s.strip():
            continue
        ind = len(s) - len(s.lstrip())
        if ind == 0:
            section = s.split(":", 1)[0].strip()
            rest = s.split(":", 1)[1].strip() if ":" in s else ""
            if section == "ignore" and rest.startswith("["):
                ignore += [x.strip().strip("'\"") for x in rest.strip("[]").split(",") if x.strip()]
            sub = None
            continue
        body = s.strip()
        if section == "protection":
            k, _, v = body.partition(":")
            k, v = k.strip(), v.strip()
            if ind <= 2:
                sub = None
            if k == "min_value" and not v:
                sub = "min_value"
                prot["min_value"] = {}
            elif sub == "min_value" and ind > 2:
                prot["min_value"][k] = float(v)
            elif k == "min_value" and v.startswith("{"):
                prot["min_value"] = {a.split(":")[0].strip(): float(a.split(":")[1])
                                     for a in v.strip("{}").split(",") if ":" in a}
            elif v:
                prot[k] = float(v)
        elif section == "inputs":
            m = re.search(r"file:\s*['\"]?([^'\",}]+)", body)
            if m:
                inputs.append(m.group(1).strip())
        elif section == "ignore" and body.startswith("-"):
            ignore.append(body[1:].strip().strip("'\""))
    return prot, inputs, ignore


def load_truth(ds_dir, parent):
    prot, inputs, _ = read_yaml_minimal(os.path.join(ds_dir, "dataset.yaml"))
    files = [os.path.join(ds_dir, f) for f in inputs if f.endswith(".csv")]
    if not files:
        files = sorted(glob.glob(os.path.join(ds_dir, "data", "*.csv")))
    if any(not f.endswith(".csv") for f in inputs):
        log("lpattack: warning: Parquet inputs are not read by this tool; only CSV inputs are used")
    agg = {}  # (period, metric, geo, org) -> [value, contributors, tops list, p% applicable]
    nleaves = 0
    for fn in files:
        with open(fn, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                p, c, o, m = r["period"], r["country"], r["org_type"], r["metric"]
                v, n = int(r["value"]), int(r["contributors"])
                l1 = int(r["largest"]) if r.get("largest") not in (None, "") else None
                l2 = int(r["second_largest"]) if r.get("second_largest") not in (None, "") else None
                nleaves += 1
                tops = [x for x in (l1, l2) if x is not None]
                ok = l1 is not None or v == 0   # p% needs `largest` on every non-zero leaf below
                for g in ancestors(c, parent):
                    for oo in (o, "all"):
                        a = agg.setdefault((p, m, g, oo), [0, 0, [], True])
                        a[0] += v
                        a[1] += n
                        if v > 0:
                            a[2].extend(tops)
                        a[3] = a[3] and ok
    return prot, agg, nleaves, files


def sensitive(v, contributors, tops, p_ok, minc, minv, p):
    if v <= 0:
        return False
    if contributors < minc or v < minv:
        return True
    if p_ok and tops:
        t = sorted(tops, reverse=True) + [0]
        l1, l2 = t[0], t[1]
        if v - l1 - l2 < p / 100.0 * l1:
            return True
    return False


# --------------------------------------------------------------------------------------------------
def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if math.isinf(x):
        return "inf"
    r = round(x)
    if abs(x - r) <= 1e-6 * max(1.0, abs(x)):
        return str(int(r))
    return f"{x:.4f}"


def main():
    ap = argparse.ArgumentParser(
        description="LP attack on a published exposure report (cells.csv from dump.mjs).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Usage:", 1)[1])
    ap.add_argument("cells", help="cells.csv of the report (node bench/attack/dump.mjs REPORT_DIR OUT.csv)")
    ap.add_argument("--manifest", metavar="JSON", help="manifest.json of the report (run.sh passes it)")
    ap.add_argument("--previous-csv", action="append", default=[], metavar="CSV",
                    help="cells.csv of an earlier release (repeatable; used with --same-data or --linked-by-inputs)")
    ap.add_argument("--previous-manifest", action="append", default=[], metavar="JSON",
                    help="manifest.json of each earlier release, in the order of --previous-csv")
    link = ap.add_mutually_exclusive_group()
    link.add_argument("--same-data", action="store_true",
                      help="the attacker knows the data did not change between releases: x_new = x_old")
    link.add_argument("--linked-by-inputs", action="store_true",
                      help="link releases leaf by leaf where the manifests show the same input files of every "
                           "source covering the leaf's table (needs the manifests and the cells' source column)")
    ap.add_argument("--manifest-relations", action="store_true",
                    help="add to each release the relations its manifest states (implied by --linked-by-inputs)")
    ap.add_argument("--relation", action="append", default=[], metavar="EXPR",
                    help="relation between metrics of the same (period, geo, org_type) (repeatable)")
    ap.add_argument("--vocabulary-relations", action="store_true",
                    help="add: " + "; ".join(VOCABULARY_RELATIONS))
    ap.add_argument("--no-relation-at-breaks", action="store_true",
                    help="skip prev() relations at keys whose current cell has obs_status B (if the column exists)")
    ap.add_argument("--min-suppressed", type=float, default=0.0, metavar="N",
                    help="lower bound the attacker assumes for every suppressed cell (0; 1 = 'x never hides a zero')")
    ap.add_argument("--m49", default=DEFAULT_M49, help="ISO 3166 / M49 hierarchy CSV (default: %(default)s)")
    ap.add_argument("--dataset", metavar="DIR", help="confidential dataset folder: measure real disclosure")
    ap.add_argument("--min-contributors", type=float, help="threshold rule (default: dataset.yaml, else 3)")
    ap.add_argument("--p", type=float, help="p%% rule (default: dataset.yaml p_percent, else 10)")
    ap.add_argument("--q", type=float, help="required interval (default: dataset.yaml interval, else 0.2)")
    ap.add_argument("--min-value", action="append", default=[], metavar="METRIC=N",
                    help="minimum value rule (default: dataset.yaml, else affected_patients=11)")
    ap.add_argument("--no-shortcuts", action="store_true",
                    help="solve both LPs for every cell (slower; to check the exact witness shortcuts)")
    ap.add_argument("--summary-only", action="store_true", help="do not print one line per suppressed cell")
    ap.add_argument("--worst", type=int, default=20, help="how many narrowed sensitive cells to list")
    a = ap.parse_args()

    parent = load_m49(a.m49)
    rels = [Release(a.cells, "current")]
    if a.previous_csv and not (a.same_data or a.linked_by_inputs):
        log("lpattack: note: earlier releases are ignored without --same-data or --linked-by-inputs")
    if a.same_data or a.linked_by_inputs:
        rels += [Release(p, f"previous#{i + 1}") for i, p in enumerate(a.previous_csv)]
    manifests = [a.manifest] + list(a.previous_manifest)
    use_manifests = a.linked_by_inputs or a.manifest_relations
    if use_manifests:
        if not a.manifest or (len(rels) > 1 and len(a.previous_manifest) != len(a.previous_csv)):
            ap.error("--linked-by-inputs and --manifest-relations need the manifest of every release: "
                     "--manifest, and one --previous-manifest per --previous-csv in the same order "
                     "(run.sh passes them)")
        for ri, rel in enumerate(rels):
            rel.manifest = Manifest(manifests[ri])
            if a.linked_by_inputs and not rel.has_source:
                ap.error(f"--linked-by-inputs: {rel.label}'s cells have no source column")
            if a.linked_by_inputs and not rel.manifest.has_tables:
                log(f"lpattack: note: {rel.manifest.path}: inputs without `tables`; a source's leaves are "
                    f"linked only when all its input files are the same")
    texts = list(a.relation) + (VOCABULARY_RELATIONS if a.vocabulary_relations else [])
    relations = [parse_relation(t) for t in texts]
    rel_of = []   # the relations applied in each release
    for rel in rels:
        rs = list(relations)
        if use_manifests:
            seen = {r["canon"] for r in rs}
            for t in rel.manifest.relations:
                r = parse_relation(t)
                if r["canon"] not in seen:
                    seen.add(r["canon"])
                    rs.append(r)
        rel_of.append(rs)

    model = Model()
    for k in rels[0].suppressed:   # current release's cells first, in key order
        model.col(0, k)
    stats = []
    for ri, rel in enumerate(rels):
        nt = add_table_constraints(model, ri, rel, parent)
        nr, sk = add_relation_constraints(model, ri, rel, rel_of[ri], a.no_relation_at_breaks)
        stats.append(f"{rel.label}: {len(rel.value)} cells, {len(rel.suppressed)} suppressed, "
                     f"{len(rel.periods)} periods, {nt} additive rows, {nr} relation rows"
                     + (f" ({sk} skipped at breaks)" if sk else ""))
    nsame = add_same_data(model, rels) if a.same_data and len(rels) > 1 else 0
    links = add_input_links(model, rels) if a.linked_by_inputs and len(rels) > 1 else None
    for s in stats:
        log("lpattack: " + s)
    for ri, rel in enumerate(rels):
        extra = [r["text"] for r in rel_of[ri][len(relations):]]
        if ri == 0 or extra or use_manifests:
            for r in rel_of[ri]:
                log(f"lpattack: relation in force in {rel.label}: {r['text']}"
                    + ("  (from its manifest)" if r["text"] in extra else ""))
    if nsame:
        log(f"lpattack: same-data equalities with an unknown: {nsame}")
    if links is not None:
        log(f"lpattack: linked-by-inputs: {links[1]} leaves linked ({links[0]} equalities with an unknown), "
            f"{links[2]} leaves free (a changed, new or removed input covers them)")
    if not rels[0].has_obs and a.no_relation_at_breaks:
        log("lpattack: note: cells have no obs_status column; --no-relation-at-breaks has no effect")
    if model.violations:
        log(f"lpattack: WARNING: {len(model.violations)} constraints are broken by the published values alone, e.g.:")
        for o, rhs in model.violations[:5]:
            log(f"    {o} residual {rhs}")
    log(f"lpattack: LP: {len(model.vars)} variables, {len(model.eq)} equalities, {len(model.ub)} inequalities, "
        f"x >= {fmt(a.min_suppressed)}")

    lo, hi, ncomp, sizes, infeasible, nlp, secs = solve(model, a.min_suppressed, shortcuts=not a.no_shortcuts,
                                                         targets={0})
    inf_cells = {c for cols in infeasible for c in cols}

    cur = [c for c, (ri, _) in enumerate(model.vars) if ri == 0]
    width = hi - lo
    disclosed = [c for c in cur if c not in inf_cells and width[c] < 1 - 1e-6]
    exact = [c for c in cur if c not in inf_cells and width[c] <= 1e-6 * max(1.0, abs(lo[c]))]
    if not a.summary_only:
        for c in cur:
            k = model.vars[c][1]
            tag = "  INFEASIBLE" if c in inf_cells else ("  DISCLOSED" if c in disclosed else "")
            print(f"{' '.join(k)} [{fmt(lo[c])}, {fmt(hi[c])}]{tag}")
    print(f"summary: suppressed cells {len(cur)}, components {ncomp} (largest {sizes[0] if sizes else 0} "
          f"variables), disclosed (width < 1) {len(disclosed)}, pinned exactly (width 0) {len(exact)}, "
          f"unbounded above {sum(1 for c in cur if np.isinf(hi[c]))}, "
          f"infeasible components {len(infeasible)} ({len(inf_cells)} variables); {nlp} LPs in {secs:.1f}s")

    if not a.dataset:
        return 1 if disclosed or infeasible else 0

    # ---- the true values and the full rule
    prot, agg, nleaves, files = load_truth(a.dataset, parent)
    minc = a.min_contributors if a.min_contributors is not None else prot.get("min_contributors", 3)
    p = a.p if a.p is not None else prot.get("p_percent", 10)
    q = a.q if a.q is not None else prot.get("interval", 0.2)
    minv = dict(prot.get("min_value", {"affected_patients": 11}))
    for s in a.min_value:
        m, _, n = s.partition("=")
        minv[m.strip()] = float(n)
    log(f"lpattack: dataset {a.dataset}: {nleaves} leaf rows from {len(files)} files; "
        f"rule: min_contributors {fmt(minc)}, min_value {minv}, p {fmt(p)}, q {q}")

    rel = rels[0]
    truth, sens = {}, set()
    mismatch, missing = [], []
    for k, pub in rel.value.items():
        per, m, gl, g, o = k
        t = agg.get((per, m, g, o))
        if t is None:
            missing.append(k)
            truth[k] = 0
            continue
        truth[k] = t[0]
        if pub is not None and pub != t[0]:
            mismatch.append((k, pub, t[0]))
        if sensitive(t[0], t[1], t[2], t[3], minc, minv.get(m, 0), p):
            sens.add(k)
    grid = {(k[0], k[1], k[3], k[4]) for k in rel.value}
    outside = [k for k, t in agg.items() if k not in grid and t[0] != 0]
    if mismatch:
        log(f"lpattack: WARNING: {len(mismatch)} published values differ from the dataset, e.g. {mismatch[:3]}")
    if missing:
        log(f"lpattack: note: {len(missing)} grid cells have no leaf in the dataset (taken as 0)")
    if outside:
        log(f"lpattack: WARNING: {len(outside)} non-zero dataset cells are not in the grid, e.g. {outside[:3]}")

    published_sens = sorted(k for k in sens if rel.value[k] is not None)
    supp_sens = [c for c in cur if model.vars[c][1] in sens]
    col0 = {model.vars[c][1]: c for c in cur}
    zeros = [c for c in cur if truth[model.vars[c][1]] == 0]
    outside_iv = [c for c in cur if c not in inf_cells and
                  not (lo[c] - 1e-6 * max(1, truth[model.vars[c][1]]) <= truth[model.vars[c][1]]
                       <= hi[c] + 1e-6 * max(1, truth[model.vars[c][1]]))]
    narrowed = []
    for c in supp_sens:
        k = model.vars[c][1]
        v = truth[k]
        if c in inf_cells:
            continue  # no interval: the attacker's assumption (x >= --min-suppressed) is refuted there
        tol = 1e-6 * max(1.0, v)
        why = []
        if lo[c] > v * (1 - q) + tol:
            why.append(f"lo > v(1-q)={fmt(v * (1 - q))}")
        if hi[c] < v * (1 + q) - tol:
            why.append(f"hi < v(1+q)={fmt(v * (1 + q))}")
        if hi[c] - lo[c] < 1 - 1e-6:
            why.append("width < 1")
        if why:
            need = max(1.0, 2 * q * v)
            narrowed.append(((hi[c] - lo[c]) / need, k, v, lo[c], hi[c], ", ".join(why)))
    narrowed.sort(key=lambda t: (t[0], t[1]))
    # With --min-suppressed > 0 the attacker's assumption can be false (a zero behind an x): then an
    # interval need not contain the truth. "correct" = narrowed and the true value inside [lo, hi].
    outside_set = set(outside_iv)
    correct = sum(1 for _, k, v, l, h, why in narrowed if col0[k] not in outside_set)
    sens_inf = sum(1 for c in supp_sens if c in inf_cells)
    print(f"dataset: cells {len(rel.value)}, sensitive {len(sens)}, sensitive published {len(published_sens)} "
          f"(failures), sensitive suppressed {len(supp_sens)}, narrowed below the rule {len(narrowed)} "
          f"(q={q}); suppressed cells hiding a zero {len(zeros)} of {len(cur)} "
          f"({100.0 * len(zeros) / max(1, len(cur)):.1f}%); true value outside the LP interval "
          f"{len(outside_iv)}; narrowed with the true value inside the interval {correct}"
          + (f"; sensitive cells in infeasible components {sens_inf}" if infeasible else ""))
    if narrowed:
        pinned = sum(1 for t in narrowed if "width < 1" in t[5])
        lo_only = sum(1 for t in narrowed if t[5].startswith("lo >") and "hi <" not in t[5] and "width" not in t[5])
        hi_only = sum(1 for t in narrowed if t[5].startswith("hi <") and "width" not in t[5])
        print(f"narrowed: width < 1 {pinned}, only lo > v(1-q) {lo_only}, only hi < v(1+q) {hi_only}, "
              f"other {len(narrowed) - pinned - lo_only - hi_only}; by true value: "
              + ", ".join(f"v={v}: {n}" for v, n in sorted(collections.Counter(t[2] for t in narrowed).items())[:8])
              + (" ..." if len({t[2] for t in narrowed}) > 8 else ""))
    for c in zeros[:a.worst]:
        k = model.vars[c][1]
        print(f"  ZERO BEHIND x {' '.join(k)} [{fmt(lo[c])}, {fmt(hi[c])}]")
    for k in published_sens[:a.worst]:
        print(f"  PUBLISHED SENSITIVE {' '.join(k)} v={truth[k]}")
    if narrowed:
        print(f"worst {min(a.worst, len(narrowed))} narrowed sensitive cells (by width / required width):")
        for r, k, v, l, h, why in narrowed[:a.worst]:
            print(f"  {' '.join(k)} v={v} [{fmt(l)}, {fmt(h)}] {why}")
    return 1 if (disclosed or published_sens or narrowed or infeasible) else 0


if __name__ == "__main__":
    sys.exit(main())
