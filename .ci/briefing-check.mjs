// Checks the numbers of a report's briefing against its Parquet files, read with DuckDB, a reader
// independent of the Go code that wrote both: every number the summary of report.md quotes, the key
// figures, the index of countries, and on every countries/<CC>.md page the summary, the history
// (values, x, flags and sources), the trends, the comparisons, the figures by organization type, the
// sources and what is withheld. It parses the Markdown as a reader would (tables and the summary's
// sentences) and recomputes each figure from cells, trends, series and comparisons.
//
// Usage: node .ci/briefing-check.mjs REPORT_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node .ci/briefing-check.mjs REPORT_DIR');
  process.exit(2);
}
const db = await (await DuckDBInstance.create(':memory:')).connect();
const all = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson();
const src = (file) => `read_parquet('${join(dir, file).replaceAll("'", "''")}')`;

let failures = 0;
let checked = 0;
const fail = (msg) => { failures++; console.error(`FAIL ${msg}`); };
const expect = (what, got, want) => {
  checked++;
  if (String(got) !== String(want)) fail(`${what}: the page says ${JSON.stringify(got)}, the Parquet files ${JSON.stringify(want)}`);
};

// --- the published files ---------------------------------------------------------------------------
const cells = await all(`SELECT period::VARCHAR AS period, metric, geo_level, geo, org_type, geo_name,
  value::DOUBLE AS value, status, obs_status, source FROM ${src('cells.parquet')}`);
const trends = await all(`SELECT period::VARCHAR AS period, metric, geo_level, geo, org_type, geo_name,
  prev_period::VARCHAR AS prev_period, prev_value::DOUBLE AS prev_value, abs_change::DOUBLE AS abs_change,
  pct_change, rank::DOUBLE AS rank, obs_status FROM ${src('trends.parquet')} WHERE org_type = 'all'`);
const series = await all(`SELECT metric, geo_level, geo, org_type, n_breaks::DOUBLE AS n_breaks,
  segment_start::VARCHAR AS segment_start, n_periods::DOUBLE AS n_periods, first_period::VARCHAR AS first_period,
  last_period::VARCHAR AS last_period, sen_slope_per_year, sen_slope_lower, sen_slope_upper, mann_kendall_p, trend
  FROM ${src('series.parquet')} WHERE org_type = 'all'`);
const comparisons = await all(`SELECT metric, geo, other_geo, other_geo_name, relation, n_periods::DOUBLE AS n_periods,
  first_period::VARCHAR AS first_period, last_period::VARCHAR AS last_period, mann_kendall_p,
  log_ratio_slope_per_year AS slope, trend FROM ${src('comparisons.parquet')}`);

const key = (...parts) => parts.join('|');
const cellAt = new Map(cells.map((c) => [key(c.period, c.metric, c.geo, c.org_type), c]));
const trendAt = new Map(trends.map((t) => [key(t.period, t.metric, t.geo), t]));
const seriesOf = new Map(series.map((s) => [key(s.metric, s.geo), s]));
const periods = [...new Set(cells.map((c) => c.period))].sort();
const metricsInData = [...new Set(cells.map((c) => c.metric))];
const nameOf = new Map(cells.map((c) => [c.geo, c.geo_name]));
const codeOfName = new Map(cells.map((c) => [c.geo_name, c.geo]));
const countriesAt = (period, metric) => cells.filter((c) => c.period === period && c.metric === metric &&
  c.geo_level === 'country' && c.org_type === 'all');

