package protect

import (
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

// Result is the protected form of a dataset: every table with its totals, each cell either published
// with its exact value or suppressed with no value at all. It is all that the later stages see: it
// carries no contributors, no dominance figures and no suppressed value, so no later stage can leak one.
type Result struct {
	Vocab      *schemas.Vocabulary
	Provenance Provenance
	Tables     []*Table // sorted by period, then metric code
	Summary    Summary
}

// Provenance is what the publications say about where the figures come from. None of it is
// confidential.
type Provenance struct {
	DatasetID    string
	Title        string
	Licence      string
	ConfigSHA256 string
	Sources      []ingest.Source    // as configured, sorted by id
	Inputs       []ingest.InputFile // as verified, sorted by file
	Parameters   ingest.Protection  // the rules' parameters that were applied
	Caveats      []string           // the dataset's caveats, from dataset.yaml
	// Relations are the relations between metrics in force, which the protection held against
	// (the vocabulary's, then the dataset's): the report states them, since an outsider's audit
	// uses them.
	Relations   []schemas.Relation
	Breaks      []ingest.Break    // the breaks in series dataset.yaml declares, in its order
	Estimates   []ingest.Estimate // the inputs or parts dataset.yaml marks as estimates, in its order
	Comparisons [][]string        // the pairs of countries dataset.yaml asks to compare, in its order
	// Accepted are the sensitive cells the publisher accepted as disclosed by earlier releases
	// (Options.AcceptDisclosed) that needed it, sorted: the methodology names them.
	Accepted []DisclosedCell
	// Previous identifies the earlier releases the protection held against, oldest first, by the
	// SHA-256 of each one's manifest.json.
	Previous []string
}

// Summary counts what the protection did, without saying which cells were primary or secondary.
type Summary struct {
	Tables     int // tables protected
	Cells      int // cells in all tables, totals included
	Suppressed int // cells suppressed, primary and secondary together
}

// Table is one protected (period, metric) table: country x organization type with every total along
// the geographic hierarchy (country -> sub-region -> region -> world) and organization type -> all.
type Table struct {
	Period schemas.Date
	Metric schemas.MetricID
	Cells  []Cell // sorted by (Geo, Org): ascending GeoID then ascending OrgID (OrgAll first)
}

// Cell is one published or suppressed cell of a protected table. Its value can be read only through
// Value, which gives nothing for a suppressed cell: the type makes it impossible to publish or derive
// from a withheld figure by mistake.
type Cell struct {
	Geo        schemas.GeoID
	Org        schemas.OrgID
	Flags      schemas.ObsFlags // break, estimate, provisional: public facts about how the figure was made
	Sources    SourceSet        // the sources whose leaves the cell adds up
	value      int64
	suppressed bool
}

// SourceSet is a set of the dataset's sources, bit i standing for Provenance.Sources[i] (sorted by
// id): the sources that cover a cell. Which source covers which cell is public (the sources' scopes
// and the flags of a change of source say it anyway); their figures are not.
type SourceSet uint64

// Has reports whether source i is in the set.
func (s SourceSet) Has(i int) bool { return i >= 0 && i < 64 && s&(1<<uint(i)) != 0 }

// PublishedCell returns a published cell with the given value.
func PublishedCell(geo schemas.GeoID, org schemas.OrgID, value int64) Cell {
	return Cell{Geo: geo, Org: org, value: value}
}

// SuppressedCell returns a suppressed cell; it has no value.
func SuppressedCell(geo schemas.GeoID, org schemas.OrgID) Cell {
	return Cell{Geo: geo, Org: org, suppressed: true}
}

// WithFacts returns c with its flags and sources set.
func (c Cell) WithFacts(flags schemas.ObsFlags, sources SourceSet) Cell {
	c.Flags, c.Sources = flags, sources
	return c
}

// Value returns the published value, and false (with 0) when the cell is suppressed.
func (c Cell) Value() (int64, bool) {
	if c.suppressed {
		return 0, false
	}
	return c.value, true
}

// Suppressed reports whether the cell's value is withheld.
func (c Cell) Suppressed() bool { return c.suppressed }
