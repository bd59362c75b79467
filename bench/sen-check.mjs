// Recomputes Sen's slope and its 95 % interval in a report's series.parquet from the published values
// in its cells.parquet, by brute force and without the project's code: every pair of periods since
// the series' segment start, (y_j - y_i) / years with years = days / 365.2425, sorted; the median;
// the ends of orders round((N -/+ C) / 2) (- 1), rounding half to even, C = z sqrt(Var S) with the
// tie-corrected Mann-Kendall variance (Sen 1968; Gilbert 1987, 16.4.3). Each figure must be the same
// float64, bit for bit. It checks MAX series (default 300) of at least MIN periods (default 2), an
// arbitrary but fixed choice, and exits 1 on any difference.
//
// Usage: node bench/sen-check.mjs REPORT_DIR [MAX] [MIN]
// Needs the npm module @duckdb/node-api (npm install at the repository root).
import { DuckDBInstance } from '@duckdb/node-api';
const dir = process.argv[2], want = Number(process.argv[3] ?? 300), minPeriods = Number(process.argv[4] ?? 2);
if (!dir) { console.error('usage: node bench/sen-check.mjs REPORT_DIR [MAX] [MIN]'); process.exit(2); }
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
const series = (await c.runAndReadAll(`
  SELECT metric, geo, org_type, CAST(segment_start - DATE '1970-01-01' AS INTEGER) AS seg, n_periods,
         sen_slope_per_year, sen_slope_lower, sen_slope_upper
  FROM read_parquet('${dir}/series.parquet')
  WHERE n_periods >= ${minPeriods} AND sen_slope_per_year IS NOT NULL
  ORDER BY hash(metric || geo || org_type) LIMIT ${want}`)).getRowObjects();
const rhe = x => { const f = Math.floor(x), d = x - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1); };
let ok = 0, bad = 0, skipped = 0;
for (const s of series) {
  const rows = (await c.runAndReadAll(`
    SELECT CAST(period - DATE '1970-01-01' AS INTEGER) AS d, value FROM read_parquet('${dir}/cells.parquet')
    WHERE metric = $1 AND geo = $2 AND org_type = $3 AND value IS NOT NULL
      AND CAST(period - DATE '1970-01-01' AS INTEGER) >= $4 ORDER BY period`,
    [s.metric, s.geo, s.org_type, s.seg])).getRowObjects();
  const n = rows.length;
  if (BigInt(n) !== s.n_periods) { skipped++; continue; }
  const d = rows.map(r => r.d), y = rows.map(r => Number(r.value));
  const slopes = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) slopes.push((y[j] - y[i]) / ((d[j] - d[i]) / 365.2425));
  slopes.sort((a, b) => a - b);
  const m = slopes.length;
  const med = m % 2 ? slopes[(m - 1) / 2] : (slopes[m / 2 - 1] + slopes[m / 2]) / 2;
  const counts = new Map(); for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  let ties = 0; for (const t of counts.values()) ties += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  const C = 1.959963984540054 * Math.sqrt(variance);
  const lo = rhe((m - C) / 2) - 1, hi = rhe((m + C) / 2);
  const L = lo >= 0 && lo < m ? slopes[lo] : null, U = hi >= 0 && hi < m ? slopes[hi] : null;
  if (med === s.sen_slope_per_year && L === s.sen_slope_lower && U === s.sen_slope_upper) ok++;
  else { bad++; if (bad <= 5) console.log('MISMATCH', s.metric, s.geo, s.org_type, n, [med, L, U], [s.sen_slope_per_year, s.sen_slope_lower, s.sen_slope_upper]); }
}
console.log(`series checked: ${ok} identical, ${bad} different, ${skipped} skipped (published values do not match n_periods)`);
if (bad > 0 || ok === 0) process.exit(1);
