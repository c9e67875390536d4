// The last step of every princess rebuild: look for production's personal data in
// the new princess database. Production's values of every scrubbed column are
// copied (from the rebuild's snapshot) into a probe table beside the new data,
// then PostgreSQL joins: every column exactly, free text by the emails, phone
// numbers and name words found in it (all rows up to a size, a stated sample above).
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { ColumnRule } from './scrub-rules.ts';

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

/** Which production values each check compares against (pure). */
export function probeSources(rules: readonly ColumnRule[]): { exact: ColumnRule[]; text: ColumnRule[]; emails: string[]; phones: string[]; names: string[] } {
  const personal = rules.filter((r) => r.transform !== 'keep');
  const of = (transform: string) => personal.filter((r) => r.transform === transform).map((r) => `${r.table}.${r.column}`);
  return {
    exact: personal.filter((r) => r.transform !== 'redact-text'),
    text: personal.filter((r) => r.transform === 'redact-text'),
    emails: of('fake-email'),
    phones: of('fake-phone'),
    names: of('fake-name'),
  };
}

async function fillProbe(prod: pg.Client, princess: pg.Client, rules: readonly ColumnRule[]): Promise<void> {
  await princess.query(`CREATE UNLOGGED TABLE ${probe} (source text NOT NULL, value text NOT NULL)`);
  const { exact, names } = probeSources(rules);
  const selects = exact.map((r) => `SELECT DISTINCT '${r.table}.${r.column}', ${ident(r.column)}::text FROM ${ident(r.table)} WHERE ${ident(r.column)} IS NOT NULL`);
  // Name words, for free text: "Maria" alone is as much a leak as "Maria Lopez".
  for (const name of names) {
    const [table, column] = name.split('.') as [string, string];
    selects.push(`SELECT DISTINCT 'name-word', w FROM ${ident(table)}, regexp_split_to_table(${ident(column)}, '\\s+') AS w WHERE w <> ''`);
  }
  if (selects.length === 0) return;
  const out = prod.query(copyTo(`COPY (${selects.join(' UNION ALL ')}) TO STDOUT`));
  const into = princess.query(copyFrom(`COPY ${probe} (source, value) FROM STDIN`));
  await pipeline(out, into);
  await princess.query(`CREATE INDEX ON ${probe} (value)`);
  await princess.query(`ANALYZE ${probe}`);
}

async function count(client: pg.Client, sql: string): Promise<number> {
  return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

/**
 * `prod` must be inside the rebuild's snapshot transaction, so the values looked
 * for are the ones that were copied. The probe table is dropped at the end.
 */
export async function scanForLeaks(prod: pg.Client, princess: pg.Client, rules: readonly ColumnRule[]): Promise<LeakReport> {
  await princess.query(`DROP TABLE IF EXISTS ${probe}`);
  await fillProbe(prod, princess, rules);
  const { exact, text, emails, phones } = probeSources(rules);
  const checks: LeakCheck[] = [];
  try {
    for (const r of exact) {
      const table = ident(r.table);
      const column = ident(r.column);
      checks.push({
        what: `${r.table}.${r.column}`,
        scanned: await count(princess, `SELECT count(*) AS n FROM ${table}`),
        sample: 1,
        hits: await count(princess, `SELECT count(*) AS n FROM ${table} t JOIN ${probe} p ON p.source = '${r.table}.${r.column}' AND p.value = t.${column}::text`),
      });
    }
    for (const r of text) {
      const rows = await count(princess, `SELECT count(*) AS n FROM ${ident(r.table)}`);
      const sample = rows > fullTextScanLimit ? fullTextScanLimit / rows : 1;
      const from = `${ident(r.table)}${sample < 1 ? ` TABLESAMPLE BERNOULLI (${(sample * 100).toFixed(4)}) REPEATABLE (7)` : ''}`;
      const scanned = sample < 1 ? await count(princess, `SELECT count(*) AS n FROM ${from}`) : rows;
      const column = ident(r.column);
      const inList = (sources: string[]) => (sources.length ? sources.map((s) => `'${s}'`).join(', ') : `''`);
      const finds: [string, string][] = [
        ['emails', `SELECT count(*) AS n FROM (SELECT (regexp_matches(${column}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[A-Za-z]', 'g'))[1] AS v FROM ${from}) m JOIN ${probe} p ON p.source IN (${inList(emails)}) AND p.value = m.v`],
        ['phones', `SELECT count(*) AS n FROM (SELECT (regexp_matches(${column}, '(\\+?[0-9][0-9 ().-]{5,}[0-9])', 'g'))[1] AS v FROM ${from}) m JOIN ${probe} p ON p.source IN (${inList(phones)}) AND p.value = m.v`],
        ['names', `SELECT count(*) AS n FROM (SELECT regexp_split_to_table(${column}, '[^[:alpha:]''-]+') AS v FROM ${from}) m JOIN ${probe} p ON p.source = 'name-word' AND p.value = m.v`],
      ];
      for (const [kind, sql] of finds) checks.push({ what: `${r.table}.${r.column} (text: ${kind})`, scanned, sample, hits: await count(princess, sql) });
    }
  } finally {
    await princess.query(`DROP TABLE IF EXISTS ${probe}`);
  }
  return { checks, hits: checks.reduce((sum, c) => sum + c.hits, 0) };
}
