package synth

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"
)

// relationViolations checks the cells of a dataset against the vocabulary's relations between
// metrics (SPEC 3.3) and, when identity is true, the stock-flow identity, the way the build reads
// them and independently of the generator: prev(t) is the period before t among all periods of the
// dataset; a relation is in force at t when every table it names exists (some row names that period
// and metric); inside existing tables a cell that no row names is 0.
func relationViolations(cells map[cellKey]int64, identity bool) []string {
	type leaf struct{ country, org string }
	tables := map[[2]string]map[leaf]int64{}
	periodSet := map[string]bool{}
	for k, v := range cells {
		id := [2]string{k.period, k.metric}
		if tables[id] == nil {
			tables[id] = map[leaf]int64{}
		}
		tables[id][leaf{k.country, k.org}] = v
		periodSet[k.period] = true
	}
	periods := make([]string, 0, len(periodSet))
	for p := range periodSet {
		periods = append(periods, p)
	}
	sort.Strings(periods)
	var problems []string
	for i, t := range periods {
		stock, newSys, offline := tables[[2]string{t, "exposed_systems"}], tables[[2]string{t, "new_systems"}], tables[[2]string{t, "offline_systems"}]
		if stock != nil && newSys != nil {
			for k, v := range newSys {
				if v > stock[k] {
					problems = append(problems, fmt.Sprintf("%s %s/%s: new_systems %d > exposed_systems %d", t, k.country, k.org, v, stock[k]))
				}
			}
		}
		if i == 0 {
			continue
		}
		prev := tables[[2]string{periods[i-1], "exposed_systems"}]
		if prev != nil && offline != nil {
			for k, v := range offline {
				if v > prev[k] {
					problems = append(problems, fmt.Sprintf("%s %s/%s: offline_systems %d > exposed_systems %d at %s", t, k.country, k.org, v, prev[k], periods[i-1]))
				}
			}
		}
		if identity && stock != nil && prev != nil && newSys != nil && offline != nil {
			keys := map[leaf]bool{}
			for _, table := range []map[leaf]int64{stock, prev, newSys, offline} {
				for k := range table {
					keys[k] = true
				}
			}
			for k := range keys {
				if stock[k] != prev[k]+newSys[k]-offline[k] {
					problems = append(problems, fmt.Sprintf("%s %s/%s: exposed_systems %d != %d + %d - %d", t, k.country, k.org, stock[k], prev[k], newSys[k], offline[k]))
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// declaredRelations reads the relations that a dataset.yaml declares.
func declaredRelations(t tb, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "dataset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Relations []string `yaml:"relations"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("dataset.yaml: %v", err)
	}
	return cfg.Relations
}

// checkRelations fails the test when the dataset in dir breaks a relation in force: the
// vocabulary's always, the identity when dataset.yaml declares it. It returns whether it declares it.
func checkRelations(t tb, dir string, st fileStats) bool {
	t.Helper()
	declared := declaredRelations(t, dir)
	identity := slices.Contains(declared, "exposed_systems = prev(exposed_systems) + new_systems - offline_systems")
	if len(declared) > 0 && !identity {
		t.Errorf("dataset.yaml declares relations %q", declared)
	}
	problems := relationViolations(st.cells, identity)
	for i, p := range problems {
		if i == 20 {
			t.Errorf("... and %d more", len(problems)-20)
			break
		}
		t.Error(p)
	}
	return identity
}

// TestRelationsHoldOnRandomOptions is the property: whatever the options, every dataset that synth
// writes satisfies the vocabulary's relations, the identity holds exactly when dataset.yaml declares
// it, and the rows are the ones ExpectedRows promises.
func TestRelationsHoldOnRandomOptions(t *testing.T) {
	base := t.TempDir()
	all := []string{"affected_patients", "critical_vulnerabilities", "exposed_images", "exposed_studies",
		"exposed_systems", "high_vulnerabilities", "new_systems", "offline_systems"}
	rapid.Check(t, func(rt *rapid.T) {
		opts := Options{
			Periods:   rapid.IntRange(1, 9).Draw(rt, "periods"),
			Countries: rapid.IntRange(1, 24).Draw(rt, "countries"),
			Seed:      rapid.Int64().Draw(rt, "seed"),
			Cadence:   rapid.SampledFrom([]Cadence{Weekly, Monthly}).Draw(rt, "cadence"),
			Relations: rapid.SampledFrom([]Relations{RelationsInequalities, RelationsIdentity}).Draw(rt, "relations"),
		}
		opts.Sources = rapid.IntRange(1, min(4, opts.Countries)).Draw(rt, "sources")
		if rapid.Bool().Draw(rt, "sparse") {
			opts.Density = rapid.Float64Range(0.02, 1).Draw(rt, "density")
		}
		if rapid.Bool().Draw(rt, "some metrics") {
			opts.Metrics = rapid.SliceOfNDistinct(rapid.SampledFrom(all), 1, len(all), rapid.ID[string]).Draw(rt, "metrics")
			if opts.Relations == RelationsIdentity {
				for _, m := range []string{"exposed_systems", "new_systems", "offline_systems"} {
					if !slices.Contains(opts.Metrics, m) {
						opts.Metrics = append(opts.Metrics, m)
					}
				}
			}
		}
		dir, err := os.MkdirTemp(base, "d")
		if err != nil {
			rt.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sum, err := Generate(dir, opts)
		if err != nil {
			rt.Fatalf("Generate(%+v): %v", opts, err)
		}
		st := checkDataset(rt, dir)
		if identity := checkRelations(rt, dir, st); identity != (opts.Relations == RelationsIdentity) {
			rt.Errorf("dataset.yaml declares the identity: %v, relations mode %s", identity, opts.Relations)
		}
		want, err := ExpectedRows(opts)
		if err != nil {
			rt.Fatal(err)
		}
		if st.rows != sum.Rows || sum.Rows != want {
			rt.Errorf("rows in files %d, Summary.Rows %d, ExpectedRows %d", st.rows, sum.Rows, want)
		}
	})
}

// TestIdentityExactlyWhenDeclared checks the two modes on the same seed: the identity holds and is
// declared with RelationsIdentity, and fails somewhere (systems come back) with
// RelationsInequalities, which declares nothing. Both count the same stock and offline systems; only
// what counts as new differs, never more with the inequalities.
func TestIdentityExactlyWhenDeclared(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"dense, weekly", Options{Periods: 20, Countries: 30, Seed: 5}},
		{"sparse, monthly, three sources", Options{Periods: 12, Countries: 40, Seed: 8, Sources: 3, Density: 0.6, Cadence: Monthly}},
		{"issue 12's linked dataset", Options{Periods: 6, Countries: 40, Seed: 1, Cadence: Monthly,
			Metrics: []string{"exposed_systems", "new_systems", "offline_systems", "exposed_studies"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stats := map[Relations]fileStats{}
			for _, mode := range []Relations{RelationsIdentity, RelationsInequalities} {
				opts := tc.opts
				opts.Relations = mode
				dir := filepath.Join(t.TempDir(), string(mode))
				if _, err := Generate(dir, opts); err != nil {
					t.Fatal(err)
				}
				st := checkDataset(t, dir)
				if declared := checkRelations(t, dir, st); declared != (mode == RelationsIdentity) {
					t.Errorf("%s: dataset.yaml declares the identity: %v", mode, declared)
				}
				stats[mode] = st
			}
			id, ineq := stats[RelationsIdentity], stats[RelationsInequalities]
			if len(relationViolations(ineq.cells, true)) == 0 {
				t.Error("with inequalities only, the identity holds everywhere: no system ever came back")
			}
			var returning int64
			for k, v := range id.cells {
				w, ok := ineq.cells[k]
				switch {
				case !ok:
					t.Errorf("cell %v only with the identity", k)
				case k.metric == "new_systems" && w > v:
					t.Errorf("%v: %d new with inequalities, %d with the identity", k, w, v)
				case k.metric == "new_systems":
					returning += v - w
				case v != w && (k.metric == "exposed_systems" || k.metric == "offline_systems"):
					t.Errorf("%v: %d with the identity, %d with inequalities", k, v, w)
				}
			}
			if len(id.cells) != len(ineq.cells) {
				t.Errorf("%d cells with the identity, %d with inequalities", len(id.cells), len(ineq.cells))
			}
			if returning == 0 {
				t.Error("no returning system")
			}
		})
	}
}

// TestFullGridShares checks the full grid of issue 16 on a small run: every table complete, four
// sources that each send whole M49 regions, one file per source and year, and the shares of small
// cells, zeros and dominance within a tolerance of the targets.
func TestFullGridShares(t *testing.T) {
	const periods = 6
	dir := filepath.Join(t.TempDir(), "grid")
	sum, err := Generate(dir, Options{Shape: ShapeFullGrid, Periods: periods, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := checkDataset(t, dir)
	checkRelations(t, dir, st)
	tables := map[[2]string]int{}
	for k := range st.cells {
		tables[[2]string{k.period, k.metric}]++
	}
	// 8 metrics at every period but the first, which has no flows.
	if want := 8*periods - 2; len(tables) != want {
		t.Errorf("%d tables, want %d", len(tables), want)
	}
	for id, n := range tables {
		if n != maxCountries*8 {
			t.Errorf("table %v has %d leaves, want %d", id, n, maxCountries*8)
		}
	}
	if sum.Sources != 4 || sum.Files != 4 {
		t.Errorf("%d sources in %d files, want 4 in 4 (one year)", sum.Sources, sum.Files)
	}
	for s := 1; s <= 4; s++ {
		if _, err := os.Stat(filepath.Join(dir, "data", fmt.Sprintf("lab%02d-2019.csv", s))); err != nil {
			t.Error(err)
		}
	}
	checkRegionsBySource(t, st.sourceOf)

	small := float64(st.small) / float64(st.rows)
	zeros := float64(st.zeros) / float64(st.rows)
	dom := float64(st.dominance) / float64(st.rows)
	t.Logf("%d leaves: %.1f %% non-zero with fewer than 3 contributors, %.1f %% zeros, dominance on %.1f %% of the rows",
		st.rows, 100*small, 100*zeros, 100*dom)
	for _, share := range []struct {
		name              string
		got, want, spread float64
	}{
		{"non-zero leaves with fewer than 3 contributors", small, 0.24, 0.02},
		{"zero leaves", zeros, 0.11, 0.02},
		{"rows with largest and second_largest", dom, 0.46, 0.02},
	} {
		if share.got < share.want-share.spread || share.got > share.want+share.spread {
			t.Errorf("share of %s = %.3f, want %.2f +- %.2f", share.name, share.got, share.want, share.spread)
		}
	}
}

// checkRegionsBySource checks, from the embedded M49 table read on its own, that every country has
// one source and each M49 region one source (the countries without a region together).
func checkRegionsBySource(t *testing.T, sourceOf map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "schemas", "data", "iso3166-m49.csv"))
	if err != nil {
		t.Fatal(err)
	}
	regionSources := map[string]map[string]bool{}
	sources := map[string]bool{}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	for _, line := range lines {
		f := splitCSVLine(line)
		alpha2, region := f[1], f[8]
		s, ok := sourceOf[alpha2]
		if !ok {
			t.Errorf("country %s has no source", alpha2)
			continue
		}
		if regionSources[region] == nil {
			regionSources[region] = map[string]bool{}
		}
		regionSources[region][s] = true
		sources[s] = true
	}
	if len(sourceOf) != len(lines) {
		t.Errorf("%d countries have a source, the vocabulary has %d", len(sourceOf), len(lines))
	}
	for region, s := range regionSources {
		if len(s) != 1 {
			t.Errorf("region %q is sent by %d sources", region, len(s))
		}
	}
	if len(sources) != 4 {
		t.Errorf("%d sources", len(sources))
	}
}

// splitCSVLine splits one line of the M49 table, whose quoted fields hold no newline.
func splitCSVLine(line string) []string {
	var fields []string
	var field bytes.Buffer
	quoted := false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			fields = append(fields, field.String())
			field.Reset()
		default:
			field.WriteRune(c)
		}
	}
	return append(fields, field.String())
}