// --- how the pages write numbers ----------------------------------------------------------------------
const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const count = (n) => (n < 0 ? '-' : '') + group(String(Math.abs(Math.round(n))));
const signed = (n) => (n > 0 ? '+' : '') + count(n);
const percent = (p, withSign) => {
  let s = p.toFixed(1);
  if (s === '-0.0') s = '0.0';
  const neg = s.startsWith('-');
  const [i, f] = s.replace('-', '').split('.');
  return (neg ? '-' : withSign && s !== '0.0' && p > 0 ? '+' : '') + group(i) + '.' + f + ' %';
};
const pText = (p) => (p === null ? '= –' : p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`);
const rate = (v) => {
  let s = v.toFixed(Math.abs(v) >= 100 ? 0 : 1);
  if (/^-?[0.]*$/.test(s)) return s.replace('-', '');
  const neg = s.startsWith('-');
  const [i, f] = s.replace('-', '').split('.');
  return (neg ? '-' : '+') + group(i) + (f === undefined ? '' : '.' + f);
};
// near checks a rounded figure: it must be written as format writes value, or, where value lies
// exactly halfway (a tie, which Go rounds to even and JavaScript away from zero), be within half a
// unit of the last digit shown.
const parseShown = (text) => Number(text.replace(/[+, %]/g, ''));
const near = (what, text, value, format) => {
  checked++;
  const want = format(value);
  if (text === want) return;
  const decimals = (text.split('.')[1] ?? '').replace(/\D/g, '').length;
  const half = 0.5 * 10 ** -decimals;
  if (Math.abs(parseShown(text) - value) <= half * (1 + 1e-9) && (text.startsWith('-') === want.startsWith('-'))) return;
  fail(`${what}: the page says ${JSON.stringify(text)}, the Parquet files ${JSON.stringify(want)} (${value})`);
};
const label = (trend, n, p, since) => `${trend} (n = ${n}, p ${pText(p)}${since ? `, since ${since}` : ''})`;
const seriesLabel = (s) => label(s.trend, s.n_periods, s.mann_kendall_p, s.n_breaks > 0 ? s.segment_start : '');
// A cell as the pages show it: its value or x, then its obs_status unless A.
const shown = (c) => (c ? (c.status === 'suppressed' ? 'x' : count(c.value)) + (c.obs_status === 'A' ? '' : ' ' + c.obs_status) : '–');
const words = (metric) => metric.replaceAll('_', ' ');
const num = (s) => Number(s.replaceAll(',', ''));

// --- reading Markdown -----------------------------------------------------------------------------------
const unescape = (s) => s.replace(/\\(.)/g, '$1').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
const splitRow = (line) => {
  const out = [];
  let cur = '';
  for (let i = 1; i < line.length - 1; i++) {
    if (line[i] === '\\' && i + 1 < line.length - 1) { cur += line[i] + line[i + 1]; i++; continue; }
    if (line[i] === '|') { out.push(cur.trim()); cur = ''; continue; }
    cur += line[i];
  }
  out.push(cur.trim());
  return out;
};
// tables returns the tables of a section (from its heading to the next of the same level) as
// {header, rows}, each cell as written.
const section = (md, heading) => {
  const start = md.indexOf(`\n${heading}\n`);
  if (start < 0) return '';
  const level = heading.split(' ')[0];
  const rest = md.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n${level} `));
  return next < 0 ? rest : rest.slice(0, next);
};
const tables = (text) => {
  const out = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) { cur = null; continue; }
    const row = splitRow(line);
    if (!cur) { cur = { header: row, rows: [] }; out.push(cur); continue; }
    if (row.every((c) => /^-+:?$/.test(c))) continue;
    cur.rows.push(row);
  }
  return out;
};
const bullet = (text, lead) => {
  const m = text.match(new RegExp(`^- \\*\\*${lead}\\.\\*\\* (.*)$`, 'm'));
  return m ? unescape(m[1]) : null;
};

// --- report.md -------------------------------------------------------------------------------------------
const report = readFileSync(join(dir, 'report.md'), 'utf8');
const summary = section(report, '## Summary');
const firstMetric = ['exposed_systems', 'exposed_studies', 'exposed_images', 'affected_patients', 'new_systems',
  'offline_systems', 'high_vulnerabilities', 'critical_vulnerabilities'].find((m) => metricsInData.includes(m));
const metricOfWords = new Map(metricsInData.map((m) => [words(m), m]));

