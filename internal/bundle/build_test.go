package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// datasetDir is the bundled dataset, seen from this package's folder.
const datasetDir = "../../datasets/pacs-2019"

func buildBundled(t *testing.T) (*tables, map[string][]byte) {
	t.Helper()
	tabs, err := readTables(datasetDir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := build(tabs)
	if err != nil {
		t.Fatal(err)
	}
	return tabs, files
}

func TestCommittedFilesEqualTheRulesOutput(t *testing.T) {
	_, files := buildBundled(t)
	if len(files) != len(snapshots) {
		t.Fatalf("%d files built, want one per snapshot (%d)", len(files), len(snapshots))
	}
	for _, snap := range snapshots {
		t.Run(snap.File, func(t *testing.T) {
			committed, err := os.ReadFile(filepath.Join(datasetDir, snap.File))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, files[snap.File]) {
				t.Errorf("%s differs from what go run ./internal/bundle writes; rerun it (and re-sign)", snap.File)
			}
		})
	}
}

// parsedRow is one data row of a built file.
type parsedRow struct {
	period, country, org, metric string
	value, contributors          int64
	largest, second              int64 // -1 when empty
}

func parseRows(t *testing.T, name string, data []byte) []parsedRow {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(head, ",") != "period,country,org_type,metric,value,contributors,largest,second_largest" {
		t.Fatalf("%s: header %v", name, head)
	}
	var rows []parsedRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		num := func(s string) int64 {
			if s == "" {
				return -1
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: %q is not an integer", name, s)
			}
			return n
		}
		rows = append(rows, parsedRow{rec[0], rec[1], rec[2], rec[3], num(rec[4]), num(rec[5]), num(rec[6]), num(rec[7])})
	}
}

func TestRowsSatisfyTheContract(t *testing.T) {
	vocab, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	_, files := buildBundled(t)
	for _, snap := range snapshots {
		t.Run(snap.File, func(t *testing.T) {
			data := files[snap.File]
			if bytes.Contains(data, []byte("\r")) || !bytes.HasSuffix(data, []byte("\n")) {
				t.Error("lines must end in LF only")
			}
			prev := ""
			for i, r := range parseRows(t, snap.File, data) {
				line := i + 2
				_, okGeo := vocab.Geo.CountryByCode(r.country)
				org, okOrg := vocab.OrgByCode(r.org)
				_, okMetric := vocab.MetricByCode(r.metric)
				if r.period != snap.Period || !okGeo || !okOrg || org == schemas.OrgAll || !okMetric {
					t.Errorf("line %d: a code or period outside the vocabulary or snapshot: %+v", line, r)
				}
				switch {
				case r.value < 0 || r.contributors < 0:
					t.Errorf("line %d: negative number", line)
				case (r.value > 0) != (r.contributors > 0):
					t.Errorf("line %d: value %d with %d contributors", line, r.value, r.contributors)
				case (r.largest < 0) != (r.second < 0):
					t.Errorf("line %d: only one of largest and second_largest", line)
				case r.largest >= 0 && (r.largest > r.value || r.second > r.largest || r.largest+r.second > r.value):
					t.Errorf("line %d: largest parts %d, %d of value %d", line, r.largest, r.second, r.value)
				}
				key := r.country + "," + r.org + "," + r.metric
				if key <= prev {
					t.Errorf("line %d: %s not after %s", line, key, prev)
				}
				prev = key
			}
		})
	}
}

func TestPublishedFiguresArePlacedExactly(t *testing.T) {
	tabs, files := buildBundled(t)
	// sums[file][country or world][metric]
	sums := map[string]map[string]map[string]int64{}
	largest := map[string]int64{}
	for _, snap := range snapshots {
		sums[snap.File] = map[string]map[string]int64{}
		for _, r := range parseRows(t, snap.File, files[snap.File]) {
			for _, geo := range []string{r.country, worldCode} {
				if sums[snap.File][geo] == nil {
					sums[snap.File][geo] = map[string]int64{}
				}
				sums[snap.File][geo][r.metric] += r.value
			}
			if r.largest >= 0 {
				k := snap.File + "/" + r.country + "/" + r.metric
				largest[k] = max(largest[k], r.largest)
			}
		}
	}
	for _, f := range tabs.Figures {
		var file string
		for _, snap := range snapshots {
			if snap.Source == f.Source && snap.Period == f.Period {
				file = snap.File
			}
		}
		name := strings.Join([]string{f.Source, f.Period, f.Country, f.Metric, f.Kind}, " ")
		t.Run(name, func(t *testing.T) {
			if f.Kind == "largest" {
				if got := largest[file+"/"+f.Country+"/"+f.Metric]; got != f.Value {
					t.Errorf("largest part %d, published %d", got, f.Value)
				}
				return
			}
			values, ok := sums[file][f.Country]
			if !ok {
				t.Fatalf("no row of %s in %s", f.Country, file)
			}
			if _, ok := values[f.Metric]; !ok {
				t.Fatalf("no %s row of %s in %s", f.Metric, f.Country, file)
			}
			if got := values[f.Metric]; got != f.Value {
				t.Errorf("rows sum to %d, published %d (figures.csv line %d)", got, f.Value, f.Line)
			}
		})
	}
}

