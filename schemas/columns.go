package schemas

import (
	"github.com/apache/arrow/go/v15/arrow"
)

// Column describes one column of an input or output file: its name, its Arrow type, whether it may be
// null and what it means. Writers, readers, the audit, the Markdown tables and the data package
// descriptor all take column names, order and types from here.
type Column struct {
	Name        string
	Type        arrow.DataType
	Nullable    bool
	Description string
}

// Table is the layout of one file: its name, its columns in order and, when it is not the run of
// shared key columns the file starts with (SPEC 5), the columns that identify a row.
type Table struct {
	File    string
	Columns []Column
	Key     []string // nil: the leading run of period, metric, geo_level, geo and org_type
}

// ArrowSchema returns the Arrow schema of the table, field for column, in order.
func (t Table) ArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	return arrow.NewSchema(fields, nil)
}

// KeyColumns returns the columns that identify a row: Key, or the leading run of the shared key
// columns.
func (t Table) KeyColumns() []string {
	if t.Key != nil {
		return append([]string(nil), t.Key...)
	}
	var keys []string
	for _, c := range t.Columns {
		if c.Name != ColPeriod && c.Name != ColMetric && c.Name != ColGeoLevel && c.Name != ColGeo && c.Name != ColOrgType {
			break
		}
		keys = append(keys, c.Name)
	}
	return keys
}

// Names returns the column names in order.
func (t Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Column names shared by several files.
const (
	ColPeriod        = "period"
	ColCountry       = "country"
	ColMetric        = "metric"
	ColOrgType       = "org_type"
	ColValue         = "value"
	ColContributors  = "contributors"
	ColLargest       = "largest"
	ColSecondLargest = "second_largest"
	ColGeoLevel      = "geo_level"
	ColGeo           = "geo"
	ColGeoName       = "geo_name"
	ColStatus        = "status"
	ColObsStatus     = "obs_status"
	ColConfStatus    = "conf_status"
	ColBreakReason   = "break_reason"
	ColSource        = "source"
	ColTrend         = "trend"
	ColPMethod       = "p_method"
	ColRelation      = "relation"
	ColOtherGeo      = "other_geo"
)

// The two values of the status column of cells.parquet.
const (
	StatusPublished  = "published"
	StatusSuppressed = "suppressed"
)

var (
	date   = arrow.FixedWidthTypes.Date32
	str    = arrow.BinaryTypes.String
	int64T = arrow.PrimitiveTypes.Int64
	f64    = arrow.PrimitiveTypes.Float64
)

var (
	colPeriod   = Column{ColPeriod, date, false, "Snapshot date of the measurement."}
	colMetric   = Column{ColMetric, str, false, "Metric code from the metric vocabulary (what is counted)."}
	colGeoLevel = Column{ColGeoLevel, str, false, "Level of the geographic hierarchy: world, region, subregion or country."}
	colGeo      = Column{ColGeo, str, false, "UN M49 code of the world, region or sub-region, or ISO 3166-1 alpha-2 code of the country."}
	colOrgType  = Column{ColOrgType, str, false, "Organization-type code, or all for the total over every type."}
	colGeoName  = Column{ColGeoName, str, false, "English name of the area."}
)

// Submission is the layout of a submitted file (SPEC 3.1): one row per leaf cell. Columns are matched
// by name; largest and second_largest may be null.
var Submission = Table{File: "submission", Columns: []Column{
	colPeriod,
	{ColCountry, str, false, "ISO 3166-1 alpha-2 code of the country where the systems are."},
	{ColOrgType, str, false, "Organization-type code of the operators."},
	colMetric,
	{ColValue, int64T, false, "The count, an integer >= 0."},
	{ColContributors, int64T, false, "Number of distinct organizations behind the count."},
	{ColLargest, int64T, true, "The largest single organization's part of value, if known."},
	{ColSecondLargest, int64T, true, "The second largest organization's part of value, if known."},
}}

// The flag columns of cells and trends (SPEC 5, honest statistics: SDMX codes), and the source.
var (
	colObsStatus   = Column{ColObsStatus, str, false, "SDMX OBS_STATUS of the cell: A normal value; B break in series (the cell's source, definition or coverage differs from its previous period); E estimated (the dataset marks its input as an estimate or illustrative allocation); P provisional. B wins over E, E over P."}
	colConfStatus  = Column{ColConfStatus, str, false, "SDMX CONF_STATUS: F free (published) or C confidential (suppressed); primary and secondary suppressions are not told apart."}
	colBreakReason = Column{ColBreakReason, str, true, "Why the cell is a break, when obs_status is B: declared (dataset.yaml declares a break at this period), source (the source covering the cell or one of its countries changed), coverage (a total adds up another set of cells than before), joined by \",\" in that order; null when the cell is not a break."}
	colSource      = Column{ColSource, str, false, "Id of the source whose submission the cell is; for a total, the sorted ids of the sources of the cells it adds up, joined by \",\"."}
)

// Cells is the layout of cells.parquet: every cell of every protected table, totals included.
var Cells = Table{File: "cells.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{ColValue, int64T, true, "The published count; null when the cell is suppressed."},
	{ColStatus, str, false, "published, or suppressed when the value is withheld to protect small counts."},
	colObsStatus, colConfStatus, colBreakReason, colSource,
}}

