package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// The metric codes the bundled dataset uses (the default vocabulary's).
const (
	mSystems  = "exposed_systems"
	mStudies  = "exposed_studies"
	mImages   = "exposed_images"
	mPatients = "affected_patients"
	mNew      = "new_systems"
	mOffline  = "offline_systems"
	mHigh     = "high_vulnerabilities"
	mCritical = "critical_vulnerabilities"
)

// worldCode marks a world total in figures.csv: the M49 code of the world.
const worldCode = schemas.WorldCode

// snapshot is one submission file: one source's measurement at one date.
type snapshot struct {
	File    string   // path relative to the dataset folder
	Source  string   // source id in dataset.yaml
	Period  string   // snapshot date
	Metrics []string // metrics measured, in the order their values are derived
	// present reports whether a country of allocation.csv is in the snapshot.
	present func(plan countryPlan) bool
	// previous is the index of the snapshot that new and offline systems are counted against, or -1.
	previous int
}

// snapshots are the three submissions of the bundled dataset, in derivation order: Greenbone's first
// report, its 60-day review, and NNT's later US tally.
var snapshots = []snapshot{
	{
		File: "data/greenbone-2019-09.csv", Source: "greenbone", Period: "2019-09-16",
		Metrics:  []string{mSystems, mStudies, mImages, mPatients, mHigh, mCritical},
		present:  func(p countryPlan) bool { return p.Sep },
		previous: -1,
	},
	{
		File: "data/greenbone-2019-11.csv", Source: "greenbone", Period: "2019-11-17",
		Metrics:  []string{mSystems, mNew, mOffline, mStudies, mImages, mPatients},
		present:  func(p countryPlan) bool { return p.Nov != novAbsent },
		previous: 0,
	},
	{
		File: "data/nnt-2020-12.csv", Source: "nnt", Period: "2020-12-31",
		Metrics:  []string{mSystems, mStudies, mImages, mPatients, mHigh, mCritical},
		present:  func(p countryPlan) bool { return p.Code == "US" },
		previous: -1,
	},
}

// countsFlows reports whether the snapshot counts new and offline systems, the flows between its
// previous snapshot's systems and its own.
func (s snapshot) countsFlows() bool {
	return contains(s.Metrics, mNew) || contains(s.Metrics, mOffline)
}

// The values of allocation.csv's nov column.
const (
	novExposed = "exposed" // present with exposed systems
	novZero    = "zero"    // present with every system taken offline: a zero
	novAbsent  = "no"      // not in the snapshot
)

// figure is one row of figures.csv: a published number (basis S), a number computed from published
// ones (C) or derived from a published statement (D).
type figure struct {
	Source, Period, Country, Metric string
	Kind                            string // "total": the national or world value; "largest": the largest organization's part
	Value                           int64
	Basis, Refs, Note               string
	Line                            int
}

// countryPlan is one row of allocation.csv: a country of the bundled dataset, in which snapshots it
// appears and its weight in the illustrative allocation of the systems that no source places.
type countryPlan struct {
	Code    string
	Weight  int64
	Sep     bool   // in Greenbone's first report
	Nov     string // novExposed, novZero or novAbsent
	NamedBy string // ids of the sources that name the country; empty for an illustrative choice
}

// orgShares is the fixed split of every national figure over the organization types, in percent,
// in the vocabulary's order. It is an illustrative rule, not a measurement: no source gives counts by
// organization type. It follows the sources' qualitative account (mostly independent radiology
// practices, imaging centres and doctors' offices; fewer hospitals; some military images).
var orgShares = []struct {
	Org   string
	Share int64
}{
	{"hospital", 15},
	{"clinic", 20},
	{"radiology_provider", 30},
	{"imaging_center", 20},
	{"research", 4},
	{"government", 3},
	{"other", 3},
	{"unknown", 5},
}

// dominanceRule is the illustrative largest and second largest organization's part, in percent of a
// leaf, given on exposed_studies and exposed_images leaves with at least 3 contributors. Hospital
// leaves are dominated by one or two hospital groups (and fail the p% rule at p = 10); the others are not.
func dominanceRule(org string) (largest, second int64) {
	if org == "hospital" {
		return 60, 35
	}
	return 40, 20
}

