package synth

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"
)

// readTree returns every file below dir, by slash path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsDeterministic(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"defaults, few periods", Options{Periods: 3, Seed: 1}},
		{"sparse, three sources", Options{Periods: 4, Countries: 40, Seed: -5, Sources: 3, Density: 0.37}},
		{"monthly, identity, four metrics, sparse", Options{Periods: 5, Countries: 30, Seed: 12, Cadence: Monthly, Density: 0.7,
			Relations: RelationsIdentity, Metrics: []string{"offline_systems", "exposed_studies", "new_systems", "exposed_systems"}}},
		{"full grid", Options{Shape: ShapeFullGrid, Periods: 2, Seed: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
			for _, dir := range []string{a, b} {
				opts := tc.opts
				opts.KeyOut = dir + "-keys"
				if _, err := Generate(dir, opts); err != nil {
					t.Fatal(err)
				}
			}
			filesA, filesB := readTree(t, a), readTree(t, b)
			if len(filesA) != len(filesB) {
				t.Fatalf("%d files, then %d", len(filesA), len(filesB))
			}
			for name, data := range filesA {
				if !bytes.Equal(data, filesB[name]) {
					t.Errorf("%s differs between two runs with the same options", name)
				}
			}
			if !bytes.Equal(readTree(t, a+"-keys")["lab01.key"], readTree(t, b+"-keys")["lab01.key"]) {
				t.Error("the private key differs between two runs with the same options")
			}
			other := tc.opts
			other.Seed++
			c := filepath.Join(base, "c")
			if _, err := Generate(c, other); err != nil {
				t.Fatal(err)
			}
			filesC := readTree(t, c)
			data := "data/lab01.csv"
			if tc.opts.Shape == ShapeFullGrid {
				data = "data/lab01-2019.csv"
			}
			for _, name := range []string{data, "keys/lab01.pub"} {
				if _, ok := filesA[name]; !ok {
					t.Fatalf("no %s", name)
				}
				if bytes.Equal(filesA[name], filesC[name]) {
					t.Errorf("%s is the same for seeds %d and %d", name, tc.opts.Seed, other.Seed)
				}
			}
		})
	}
}

func TestRowCount(t *testing.T) {
	// Per source and period, the density keeps its share of the units of systems (each a period's
	// exposed_systems and new_systems and the next period's offline_systems, no flows at the first
	// period) and of the cells of the five other metrics, each rounded.
	cases := []struct {
		name string
		opts Options
		want int64
	}{
		// periods x countries x 8 org types x 8 metrics, less the first period's two flows
		{"dense", Options{Periods: 2, Countries: 10, Sources: 2}, 2*10*8*8 - 10*8*2},
		{"dense, uneven sources", Options{Periods: 3, Countries: 7, Sources: 3}, 3*7*8*8 - 7*8*2},
		// per source and period: 40 units -> 20, of 2 rows each; 200 other cells -> 100
		{"half", Options{Periods: 2, Countries: 10, Sources: 2, Density: 0.5}, 2 * 2 * (20*2 + 100)},
		// per source and period: 24 units -> 2.4 -> 2, of 2 rows each; 120 other cells -> 12
		{"tenth, rounded per source and period", Options{Periods: 2, Countries: 9, Sources: 3, Density: 0.1}, 3 * 2 * (2*2 + 12)},
		// 3 metrics, 1 linked: units of 1 row; 8 x 2 other cells per country
		{"three metrics", Options{Periods: 3, Countries: 4, Sources: 1, Metrics: []string{"exposed_images", "offline_systems", "exposed_studies"}}, 3*4*8*3 - 4*8},
		{"full grid", Options{Shape: ShapeFullGrid, Periods: 2}, 2*249*8*8 - 249*8*2},
		{"one monthly period, no flows", Options{Periods: 1, Countries: 3, Cadence: Monthly}, 3 * 8 * 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expected, err := ExpectedRows(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if expected != tc.want {
				t.Errorf("ExpectedRows = %d, want %d", expected, tc.want)
			}
			dir := filepath.Join(t.TempDir(), "d")
			sum, err := Generate(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var lines int64
			for name, data := range readTree(t, dir) {
				if strings.HasSuffix(name, ".csv") {
					lines += int64(bytes.Count(data, []byte("\n"))) - 1 // header
				}
			}
			if sum.Rows != tc.want || lines != tc.want {
				t.Errorf("Summary.Rows = %d, data rows in files = %d, want %d", sum.Rows, lines, tc.want)
			}
		})
	}
}

func TestRowsAreValid(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"defaults", Options{Periods: 4}},
		{"sparse", Options{Periods: 5, Countries: 30, Seed: 11, Density: 0.4}},
		{"one source", Options{Periods: 2, Countries: 5, Seed: 2, Sources: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			sum, err := Generate(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			st := checkDataset(t, dir)
			if st.rows != sum.Rows {
				t.Errorf("checker read %d rows, summary says %d", st.rows, sum.Rows)
			}
			if st.zeros == 0 {
				t.Error("no zero cells; the generator must write some")
			}
		})
	}
}

