package trend

import (
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// Null is a value that may be missing: Valid is false when the statistic cannot be computed from
// published values (too few of them, or one it needs is suppressed).
type Null[T any] struct {
	V     T
	Valid bool
}

// Some returns a valid Null holding v.
func Some[T any](v T) Null[T] { return Null[T]{V: v, Valid: true} }

// Result is the trend stage's output: the protected tables it was computed from and the derived
// figures. Per-cell trends are produced on demand by Trends, in the published order, so that their
// number never has to fit in memory at once.
type Result struct {
	Protected   *protect.Result
	Series      []SeriesRow     // sorted by metric code, GeoID, OrgID
	Summary     []SummaryRow    // sorted by period, metric code, level, OrgID
	Comparisons []ComparisonRow // sorted by metric code, GeoID, other GeoID
	trends      trendSource
}

// CellKey names one cell of one table: its period, metric, area and organization type.
type CellKey struct {
	Period schemas.Date
	Metric schemas.MetricID
	Geo    schemas.GeoID
	Org    schemas.OrgID
}

// TrendRow is one cell of a period that has a previous period, with its change from that period.
// Percentages are in percent (12.5 means 12.5 %). No change and no index crosses a break: a cell
// whose Flags hold schemas.ObsBreak has none, and the index has none from the first break after its
// base on.
type TrendRow struct {
	CellKey
	Value        Null[int64]       // published value of this period
	Suppressed   bool              // the cell is suppressed (CONF_STATUS C)
	Flags        schemas.ObsFlags  // the cell's observation flags (OBS_STATUS), with the causes of a break
	Sources      protect.SourceSet // the sources the cell adds up, over Protected.Provenance.Sources
	PrevPeriod   schemas.Date      // the series' previous period in the dataset
	PrevSources  protect.SourceSet // the sources of the previous period
	PrevValue    Null[int64]       // published value of the previous period
	AbsChange    Null[int64]       // Value - PrevValue
	PctChange    Null[float64]     // 100 * AbsChange / PrevValue, when PrevValue > 0
	IndexBase100 Null[float64]     // 100 * Value / value at the series' first published period
	ShareOfWorld Null[float64]     // 100 * Value / world value of the same metric and org type
	Rank         Null[int64]       // 1 + areas of the level provably larger, when every suppressed one is provably above or not
}

// SeriesRow summarises one series, a (metric, area, organization type), from the published values of
// its last segment: the periods since its last break (the whole series when it has none).
type SeriesRow struct {
	Metric       schemas.MetricID
	Geo          schemas.GeoID
	Org          schemas.OrgID
	Breaks       int64            // periods at which the series breaks
	SegmentStart schemas.Date     // first period of the last segment
	Flags        schemas.ObsFlags // estimated or provisional when a published value of the segment is
	NPeriods     int64            // periods of the segment with a published value
	FirstPeriod  Null[schemas.Date]
	LastPeriod   Null[schemas.Date]
	FirstValue   Null[int64]
	LastValue    Null[int64]
	CAGR         Null[float64] // compound annual growth rate, a fraction per year (0.125 means 12.5 %)
	OLSSlope     Null[float64] // per year
	SenSlope     Null[float64] // per year
	SenLower     Null[float64] // 95 % confidence interval of Sen's slope, per year
	SenUpper     Null[float64]
	MannKendallS Null[int64]   // Mann-Kendall score
	MannKendallT Null[float64] // Kendall's tau-b
	MannKendallP Null[float64] // two-sided p-value
	PMethod      Null[string]  // PExact or PNormal
	Trend        string        // one of TrendLabels
}

// SummaryRow describes one level of one table for one organization type over all its units,
// published or suppressed: a statistic is valid only when the published cells prove it.
type SummaryRow struct {
	Period          schemas.Date
	Metric          schemas.MetricID
	Level           schemas.GeoLevel
	Org             schemas.OrgID
	Units           int64 // cells of this level in the table
	SuppressedUnits int64
	Total           Null[int64] // sum over the units
	Mean            Null[float64]
	Median          Null[float64]
	P90             Null[float64]
	Max             Null[int64]
	StdDev          Null[float64]
	Top5Share       Null[float64] // percent
}

// The relations of a comparison: what the other area is to the country.
const (
	RelationSubRegion = "subregion" // the country's sub-region
	RelationRegion    = "region"    // the country's region
	RelationWorld     = "world"     // the world
	RelationPeer      = "peer"      // another country of the same sub-region
	RelationDeclared  = "declared"  // another country that dataset.yaml's comparisons names
)

// ComparisonRow compares the trend of one country's series (metric, all organization types) with
// another area's: the Mann-Kendall test and Sen's slope of the log-ratio of the two over the periods
// since both series' last breaks at which both values are published and above 0.
type ComparisonRow struct {
	Metric       schemas.MetricID
	Geo          schemas.GeoID // a country
	Other        schemas.GeoID
	Relation     string
	SegmentStart schemas.Date
	NPeriods     int64
	FirstPeriod  Null[schemas.Date]
	LastPeriod   Null[schemas.Date]
	S            Null[int64]
	Tau          Null[float64]
	P            Null[float64]
	PMethod      Null[string]
	Slope        Null[float64] // Sen's slope of log(value / other value) per year
	SlopeLower   Null[float64]
	SlopeUpper   Null[float64]
	Trend        string // one of TrendLabels, of the ratio: rising means Geo gains on Other
}

// trendSource produces the per-cell trend rows; it is set by Compute.
type trendSource func(yield func(TrendRow) error) error

// Trends calls yield for every trend row in the published order (period, metric code, GeoID, OrgID)
// and stops at the first error yield returns.
func (r *Result) Trends(yield func(TrendRow) error) error {
	if r.trends == nil {
		return nil
	}
	return r.trends(yield)
}
