// Package trend is the third stage: from the published values of the protected tables, and from
// nothing else, it derives per-cell changes, per-series trend statistics and per-level summaries.
// Wherever a figure would need a suppressed value it is null.
//
// A series is one (metric, area, organization type); its periods are those whose table of that metric
// has the cell, published or suppressed. A period whose table lacks the cell (a structural zero) is not
// one of them, so a change is always measured from the series' own previous period.
//
// Per cell (TrendRow, trends.parquet; one row per cell that has a previous period):
//   - abs_change and pct_change need this and the previous value published; pct_change also needs a
//     previous value above 0.
//   - index_base100 is 100 at the series' first published period, which need not be its first period;
//     null when that base is 0 or when the value is suppressed.
//   - share_of_world is taken against the world cell of the same table and organization type; null
//     when either is suppressed or the world is 0.
//   - rank is the competition rank (1, 2, 2, 4) among the published cells of the same level and
//     organization type of the table, largest first; a suppressed cell has none and takes no place.
//
// Per series (SeriesRow, series.parquet), over the published values only, in date order, years from
// the dates (schemas.Date.YearsSince):
//   - cagr, a fraction per year: (last/first)^(1/years) - 1 from the first non-zero value to the last
//     value; null when no value is non-zero or no time separates the two.
//   - ols_slope_per_year and sen_slope_per_year (Sen 1968, JASA) need 2 values.
//   - mann_kendall_tau and mann_kendall_p (Mann 1945; Kendall 1975) need 3 values. Tau is tau-b, as
//     R's Kendall::MannKendall reports it; it is null when every value is the same, and p is then 1.
//     The two-sided p-value is exact (the distribution of S over all n! orderings) for n <= 10 values
//     without ties, otherwise the normal approximation with continuity correction and tie-corrected
//     variance. Kendall::MannKendall (2.2.1) uses the normal approximation at every n, so for short
//     series without ties its p-value differs from ours and from cor.test(exact = TRUE), which agree.
//   - trend is rising or falling when p < 0.05 and Sen's slope has that sign, stable otherwise; null
//     with fewer than 3 values.
//
// Per level (SummaryRow, summary.parquet; one row per period, metric, level and organization type
// that has at least one cell): units and suppressed units, then over the published values their mean,
// median, 90th percentile (Hyndman & Fan 1996 type 7), largest value, sample standard deviation
// (null with fewer than 2) and the percentage of their sum held by the five largest (null when the sum
// is 0).
package trend
