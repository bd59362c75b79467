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
	Protected *protect.Result
	Series    []SeriesRow  // sorted by metric code, GeoID, OrgID
	Summary   []SummaryRow // sorted by period, metric code, level, OrgID
	trends    trendSource
}

// CellKey names one cell of one table: its period, metric, area and organization type.
type CellKey struct {
	Period schemas.Date
	Metric schemas.MetricID
	Geo    schemas.GeoID
	Org    schemas.OrgID
}

// TrendRow is one cell of a period that has a previous period, with its change from that period.
// Percentages are in percent (12.5 means 12.5 %).
type TrendRow struct {
	CellKey
	Value        Null[int64]   // published value of this period
	PrevPeriod   schemas.Date  // the series' previous period in the dataset
	PrevValue    Null[int64]   // published value of the previous period
	AbsChange    Null[int64]   // Value - PrevValue
	PctChange    Null[float64] // 100 * AbsChange / PrevValue, when PrevValue > 0
	IndexBase100 Null[float64] // 100 * Value / value at the series' first published period
	ShareOfWorld Null[float64] // 100 * Value / world value of the same metric and org type
	Rank         Null[int64]   // 1 for the largest published value among the level's areas; ties share the lower rank
}

// SeriesRow summarises one series, a (metric, area, organization type) over all periods, from its
// published values.
type SeriesRow struct {
	Metric       schemas.MetricID
	Geo          schemas.GeoID
	Org          schemas.OrgID
	NPeriods     int64 // periods with a published value
	FirstPeriod  Null[schemas.Date]
	LastPeriod   Null[schemas.Date]
	FirstValue   Null[int64]
	LastValue    Null[int64]
	CAGR         Null[float64] // compound annual growth rate, a fraction per year (0.125 means 12.5 %)
	OLSSlope     Null[float64] // per year
	SenSlope     Null[float64] // per year
	MannKendallT Null[float64] // Kendall's tau
	MannKendallP Null[float64] // two-sided p-value
	Trend        Null[string]  // "rising", "falling" or "stable"
}

// SummaryRow describes the published values of one level of one table for one organization type.
type SummaryRow struct {
	Period          schemas.Date
	Metric          schemas.MetricID
	Level           schemas.GeoLevel
	Org             schemas.OrgID
	Units           int64 // cells of this level in the table
	SuppressedUnits int64
	Mean            Null[float64]
	Median          Null[float64]
	P90             Null[float64]
	Max             Null[int64]
	StdDev          Null[float64]
	Top5Share       Null[float64] // percent
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
