// Runs the SQL statements read from stdin with DuckDB, in the current folder, and prints the rows of
// the last one. It fails (exit 1) when a statement fails or the last one returns no row: an example
// query that returns nothing (a period that is not in the data, a misspelt code) is a broken example.
// .ci/readme-examples runs the README's ```sql blocks with it.
//
// Usage: node .ci/duckdb-sql.mjs < query.sql
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const sql = readFileSync(0, 'utf8');
const db = await (await DuckDBInstance.create(':memory:')).connect();
let rows;
try {
  rows = (await db.runAndReadAll(sql)).getRowObjectsJson();
} catch (err) {
  console.error(`duckdb: ${err.message}`);
  process.exit(1);
}
for (const row of rows) {
  console.log(Object.values(row).map((v) => (v === null ? 'NULL' : String(v))).join('\t'));
}
if (rows.length === 0) {
  console.error('duckdb: the query returned no row');
  process.exit(1);
}