// publishedLargestOrg is the organization type whose leaf carries a published largest part: the
// sources' largest archives belong to radiology service providers (one is a mobile X-ray service).
// The illustrative parts of the country's other leaves of the same metric are capped at it.
const publishedLargestOrg = "radiology_provider"

// leaf is one submitted cell of the bundled dataset.
type leaf struct {
	Country, Org, Metric   string
	Value, Contributors    int64
	Largest, SecondLargest int64 // -1 when not given
}

// tables are the inputs of the generator, read from the dataset folder.
type tables struct {
	Figures []figure
	Plans   []countryPlan // sorted by code
}

// readTables reads figures.csv and allocation.csv from the dataset folder.
func readTables(dir string) (*tables, error) {
	t := &tables{}
	rows, err := readCSV(filepath.Join(dir, "figures.csv"),
		[]string{"source", "period", "country", "metric", "kind", "value", "basis", "refs", "note"})
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		line := i + 2
		v, err := strconv.ParseInt(r[5], 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("figures.csv:%d: value %q is not a non-negative integer", line, r[5])
		}
		if r[4] != "total" && r[4] != "largest" {
			return nil, fmt.Errorf("figures.csv:%d: kind %q is neither total nor largest", line, r[4])
		}
		if r[6] != "S" && r[6] != "C" && r[6] != "D" {
			return nil, fmt.Errorf("figures.csv:%d: basis %q is not S, C or D", line, r[6])
		}
		if r[7] == "" {
			return nil, fmt.Errorf("figures.csv:%d: no source reference", line)
		}
		t.Figures = append(t.Figures, figure{Source: r[0], Period: r[1], Country: r[2], Metric: r[3], Kind: r[4],
			Value: v, Basis: r[6], Refs: r[7], Note: r[8], Line: line})
	}
	rows, err = readCSV(filepath.Join(dir, "allocation.csv"), []string{"country", "weight", "sep", "nov", "named_by", "note"})
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		line := i + 2
		w, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil || w < 1 {
			return nil, fmt.Errorf("allocation.csv:%d: weight %q is not a positive integer", line, r[1])
		}
		if r[2] != "yes" && r[2] != "no" {
			return nil, fmt.Errorf("allocation.csv:%d: sep %q is neither yes nor no", line, r[2])
		}
		if r[3] != novExposed && r[3] != novZero && r[3] != novAbsent {
			return nil, fmt.Errorf("allocation.csv:%d: nov %q is not exposed, zero or no", line, r[3])
		}
		t.Plans = append(t.Plans, countryPlan{Code: r[0], Weight: w, Sep: r[2] == "yes", Nov: r[3], NamedBy: r[4]})
	}
	sort.Slice(t.Plans, func(i, j int) bool { return t.Plans[i].Code < t.Plans[j].Code })
	return t, nil
}

