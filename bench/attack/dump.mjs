// dump.mjs: convert a report's cells.parquet to CSV (all columns, header row), with DuckDB.
//
// Usage: node bench/attack/dump.mjs REPORT_DIR|CELLS.parquet [OUT.csv]
//   With no OUT.csv the CSV goes to stdout.
//
// Part of the independent attacker's tool (bench/attack/): it reads only the published file, as an
// outsider would. Dates are written as YYYY-MM-DD, a null value as an empty field. Rows are sorted
// by the key columns so that the output does not depend on the file's row order.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const args = process.argv.slice(2);
if (args.length < 1 || args.length > 2 || args[0] === '-h' || args[0] === '--help') {
  process.stderr.write('usage: node dump.mjs REPORT_DIR|CELLS.parquet [OUT.csv]\n');
  process.exit(2);
}
let src = args[0];
if (fs.existsSync(src) && fs.statSync(src).isDirectory()) src = path.join(src, 'cells.parquet');
if (!fs.existsSync(src)) {
  process.stderr.write(`dump.mjs: ${src}: no such file\n`);
  process.exit(1);
}
const sq = (s) => "'" + s.replaceAll("'", "''") + "'";

// Write to the requested file, or to a temporary file that is then copied to stdout.
const toStdout = args.length < 2;
const out = toStdout
  ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dump-')), 'cells.csv')
  : path.resolve(args[1]);

const db = await (await DuckDBInstance.create(':memory:')).connect();
await db.run(`COPY (SELECT * FROM read_parquet(${sq(src)})
                ORDER BY period, metric, geo_level, geo, org_type)
              TO ${sq(out)} (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')`);
if (toStdout) {
  // A reader that stops early (| head) is not an error.
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
  process.stdout.write(fs.readFileSync(out));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}
