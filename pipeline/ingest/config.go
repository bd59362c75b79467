package ingest

import (
	"github.com/exposure-research/exposure/schemas"
)

// Config is dataset.yaml (SPEC 6) after environment and flag overrides, with every value checked.
type Config struct {
	ID         string           `mapstructure:"id"`
	Title      string           `mapstructure:"title"`
	Licence    string           `mapstructure:"licence"`
	Sources    []Source         `mapstructure:"sources"`
	Inputs     []Input          `mapstructure:"inputs"`
	Protection Protection       `mapstructure:"protection"`
	Metrics    []schemas.Metric `mapstructure:"metrics"`
	// Relations are the linear relations between metrics that the dataset declares beyond the
	// vocabulary's (SPEC 3.3, 6), e.g. its sources' stock-flow identity
	// "exposed_systems = prev(exposed_systems) + new_systems - offline_systems".
	Relations []string `mapstructure:"relations"`
	// Breaks are the declared breaks in series (SPEC 6): the cells they name are obs_status B.
	Breaks []Break `mapstructure:"breaks"`
	// Estimates name the inputs, or parts of them, that are estimates or illustrative allocations
	// (SPEC 6): their cells are obs_status E.
	Estimates []Estimate `mapstructure:"estimates"`
	// Comparisons are pairs of countries whose trends the build compares besides the ones it always
	// compares (comparisons.parquet). This key is the project's documented extension of SPEC 6.
	Comparisons [][]string `mapstructure:"comparisons"`
	// Caveats are sentences the report must carry about the figures (e.g. which numbers are an
	// illustrative allocation). This key is the project's documented extension of SPEC 6.
	Caveats []string `mapstructure:"caveats"`
	// Limits bound what one build reads, so that a careless or hostile submission ends in a clear
	// error instead of exhausting memory or time. This key is the project's documented extension
	// of SPEC 6.
	Limits Limits `mapstructure:"limits"`
	// Ignore lists files under data/ that are deliberately not inputs (SPEC 6). Any other signed
	// file under data/ that is not an input is an error, so that a forgotten input cannot silently
	// shrink a publication.
	Ignore []string `mapstructure:"ignore"`
	// Previous names earlier report folders of this dataset (SPEC 6), relative to the dataset
	// folder or absolute, oldest first: what they published is public knowledge that the
	// protection holds against (SPEC 4, "Releases"). The build checks each before it reads it.
	Previous []string `mapstructure:"previous"`

	// SHA256 is the manifest's config digest: the lower-case hex SHA-256 of the effective
	// configuration (overrides applied) in a canonical form, independent of the file's layout and
	// of the order in which it lists sources and inputs (see configDigest).
	SHA256 string `mapstructure:"-"`
}

// Source is an authorized sender of submissions, identified by its minisign public key.
type Source struct {
	ID    string `mapstructure:"id"`
	Name  string `mapstructure:"name"`
	Key   string `mapstructure:"key"` // path of the minisign public key, relative to the dataset folder
	Scope Scope  `mapstructure:"scope"`
}

// Scope limits what a source may submit; an empty part places no limit.
type Scope struct {
	Countries []string    `mapstructure:"countries"`
	Metrics   []string    `mapstructure:"metrics"`
	Periods   PeriodRange `mapstructure:"periods"`
}

// PeriodRange is an inclusive range of periods; an empty bound is open.
type PeriodRange struct {
	From string `mapstructure:"from"`
	To   string `mapstructure:"to"`
}

// Input is one submission file and the source that must have signed it.
type Input struct {
	File   string `mapstructure:"file"`
	Source string `mapstructure:"source"`
}

// Break is a declared break in series: at Period, the cells of Countries (every country when empty)
// and Metrics (every metric when empty) are not comparable with their previous period, e.g. because
// a source changed what it counts.
type Break struct {
	Period    string   `mapstructure:"period" json:"period"`
	Countries []string `mapstructure:"countries" json:"countries"`
	Metrics   []string `mapstructure:"metrics" json:"metrics"`
	Reason    string   `mapstructure:"reason" json:"reason"`
}

// Estimate marks the cells of an input that are estimates or illustrative allocations rather than
// measurements: every cell of File, or those of Countries and Metrics when given.
type Estimate struct {
	File      string   `mapstructure:"file" json:"file"`
	Countries []string `mapstructure:"countries" json:"countries"`
	Metrics   []string `mapstructure:"metrics" json:"metrics"`
	Reason    string   `mapstructure:"reason" json:"reason"`
}

// Protection holds the parameters of the disclosure rules (SPEC 4).
type Protection struct {
	MinContributors int64            `mapstructure:"min_contributors"` // threshold rule: fewer contributors is sensitive
	MinValue        map[string]int64 `mapstructure:"min_value"`        // per metric code: a smaller non-zero value is sensitive
	PPercent        float64          `mapstructure:"p_percent"`        // p of the p% dominance rule
	Interval        float64          `mapstructure:"interval"`         // q: required protection interval, a fraction of the value
}

// Limits are the bounds of a build's inputs. Each is at least 1; Options and the command line's
// flags override dataset.yaml, which overrides the defaults (DefaultLimits).
type Limits struct {
	MaxFileBytes     int64 `mapstructure:"max_file_bytes"`      // bytes of one submission file
	MaxRowsPerFile   int64 `mapstructure:"max_rows_per_file"`   // data rows of one submission file
	MaxCellsPerTable int64 `mapstructure:"max_cells_per_table"` // leaf cells of one (period, metric) table, over all files
}

// DefaultLimits returns the limits that apply where dataset.yaml, the environment and the options
// are silent: 4 GiB per file, 50,000,000 rows per file, 1,000,000 leaf cells per table.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: DefaultMaxFileBytes, MaxRowsPerFile: DefaultMaxRowsPerFile, MaxCellsPerTable: DefaultMaxCellsPerTable}
}

// DefaultProtection returns the parameters that apply where dataset.yaml is silent.
func DefaultProtection() Protection {
	return Protection{
		MinContributors: 3,
		MinValue:        map[string]int64{"affected_patients": 11},
		PPercent:        10,
		Interval:        0.2,
	}
}
