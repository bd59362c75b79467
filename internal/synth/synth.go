// Package synth writes synthetic dataset folders: complete, signed and valid inputs of any size for
// tests, benchmarks and demonstrations of the pipeline, made of counts that look like real exposure
// research (heavy-tailed country sizes, trends, a realistic share of small cells) but describe no real
// system, organization or person.
//
// Systems are simulated per country and organization type through time, so that the stock and the
// flows of systems satisfy the relations between metrics of SPEC 3.3 in every dataset: new_systems <=
// exposed_systems, offline_systems <= the previous period's exposed_systems, and, with
// RelationsIdentity, exposed_systems = prev(exposed_systems) + new_systems - offline_systems.
//
// The same Options give byte-identical folders on any machine: every random draw comes from generators
// seeded from Options.Seed, the signing keys included, and nothing depends on the clock or on map order.
package synth

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// FirstPeriod is the snapshot date of the first weekly period, a Monday; periods follow weekly.
const FirstPeriod = "2019-01-07"

// ErrOptions is wrapped by every error that Generate and ExpectedRows return for options that do not
// describe a dataset, so that a command line can tell wrong usage from a failure to write.
var ErrOptions = errors.New("invalid options")

// Options are the parameters of a synthetic dataset. Zero values take the defaults of the shape
// (DefaultOptions for the standard shape), except Seed, for which 0 is a seed like any other.
type Options struct {
	Shape     Shape   // layout and tuning of the dataset; default ShapeStandard
	Periods   int     // number of periods from the cadence's first; default 12
	Cadence   Cadence // spacing of the periods; default Weekly
	Countries int     // number of countries, the first of CountryOrder; default all (249), the only choice of the full grid
	Seed      int64   // seed of every random draw; the dataset id is "synth-<seed>"
	// Sources is the number of sources, each with its own key and share of the countries; default 2,
	// and 4 (by region), the only choice, for the full grid.
	Sources int
	// Density is the share of the cells written, in (0, 1]; default 1, the only choice of the full
	// grid. The metrics that no relation links are chosen cell by cell, the systems by unit: a
	// period's exposed_systems with its new_systems and the next period's offline_systems. A unit left
	// out is a structural zero of the model (that period sees none of the systems), so every relation
	// still holds.
	Density float64
	// Metrics are the metric codes to write, from the default vocabulary; default all eight.
	Metrics []string
	// Relations is the relations mode of the systems' stock and flows; default RelationsInequalities.
	Relations Relations
	// KeyOut, when not empty, is a folder outside the dataset folder where the sources' private keys
	// are written (<source>.key, unencrypted minisign format), so that more files can be signed later.
	KeyOut string
	// Progress, when not nil, is called with the number of rows written so far, every progressEvery
	// rows and once at the end.
	Progress func(rowsWritten int64)
}

// DefaultOptions returns the options of `exposure synth` without flags: the standard shape, 12
// weekly periods, every country, seed 1, two sources, every cell and metric present, the vocabulary's
// inequalities only.
func DefaultOptions() Options {
	return Options{Shape: ShapeStandard, Periods: 12, Cadence: Weekly, Countries: maxCountries, Seed: 1, Sources: 2,
		Density: 1, Relations: RelationsInequalities}
}

// maxCountries is the number of ISO 3166-1 countries in the embedded vocabulary.
const maxCountries = 249

// progressEvery is how many rows pass between two Progress calls: often enough for a progress bar,
// rarely enough to cost nothing.
const progressEvery = 1 << 16

// Summary describes a written dataset, for the CLI to print and for tests to check.
type Summary struct {
	ID          string    // dataset id, "synth-<seed>"
	Shape       Shape     // layout of the dataset
	Rows        int64     // data rows written over all files
	Bytes       int64     // bytes of the data files
	Files       int       // data files written
	Periods     int       // periods
	Cadence     Cadence   // spacing of the periods
	FirstPeriod string    // first period, YYYY-MM-DD
	LastPeriod  string    // last period, YYYY-MM-DD
	Countries   int       // countries
	Metrics     int       // metrics
	Sources     int       // sources
	Relations   Relations // relations mode; RelationsIdentity is declared in dataset.yaml
	KeyIDs      []string  // minisign key id of each source, in source order
}

