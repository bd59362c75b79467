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

// Table is the layout of one file: its name and its columns in order.
type Table struct {
	File    string
	Columns []Column
}

// ArrowSchema returns the Arrow schema of the table, field for column, in order.
func (t Table) ArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	return arrow.NewSchema(fields, nil)
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

// Cells is the layout of cells.parquet: every cell of every protected table, totals included.
var Cells = Table{File: "cells.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{ColValue, int64T, true, "The published count; null when the cell is suppressed."},
	{ColStatus, str, false, "published, or suppressed when the value is withheld to protect small counts."},
}}

// Trends is the layout of trends.parquet: every cell that has a previous period, with its changes.
var Trends = Table{File: "trends.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{ColValue, int64T, true, "The published count of this period; null when suppressed."},
	{"prev_period", date, false, "The series' previous period in the dataset."},
	{"prev_value", int64T, true, "The published count of the previous period; null when suppressed or absent."},
	{"abs_change", int64T, true, "value - prev_value; null unless both are published."},
	{"pct_change", f64, true, "Percent change from prev_value (12.5 means 12.5 %); null unless both are published and prev_value > 0."},
	{"index_base100", f64, true, "value as an index, 100 at the series' first published period; null when not computable."},
	{"share_of_world", f64, true, "value as a percent of the world total of the same metric and org_type; null unless both are published and the world total > 0."},
	{"rank", int64T, true, "1 for the largest published value among the areas of the same level, period, metric and org_type; ties share the lower rank; null when suppressed."},
}}

// Series is the layout of series.parquet: one row per series (metric, area, organization type) over
// all periods, with trend statistics over its published values.
var Series = Table{File: "series.parquet", Columns: []Column{
	colMetric, colGeoLevel, colGeo, colOrgType, colGeoName,
	{"n_periods", int64T, false, "Number of periods with a published value."},
	{"first_period", date, true, "First period with a published value."},
	{"last_period", date, true, "Last period with a published value."},
	{"first_value", int64T, true, "Published value at first_period."},
	{"last_value", int64T, true, "Published value at last_period."},
	{"cagr", f64, true, "Compound annual growth rate as a fraction (0.125 means 12.5 % a year), (last/first)^(1/years) - 1, from the first non-zero published value to the last published value, years from the dates; null when not computable."},
	{"ols_slope_per_year", f64, true, "Least-squares slope of the published values per year; null with fewer than 2 published periods."},
	{"sen_slope_per_year", f64, true, "Sen's (Theil-Sen) slope per year, the median of pairwise slopes; null with fewer than 2 published periods."},
	{"mann_kendall_tau", f64, true, "Kendall's tau-b of the published values against time (Mann-Kendall trend test); null with fewer than 3 published periods or when every value is the same."},
	{"mann_kendall_p", f64, true, "Two-sided p-value of the Mann-Kendall test (exact for n <= 10 without ties, else the normal approximation with continuity and tie correction); null with fewer than 3 published periods."},
	{"trend", str, true, "rising, falling or stable: rising or falling when mann_kendall_p < 0.05 and Sen's slope has that sign; null with fewer than 3 published periods."},
}}

// Summary is the layout of summary.parquet: one row per period, metric, level and organization type,
// with descriptive statistics over the published areas of that level.
var Summary = Table{File: "summary.parquet", Columns: []Column{
	colPeriod, colMetric, colGeoLevel, colOrgType,
	{"units", int64T, false, "Number of cells of this level in the table, published or suppressed."},
	{"suppressed_units", int64T, false, "Number of those cells that are suppressed."},
	{"mean", f64, true, "Mean of the published values; null when none is published."},
	{"median", f64, true, "Median of the published values."},
	{"p90", f64, true, "90th percentile of the published values, linear interpolation (type 7)."},
	{"max", int64T, true, "Largest published value."},
	{"stddev", f64, true, "Sample standard deviation of the published values; null with fewer than 2."},
	{"top5_share", f64, true, "Percent of the sum of the published values of this level held by its five largest; null when that sum is 0."},
}}

// Outputs lists the Parquet outputs in the order the manifest lists them.
var Outputs = []Table{Cells, Trends, Series, Summary}