func TestPublishedZerosAreNotSensitive(t *testing.T) {
	_, files := buildBundled(t)
	rows := parseRows(t, snapshots[1].File, files[snapshots[1].File])
	for _, country := range []string{"GB", "DE", "TH", "VE", "NL"} {
		t.Run(country, func(t *testing.T) {
			n := 0
			for _, r := range rows {
				if r.country != country || r.metric == mOffline {
					continue
				}
				n++
				if r.value != 0 || r.contributors != 0 {
					t.Errorf("%s %s %s = %d with %d contributors, want a zero", r.country, r.org, r.metric, r.value, r.contributors)
				}
			}
			if n == 0 {
				t.Error("no zero rows: the published zero is missing")
			}
		})
	}
}

func TestShareOfSmallCells(t *testing.T) {
	// Suppression must have work to do, but most of the September table must be publishable.
	_, files := buildBundled(t)
	cases := []struct {
		file     string
		low, hig float64
	}{
		{snapshots[0].File, 0.10, 0.40},
		{snapshots[1].File, 0.20, 0.60},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var nonZero, small int
			for _, r := range parseRows(t, tc.file, files[tc.file]) {
				if r.value > 0 {
					nonZero++
					if r.contributors < 3 {
						small++
					}
				}
			}
			share := float64(small) / float64(nonZero)
			if share < tc.low || share > tc.hig {
				t.Errorf("share of non-zero leaves with fewer than 3 contributors = %.2f, want %.2f to %.2f", share, tc.low, tc.hig)
			}
		})
	}
}

