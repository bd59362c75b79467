// Reads a published report folder with DuckDB, a Parquet reader independent of the Go code that
// wrote it, and checks it against SPEC 5 and the folder's manifest.json: every Parquet file opens
// without options, has the columns the contract names with the expected types, and has as many rows
// as the manifest says. It also checks the rules a reader relies on: a suppressed cell has no value,
// key columns are never null, rows are unique per key; and the honest-statistics rules of SPEC 5:
// flags agree with suppression, no change, index or growth rate across a break, no trend label
// below 5 periods, no growth rate over less than a year.
//
// Usage: node check.mjs REPORT_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node check.mjs REPORT_DIR');
  process.exit(2);
}

const keys = {
  period: 'DATE', metric: 'VARCHAR', geo_level: 'VARCHAR', geo: 'VARCHAR', org_type: 'VARCHAR',
};
const pick = (...names) => Object.fromEntries(names.map((n) => [n, keys[n]]));
// The columns SPEC 5 names for each file, with the DuckDB type each must read as.
const expected = {
  'cells.parquet': {
    ...pick('period', 'metric', 'geo_level', 'geo', 'org_type'),
    geo_name: 'VARCHAR', value: 'BIGINT', status: 'VARCHAR',
    obs_status: 'VARCHAR', conf_status: 'VARCHAR', break_reason: 'VARCHAR', source: 'VARCHAR',
  },
  'trends.parquet': {
    ...pick('period', 'metric', 'geo_level', 'geo', 'org_type'),
    prev_period: 'DATE', prev_value: 'BIGINT', abs_change: 'BIGINT', pct_change: 'DOUBLE',
    index_base100: 'DOUBLE', share_of_world: 'DOUBLE', rank: 'BIGINT',
    obs_status: 'VARCHAR', conf_status: 'VARCHAR', break_reason: 'VARCHAR', source: 'VARCHAR',
  },
  'series.parquet': {
    ...pick('metric', 'geo_level', 'geo', 'org_type'),
    n_periods: 'BIGINT', first_period: 'DATE', last_period: 'DATE', first_value: 'BIGINT',
    last_value: 'BIGINT', cagr: 'DOUBLE', ols_slope_per_year: 'DOUBLE', sen_slope_per_year: 'DOUBLE',
    mann_kendall_tau: 'DOUBLE', mann_kendall_p: 'DOUBLE', n_breaks: 'BIGINT', segment_start: 'DATE',
    sen_slope_lower: 'DOUBLE', sen_slope_upper: 'DOUBLE', mann_kendall_s: 'BIGINT', p_method: 'VARCHAR',
    trend: 'VARCHAR', obs_status: 'VARCHAR',
  },
  'summary.parquet': {
    ...pick('period', 'metric', 'geo_level', 'org_type'),
    units: 'BIGINT', suppressed_units: 'BIGINT', mean: 'DOUBLE', median: 'DOUBLE', p90: 'DOUBLE',
    stddev: 'DOUBLE', top5_share: 'DOUBLE', total: 'BIGINT',
  },
  'comparisons.parquet': {
    ...pick('metric', 'geo_level', 'geo', 'org_type'), other_geo: 'VARCHAR',
    relation: 'VARCHAR', segment_start: 'DATE', n_periods: 'BIGINT', mann_kendall_s: 'BIGINT',
    mann_kendall_p: 'DOUBLE', log_ratio_slope_per_year: 'DOUBLE', trend: 'VARCHAR',
  },
};
const keyCount = { 'cells.parquet': 5, 'trends.parquet': 5, 'series.parquet': 4, 'summary.parquet': 4, 'comparisons.parquet': 5 };

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const rowsOf = Object.fromEntries(manifest.outputs.map((o) => [o.file, o.rows]));
const db = await (await DuckDBInstance.create(':memory:')).connect();
const all = async (sql) => (await db.runAndReadAll(sql)).getRowObjects();
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

let failures = 0;
const fail = (msg) => { failures++; console.error(`FAIL ${msg}`); };