// Trends is the layout of trends.parquet: every cell that has a previous period, with its changes.
var Trends = Table{File: "trends.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{ColValue, int64T, true, "The published count of this period; null when suppressed."},
	colObsStatus, colConfStatus, colBreakReason, colSource,
	{"prev_period", date, false, "The series' previous period in the dataset."},
	{"prev_value", int64T, true, "The published count of the previous period; null when suppressed."},
	{"abs_change", int64T, true, "value - prev_value; null unless both are published and the cell is not a break (obs_status B)."},
	{"pct_change", f64, true, "Percent change from prev_value (12.5 means 12.5 %); null unless abs_change is given and prev_value > 0."},
	{"index_base100", f64, true, "value as an index, 100 at the series' first published period; null when value is suppressed, the base is 0, the cell is a break (obs_status B), or a break lies between the base and this period."},
	{"share_of_world", f64, true, "value as a percent of the world total of the same period, metric and org_type; null unless both are published and the world total > 0."},
	{"rank", int64T, true, "1 + the number of areas of the same level, period, metric and org_type whose value is larger, published or suppressed (ties share the lower rank); null when value is suppressed or when a suppressed area's interval, as anyone can derive it from the published cells, does not lie wholly above or wholly at or below value."},
}}

// Series is the layout of series.parquet: one row per series (metric, area, organization type), with
// trend statistics over the published values of its last segment, the periods since its last break.
var Series = Table{File: "series.parquet", Columns: []Column{
	colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{"n_breaks", int64T, false, "Number of periods at which the series breaks (obs_status B)."},
	{"segment_start", date, false, "First period of the segment the statistics cover: the series' last break, or its first period when it has none. Nothing before it is used."},
	{ColObsStatus, str, false, "E when a published value of the segment is estimated, else P when one is provisional, else A."},
	{"n_periods", int64T, false, "Number of periods of the segment with a published value."},
	{"first_period", date, true, "First period of the segment with a published value."},
	{"last_period", date, true, "Last period of the segment with a published value."},
	{"first_value", int64T, true, "Published value at first_period."},
	{"last_value", int64T, true, "Published value at last_period."},
	{"cagr", f64, true, "Compound annual growth rate as a fraction (0.125 means 12.5 % a year), (last/first)^(1/years) - 1, from the segment's first non-zero published value to its last published value, years from the dates; null when no value is non-zero or the two are less than one calendar year apart."},
	{"ols_slope_per_year", f64, true, "Least-squares slope of the segment's published values per year; null with fewer than 2 published periods."},
	{"sen_slope_per_year", f64, true, "Sen's (Theil-Sen) slope per year, the median of pairwise slopes (Sen 1968); null with fewer than 2 published periods."},
	{"sen_slope_lower", f64, true, "Lower end of the 95 % confidence interval of Sen's slope, per year (Gilbert 1987, 16.4.3; Hollander & Wolfe 1999, 9.4; the normal approximation to S with the tie correction, as scipy.stats.theilslopes); null when the interval reaches past the pairwise slopes."},
	{"sen_slope_upper", f64, true, "Upper end of that interval, per year; null like sen_slope_lower."},
	{"mann_kendall_s", int64T, true, "Mann-Kendall score S, the sum over every two published values of the sign of their difference in time order; null with fewer than 2 published periods."},
	{"mann_kendall_tau", f64, true, "Kendall's tau-b of the published values against time; null with fewer than 2 published periods or when every value is the same."},
	{"mann_kendall_p", f64, true, "Two-sided p-value of the Mann-Kendall test; null with fewer than 2 published periods."},
	{ColPMethod, str, true, "How mann_kendall_p was computed: exact (the permutation distribution of S, ties included, for n_periods <= 10) or normal (the normal approximation with continuity and tie correction above 10); null with the p-value."},
	{ColTrend, str, false, "rising or falling when mann_kendall_p < 0.05 and Sen's slope has that sign; no significant trend when the test does not reject; too few periods when n_periods is below the smallest n at which the two-sided test can reject at 5 % (5, computed from the exact distribution of S)."},
}}