func TestSignaturesAndKeys(t *testing.T) {
	for _, snap := range snapshots {
		t.Run(snap.File, func(t *testing.T) {
			pub, err := minisign.PublicKeyFromFile(filepath.Join(datasetDir, "keys", snap.Source+".pub"))
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(datasetDir, snap.File))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := os.ReadFile(filepath.Join(datasetDir, snap.File+".minisig"))
			if err != nil {
				t.Fatal(err)
			}
			r := minisign.NewReader(bytes.NewReader(data))
			if _, err := io.Copy(io.Discard, r); err != nil {
				t.Fatal(err)
			}
			if !r.Verify(pub, sig) {
				t.Errorf("%s.minisig does not verify with keys/%s.pub; re-sign with -sign-key-dir", snap.File, snap.Source)
			}
		})
	}
	err := filepath.WalkDir(datasetDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var priv minisign.PrivateKey
		if bytes.Contains(data, []byte("secret key\n")) || priv.UnmarshalText(data) == nil {
			t.Errorf("%s is a private key; it must not be in the repository", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIngestAcceptsTheBundledDataset(t *testing.T) {
	ds, err := ingest.Load(context.Background(), datasetDir, ingest.Options{Env: []string{}})
	if err != nil {
		t.Fatalf("ingest.Load: %v", err)
	}
	if ds.Config.ID != "pacs-2019" || len(ds.Inputs) != len(snapshots) {
		t.Errorf("loaded %q with %d inputs", ds.Config.ID, len(ds.Inputs))
	}
	if len(ds.Config.Caveats) == 0 {
		t.Error("dataset.yaml has no caveats")
	}
	// The allocation keeps the stock-flow identity at every leaf, so the dataset declares it and
	// ingest has checked the rows against it.
	identity := "exposed_systems = prev(exposed_systems) + new_systems - offline_systems"
	if !contains(ds.Config.Relations, identity) {
		t.Errorf("dataset.yaml relations %q do not declare %q", ds.Config.Relations, identity)
	}
}

func TestSignAllRefusesKeysInsideTheDataset(t *testing.T) {
	dir := t.TempDir()
	for _, keyDir := range []string{dir, filepath.Join(dir, "keys"), filepath.Join(dir, "a", "..", "private")} {
		if err := signAll(dir, keyDir, nil); err == nil || !strings.Contains(err.Error(), "inside the dataset folder") {
			t.Errorf("signAll with keys in %s = %v, want a refusal", keyDir, err)
		}
	}
}

func TestSignAllReusesKeys(t *testing.T) {
	base := t.TempDir()
	dir, keyDir := filepath.Join(base, "ds"), filepath.Join(base, "keys")
	for _, snap := range snapshots {
		path := filepath.Join(dir, snap.File)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("period\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var sigs [2][]byte
	for i := range sigs {
		if err := signAll(dir, keyDir, nil); err != nil {
			t.Fatal(err)
		}
		var err error
		if sigs[i], err = os.ReadFile(filepath.Join(dir, snapshots[0].File+".minisig")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(sigs[0], sigs[1]) {
		t.Error("signing twice with the same key folder gave different signatures: the key was not reused")
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "greenbone.pub")); err != nil {
		t.Errorf("public key not written: %v", err)
	}
}

// TestStockFlowIdentityAtEveryLeaf reads the committed data files and checks, at every (country,
// organization type) of every period with new and offline systems, the relations dataset.yaml and
// the vocabulary declare: exposed = prev(exposed) + new - offline, new <= exposed and offline <=
// prev(exposed), prev being the period before in the dataset and a cell that no row names a zero.
// It knows nothing of the allocation rules, only the rows. The previous-period relations do not apply
// across a break, and the only break (NNT, 2020-12-31) has no flows.
func TestStockFlowIdentityAtEveryLeaf(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(datasetDir, "data", "*.csv"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no data files: %v", err)
	}
	type cell struct{ country, org string }
	// values[period][metric][cell]
	values := map[string]map[string]map[cell]int64{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range parseRows(t, path, data) {
			if values[r.period] == nil {
				values[r.period] = map[string]map[cell]int64{}
			}
			if values[r.period][r.metric] == nil {
				values[r.period][r.metric] = map[cell]int64{}
			}
			values[r.period][r.metric][cell{r.country, r.org}] = r.value
		}
	}
	var periods []string
	for p := range values {
		periods = append(periods, p)
	}
	sort.Strings(periods)
	checked := 0
	for i, period := range periods {
		now := values[period]
		if now[mNew] == nil || now[mOffline] == nil {
			continue
		}
		if i == 0 || now[mSystems] == nil || values[periods[i-1]][mSystems] == nil {
			t.Errorf("%s has new and offline systems but no exposed systems in it and the period before", period)
			continue
		}
		before := values[periods[i-1]][mSystems]
		cells := map[cell]bool{}
		for _, table := range []map[cell]int64{now[mSystems], now[mNew], now[mOffline], before} {
			for c := range table {
				cells[c] = true
			}
		}
		var sorted []cell
		for c := range cells {
			sorted = append(sorted, c)
		}
		sort.Slice(sorted, func(a, b int) bool {
			return sorted[a].country < sorted[b].country || (sorted[a].country == sorted[b].country && sorted[a].org < sorted[b].org)
		})
		var world [4]int64 // systems, before, new, offline
		for _, c := range sorted {
			sys, prev, nw, off := now[mSystems][c], before[c], now[mNew][c], now[mOffline][c]
			world[0], world[1], world[2], world[3] = world[0]+sys, world[1]+prev, world[2]+nw, world[3]+off
			if sys != prev+nw-off {
				t.Errorf("%s %s %s: exposed %d != previous %d + new %d - offline %d", period, c.country, c.org, sys, prev, nw, off)
			}
			if nw > sys || off > prev {
				t.Errorf("%s %s %s: new %d > exposed %d or offline %d > previous exposed %d", period, c.country, c.org, nw, sys, off, prev)
			}
			checked++
		}
		if world[0] != world[1]+world[2]-world[3] {
			t.Errorf("%s world: exposed %d != previous %d + new %d - offline %d", period, world[0], world[1], world[2], world[3])
		}
	}
	if checked == 0 {
		t.Fatal("no period with new and offline systems: nothing checked")
	}
}

// TestBuildRefusesFlowsThatBreakTheIdentity changes the published flows so that no allocation can
// keep the stock-flow identity at every leaf; the generator must stop rather than write such data.
func TestBuildRefusesFlowsThatBreakTheIdentity(t *testing.T) {
	cases := []struct {
		name    string
		changes map[string]int64 // country/metric -> new value of the November total
		want    string
	}{
		{"world offline disagrees with the world stocks", map[string]int64{"001/" + mOffline: 171}, "world totals break the identity"},
		{"published US flows disagree with its stocks", map[string]int64{"US/" + mOffline: 51}, "break the identity with its"},
		{"more US turnover than kept systems", map[string]int64{"US/" + mNew: 200, "US/" + mOffline: 192}, "cannot keep the identity"},
		{"fewer world new systems than the increases", map[string]int64{"001/" + mNew: 80, "001/" + mOffline: 123}, "fewer than the other countries' increases"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tabs, err := readTables(datasetDir)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range tabs.Figures {
				if v, ok := tc.changes[f.Country+"/"+f.Metric]; ok && f.Period == snapshots[1].Period && f.Kind == "total" {
					tabs.Figures[i].Value = v
				}
			}
			if _, err := build(tabs); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("build = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestPublishedNewAloneGivesTheSameFlows checks that the US's offline systems, computed from its
// stocks and new systems (basis C), are what the identity would derive without them.
func TestPublishedNewAloneGivesTheSameFlows(t *testing.T) {
	tabs, want := buildBundled(t)
	var kept []figure
	for _, f := range tabs.Figures {
		if f.Country != "US" || f.Metric != mOffline {
			kept = append(kept, f)
		}
	}
	tabs.Figures = kept
	got, err := build(tabs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[snapshots[1].File], want[snapshots[1].File]) {
		t.Error("without the US offline figure the November file differs")
	}
}