// readCSV reads a CSV file whose header must be exactly header and returns its data rows.
func readCSV(path string, header []string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("%s: header %v, want %v", path, head, header)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

// national holds the national value of every (country, metric) of one snapshot.
type national map[string]map[string]int64

func (n national) get(country, metric string) int64 { return n[country][metric] }

// world returns the sum of a metric over every country, the world total.
func (n national) world(metric string) int64 {
	var sum int64
	for _, values := range n {
		sum += values[metric]
	}
	return sum
}

func (n national) set(country, metric string, v int64) {
	if n[country] == nil {
		n[country] = map[string]int64{}
	}
	n[country][metric] = v
}

// build derives the leaf cells of every snapshot from the tables by the stated rules and returns the
// content of each data file, by its path relative to the dataset folder.
func build(t *tables) (map[string][]byte, error) {
	vocab, err := schemas.Default()
	if err != nil {
		return nil, err
	}
	if err := checkFigures(t, vocab); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	var nationals []national
	var sysLeaves []map[string][]int64 // per snapshot, per country: systems per organization type
	for _, snap := range snapshots {
		var countries []countryPlan
		for _, p := range t.Plans {
			if snap.present(p) {
				countries = append(countries, p)
			}
		}
		var prev national
		var prevSys map[string][]int64
		if snap.previous >= 0 {
			prev, prevSys = nationals[snap.previous], sysLeaves[snap.previous]
		}
		nat, err := nationalValues(t, snap, countries, prev, prevSys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", snap.File, err)
		}
		leaves, sys, err := splitByOrg(t, snap, countries, nat, prevSys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", snap.File, err)
		}
		nationals = append(nationals, nat)
		sysLeaves = append(sysLeaves, sys)
		files[snap.File] = formatLeaves(snap.Period, leaves)

	}
	return files, nil
}

// checkFigures refuses a figures table that names a code outside the vocabulary, a snapshot, metric
// or country that the bundled dataset does not have, or the same figure twice.
func checkFigures(t *tables, vocab *schemas.Vocabulary) error {
	plans := map[string]countryPlan{}
	for _, p := range t.Plans {
		if _, ok := vocab.Geo.CountryByCode(p.Code); !ok {
			return fmt.Errorf("allocation.csv: %s is not an ISO 3166-1 alpha-2 code", p.Code)
		}
		if _, dup := plans[p.Code]; dup {
			return fmt.Errorf("allocation.csv: %s appears twice", p.Code)
		}
		plans[p.Code] = p
	}
	seen := map[string]int{}
	for _, f := range t.Figures {
		var snap *snapshot
		for i := range snapshots {
			if snapshots[i].Source == f.Source && snapshots[i].Period == f.Period {
				snap = &snapshots[i]
			}
		}
		if snap == nil {
			return fmt.Errorf("figures.csv:%d: no snapshot of %s at %s", f.Line, f.Source, f.Period)
		}
		if !contains(snap.Metrics, f.Metric) {
			return fmt.Errorf("figures.csv:%d: %s does not measure %s", f.Line, snap.File, f.Metric)
		}
		if f.Country != worldCode {
			p, ok := plans[f.Country]
			if !ok || !snap.present(p) {
				return fmt.Errorf("figures.csv:%d: %s is not in %s (see allocation.csv)", f.Line, f.Country, snap.File)
			}
		}
		key := strings.Join([]string{f.Source, f.Period, f.Country, f.Metric, f.Kind}, "/")
		if line, dup := seen[key]; dup {
			return fmt.Errorf("figures.csv:%d: the same figure as line %d", f.Line, line)
		}
		seen[key] = f.Line
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// figureOf returns the figure of a snapshot, country, metric and kind, if figures.csv has it.
func (t *tables) figureOf(snap snapshot, country, metric, kind string) (int64, bool) {
	for _, f := range t.Figures {
		if f.Source == snap.Source && f.Period == snap.Period && f.Country == country && f.Metric == metric && f.Kind == kind {
			return f.Value, true
		}
	}
	return 0, false
}

// nationalValues derives the national value of every metric of the snapshot for every country in it.
// prev and prevSys are the previous snapshot's national values and systems per organization type
// (nil for the first snapshot).
//
// Rules, per metric in the snapshot's order:
//  1. A published national figure is taken as it is.
//  2. A country whose every system went offline (nov = zero) has 0 exposed systems, studies, images
//     and patients (and, by nationalFlows, 0 new systems and as many offline systems as it had
//     exposed systems before).
//  3. A country first seen in this snapshot has all its systems new (by nationalFlows).
//  4. The rest of a published world total goes to the other countries, largest-remainder rounding
//     throughout. Systems: one each, then in proportion to allocation.csv's weights (first snapshot)
//     or to the country's systems in the previous snapshot. Studies and images: in proportion to the
//     country's value in the previous snapshot (a newcomer: its systems times the previous world
//     value per system); in the first snapshot, studies in proportion to systems and images to
//     studies. Vulnerabilities: in proportion to systems.
//  5. Affected patients, which have no world total: studies times the ratio of the US's published
//     patients to its published studies in the same snapshot.
//  6. New and offline systems, after the other metrics, keep the stock-flow identity in every country
//     and can keep it at every leaf: see nationalFlows.
func nationalValues(t *tables, snap snapshot, countries []countryPlan, prev national, prevSys map[string][]int64) (national, error) {
	nat := national{}
	for _, metric := range snap.Metrics {
		if metric == mNew || metric == mOffline {
			continue // derived together, from the systems, after the loop
		}
		var free []countryPlan
		var fixedSum int64
		for _, c := range countries {
			v, fixed := t.figureOf(snap, c.Code, metric, "total")
			switch {
			case fixed && c.Nov == novZero && snap.previous >= 0 && metric == mSystems && v != 0:
				return nil, fmt.Errorf("%s is planned as all offline but has %d %s", c.Code, v, metric)
			case fixed:
			case c.Nov == novZero && snap.previous >= 0:
				fixed = true
			}
			if fixed {
				nat.set(c.Code, metric, v)
				fixedSum += v
			} else {
				free = append(free, c)
			}
		}
		if len(free) == 0 {
			continue
		}
		world, ok := t.figureOf(snap, worldCode, metric, "total")
		if !ok {
			if metric != mPatients {
				return nil, fmt.Errorf("no world total and no rule for %s of %d countries", metric, len(free))
			}
			usPatients, ok1 := t.figureOf(snap, "US", mPatients, "total")
			usStudies, ok2 := t.figureOf(snap, "US", mStudies, "total")
			if !ok1 || !ok2 || usStudies == 0 {
				return nil, fmt.Errorf("affected_patients: the rule needs the US's published patients and studies")
			}
			for _, c := range free {
				studies := nat.get(c.Code, mStudies)
				nat.set(c.Code, metric, (studies*usPatients+usStudies/2)/usStudies)
			}
			continue
		}
		rest := world - fixedSum
		if rest < 0 {
			return nil, fmt.Errorf("%s: the published national figures (%d) exceed the world total (%d)", metric, fixedSum, world)
		}
		keys := make([]int64, len(free))
		minimum := int64(0)
		for i, c := range free {
			switch {
			case metric == mSystems && prev == nil:
				keys[i], minimum = c.Weight, 1
			case metric == mSystems:
				keys[i], minimum = prev.get(c.Code, mSystems), 1
			case (metric == mStudies || metric == mImages) && prev != nil:
				keys[i] = prev.get(c.Code, metric)
				if !c.Sep {
					// A newcomer counts as if its systems held the previous world average per system.
					keys[i] = nat.get(c.Code, mSystems) * prev.world(metric) / prev.world(mSystems)
				}
			case metric == mStudies, metric == mHigh, metric == mCritical:
				keys[i] = nat.get(c.Code, mSystems)
			case metric == mImages:
				keys[i] = nat.get(c.Code, mStudies)
			default:
				return nil, fmt.Errorf("no allocation rule for %s", metric)
			}
		}
		if rest < minimum*int64(len(free)) {
			return nil, fmt.Errorf("%s: %d left of the world total, less than %d for each of %d countries", metric, rest, minimum, len(free))
		}
		parts, err := allocate(rest-minimum*int64(len(free)), keys, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", metric, err)
		}
		for i, c := range free {
			nat.set(c.Code, metric, minimum+parts[i])
		}
	}
	if snap.countsFlows() {
		if prev == nil || !contains(snap.Metrics, mNew) || !contains(snap.Metrics, mOffline) {
			return nil, fmt.Errorf("new and offline systems are counted together, against a previous snapshot")
		}
		if err := nationalFlows(t, snap, countries, nat, prev, prevSys); err != nil {
			return nil, err
		}
	}
	return nat, nil
}

// leafChange is what the systems of one country did between two snapshots, leaf by leaf (per
// organization type): the sum of the leaves' increases and the systems kept (present in both).
type leafChange struct {
	Increase int64 // sum over the leaves of max(after - before, 0)
	Kept     int64 // sum over the leaves of min(before, after)
}

// changeOf returns the leaf change between before and after, the systems per organization type of
// the previous and the current snapshot (before nil: the country is new).
func changeOf(before, after []int64) leafChange {
	var c leafChange
	for i, n := range after {
		var s int64
		if before != nil {
			s = before[i]
		}
		c.Increase += max(n-s, 0)
		c.Kept += min(s, n)
	}
	return c
}

// nationalFlows derives every country's new and offline systems so that the stock-flow identity
//
//	systems = previous systems + new - offline
//
// holds in every country and can be kept at every leaf (see splitFlows): the country's new systems
// are its leaves' increases plus a turnover (systems taken offline and replaced in the same leaf)
// between 0 and its kept systems, and its offline systems are its new systems minus its net change.
//
// Rules:
//  1. A country with a published new or offline figure (the US) takes it as it is, the other flow
//     following from the identity (or, both published, checked against it); its turnover must lie
//     between 0 and its kept systems.
//  2. The other countries share, as turnover, the rest of the world's new systems: the world total
//     minus the published countries' new systems and minus every other country's increases. The
//     share is in proportion to the country's kept systems, at most those, largest-remainder
//     rounding. So a country whose every system went offline, and a newcomer, which keep none, have
//     no turnover: the first has as many offline systems as it had systems, the second all its
//     systems new.
//  3. The offline systems then sum to the world's by the identity; a world total that disagrees
//     (world systems != previous world systems + new - offline) is an error.
func nationalFlows(t *tables, snap snapshot, countries []countryPlan, nat, prev national, prevSys map[string][]int64) error {
	var free []countryPlan
	var kept []int64
	fixedNew, freeIncrease := int64(0), int64(0)
	increase := map[string]int64{}
	for _, c := range countries {
		after, err := splitSystems(nat.get(c.Code, mSystems), shareKeys())
		if err != nil {
			return fmt.Errorf("%s systems: %w", c.Code, err)
		}
		change := changeOf(prevSys[c.Code], after)
		increase[c.Code] = change.Increase
		net := nat.get(c.Code, mSystems) - prev.get(c.Code, mSystems)
		newFig, hasNew := t.figureOf(snap, c.Code, mNew, "total")
		offFig, hasOff := t.figureOf(snap, c.Code, mOffline, "total")
		switch {
		case hasNew && hasOff && newFig-offFig != net:
			return fmt.Errorf("%s: the published %d new and %d offline systems break the identity with its %d systems (before: %d)",
				c.Code, newFig, offFig, nat.get(c.Code, mSystems), prev.get(c.Code, mSystems))
		case !hasNew && hasOff:
			newFig, hasNew = offFig+net, true
		}
		if !hasNew {
			free = append(free, c)
			kept = append(kept, change.Kept)
			freeIncrease += change.Increase
			continue
		}
		if newFig < change.Increase || newFig > change.Increase+change.Kept {
			return fmt.Errorf("%s: %d new systems cannot keep the identity at every organization type: they must lie between %d and %d",
				c.Code, newFig, change.Increase, change.Increase+change.Kept)
		}
		nat.set(c.Code, mNew, newFig)
		nat.set(c.Code, mOffline, newFig-net)
		fixedNew += newFig
	}
	worldNew, ok := t.figureOf(snap, worldCode, mNew, "total")
	if !ok {
		return fmt.Errorf("no world total of %s to share among %d countries", mNew, len(free))
	}
	turnover := worldNew - fixedNew - freeIncrease
	if turnover < 0 {
		return fmt.Errorf("%s: %d left of the world total, fewer than the other countries' increases (%d)", mNew, worldNew-fixedNew, freeIncrease)
	}
	parts, err := allocate(turnover, kept, kept)
	if err != nil {
		return fmt.Errorf("%s turnover: %w", mNew, err)
	}
	for i, c := range free {
		v := increase[c.Code] + parts[i]
		nat.set(c.Code, mNew, v)
		nat.set(c.Code, mOffline, v-(nat.get(c.Code, mSystems)-prev.get(c.Code, mSystems)))
	}
	if worldOff, ok := t.figureOf(snap, worldCode, mOffline, "total"); ok && nat.world(mOffline) != worldOff {
		return fmt.Errorf("the world totals break the identity: %d systems, %d before, %d new, %d offline",
			nat.world(mSystems), prev.world(mSystems), worldNew, worldOff)
	}
	return nil
}

// splitFlows splits a country's new systems over its organization types so that every leaf keeps
// the stock-flow identity: at a type with before systems s and after systems n, new = max(n - s, 0)
// + t and offline = max(s - n, 0) + t, where the turnover t (systems taken offline and replaced in
// the same leaf) lies between 0 and min(s, n). Then new <= n and offline <= s, as the vocabulary's
// relations require. The country's turnover (newTotal minus the leaves' increases) is shared in
// proportion to min(s, n), at most that, largest-remainder rounding; it must lie between 0 and the
// kept systems. before is nil for a country new in the snapshot.
func splitFlows(before, after []int64, newTotal int64) (newParts, offParts []int64, err error) {
	change := changeOf(before, after)
	if newTotal < change.Increase || newTotal > change.Increase+change.Kept {
		return nil, nil, fmt.Errorf("%d new systems cannot keep the identity at every organization type: they must lie between %d and %d",
			newTotal, change.Increase, change.Increase+change.Kept)
	}
	kept := make([]int64, len(after))
	for i, n := range after {
		if before != nil {
			kept[i] = min(before[i], n)
		}
	}
	turnover, err := allocate(newTotal-change.Increase, kept, kept)
	if err != nil {
		return nil, nil, err
	}
	newParts, offParts = make([]int64, len(after)), make([]int64, len(after))
	for i, n := range after {
		var s int64
		if before != nil {
			s = before[i]
		}
		newParts[i] = max(n-s, 0) + turnover[i]
		offParts[i] = max(s-n, 0) + turnover[i]
	}
	return newParts, offParts, nil
}

// shareKeys returns orgShares' shares, in the vocabulary's order, as allocation keys.
func shareKeys() []int64 {
	shares := make([]int64, len(orgShares))
	for i, o := range orgShares {
		shares[i] = o.Share
	}
	return shares
}

// splitByOrg splits every national value over the organization types and gives each leaf its
// contributors and, where the rules say so, its largest parts. It also returns the systems per
// organization type of each country, which the next snapshot's flows are counted against.
//
// Rules:
//   - Systems are split by splitSystems; new and offline systems by splitFlows, which keeps the
//     stock-flow identity at every leaf (so a country whose every system went offline loses them as
//     they were); every other metric over the types that have systems in the snapshot, by
//     orgShares renormalized.
//   - Contributors: a leaf of n systems has ceil(2n/3) organizations behind it (some operators run
//     more than one archive), so leaves of up to 4 systems have 1-2 organizations and fall under the
//     threshold rule. Other metrics have as many contributors as the systems leaf, at most the
//     value; new and offline systems ceil(2v/3) of their own value v.
//   - Largest parts: see dominanceRule and publishedLargestOrg.
func splitByOrg(t *tables, snap snapshot, countries []countryPlan, nat national, prevSys map[string][]int64) ([]leaf, map[string][]int64, error) {
	shares := shareKeys()
	sysOut := map[string][]int64{}
	var leaves []leaf
	for _, c := range countries {
		sys, err := splitSystems(nat.get(c.Code, mSystems), shares)
		if err != nil {
			return nil, nil, fmt.Errorf("%s systems: %w", c.Code, err)
		}
		sysOut[c.Code] = sys
		before := prevSys[c.Code]
		emitted := make([]bool, len(orgShares))
		for i := range orgShares {
			emitted[i] = sys[i] > 0 || (before != nil && before[i] > 0)
		}
		perMetric := map[string][]int64{mSystems: sys}
		if snap.countsFlows() {
			newParts, offParts, err := splitFlows(before, sys, nat.get(c.Code, mNew))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", c.Code, err)
			}
			perMetric[mNew], perMetric[mOffline] = newParts, offParts
		}
		for _, metric := range snap.Metrics {
			if _, done := perMetric[metric]; done {
				continue
			}
			masked := make([]int64, len(shares))
			for i := range shares {
				if sys[i] > 0 {
					masked[i] = shares[i]
				}
			}
			parts, err := allocate(nat.get(c.Code, metric), masked, nil)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", c.Code, metric, err)
			}
			perMetric[metric] = parts
		}
		for i, o := range orgShares {
			if !emitted[i] {
				continue
			}
			orgs := (2*sys[i] + 2) / 3
			for _, metric := range snap.Metrics {
				v := perMetric[metric][i]
				l := leaf{Country: c.Code, Org: o.Org, Metric: metric, Value: v, Largest: -1, SecondLargest: -1}
				switch {
				case v == 0:
				case metric == mSystems:
					l.Contributors = orgs
				case metric == mNew || metric == mOffline:
					l.Contributors = (2*v + 2) / 3
				default:
					l.Contributors = min(orgs, v)
				}
				if err := setDominance(t, snap, &l); err != nil {
					return nil, nil, err
				}
				leaves = append(leaves, l)
			}
		}
	}
	return leaves, sysOut, nil
}

// minLeafSystems is the fewest systems the split by organization type puts in a leaf, where the
// country has that many: a country's handful of systems is not spread thinner than the sources could
// have told apart.
const minLeafSystems = 3

// splitSystems splits a country's systems over the organization types: over the k types with the
// largest shares (ties in vocabulary order), k the largest number for which every part holds at least
// minLeafSystems systems, by shares renormalized and largest-remainder rounding.
func splitSystems(total int64, shares []int64) ([]int64, error) {
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return shares[order[a]] > shares[order[b]] })
	for k := len(shares); k >= 1; k-- {
		masked := make([]int64, len(shares))
		for _, i := range order[:k] {
			masked[i] = shares[i]
		}
		parts, err := allocate(total, masked, nil)
		if err != nil {
			return nil, err
		}
		smallest := total
		for _, i := range order[:k] {
			smallest = min(smallest, parts[i])
		}
		if smallest >= minLeafSystems || k == 1 {
			return parts, nil
		}
	}
	return nil, fmt.Errorf("no organization types")
}

