// Package protect is the statistical disclosure control stage: it builds, for every (period, metric),
// the hierarchical table of leaf cells and totals, marks the sensitive cells (primary suppression:
// threshold, minimum value and p% dominance rules), chooses further cells to suppress so that no
// sensitive cell can be narrowed down from the published ones (secondary suppression), and proves it
// with an exact audit before anything leaves the stage.
//
// The rules and their anchors: Hundepool et al., Statistical Disclosure Control (Wiley, 2012), ch. 4
// (sensitivity rules, 4.2; secondary suppression and the protection interval, 4.3).
//
// # The tables are networks
//
// A table is country x organization type with totals along the M49 hierarchy (country ->
// sub-region -> region -> world) and over the organization types (-> all): a 1H2D table, one
// hierarchical dimension and one flat one. Its additive relations form a network (see layout): one
// arc per cell, conservation at each node standing for one relation, the relations of the
// sub-regions' and regions' `all` cells implied by the others. Network matrices are totally
// unimodular, so the bounds of the continuous LP that an attacker solves are integers and equal to
// flow bounds (Castro, "A shortest-paths heuristic for statistical data protection in positive
// tables", INFORMS J. on Computing 19(4), 2007). With published arcs fixed and suppressed arcs free
// in [0, +inf), the largest value of a suppressed cell e = u->v is x_e plus the maximum flow from v
// to u in the residual graph of any feasible flow x without e, the smallest x_e minus the maximum
// flow from u to v (capped at x_e); an augmenting path of forward arcs only means no upper bound.
// Every computation is in int64 (cells up to 2^50), every rule parameter an exact fraction (0.2 is
// 1/5), so no result depends on floating point or on the machine.
//
// # Primary suppression
//
// A cell with value v > 0 is sensitive when contributors < min_contributors, v < min_value of its
// metric, or, where the two largest parts L >= S are known, v - L - S < p/100 L. A total carries the
// sum of its leaves' contributors (an upper bound) and, when every non-zero leaf gives them, the two
// largest parts among its leaves'. A zero is never sensitive, but it may be suppressed as a secondary
// cell (zero.go): a method that never withholds a zero tells everyone that every x is at least 1.
//
// # The joint problem
//
// What an attacker knows is every table at once (SPEC 4), linked by the relations between metrics
// (schemas/relations.go: new_systems <= exposed_systems, offline_systems <= prev(exposed_systems),
// a dataset's stock-flow identity) and by earlier releases (earlier.go). joint.go models them as
// occurrences between tables; a sensitive cell is proved by witnesses, points of the whole system,
// found as moves of templates (tables moving by one circulation, each with a sign), sums of them,
// or a linear program (lpWitness, GLPK through internal/lp), each checked by witness.go. The
// protection runs in three phases (method.go): every table alone in parallel, the cells that need
// moves across tables one after another, then per group of linked tables the republication pass and
// the proof.
//
// # Secondary suppression
//
// A sensitive cell with value v needs upward and downward slack of ceil(v q) each (q the protection
// interval; these integers are exactly lo <= v(1-q) and hi >= v(1+q)), and at least 1 in all. The
// method (protectTable) follows Castro's shortest-path heuristic, with exact flow checks deciding
// every step:
//
//  1. The sensitive cells are taken largest value first (ties in key order). For each direction an
//     Edmonds-Karp maximum flow over the suppressed cells runs with an early stop at the need. When
//     it falls short, a Dijkstra search on the residual graph finds the cheapest path on which
//     published non-zero cells may be used at their weight (value + the table's largest leaf: small
//     cells first, few cells first, on the table's own scale) and suppressed cells almost free;
//     its published cells are suppressed and the flow goes on. Each such step suppresses at least
//     one cell, so the loop ends; suppressing every non-zero cell always protects, so it succeeds.
//  2. The flows found are witnesses: the set of arcs a witness changes is its support, and fixing
//     any other arc leaves it valid. The singleton rule (a single contributor knows its own value;
//     Hundepool et al. 2012, ch. 4, the singleton problem) therefore needs a check only for the
//     singletons in a sensitive cell's support, each with the singleton's arc fixed (the flows
//     therefore avoid single-contributor cells while others can carry the need, which halves the
//     number of these checks). Where the
//     singleton s owns part k = v(s ∩ e) of the sensitive cell e, e cannot fall below k in its
//     eyes, and the literal rule (lo <= v(1-q)) cannot hold when k > v(1-q): the downward need is
//     then capped at v - k, and a cell wholly inside the singleton (k = v) is the contributor's own
//     figure and needs nothing. Everywhere else the rule is applied as SPEC 4 states it.
//  3. Every secondary cell is then tried for publication again, heaviest first, and stays published
//     when every sensitive cell whose support it is in still passes (singletons included). A cell
//     that survives this pass is needed: publishing it alone breaks the rule.
//
// On 200 random tiny tables (at most 16 cells) the pattern has 1.2% more secondary suppressions than
// the optimum found by enumeration, and is optimal in 192 of them (TestBruteForceRatio).
//
// # The audits
//
// Protect ends with the proof: every witness found anew on the final pattern and checked by
// checkWitness, which knows nothing of networks; a failure is an error and nothing is published.
// Audit (and AuditWith, with earlier releases) is the outsider's attack from the published cells
// alone: an LP over every connected part of the joint system that a relation links (jointaudit.go,
// with an exact rational check), and for a table linked to nothing it finds a feasible
// flow (a maximum flow from the nodes the published arcs leave with excess to those they leave
// short; none means the published data are inconsistent, an error naming the relation) and
// computes the exact interval of every suppressed cell. AuditDataset adds the full rule against the
// true values. The flow bounds are checked against gonum's simplex on the relations as SPEC 4
// states them (TestBoundsMatchLP).
package protect