// World totals and latest period: every "N metric words" after a period is the world total then, and
// the period covers the countries the sentence says.
const worldFigures = (text, what) => {
  for (const part of text.split(/; (?=at \d{4})|(?<=\)): /)) {
    const period = part.match(/(\d{4}-\d{2}-\d{2})/)?.[1];
    if (!period) continue;
    for (const m of part.matchAll(/([\d,]+) ([a-z ]+?)(?=,| and |\)|;|\.|$)/g)) {
      const metric = metricOfWords.get(m[2].trim());
      if (!metric) continue;
      const w = cellAt.get(key(period, metric, '001', 'all'));
      expect(`${what}: world ${metric} at ${period}`, num(m[1]), w && w.status === 'published' ? w.value : 'withheld');
    }
  }
};
const totals = bullet(summary, 'World totals');
if (totals) {
  worldFigures(totals, 'summary, world totals');
  for (const m of totals.matchAll(/(?:At|at) (\d{4}-\d{2}-\d{2}),[^(]*\((\d+)( countries| country)?\)/g)) {
    const metric = [...metricsInData].find((x) => countriesAt(m[1], x).length === Number(m[2]));
    expect(`summary, world totals: countries covered at ${m[1]}`, metric ? Number(m[2]) : `not ${m[2]}`, Number(m[2]));
  }
}
const latest = bullet(summary, 'Latest period');
if (latest) {
  const m = latest.match(/^The latest period, (\S+), covers (\d+) countr/);
  expect('summary, latest period: countries covered', Number(m[2]), countriesAt(m[1], firstMetric).length);
  worldFigures(latest.slice(latest.indexOf('world totals (')), 'summary, latest period');
}
const breaks = bullet(summary, 'Breaks in series');
if (breaks) {
  const m = breaks.match(/The world total of ([a-z ]+) adds up (.*?): world figures/);
  if (m) {
    const metric = metricOfWords.get(m[1]);
    for (const step of m[2].matchAll(/(\d+)(?: countries| country)? at (\d{4}-\d{2}-\d{2})/g)) {
      expect(`summary, breaks: countries under the world total of ${metric} at ${step[2]}`, Number(step[1]), countriesAt(step[2], metric).length);
    }
  }
}
const trendText = bullet(summary, 'Trends');
if (trendText) {
  const world = series.filter((s) => s.geo_level === 'world');
  const below = series.filter((s) => s.geo_level !== 'world');
  const m = trendText.match(/No world total has enough .*? the longest has (\d+)\)/);
  if (m) expect('summary, trends: the longest world series', Number(m[1]), Math.max(...world.filter((s) => s.n_periods < 5).map((s) => s.n_periods)));
  const r = trendText.match(/No region or country has enough .*? \(the longest has (\d+)\)/);
  if (r) expect('summary, trends: the longest series of a region or country', Number(r[1]), Math.max(...below.map((s) => s.n_periods)));
  for (const t of trendText.matchAll(/the (?:world )?total of ([a-z ]+?)(?: in ([^;]+?))? (?:is (rising|falling)|shows (no significant trend)) from (\S+) to (\S+) \(n = (\d+), p ([^;)]+?)(?:; Sen's slope (\S+) [a-z]+ a year)?\)/g)) {
    const metric = metricOfWords.get(t[1]);
    const geo = t[2] ? codeOfName.get(t[2]) : '001';
    const s = seriesOf.get(key(metric, geo));
    if (!s) { fail(`summary, trends: no series of ${t[1]} in ${t[2] ?? 'the world'}`); continue; }
    expect(`summary, trends: ${metric} ${geo} label`, t[3] ?? t[4], s.trend);
    expect(`summary, trends: ${metric} ${geo} span`, `${t[5]} to ${t[6]}`, `${s.first_period} to ${s.last_period}`);
    expect(`summary, trends: ${metric} ${geo} n`, Number(t[7]), s.n_periods);
    expect(`summary, trends: ${metric} ${geo} p`, t[8], pText(s.mann_kendall_p));
    if (t[9]) near(`summary, trends: ${metric} ${geo} Sen's slope`, t[9], s.sen_slope_per_year, rate);
  }
}
const changes = bullet(summary, 'Changes');
if (changes) {
  const m = changes.match(/changes in ([a-z ]+) from (\S+) to (\S+) \(.*?; (\d+) of the (\d+) countr[a-z]+ covered ha[sv]e? one\): (.*?)(?:; the world total|\.$)/);
  if (m) {
    const metric = metricOfWords.get(m[1]);
    const rows = trends.filter((t) => t.period === m[3] && t.metric === metric && t.geo_level === 'country' && t.abs_change !== null);
    expect('summary, changes: countries with a comparable change', Number(m[4]), rows.length);
    expect('summary, changes: countries covered', Number(m[5]), countriesAt(m[3], metric).length);
    for (const c of m[6].matchAll(/([^,]+?) ([+-][\d,]+) \(([\d,]+) to ([\d,]+)(?:, ([+-]?[\d.,]+ %))?\)/g)) {
      const name = c[1].trim().replace(/^and /, '');
      const t = trendAt.get(key(m[3], metric, codeOfName.get(name)));
      if (!t) { fail(`summary, changes: no trend row of ${name} at ${m[3]}`); continue; }
      expect(`summary, changes: ${name} previous period`, m[2], t.prev_period);
      expect(`summary, changes: ${name} change`, c[2], signed(t.abs_change));
      expect(`summary, changes: ${name} values`, `${c[3]} to ${c[4]}`, `${count(t.prev_value)} to ${count(t.prev_value + t.abs_change)}`);
      if (c[5]) near(`summary, changes: ${name} percent`, c[5], t.pct_change, (v) => percent(v, true));
    }
    const w = trendAt.get(key(m[3], metric, '001'));
    if (/the world total is not comparable/.test(changes)) expect('summary, changes: the world total breaks', w?.obs_status, 'B');
    const wc = changes.match(/the world total changed by ([+-][\d,]+) \(([\d,]+) to ([\d,]+)\)/);
    if (wc) expect('summary, changes: world change', wc[1], signed(w.abs_change));
  }
}
const withheld = bullet(summary, 'Withheld');
if (withheld) {
  const m = withheld.match(/^([\d,]+) of ([\d,]+) cells \(([\d.]+ %)\)/);
  if (m) {
    const s = cells.filter((c) => c.status === 'suppressed').length;
    expect('summary, withheld: cells withheld', num(m[1]), s);
    expect('summary, withheld: cells', num(m[2]), cells.length);
    near('summary, withheld: share', m[3], 100 * s / cells.length, percent);
  }
  const heavy = withheld.match(/More than half of the cells are withheld for (.*?)\./);
  if (heavy) {
    for (const h of heavy[1].matchAll(/([a-z ]+?) \(([\d.]+ %)\)/g)) {
      const metric = metricOfWords.get(h[1].replace(/^and /, '').trim());
      const of = cells.filter((c) => c.metric === metric);
      near(`summary, withheld: share of ${metric}`, h[2], 100 * of.filter((c) => c.status === 'suppressed').length / of.length, percent);
    }
  }
  const w = withheld.match(/At (\S+), ([\d,]+|none) of the ([\d,]+) countries' totals of ([a-z ]+) (?:is|are) withheld/);
  if (w) {
    const cs = countriesAt(w[1], metricOfWords.get(w[4]));
    const hidden = cs.filter((c) => c.status === 'suppressed').length;
    expect(`summary, withheld: countries' totals withheld at ${w[1]}`, `${w[2]} of ${w[3]}`, `${hidden ? count(hidden) : 'none'} of ${count(cs.length)}`);
  }
}
const estimates = bullet(summary, 'Estimates');
if (estimates) {
  const m = estimates.match(/^([\d,]+) of the ([\d,]+) published figures \(([\d.]+ %)\)/);
  const pub = cells.filter((c) => c.status === 'published');
  const e = pub.filter((c) => c.obs_status === 'E').length;
  expect('summary, estimates: figures marked E', num(m[1]), e);
  expect('summary, estimates: published figures', num(m[2]), pub.length);
  near('summary, estimates: share', m[3], 100 * e / pub.length, percent);
}
console.log(`ok   report.md summary: ${checked} figures checked`);

// Key figures: the world total and the countries covered of each row.
let before = checked;
for (const t of [...tables(section(report, '## Key figures')), ...tables(section(report, '## The world at its widest coverage'))]) {
  for (const row of t.rows) {
    const [metric, , periodText, world, countries] = row.map(unescape);
    const period = periodText.split(' ')[0];
    expect(`key figures: world ${metric} at ${period}`, world, shown(cellAt.get(key(period, metric, '001', 'all'))).split(' ')[0]);
    expect(`key figures: countries of ${metric} at ${period}`, Number(countries.split(' ')[0]), countriesAt(period, metric).length);
  }
}
console.log(`ok   report.md key figures: ${checked - before} figures checked`);

// The index of countries: every page exists, and its value, later value and trend.
before = checked;
const index = tables(section(report, '## Countries'))[0];
const pagesLinked = new Set();
if (index) {
  const valueColumn = index.header[3].match(/^(\S+), (\S+)$/);
  for (const row of index.rows) {
    const link = row[0].match(/^\[(.*)\]\(countries\/([A-Z]{2})\.md\)$/);
    if (!link) { fail(`index: ${row[0]} is not a link to a country page`); continue; }
    const code = link[2];
    pagesLinked.add(code);
    if (!existsSync(join(dir, 'countries', `${code}.md`))) fail(`index links countries/${code}.md, which does not exist`);
    expect(`index: name of ${code}`, unescape(link[1]), nameOf.get(code));
    expect(`index: ${code} ${valueColumn[1]} at ${valueColumn[2]}`, row[3], shown(cellAt.get(key(valueColumn[2], unescape(valueColumn[1]), code, 'all'))));
    if (row[4]) {
      const [, v, period] = row[4].match(/^(.*) at (\S+)$/);
      expect(`index: ${code} later value at ${period}`, v, shown(cellAt.get(key(period, unescape(valueColumn[1]), code, 'all'))));
    }
    const s = seriesOf.get(key(unescape(valueColumn[1]), code));
    expect(`index: ${code} trend`, row[5], s ? seriesLabel(s) : '');
  }
}
const pageFiles = existsSync(join(dir, 'countries')) ? readdirSync(join(dir, 'countries')).filter((f) => f.endsWith('.md')) : [];
expect('index: pages linked', pagesLinked.size, pageFiles.length);
const withPublished = new Set(cells.filter((c) => c.geo_level === 'country' && c.status === 'published').map((c) => c.geo));
expect('countries with a published cell, and pages', [...withPublished].sort().join(','), pageFiles.map((f) => f.slice(0, 2)).sort().join(','));
console.log(`ok   report.md index of countries: ${checked - before} figures checked, ${pagesLinked.size} pages`);

// --- countries/<CC>.md ---------------------------------------------------------------------------------
const relationText = { subregion: 'its sub-region', region: 'its region', world: 'the world', peer: 'same sub-region', declared: 'named by the dataset' };
before = checked;
for (const file of pageFiles) {
  const code = file.slice(0, 2);
  const page = readFileSync(join(dir, 'countries', file), 'utf8');
  const own = cells.filter((c) => c.geo === code);

  // History: a column per period and a row per metric, or the other way round.
  const history = tables(section(page, '## History'))[0];
  const byPeriods = history.header[0] === 'Period';
  const grid = new Map(); // period|metric -> text; period|Source -> text
  if (byPeriods) {
    for (const row of history.rows) history.header.slice(1).forEach((h, i) => grid.set(key(row[0], unescape(h)), row[i + 1]));
  } else {
    for (const row of history.rows) history.header.slice(1).forEach((p, i) => grid.set(key(p, unescape(row[0])), row[i + 1]));
  }
  expect(`${code} history: periods`, [...new Set([...grid.keys()].map((k) => k.split('|')[0]))].join(','), periods.join(','));
  for (const [k, text] of grid) {
    const [period, what] = k.split('|');
    if (what === 'Source') {
      const srcs = [...new Set(own.filter((c) => c.period === period && c.org_type === 'all').flatMap((c) => c.source.split(',')))].sort();
      expect(`${code} history: source at ${period}`, text, srcs.length ? srcs.join(',') : '–');
      continue;
    }
    expect(`${code} history: ${what} at ${period}`, text, shown(cellAt.get(key(period, what, code, 'all'))));
  }

  // The summary's headline metric: its last published value, its change, its rank.
  const head = section(page, '## Summary');
  const covered = head.match(/is covered at (\d+) of the (\d+) reporting periods/);
  expect(`${code} summary: periods covered`, `${covered[1]} of ${covered[2]}`,
    `${new Set(own.filter((c) => c.org_type === 'all').map((c) => c.period)).size} of ${periods.length}`);
  const hm = head.match(/^- \*\*[^*]+\.\*\* (\S+(?: [BEP])?) at (\S+), the last published value(?:, against ([\d,]+) at (\S+): a change of ([+-]?\d{1,3}(?:,\d{3})*)(?:, ([+-]?[\d.,]+ %))?)?/m);
  if (hm) {
    expect(`${code} summary: last published ${firstMetric}`, hm[1], shown(cellAt.get(key(hm[2], firstMetric, code, 'all'))));
    const laterPublished = own.filter((c) => c.metric === firstMetric && c.org_type === 'all' && c.status === 'published' && c.period > hm[2]);
    expect(`${code} summary: no later published ${firstMetric}`, laterPublished.length, 0);
    if (hm[3]) {
      const t = trendAt.get(key(hm[2], firstMetric, code));
      expect(`${code} summary: change of ${firstMetric}`, `${hm[3]} at ${hm[4]}: ${hm[5]}`, `${count(t.prev_value)} at ${t.prev_period}: ${signed(t.abs_change)}`);
      if (hm[6]) near(`${code} summary: percent change`, hm[6], t.pct_change, (v) => percent(v, true));
    }
    const rank = head.match(/At (\S+), the period of widest coverage: (\S+(?: [BEP])?)(?:, rank (\d+) of the (\d+) countries covered)?/);
    if (rank) {
      expect(`${code} summary: ${firstMetric} at widest coverage`, rank[2], shown(cellAt.get(key(rank[1], firstMetric, code, 'all'))));
      if (rank[3]) {
        expect(`${code} summary: rank`, Number(rank[3]), trendAt.get(key(rank[1], firstMetric, code)).rank);
        expect(`${code} summary: countries covered`, Number(rank[4]), countriesAt(rank[1], firstMetric).length);
      }
    }
  }
  const wh = head.match(/\*\*Withheld\.\*\* (?:None of the ([\d,]+)|([\d,]+) of the ([\d,]+)) cells/);
  if (wh) {
    expect(`${code} summary: withheld cells`, wh[1] ? `0 of ${wh[1]}` : `${wh[2]} of ${wh[3]}`,
      `${count(own.filter((c) => c.status === 'suppressed').length)} of ${count(own.length)}`);
  }

  // Trends: every metric's series since its last break.
  for (const row of tables(section(page, '## Trends'))[0]?.rows ?? []) {
    const metric = unescape(row[0]);
    const s = seriesOf.get(key(metric, code));
    expect(`${code} trends: ${metric} segment`, row[2], s.segment_start);
    expect(`${code} trends: ${metric} published periods`, row[3],
      s.first_period === null ? 'none published' : s.first_period === s.last_period ? s.first_period : `${s.first_period} to ${s.last_period}`);
    expect(`${code} trends: ${metric} trend`, row[4], seriesLabel(s));
    if (s.n_periods >= 5 && s.sen_slope_per_year !== null) {
      const [, sen, lower, upper] = row[5].match(/^(\S+)(?: \((\S+) to (\S+)\))?$/) ?? [];
      near(`${code} trends: ${metric} Sen's slope`, sen ?? row[5], s.sen_slope_per_year, rate);
      expect(`${code} trends: ${metric} interval given`, lower !== undefined, s.sen_slope_lower !== null && s.sen_slope_upper !== null);
      if (lower !== undefined) {
        near(`${code} trends: ${metric} Sen's slope lower`, lower, s.sen_slope_lower, rate);
        near(`${code} trends: ${metric} Sen's slope upper`, upper, s.sen_slope_upper, rate);
      }
    } else {
      expect(`${code} trends: ${metric} Sen's slope`, row[5], '');
    }
  }

  // Comparisons, from comparisons.parquet.
  const compared = tables(section(page, '## Compared with its sub-region, region and neighbours'))[0];
  for (const row of compared?.rows ?? []) {
    const metric = unescape(row[0]);
    const other = unescape(row[1].replace(/^\[(.*)\]\([A-Z]{2}\.md\)$/, '$1'));
    const c = comparisons.find((x) => x.metric === metric && x.geo === code && x.other_geo_name === other && relationText[x.relation] === row[2]);
    if (!c) { fail(`${code} comparisons: no comparison of ${metric} with ${other} (${row[2]})`); continue; }
    expect(`${code} comparisons: ${metric} with ${other} periods`, row[3],
      c.first_period === null ? 'none in common' : c.first_period === c.last_period ? c.first_period : `${c.first_period} to ${c.last_period}`);
    expect(`${code} comparisons: ${metric} with ${other} trend`, row[4], label(c.trend, c.n_periods, c.mann_kendall_p, ''));
    if (c.n_periods >= 5 && c.slope !== null) near(`${code} comparisons: ${metric} with ${other} gain`, row[5], 100 * (Math.exp(c.slope) - 1), (v) => percent(v, true));
    else expect(`${code} comparisons: ${metric} with ${other} gain`, row[5], '');
  }

  // By organization type, each metric in its latest period that covers the country.
  const byType = tables(section(page, '## By organization type'))[0];
  const orgNames = Object.fromEntries((await orgTypes()).map((o) => [o.name, o.code]));
  for (const row of byType?.rows ?? []) {
    const metric = unescape(row[0]);
    const last = own.filter((c) => c.metric === metric && c.org_type === 'all').map((c) => c.period).sort().at(-1);
    expect(`${code} by type: ${metric} period`, row[1], last);
    byType.header.slice(2).forEach((h, i) => {
      const org = h === 'All types' ? 'all' : orgNames[h];
      expect(`${code} by type: ${metric} ${org}`, row[i + 2], shown(cellAt.get(key(row[1], metric, code, org))));
    });
  }

  // Sources and when they cover the country.
  for (const row of tables(section(page, '## Sources'))[0]?.rows ?? []) {
    const ps = [...new Set(own.filter((c) => c.org_type === 'all' && c.source.split(',').includes(row[0])).map((c) => c.period))].sort();
    expect(`${code} sources: periods of ${row[0]}`, row[2], ps.length <= 6 ? ps.join(', ') : `${ps.length} periods, ${ps[0]} to ${ps.at(-1)}`);
  }

  // What is withheld.
  for (const row of tables(section(page, '## Withheld'))[0]?.rows ?? []) {
    const metric = unescape(row[0]);
    const mine = own.filter((c) => c.metric === metric);
    const totals = mine.filter((c) => c.org_type === 'all' && c.status === 'suppressed').map((c) => c.period).sort();
    const parts = mine.filter((c) => c.org_type !== 'all');
    expect(`${code} withheld: ${metric} totals`, row[1], totals.length > 6 ? `${totals.length} periods, ${totals[0]} to ${totals.at(-1)}`
      : totals.length ? totals.join(', ') : 'none');
    expect(`${code} withheld: ${metric} parts`, row[2], `${count(parts.filter((c) => c.status === 'suppressed').length)} of ${count(parts.length)}`);
  }
}
console.log(`ok   countries/*.md: ${checked - before} figures checked on ${pageFiles.length} pages`);

// orgTypes reads the organization types' names from the vocabulary the tool embeds,
// schemas/data/org_types.csv (code, name, description).
async function orgTypes() {
  if (orgTypes.cache) return orgTypes.cache;
  const csv = readFileSync(new URL('../schemas/data/org_types.csv', import.meta.url), 'utf8');
  orgTypes.cache = csv.trim().split('\n').slice(1).map((line) => {
    const [code, name] = line.split(',');
    return { code, name };
  });
  return orgTypes.cache;
}

if (failures > 0) {
  console.error(`${failures} of ${checked} checks failed`);
  process.exit(1);
}
console.log(`ok   ${dir}: every one of the ${checked} numbers checked matches cells, trends, series and comparisons`);
