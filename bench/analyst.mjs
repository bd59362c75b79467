// What an analyst would otherwise do, as the yardstick of bench/run.sh: load the submitted CSVs into
// DuckDB, roll them up along the M49 hierarchy and org_type with GROUPING SETS, blank the cells that
// fail the primary rules (no secondary suppression, no audit, no signatures), compute changes with LAG
// and series and summary statistics with aggregates, and write four Parquet files.
//
// Usage: node bench/analyst.mjs DATASET_DIR OUT_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [datasetDir, outDir] = process.argv.slice(2);
if (!datasetDir || !outDir) {
  console.error('usage: node bench/analyst.mjs DATASET_DIR OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const here = new URL('.', import.meta.url).pathname;
const m49 = resolve(here, '../schemas/data/iso3166-m49.csv');
const q = (s) => `'${s.replaceAll("'", "''")}'`;

const db = await (await DuckDBInstance.create(':memory:')).connect();
const sql = [
  `CREATE TABLE m49 AS SELECT "alpha-2" AS country, coalesce(nullif("region-code", ''), '001') AS region,
     coalesce(nullif("sub-region-code", ''), '001') AS subregion
   FROM read_csv(${q(m49)}, all_varchar = true)`,
  `CREATE TABLE leaves AS SELECT * FROM read_csv(${q(join(datasetDir, 'data', '*.csv'))}, header = true,
     columns = {'period': 'DATE', 'country': 'VARCHAR', 'org_type': 'VARCHAR', 'metric': 'VARCHAR',
                'value': 'BIGINT', 'contributors': 'BIGINT', 'largest': 'BIGINT', 'second_largest': 'BIGINT'})`,
  `CREATE TABLE rolled AS
   SELECT period, metric,
          CASE WHEN grouping(country) = 0 THEN 'country' WHEN grouping(subregion) = 0 THEN 'subregion'
               WHEN grouping(region) = 0 THEN 'region' ELSE 'world' END AS geo_level,
          coalesce(country, subregion, region, '001') AS geo,
          coalesce(org_type, 'all') AS org_type,
          sum(value) AS value, sum(contributors) AS contributors,
          max(largest) AS largest, max(second_largest) AS second_largest
   FROM leaves JOIN m49 USING (country)
   GROUP BY GROUPING SETS (
     (period, metric, region, subregion, country, org_type), (period, metric, region, subregion, country),
     (period, metric, region, subregion, org_type), (period, metric, region, subregion),
     (period, metric, region, org_type), (period, metric, region),
     (period, metric, org_type), (period, metric))`,
  `CREATE TABLE cells AS
   SELECT period, metric, geo_level, geo, org_type,
          CASE WHEN sensitive THEN NULL ELSE value END AS value,
          CASE WHEN sensitive THEN 'suppressed' ELSE 'published' END AS status
   FROM (SELECT *, value > 0 AND (contributors < 3
                  OR (metric = 'affected_patients' AND value < 11)
                  OR (largest IS NOT NULL AND second_largest IS NOT NULL
                      AND value - largest - second_largest < 0.10 * largest)) AS sensitive
         FROM rolled)`,
  `CREATE TABLE trends AS
   WITH c AS (
     SELECT *, lag(period) OVER s AS prev_period, lag(value) OVER s AS prev_value,
            first_value(value IGNORE NULLS) OVER (s ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS base
     FROM cells WINDOW s AS (PARTITION BY metric, geo_level, geo, org_type ORDER BY period))
   SELECT c.period, c.metric, c.geo_level, c.geo, c.org_type, c.value, c.prev_period, c.prev_value,
          c.value - c.prev_value AS abs_change,
          100.0 * (c.value - c.prev_value) / nullif(c.prev_value, 0) AS pct_change,
          100.0 * c.value / nullif(c.base, 0) AS index_base100,
          100.0 * c.value / nullif(w.value, 0) AS share_of_world,
          CASE WHEN c.value IS NOT NULL THEN rank() OVER (
            PARTITION BY c.period, c.metric, c.geo_level, c.org_type ORDER BY c.value DESC NULLS LAST) END AS rank
   FROM c LEFT JOIN cells w ON w.period = c.period AND w.metric = c.metric AND w.org_type = c.org_type
                            AND w.geo_level = 'world'
   WHERE c.prev_period IS NOT NULL`,
  `CREATE TABLE series AS
   SELECT metric, geo_level, geo, org_type, count(value) AS n_periods,
          min(period) FILTER (WHERE value IS NOT NULL) AS first_period,
          max(period) FILTER (WHERE value IS NOT NULL) AS last_period,
          arg_min(value, period) FILTER (WHERE value IS NOT NULL) AS first_value,
          arg_max(value, period) FILTER (WHERE value IS NOT NULL) AS last_value,
          regr_slope(value, epoch(period) / 86400 / 365.2425) AS ols_slope_per_year,
          corr(value, epoch(period)) AS pearson_r
   FROM cells GROUP BY ALL`,
  `CREATE TABLE summary AS
   SELECT period, metric, geo_level, org_type, count(*) AS units, count(*) - count(value) AS suppressed_units,
          avg(value) AS mean, median(value) AS median, quantile_cont(value, 0.9) AS p90, max(value) AS max,
          stddev_samp(value) AS stddev
   FROM cells GROUP BY ALL`,
];
for (const t of ['cells', 'trends', 'series', 'summary']) {
  sql.push(`COPY (SELECT * FROM ${t} ORDER BY ALL) TO ${q(join(outDir, t + '.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
}
for (const s of sql) await db.run(s);
const [{ n }] = (await db.runAndReadAll('SELECT count(*)::BIGINT AS n FROM cells')).getRowObjects();
console.error(`analyst: ${n} cells written to ${outDir}`);