// String formats the summary on one line, the way `exposure synth` reports what it wrote.
func (s *Summary) String() string {
	return fmt.Sprintf("dataset %s (%s), %d %s periods (%s to %s), %d countries, %d metrics, relations: %s, %d sources, %d files, %s rows, %s bytes",
		s.ID, s.Shape, s.Periods, s.Cadence, s.FirstPeriod, s.LastPeriod, s.Countries, s.Metrics, s.Relations,
		s.Sources, s.Files, groupThousands(s.Rows), groupThousands(s.Bytes))
}

// groupThousands formats n with comma thousands separators, as people read counts.
func groupThousands(n int64) string {
	digits := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// withDefaults fills zero options with the shape's defaults and checks the rest; its errors wrap
// ErrOptions.
func (o Options) withDefaults() (Options, error) {
	o, err := o.fill()
	if err != nil {
		return o, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return o, nil
}

func (o Options) fill() (Options, error) {
	d := DefaultOptions()
	if o.Shape == "" {
		o.Shape = d.Shape
	}
	if _, err := ParseShape(string(o.Shape)); err != nil {
		return o, err
	}
	if o.Shape == ShapeFullGrid {
		d.Sources = fullGridSources
		switch {
		case o.Countries != 0 && o.Countries != maxCountries:
			return o, fmt.Errorf("the full grid has every country (%d), not %d", maxCountries, o.Countries)
		case o.Sources != 0 && o.Sources != fullGridSources:
			return o, fmt.Errorf("the full grid has %d sources, one per group of M49 regions, not %d", fullGridSources, o.Sources)
		case o.Density != 0 && o.Density != 1:
			return o, fmt.Errorf("the full grid has every cell: density must be 1, not %v", o.Density)
		}
	}
	if o.Periods == 0 {
		o.Periods = d.Periods
	}
	if o.Cadence == "" {
		o.Cadence = d.Cadence
	}
	if o.Countries == 0 {
		o.Countries = d.Countries
	}
	if o.Sources == 0 {
		o.Sources = d.Sources
	}
	if o.Density == 0 {
		o.Density = d.Density
	}
	if o.Relations == "" {
		o.Relations = d.Relations
	}
	if _, err := ParseCadence(string(o.Cadence)); err != nil {
		return o, err
	}
	if _, err := ParseRelations(string(o.Relations)); err != nil {
		return o, err
	}
	switch {
	case o.Periods < 1:
		return o, fmt.Errorf("periods must be at least 1, not %d", o.Periods)
	case o.Countries < 1 || o.Countries > maxCountries:
		return o, fmt.Errorf("countries must be 1 to %d, not %d", maxCountries, o.Countries)
	case o.Sources < 1 || o.Sources > o.Countries:
		return o, fmt.Errorf("sources must be 1 to the number of countries (%d), not %d", o.Countries, o.Sources)
	case !(o.Density > 0 && o.Density <= 1):
		return o, fmt.Errorf("density must be in (0, 1], not %v", o.Density)
	}
	metrics, err := checkMetrics(o.Metrics)
	if err != nil {
		return o, err
	}
	o.Metrics = metrics
	if o.Relations == RelationsIdentity {
		for _, m := range []string{"exposed_systems", "new_systems", "offline_systems"} {
			if !slices.Contains(o.Metrics, m) {
				return o, fmt.Errorf("relations %s declares %q, which needs metric %s", o.Relations, StockFlowIdentity, m)
			}
		}
	}
	return o, nil
}

// checkMetrics returns the chosen metric codes in vocabulary (code) order, all of them when none is
// chosen; an unknown or repeated code is an error.
func checkMetrics(codes []string) ([]string, error) {
	vocab, err := schemas.Default()
	if err != nil {
		return nil, err
	}
	chosen := map[string]bool{}
	for _, c := range codes {
		if _, ok := vocab.MetricByCode(c); !ok {
			return nil, fmt.Errorf("metric %q is not in the vocabulary", c)
		}
		if chosen[c] {
			return nil, fmt.Errorf("metric %q is named twice", c)
		}
		chosen[c] = true
	}
	var metrics []string
	for id := 0; id < vocab.NumMetrics(); id++ {
		code := vocab.Metric(schemas.MetricID(id)).Code
		if len(chosen) == 0 || chosen[code] {
			metrics = append(metrics, code)
		}
	}
	return metrics, nil
}

// ExpectedRows returns the number of data rows Generate writes for opts. Per source and period, the
// density keeps its share (rounded to the nearest integer) of the cells of the metrics that no
// relation links, and of the units of the systems' stock and flows (see generator.unitSize); there
// are no flows at the first period. With density 1 this is periods x countries x 8 x metrics, less
// countries x 8 for each flow metric.
func ExpectedRows(opts Options) (int64, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return 0, err
	}
	vocab, err := schemas.Default()
	if err != nil {
		return 0, err
	}
	g, err := newGenerator(vocab, opts)
	if err != nil {
		return 0, err
	}
	var rows int64
	for _, countries := range g.sources {
		units := int64(len(countries) * len(g.orgCodes))
		for t := range g.periods {
			rows += selectedCells(units, opts.Density)*g.unitSize(t) + selectedCells(units*g.otherMetrics(), opts.Density)
		}
	}
	return rows, nil
}

// selectedCells is how many of n cells or units a period of the given density holds.
func selectedCells(n int64, density float64) int64 {
	if density >= 1 {
		return n
	}
	return int64(float64(n)*density + 0.5)
}

// Generate writes a synthetic dataset folder to dir (created if missing; an existing folder must be
// empty): dataset.yaml, README.md, keys/<source>.pub and the data files of each source (data/<source>.csv,
// or data/<source>-<year>.csv for the full grid), each with its minisign signature. The private keys
// are written only to opts.KeyOut, which must lie outside dir. Options are checked before anything
// is written; an error while writing may leave a partial folder, which the caller removes.
func Generate(dir string, opts Options) (*Summary, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if dir == "" {
		return nil, fmt.Errorf("synth: %w: no output folder given", ErrOptions)
	}
	if opts.KeyOut != "" {
		inside, err := isWithin(opts.KeyOut, dir)
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		if inside {
			return nil, fmt.Errorf("synth: %w: key folder %s is inside the dataset folder %s: a private key must never travel with the data it signs", ErrOptions, opts.KeyOut, dir)
		}
	}
	vocab, err := schemas.Default()
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	g, err := newGenerator(vocab, opts)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if err := prepareDir(dir); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	for _, sub := range []string{"keys", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
	}
	if opts.KeyOut != "" {
		if err := os.MkdirAll(opts.KeyOut, 0o700); err != nil {
			return nil, fmt.Errorf("synth: creating key folder: %w", err)
		}
	}
	sum := &Summary{
		ID:          datasetID(opts.Seed),
		Shape:       opts.Shape,
		Periods:     opts.Periods,
		Cadence:     opts.Cadence,
		FirstPeriod: g.periods[0].String(),
		LastPeriod:  g.periods[len(g.periods)-1].String(),
		Countries:   opts.Countries,
		Metrics:     len(g.metrics),
		Sources:     opts.Sources,
		Relations:   opts.Relations,
	}
	progress := &progressCounter{report: opts.Progress}
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		pub, priv, err := signing.GenerateKey(keyReader(opts.Seed, id))
		if err != nil {
			return nil, fmt.Errorf("synth: source %s: %w", id, err)
		}
		if err := signing.WritePublicKey(filepath.Join(dir, "keys", id+".pub"), pub); err != nil {
			return nil, fmt.Errorf("synth: source %s: %w", id, err)
		}
		if opts.KeyOut != "" {
			if err := writePrivateKey(filepath.Join(opts.KeyOut, id+".key"), priv); err != nil {
				return nil, fmt.Errorf("synth: source %s: %w", id, err)
			}
		}
		sum.KeyIDs = append(sum.KeyIDs, signing.KeyID(pub.ID()))
		w := g.newSourceWriter(s)
		for _, f := range g.files {
			if f.source != s {
				continue
			}
			file := filepath.Join(dir, filepath.FromSlash(f.name))
			rows, bytes, err := writeFile(file, w, f, progress)
			if err != nil {
				return nil, fmt.Errorf("synth: %w", err)
			}
			comment := fmt.Sprintf("exposure synth: dataset %s, file %s, source %s", sum.ID, f.name, id)
			if err := signing.SignFile(file, priv, comment); err != nil {
				return nil, fmt.Errorf("synth: %w", err)
			}
			sum.Rows += rows
			sum.Bytes += bytes
			sum.Files++
		}
	}
	progress.flush()
	if err := os.WriteFile(filepath.Join(dir, "dataset.yaml"), datasetYAML(g, opts), 0o644); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), readme(g, opts, sum), 0o644); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	return sum, nil
}