for (const [file, columns] of Object.entries(expected)) {
  const src = `read_parquet(${quote(join(dir, file))})`;
  const described = await all(`DESCRIBE SELECT * FROM ${src}`);
  const types = Object.fromEntries(described.map((r) => [r.column_name, r.column_type]));
  const names = described.map((r) => r.column_name);
  const wantKeys = Object.keys(columns).slice(0, keyCount[file]);
  if (names.slice(0, wantKeys.length).join(',') !== wantKeys.join(',')) {
    fail(`${file}: key columns are ${names.slice(0, wantKeys.length)}, want ${wantKeys} first`);
  }
  for (const [name, type] of Object.entries(columns)) {
    if (!(name in types)) fail(`${file}: no column ${name}`);
    else if (types[name] !== type) fail(`${file}: ${name} is ${types[name]}, want ${type}`);
  }
  const [{ n }] = await all(`SELECT count(*)::BIGINT AS n FROM ${src}`);
  if (!(file in rowsOf)) fail(`${file}: not in manifest.json`);
  else if (Number(n) !== rowsOf[file]) fail(`${file}: ${n} rows, manifest says ${rowsOf[file]}`);
  const keyList = wantKeys.join(', ');
  const [{ nulls }] = await all(
    `SELECT count(*)::BIGINT AS nulls FROM ${src} WHERE ${wantKeys.map((k) => `${k} IS NULL`).join(' OR ')}`);
  if (Number(nulls) > 0) fail(`${file}: ${nulls} rows with a null key column`);
  const [{ dups }] = await all(
    `SELECT count(*)::BIGINT AS dups FROM (SELECT ${keyList} FROM ${src} GROUP BY ALL HAVING count(*) > 1)`);
  if (Number(dups) > 0) fail(`${file}: ${dups} keys appear more than once`);
  console.log(`ok   ${file}: ${n} rows, ${names.length} columns`);
}

const cells = `read_parquet(${quote(join(dir, 'cells.parquet'))})`;
const [{ bad }] = await all(`SELECT count(*)::BIGINT AS bad FROM ${cells}
  WHERE (status = 'suppressed') <> (value IS NULL) OR status NOT IN ('published', 'suppressed')`);
if (Number(bad) > 0) fail(`cells.parquet: ${bad} rows where status and value disagree`);
const [{ s }] = await all(`SELECT count(*)::BIGINT AS s FROM ${cells} WHERE status = 'suppressed'`);
if (Number(s) !== manifest.protection.suppressed) {
  fail(`cells.parquet: ${s} suppressed cells, manifest says ${manifest.protection.suppressed}`);
}
const src = (file) => `read_parquet(${quote(join(dir, file))})`;
const count = async (what, sql) => {
  const [{ n }] = await all(`SELECT count(*)::BIGINT AS n FROM ${sql}`);
  if (Number(n) > 0) fail(`${what}: ${n} rows`);
};
await count('cells.parquet: conf_status disagrees with status',
  `${cells} WHERE (conf_status = 'C') <> (status = 'suppressed') OR obs_status NOT IN ('A', 'B', 'E', 'P')
   OR (obs_status = 'B') <> (break_reason IS NOT NULL)`);
await count('trends.parquet: a change or index across a break',
  `${src('trends.parquet')} WHERE obs_status = 'B' AND (abs_change IS NOT NULL OR pct_change IS NOT NULL OR index_base100 IS NOT NULL)`);
await count('series.parquet: a trend label below 5 published periods',
  `${src('series.parquet')} WHERE n_periods < 5 AND trend <> 'too few periods'`);
await count('series.parquet: a growth rate over less than a year',
  `${src('series.parquet')} WHERE cagr IS NOT NULL AND last_period < first_period + INTERVAL 1 YEAR`);
await count('series.parquet: "stable" or an unknown label',
  `${src('series.parquet')} WHERE trend NOT IN ('rising', 'falling', 'no significant trend', 'too few periods')`);
const forbidden = ['contributors', 'largest', 'second_largest'];
for (const file of Object.keys(expected)) {
  const described = await all(`DESCRIBE SELECT * FROM read_parquet(${quote(join(dir, file))})`);
  for (const r of described) {
    if (forbidden.includes(r.column_name)) fail(`${file}: publishes the confidential column ${r.column_name}`);
  }
}

if (failures > 0) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log(`ok   ${dir}: DuckDB reads every Parquet file and agrees with manifest.json`);