func TestShareOfSmallCells(t *testing.T) {
	// About 20-30 % of the non-zero leaves have fewer than 3 contributors, and about 40 % give the
	// dominance pair; checked over several seeds and sizes.
	cases := []struct {
		name string
		opts Options
	}{
		{"all countries", Options{Periods: 8, Seed: 1}},
		{"sixty countries, other seed", Options{Periods: 12, Countries: 60, Seed: 7}},
		{"long series", Options{Periods: 40, Countries: 40, Seed: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if _, err := Generate(dir, tc.opts); err != nil {
				t.Fatal(err)
			}
			st := checkDataset(t, dir)
			small := float64(st.small) / float64(st.nonZero)
			if small < 0.20 || small > 0.30 {
				t.Errorf("share of non-zero cells with fewer than 3 contributors = %.3f, want 0.20 to 0.30", small)
			}
			dom := float64(st.dominance) / float64(st.nonZero)
			if dom < 0.35 || dom > 0.45 {
				t.Errorf("share of non-zero cells with dominance = %.3f, want about 0.4", dom)
			}
		})
	}
}

func TestPrivateKeyStaysOutsideDataset(t *testing.T) {
	base := t.TempDir()
	dir, keys := filepath.Join(base, "data"), filepath.Join(base, "keys")
	sum, err := Generate(dir, Options{Periods: 1, Countries: 4, Sources: 2, KeyOut: keys})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range readTree(t, dir) {
		if bytes.Contains(data, []byte("encrypted secret key")) {
			t.Errorf("%s holds a secret key", name)
		}
		var priv minisign.PrivateKey
		if priv.UnmarshalText(data) == nil {
			t.Errorf("%s parses as a private key", name)
		}
	}
	for s := 0; s < sum.Sources; s++ {
		id := sourceID(s, sum.Sources)
		text, err := os.ReadFile(filepath.Join(keys, id+".key"))
		if err != nil {
			t.Fatalf("private key of %s not written to KeyOut: %v", id, err)
		}
		var priv minisign.PrivateKey
		if err := priv.UnmarshalText(text); err != nil {
			t.Fatal(err)
		}
		pub, err := minisign.PublicKeyFromFile(filepath.Join(dir, "keys", id+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("a file signed later")
		if !minisign.Verify(pub, msg, minisign.Sign(priv, msg)) {
			t.Errorf("the private key of %s in KeyOut does not match keys/%s.pub", id, id)
		}
	}
}

func TestRefusesBadOptions(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "d")
	nonEmpty := filepath.Join(base, "full")
	if err := os.MkdirAll(nonEmpty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(base, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(empty, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		opts Options
		want string
	}{
		{"key folder is the dataset", dir, Options{KeyOut: dir}, "inside the dataset folder"},
		{"key folder below the dataset", dir, Options{KeyOut: filepath.Join(dir, "keys")}, "inside the dataset folder"},
		{"key folder below, spelled with ..", dir, Options{KeyOut: filepath.Join(base, "x", "..", "d", "private")}, "inside the dataset folder"},
		{"key folder through a symbolic link", empty, Options{KeyOut: filepath.Join(link, "private")}, "inside the dataset folder"},
		{"negative periods", dir, Options{Periods: -1}, "periods"},
		{"too many countries", dir, Options{Countries: 250}, "countries"},
		{"more sources than countries", dir, Options{Countries: 3, Sources: 4}, "sources"},
		{"density above 1", dir, Options{Density: 1.5}, "density"},
		{"negative density", dir, Options{Density: -0.1}, "density"},
		{"dataset folder not empty", nonEmpty, Options{Periods: 1}, "not empty"},
		{"unknown shape", dir, Options{Shape: "round"}, "shape"},
		{"unknown cadence", dir, Options{Cadence: "daily"}, "cadence"},
		{"unknown relations", dir, Options{Relations: "all"}, "relations"},
		{"unknown metric", dir, Options{Metrics: []string{"open_ports"}}, "open_ports"},
		{"metric twice", dir, Options{Metrics: []string{"new_systems", "new_systems"}}, "twice"},
		{"identity without the stock", dir, Options{Relations: RelationsIdentity, Metrics: []string{"new_systems", "offline_systems"}}, "needs metric exposed_systems"},
		{"full grid of some countries", dir, Options{Shape: ShapeFullGrid, Countries: 40}, "every country"},
		{"full grid of two sources", dir, Options{Shape: ShapeFullGrid, Sources: 2}, "4 sources"},
		{"sparse full grid", dir, Options{Shape: ShapeFullGrid, Density: 0.9}, "density must be 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.dir, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Generate = %v, want an error about %q", err, tc.want)
			}
			if tc.dir == dir && !errors.Is(err, ErrOptions) {
				t.Errorf("Generate = %v, want an error that wraps ErrOptions", err)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Error("a refused Generate created the dataset folder")
			}
			if entries, _ := os.ReadDir(empty); len(entries) > 0 {
				t.Error("a refused Generate wrote into the dataset folder")
			}
		})
	}
}

