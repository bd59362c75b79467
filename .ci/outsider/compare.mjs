// Compares two report folders built from the same dataset by the base and the new code: how many
// labels, changes, ranks and level statistics became null or changed, and why.
// Usage: node compare.mjs OLD_DIR NEW_DIR
import { DuckDBInstance } from '@duckdb/node-api';
const [oldDir, newDir] = process.argv.slice(2);
const db = await (await DuckDBInstance.create(':memory:')).connect();
const q = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
for (const f of ['cells', 'trends', 'series', 'summary']) {
  await db.run(`CREATE VIEW o_${f} AS SELECT * FROM read_parquet('${oldDir}/${f}.parquet')`);
  await db.run(`CREATE VIEW n_${f} AS SELECT * FROM read_parquet('${newDir}/${f}.parquet')`);
}
const show = async (title, sql) => { console.log(`\n## ${title}`); console.table(await q(sql)); };
const tk = 'period, metric, geo_level, geo, org_type';
const sk = 'metric, geo_level, geo, org_type';
await show('series: labels, base -> new', `
  SELECT o.trend AS base, n.trend AS new, count(*)::INT AS series
  FROM o_series o JOIN n_series n USING (${sk}) GROUP BY ALL ORDER BY ALL`);
await show('series: why a label changed (new label, n_periods, p_method, breaks)', `
  SELECT o.trend AS base, n.trend AS new, n.n_periods, n.p_method, n.n_breaks > 0 AS broke,
         (o.mann_kendall_p < 0.05) <> (n.mann_kendall_p < 0.05) AS p_crossed_05, count(*)::INT AS series
  FROM o_series o JOIN n_series n USING (${sk})
  WHERE coalesce(o.trend, '-') <> n.trend GROUP BY ALL ORDER BY series DESC LIMIT 20`);
await show('series: p-values that differ (base normal approximation vs exact with ties)', `
  SELECT n.p_method, (o.mann_kendall_p <> n.mann_kendall_p) AS differs, count(*)::INT AS series,
         max(abs(o.mann_kendall_p - n.mann_kendall_p)) AS max_abs_diff
  FROM o_series o JOIN n_series n USING (${sk}) WHERE o.mann_kendall_p IS NOT NULL GROUP BY ALL ORDER BY ALL`);
await show('series: cagr', `
  SELECT o.cagr IS NOT NULL AS base_has, n.cagr IS NOT NULL AS new_has, count(*)::INT AS series,
         max(o.cagr) AS base_max_cagr
  FROM o_series o JOIN n_series n USING (${sk}) GROUP BY ALL ORDER BY ALL`);
await show('trends: changes (abs_change) base -> new, by obs_status', `
  SELECT o.abs_change IS NOT NULL AS base_has, n.abs_change IS NOT NULL AS new_has, n.obs_status, n.break_reason, count(*)::INT AS rows
  FROM o_trends o JOIN n_trends n USING (${tk}) GROUP BY ALL ORDER BY ALL`);
await show('trends: index_base100 base -> new', `
  SELECT o.index_base100 IS NOT NULL AS base_has, n.index_base100 IS NOT NULL AS new_has, n.obs_status, count(*)::INT AS rows
  FROM o_trends o JOIN n_trends n USING (${tk}) GROUP BY ALL ORDER BY ALL`);
await show('trends: ranks base -> new', `
  SELECT o.rank IS NOT NULL AS base_has, n.rank IS NOT NULL AS new_has,
         CASE WHEN o.rank IS NULL OR n.rank IS NULL THEN NULL ELSE o.rank = n.rank END AS same,
         count(*)::INT AS rows,
         count(*) FILTER (WHERE o.rank = 1 AND n.rank IS DISTINCT FROM 1)::INT AS base_first_not_proven_first
  FROM o_trends o JOIN n_trends n USING (${tk}) WHERE n.value IS NOT NULL GROUP BY ALL ORDER BY ALL`);
const pk = 'period, metric, geo_level, org_type';
for (const col of ['mean', 'median', 'p90', 'max', 'top5_share', 'stddev']) {
  await show(`summary: ${col} base -> new (rows with suppressed units vs none)`, `
    SELECT o.suppressed_units > 0 AS has_suppressed, o.${col} IS NOT NULL AS base_has, n.${col} IS NOT NULL AS new_has,
           CASE WHEN o.${col} IS NULL OR n.${col} IS NULL THEN NULL ELSE abs(o.${col} - n.${col}) < 1e-9 * greatest(1, abs(o.${col})) END AS same,
           count(*)::INT AS rows
    FROM o_summary o JOIN n_summary n USING (${pk}) GROUP BY ALL ORDER BY ALL`);
}
await show('summary: mean over published units (base) / mean over all units (new), where both exist and units are suppressed', `
  SELECT o.geo_level, count(*)::INT AS rows, min(o.mean / n.mean) AS min_ratio, avg(o.mean / n.mean) AS avg_ratio, max(o.mean / n.mean) AS max_ratio
  FROM o_summary o JOIN n_summary n USING (${pk})
  WHERE o.suppressed_units > 0 AND o.mean IS NOT NULL AND n.mean IS NOT NULL AND n.mean > 0 GROUP BY ALL ORDER BY ALL`);