// datasetID names the dataset after its seed, so that two synthetic datasets are told apart.
func datasetID(seed int64) string { return "synth-" + strconv.FormatInt(seed, 10) }

// sourceID names source s of n: "lab01", "lab02", ... zero-padded so that file order is source order.
func sourceID(s, n int) string {
	width := len(strconv.Itoa(n))
	if width < 2 {
		width = 2
	}
	return fmt.Sprintf("lab%0*d", width, s+1)
}

// keyReader is the deterministic randomness of a source's key: a ChaCha8 stream whose seed is the
// SHA-256 of the dataset seed and the source id, so each source has its own key and the same options
// give the same key.
func keyReader(seed int64, source string) io.Reader {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h := sha256.New()
	h.Write([]byte("exposure synth signing key\x00"))
	h.Write(b[:])
	h.Write([]byte(source))
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return rand.NewChaCha8(s)
}

// writePrivateKey writes an unencrypted minisign private key readable by its owner only.
func writePrivateKey(path string, key minisign.PrivateKey) error {
	text, err := key.MarshalText()
	if err != nil {
		return fmt.Errorf("encoding private key: %w", err)
	}
	if err := os.WriteFile(path, append(text, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing private key: %w", err)
	}
	return nil
}

// prepareDir creates dir, or accepts it if it exists and is empty, so that a dataset never mixes with
// files that the generator did not write.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating dataset folder: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("dataset folder: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("dataset folder %s is not empty", dir)
	}
	return nil
}