func TestCountryOrderMixesRegions(t *testing.T) {
	order, err := CountryOrder()
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != maxCountries {
		t.Fatalf("%d countries, want %d", len(order), maxCountries)
	}
	seen := map[string]bool{}
	for _, c := range order {
		if seen[c] {
			t.Errorf("%s appears twice", c)
		}
		seen[c] = true
	}
	// The first six are one of each region (Africa, Oceania, Americas, Asia, Europe) and one of the
	// countries without a region, by alpha-2 code.
	want := []string{"AO", "AS", "AG", "AE", "AD", "AQ"}
	for i, c := range want {
		if order[i] != c {
			t.Errorf("order[%d] = %s, want %s (order starts %v)", i, order[i], c, order[:6])
		}
	}
}

func TestDominanceIsAlwaysValid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name                 string
		maxValue, maxContrib int64
	}{
		{"tiny", 5, 5},
		{"small", 50, 10},
		{"large", 1_000_000, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 20000; i++ {
				value := 1 + r.Int64N(tc.maxValue)
				contributors := 1 + r.Int64N(min(value, tc.maxContrib))
				largest, second := dominance(r, value, contributors)
				others := contributors - 2
				if contributors == 1 {
					others = 0
				}
				if largest > value || second > largest || largest+second > value || second < 0 ||
					(contributors >= 2 && second < 1) || value-largest-second < others {
					t.Fatalf("dominance(value %d, contributors %d) = %d, %d", value, contributors, largest, second)
				}
			}
		})
	}
}

func TestProgressReportsEveryRow(t *testing.T) {
	var calls []int64
	sum, err := Generate(filepath.Join(t.TempDir(), "d"), Options{Periods: 3, Countries: 60, Progress: func(n int64) {
		calls = append(calls, n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 {
		t.Fatalf("Progress called %d times for %d rows", len(calls), sum.Rows)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Errorf("progress went back from %d to %d", calls[i-1], calls[i])
		}
	}
	if last := calls[len(calls)-1]; last != sum.Rows {
		t.Errorf("last progress %d, rows written %d", last, sum.Rows)
	}
}

var benchPeriods = flag.Int("synth.periods", 52, "periods of BenchmarkGenerate (249 countries x 64 cells each)")

// BenchmarkGenerate writes a dataset of -synth.periods weekly periods over every country, signatures
// included, and reports rows per second. With -synth.periods=628 it writes about 10 million rows.
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	var rows, written int64
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, "run")
		sum, err := Generate(out, Options{Periods: *benchPeriods, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Rows
		written += sum.Bytes
		b.StopTimer()
		if err := os.RemoveAll(out); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(written)/b.Elapsed().Seconds()/1e6, "MB/s")
}

func TestDataFiles(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want []string // file: first period to last
	}{
		{"standard, one file per source across years", Options{Shape: ShapeStandard, Periods: 53, Cadence: Weekly, Sources: 2},
			[]string{"data/lab01.csv: 2019-01-07 to 2020-01-06", "data/lab02.csv: 2019-01-07 to 2020-01-06"}},
		{"full grid, weekly, one file per source and year", Options{Shape: ShapeFullGrid, Periods: 53, Cadence: Weekly, Sources: 4},
			[]string{
				"data/lab01-2019.csv: 2019-01-07 to 2019-12-30", "data/lab01-2020.csv: 2020-01-06 to 2020-01-06",
				"data/lab02-2019.csv: 2019-01-07 to 2019-12-30", "data/lab02-2020.csv: 2020-01-06 to 2020-01-06",
				"data/lab03-2019.csv: 2019-01-07 to 2019-12-30", "data/lab03-2020.csv: 2020-01-06 to 2020-01-06",
				"data/lab04-2019.csv: 2019-01-07 to 2019-12-30", "data/lab04-2020.csv: 2020-01-06 to 2020-01-06",
			}},
		{"full grid, monthly, within a year", Options{Shape: ShapeFullGrid, Periods: 12, Cadence: Monthly, Sources: 4},
			[]string{"data/lab01-2019.csv: 2019-01-01 to 2019-12-01", "data/lab02-2019.csv: 2019-01-01 to 2019-12-01",
				"data/lab03-2019.csv: 2019-01-01 to 2019-12-01", "data/lab04-2019.csv: 2019-01-01 to 2019-12-01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			periods, err := periodDates(tc.opts.Cadence, tc.opts.Periods)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range dataFiles(tc.opts, periods) {
				got = append(got, fmt.Sprintf("%s: %s to %s", f.name, periods[f.first], periods[f.last]))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("files\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestMonthlyPeriodsAreFirstDays(t *testing.T) {
	periods, err := periodDates(Monthly, 26)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range periods {
		want := fmt.Sprintf("%04d-%02d-01", 2019+i/12, i%12+1)
		if p.String() != want {
			t.Errorf("period %d = %s, want %s", i, p, want)
		}
	}
}
