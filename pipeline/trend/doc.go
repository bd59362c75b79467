// Package trend is the third stage: from the published values of the protected tables, and from
// nothing else, it derives per-cell changes, per-series trend statistics, comparisons of series and
// per-level summaries. Wherever a figure would need a suppressed value it is null, unless the
// published values and the intervals that anyone can derive for the suppressed cells from them
// (protect.Bounds, the outsider's audit) prove it (SPEC 4, everything derived).
//
// A series is one (metric, area, organization type); its periods are those whose table of that metric
// has the cell, published or suppressed. A period whose table lacks the cell (a structural zero) is not
// one of them, so a change is always measured from the series' own previous period. A cell is a break
// (flag schemas.ObsBreak, SDMX B) when its source, definition or coverage differs from its previous
// period (pipeline/ingest flags the leaves, pipeline/protect the totals); a series' segments run from
// one break to the next, and nothing is compared across a break (SPEC 5, honest statistics).
//
// Per cell (TrendRow, trends.parquet; one row per cell that has a previous period), with the cell's
// flags and sources:
//   - abs_change and pct_change need this and the previous value published and the cell not to be a
//     break; pct_change also needs a previous value above 0.
//   - index_base100 is 100 at the series' first published period, which need not be its first period;
//     null when that base is 0, when the value is suppressed, at a break, and from the first break
//     after the base on (the index would compare across it).
//   - share_of_world is taken against the world cell of the same table and organization type; null
//     when either is suppressed or the world is 0.
//   - rank is the competition rank (1, 2, 2, 4) among every cell of the same level and organization
//     type of the table, largest first: 1 + the number of cells whose value is larger. It is given
//     only when every suppressed cell of the group provably lies above the value (its interval's
//     lower end is larger) or not above it (its upper end is at most the value). A suppressed cell
//     has none.
//
// Per series (SeriesRow, series.parquet), over the published values of the last segment, in date
// order, years from the dates (schemas.Date.YearsSince):
//   - segment_start is the period of the last break, or the series' first period; n_breaks counts the
//     breaks.
//   - cagr, a fraction per year: (last/first)^(1/years) - 1 from the first non-zero value to the last
//     value; null when no value is non-zero or the two are less than one calendar year apart (SPEC 5).
//   - ols_slope_per_year, sen_slope_per_year (Sen 1968, JASA 63:1379) and the 95 % confidence
//     interval of Sen's slope (Sen 1968, eq. 2.6, in Gilbert 1987, 16.4.3, as scipy.stats.theilslopes
//     computes it; an end is null where scipy would clamp it to the extreme slope) need 2 values.
//   - mann_kendall_s, mann_kendall_tau and mann_kendall_p (Mann 1945; Kendall 1975) need 2 values.
//     Tau is tau-b, as R's Kendall::MannKendall reports it; it is null when every value is the same,
//     and p is then 1. The two-sided p-value is exact for n <= 10 values, ties included: the
//     permutation distribution of S depends only on the sizes of the tie groups, and is counted
//     once per pattern of them (exact.go). Above 10 it is the normal approximation with continuity
//     correction and tie-corrected variance; p_method says which.
//   - trend is rising or falling when p < 0.05 and Sen's slope has that sign, no significant trend
//     when the test does not reject (never "stable": not rejecting is not evidence of stability),
//     and too few periods below MinTrendPeriods, the smallest n at which a two-sided exact test can
//     reject at 5 % at all (5: the most extreme ordering of 4 values has p = 2/24), computed from the
//     exact distribution.
//
// Per comparison (ComparisonRow, comparisons.parquet; compare.go): every country against its
// sub-region, region and the world, every two countries of one sub-region, and the pairs that
// dataset.yaml names, per metric over all organization types: the Mann-Kendall test and Sen's slope
// of the log-ratio of the two series over the common periods since both series' last breaks at
// which both are published and above 0. Parallel log-linear trends (Joinpoint's test of parallelism,
// Kim et al. 2004, Biometrics 60:1005) are a log-ratio without trend.
//
// Per level (SummaryRow, summary.parquet; one row per period, metric, level and organization type
// that has at least one cell), over every unit of the level, published or suppressed: units and
// suppressed units; total, the units' sum (their own when all are published, else the world total
// less the countries with no area at that level, such as TW at the region and sub-region levels);
// mean, total over units; median, 90th percentile (Hyndman & Fan 1996 type 7), the largest value and
// the percentage of total held by the five largest when they are the same for every value the
// suppressed units can take within their intervals; the sample standard deviation when no unit is
// suppressed.
package trend