// isWithin reports whether path is dir or lies below it, after making both absolute and resolving
// the symbolic links of their longest existing prefixes.
func isWithin(path, dir string) (bool, error) {
	p, err := resolvePath(path)
	if err != nil {
		return false, err
	}
	d, err := resolvePath(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false, nil
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))), nil
}

// resolvePath returns the absolute, cleaned form of path with the symbolic links of its longest
// existing prefix resolved; the part that does not exist yet is appended unchanged.
func resolvePath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	var rest []string
	cur := abs
	for {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// progressCounter forwards the running row count to a Progress callback every progressEvery rows.
type progressCounter struct {
	report func(int64)
	rows   int64
	next   int64
}

func (p *progressCounter) add(n int64) {
	p.rows += n
	if p.report != nil && p.rows >= p.next {
		p.report(p.rows)
		p.next = p.rows + progressEvery
	}
}

func (p *progressCounter) flush() {
	if p.report != nil {
		p.report(p.rows)
	}
}

// writeFile writes one data file of a source, sorted by (period, country, org_type, metric), and
// returns its rows and bytes.
func writeFile(path string, sw *sourceWriter, df dataFile, progress *progressCounter) (rows, bytes int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", path, err)
	}
	counter := &countingWriter{w: f}
	w := bufio.NewWriterSize(counter, 1<<20)
	rows, err = sw.writeFile(w, df, progress)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", path, err)
	}
	return rows, counter.n, nil
}

// countingWriter counts the bytes that pass through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