// Summary is the layout of summary.parquet: one row per period, metric, level and organization type,
// with statistics over all areas of that level, published or suppressed, each given only when the
// published cells prove it.
var Summary = Table{File: "summary.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colOrgType,
	{"units", int64T, false, "Number of cells of this level in the table, published or suppressed."},
	{"suppressed_units", int64T, false, "Number of those cells that are suppressed."},
	{"total", int64T, true, "Sum over the units of the level: their own sum when all are published, else the world total less the countries that have no area at this level (e.g. TW, which rolls up straight to the world); null when a figure it needs is suppressed."},
	{"mean", f64, true, "total / units, the mean over every unit of the level; null when total is null."},
	{"median", f64, true, "Median over every unit of the level; null unless it is the same for every value the suppressed units can take within the intervals anyone can derive from the published cells."},
	{"p90", f64, true, "90th percentile over every unit, linear interpolation (Hyndman & Fan 1996 type 7); null unless proven as the median is."},
	{"max", int64T, true, "Largest value over every unit; null unless a published value is at least the upper bound of every suppressed unit."},
	{"stddev", f64, true, "Sample standard deviation over every unit; null with fewer than 2 units or when any is suppressed."},
	{"top5_share", f64, true, "Percent of total held by the five largest units; null when total is null or 0, or when the sum of the five largest is not proven from the published cells and the intervals."},
}}

// Comparisons is the layout of comparisons.parquet: the trend of one series against another's, for
// every country against its sub-region, region and the world, every two countries of a sub-region
// (both ways round) and the pairs dataset.yaml names, per metric, over all organization types. The
// test is the Mann-Kendall test of the log-ratio of the two series over their common published
// periods: parallel log-linear trends, Joinpoint's null (Kim et al. 2004, Biometrics 60:1005), are
// a log-ratio without trend.
var Comparisons = Table{File: "comparisons.parquet", Key: []string{ColMetric, ColGeoLevel, ColGeo, ColOrgType, ColOtherGeo}, Columns: []Column{
	colMetric, colGeoLevel, colGeo, colOrgType,
	{ColOtherGeo, str, false, "The area geo is compared with: M49 code or ISO 3166-1 alpha-2 code."},
	colGeoName,
	{"other_geo_level", str, false, "Level of other_geo: world, region, subregion or country."},
	{"other_geo_name", str, false, "English name of other_geo."},
	{ColRelation, str, false, "subregion, region or world: other_geo is the area geo belongs to at that level; peer: another country of geo's sub-region; declared: a pair that dataset.yaml's comparisons names."},
	{"segment_start", date, false, "First period both series' statistics cover: the later of the two series' segment_start."},
	{"n_periods", int64T, false, "Number of periods since segment_start at which both values are published and above 0 (the log-ratio is defined)."},
	{"first_period", date, true, "First of those periods."},
	{"last_period", date, true, "Last of those periods."},
	{"mann_kendall_s", int64T, true, "Mann-Kendall score S of log(value of geo / value of other_geo) over those periods; null with fewer than 2."},
	{"mann_kendall_tau", f64, true, "Kendall's tau-b of the log-ratio against time; null with fewer than 2 periods or when the ratio never changes."},
	{"mann_kendall_p", f64, true, "Two-sided p-value of the test (exact with ties up to 10 periods, else the normal approximation); null with fewer than 2 periods."},
	{ColPMethod, str, true, "exact or normal, as in series.parquet; null with the p-value."},
	{"log_ratio_slope_per_year", f64, true, "Sen's slope of the natural log of the ratio per year: exp(slope) - 1 is how much faster (or, negative, slower) geo grows than other_geo, as a fraction per year; null with fewer than 2 periods."},
	{"log_ratio_slope_lower", f64, true, "Lower end of the 95 % confidence interval of that slope (as sen_slope_lower in series.parquet)."},
	{"log_ratio_slope_upper", f64, true, "Upper end of that interval."},
	{ColTrend, str, false, "rising (geo gains on other_geo), falling (geo loses ground), no significant trend (the test does not reject at 5 %) or too few periods (n_periods below 5), as in series.parquet but of the ratio."},
}}

// Outputs lists the Parquet outputs in the order the manifest lists them.
var Outputs = []Table{Cells, Trends, Series, Summary, Comparisons}
