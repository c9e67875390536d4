// The last step of every princess rebuild: look for production's personal data in
// the new princess database. Which columns are personal comes from prod's catalog
// (`personal:<kind>` column comments), never from the scrub rules under test, so a
// rule set to `keep` by mistake is caught. Production's values of every personal
// column are copied (from the rebuild's snapshot) into a probe table beside the
// new data, then PostgreSQL joins: every column exactly, free text by the emails,
// phone numbers and name words found in it (all rows up to a size, a stated
// sample above).
//
// Fakes live in spaces of their own (example.invalid, documentation IP ranges,
// synthetic names), so a production value found anywhere in the column is a leak.
// Dates are the exception: any date is some real member's birthday, so those are
// checked row by row (did this row keep its value?).
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { PersonalColumn } from './catalog.ts';

export interface LeakCheck {
  /** table.column scanned, or table.column (text: emails|phones|names) */
  what: string;
  /** rows (or sampled rows) looked at */
  scanned: number;
  /** fraction of the rows looked at, 1 when all */
  sample: number;
  hits: number;
}

export interface LeakReport {
  checks: LeakCheck[];
  hits: number;
}

/** Free-text tables above this many rows are scanned on a random sample of that size. */
export const fullTextScanLimit = 200_000;

const probe = 'devenv_leak_probe';
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const source = (c: PersonalColumn) => `${c.table}.${c.column}`;

/** The row key when a column is checked row by row: values from a small space. */
export function rowKey(column: PersonalColumn, primaryKeys: Readonly<Record<string, string>>): string | undefined {
  return column.kind === 'date' ? primaryKeys[column.table] : undefined;
}

/** What the probe table holds: each personal column's values, and name words for free text (pure). */
export function probeQueries(personal: readonly PersonalColumn[], primaryKeys: Readonly<Record<string, string>>): string[] {
  const values = personal
    .filter((c) => c.kind !== 'text')
    .map((c) => {
      const key = rowKey(c, primaryKeys);
      const from = `FROM ${ident(c.table)} WHERE ${ident(c.column)} IS NOT NULL`;
      return key
        ? `SELECT '${source(c)}', ${ident(key)}::text, ${ident(c.column)}::text ${from}`
        : `SELECT DISTINCT '${source(c)}', NULL::text, ${ident(c.column)}::text ${from}`;
    });
  // "Maria" alone in a message is as much a leak as "Maria Lopez".
  const words = personal
    .filter((c) => c.kind === 'name')
    .map((c) => `SELECT DISTINCT 'name-word', NULL::text, w FROM ${ident(c.table)}, regexp_split_to_table(${ident(c.column)}, '\\s+') AS w WHERE w <> ''`);
  return [...values, ...words];
}

async function count(client: pg.Client, sql: string): Promise<number> {
  return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

/**
 * `prod` must be inside the rebuild's snapshot transaction, so the values looked
 * for are the ones that were copied. The probe table is dropped at the end.
 */
export async function scanForLeaks(prod: pg.Client, princess: pg.Client, personal: readonly PersonalColumn[], primaryKeys: Readonly<Record<string, string>>): Promise<LeakReport> {
  await princess.query(`DROP TABLE IF EXISTS ${probe}`);
  const checks: LeakCheck[] = [];
  try {
    await princess.query(`CREATE UNLOGGED TABLE ${probe} (source text NOT NULL, key text, value text NOT NULL)`);
    const queries = probeQueries(personal, primaryKeys);
    if (queries.length > 0) {
      await pipeline(prod.query(copyTo(`COPY (${queries.join(' UNION ALL ')}) TO STDOUT`)), princess.query(copyFrom(`COPY ${probe} (source, key, value) FROM STDIN`)));
      await princess.query(`CREATE INDEX ON ${probe} (value)`);
      await princess.query(`ANALYZE ${probe}`);
    }
    for (const c of personal.filter((p) => p.kind !== 'text')) {
      const key = rowKey(c, primaryKeys);
      const sameRow = key ? ` AND p.key = t.${ident(key)}::text` : '';
      checks.push({
        what: `${source(c)}${key ? ' (row by row)' : ''}`,
        scanned: await count(princess, `SELECT count(*) AS n FROM ${ident(c.table)}`),
        sample: 1,
        hits: await count(princess, `SELECT count(*) AS n FROM ${ident(c.table)} t JOIN ${probe} p ON p.source = '${source(c)}' AND p.value = t.${ident(c.column)}::text${sameRow}`),
      });
    }
    const sourcesOf = (kind: PersonalColumn['kind']) => personal.filter((p) => p.kind === kind).map((p) => `'${source(p)}'`).join(', ') || `''`;
    for (const c of personal.filter((p) => p.kind === 'text')) {
      const rows = await count(princess, `SELECT count(*) AS n FROM ${ident(c.table)}`);
      const sample = rows > fullTextScanLimit ? fullTextScanLimit / rows : 1;
      const from = `${ident(c.table)}${sample < 1 ? ` TABLESAMPLE BERNOULLI (${(sample * 100).toFixed(4)}) REPEATABLE (7)` : ''}`;
      const scanned = sample < 1 ? await count(princess, `SELECT count(*) AS n FROM ${from}`) : rows;
      const text = `${ident(c.column)}::text`;
      const finds: [string, string][] = [
        ['emails', `SELECT count(*) AS n FROM (SELECT (regexp_matches(${text}, '([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[A-Za-z])', 'g'))[1] AS v FROM ${from}) m JOIN ${probe} p ON p.source IN (${sourcesOf('email')}) AND p.value = m.v`],
        ['phones', `SELECT count(*) AS n FROM (SELECT (regexp_matches(${text}, '(\\+?[0-9(][0-9 ().-]{5,}[0-9])', 'g'))[1] AS v FROM ${from}) m JOIN ${probe} p ON p.source IN (${sourcesOf('phone')}) AND p.value = m.v`],
        ['names', `SELECT count(*) AS n FROM (SELECT regexp_split_to_table(${text}, '[^[:alpha:]''-]+') AS v FROM ${from}) m JOIN ${probe} p ON p.source = 'name-word' AND p.value = m.v`],
      ];
      for (const [kind, sql] of finds) checks.push({ what: `${source(c)} (text: ${kind})`, scanned, sample, hits: await count(princess, sql) });
    }
  } finally {
    await princess.query(`DROP TABLE IF EXISTS ${probe}`);
  }
  return { checks, hits: checks.reduce((sum, c) => sum + c.hits, 0) };
}