// setDominance gives a leaf its largest parts by the stated rules and checks them against SPEC 3.1.
func setDominance(t *tables, snap snapshot, l *leaf) error {
	a, b := dominanceRule(l.Org)
	if (l.Metric == mStudies || l.Metric == mImages) && l.Contributors >= 3 {
		l.Largest, l.SecondLargest = l.Value*a/100, l.Value*b/100
	}
	if largest, ok := t.figureOf(snap, l.Country, l.Metric, "largest"); ok {
		switch {
		case l.Org == publishedLargestOrg && largest > l.Value:
			return fmt.Errorf("%s %s %s: the published largest part %d exceeds the leaf's value %d", l.Country, l.Org, l.Metric, largest, l.Value)
		case l.Org == publishedLargestOrg:
			l.Largest = largest
			l.SecondLargest = min(l.Value*b/100, l.Value-largest, largest)
		case l.Largest >= 0:
			// No illustrative part may exceed the country's published largest one.
			l.Largest = min(l.Largest, largest)
			l.SecondLargest = min(l.SecondLargest, l.Largest)
		}
	}
	if l.Largest >= 0 && (l.Largest > l.Value || l.SecondLargest > l.Largest || l.Largest+l.SecondLargest > l.Value) {
		return fmt.Errorf("%s %s %s: largest parts %d, %d do not fit value %d", l.Country, l.Org, l.Metric, l.Largest, l.SecondLargest, l.Value)
	}
	return nil
}

// submissionHeader is the header of every data file: the columns of schemas.Submission, in order.
var submissionHeader = strings.Join(schemas.Submission.Names(), ",")

// formatLeaves writes the leaves of one snapshot as a submission CSV: header, LF line ends, rows
// sorted by (country, org_type, metric) code.
func formatLeaves(period string, leaves []leaf) []byte {
	sort.Slice(leaves, func(i, j int) bool {
		a, b := leaves[i], leaves[j]
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		if a.Org != b.Org {
			return a.Org < b.Org
		}
		return a.Metric < b.Metric
	})
	var buf bytes.Buffer
	buf.WriteString(submissionHeader + "\n")
	for _, l := range leaves {
		fmt.Fprintf(&buf, "%s,%s,%s,%s,%d,%d,", period, l.Country, l.Org, l.Metric, l.Value, l.Contributors)
		if l.Largest >= 0 {
			fmt.Fprintf(&buf, "%d,%d", l.Largest, l.SecondLargest)
		} else {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	return buf.Bytes()
}
