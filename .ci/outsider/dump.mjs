// Dumps every Parquet file of a report folder to CSV with DuckDB, for readers without a Parquet library.
import { DuckDBInstance } from '@duckdb/node-api';
const [dir, out] = process.argv.slice(2);
const db = await (await DuckDBInstance.create(':memory:')).connect();
for (const f of ['cells', 'trends', 'series', 'summary', 'comparisons']) {
  await db.run(`COPY (SELECT * FROM read_parquet('${dir}/${f}.parquet')) TO '${out}/${f}.csv' (HEADER, NULLSTR 'NULL')`);
}
