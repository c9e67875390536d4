// The last step of every princess rebuild: look for production's personal data in
// the new princess database. Which columns are personal comes from prod's catalog
// (`personal:<kind>` column comments), never from the scrub rules under test, so a
// rule set to `keep` by mistake is caught.
//
// Each personal column's production values (from the rebuild's snapshot: all of
// them up to a size, a stated random sample above) go into a probe table of their
// own beside the new data, and PostgreSQL semi-joins the column against it. Free
// text (all rows up to a size, a stated sample above) streams out through this
// process, which picks out every email, phone-shaped run and word
// (`text-finds.ts`) and writes them back, tallied, as candidates looked up in the
// probes. The values a sample leaves out are still checked exactly, row by row,
// during the copy: the scrubber counts values that came out unchanged, and every
// scrubbed message's emails, phones and words are looked up among all of
// production's emails, phones and name words (contact-filter.ts; `contactChecks`
// below confirms what the filter matched). Phone numbers are compared by their
// digits, so one written with other separators in a message is still found.
//
// Fakes live in spaces of their own (example.invalid, documentation IP ranges,
// synthetic names), so a production value found anywhere in the column is a leak.
// Dates are the exception: any date is some real member's birthday, so those are
// checked row by row (did this row keep its value?).
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident, type PersonalColumn } from './catalog.ts';
import { ContactFilter, type ContactFinds, type ContactKind, type SharedContactFilter } from './contact-filter.ts';
import { decodeField, encodeField } from './copy-text.ts';
import { findInText, phoneDigits, phoneDigitsSql, wordSet, type TextFindKind, type WordSet } from './text-finds.ts';

export interface LeakCheck {
  /** table.column, table.column (row by row...), or table.column (text: emails|phones|names) */
  what: string;
  /** princess rows looked at (or sampled rows, for text) */
  scanned: number;
  /** the fraction looked for: of production's values (columns) or of the rows (text); 1 when all */
  sample: number;
  hits: number;
}

export interface LeakReport {
  checks: LeakCheck[];
  hits: number;
}

// The sizes of the stated samples. 100,000 values find a leak of one value in a
// thousand with certainty (about 100 hits expected; missing all of them has odds
// below 1 in 10^43) and one in 10,000 with odds of missing it below 1 in 20,000;
// every value the sample leaves out is still checked in its own row during the
// copy. Looking for all of them cost a 10^5-member rebuild more CPU than any
// step but the copy.
//
// Free text needs a smaller sample: every row of it is checked during the copy,
// against every production email, phone and name word, with this scan's own
// finder. What reading princess adds is that the rows stored are the rows
// checked: a fault between the check and the database (a value written other
// than the one looked at) shows in every row it touches, and 20,000 rows find
// one touching one row in a hundred with odds of missing it below 1 in 10^87.
/** Free-text tables above this many rows are scanned on a random sample of that size. */
export const fullTextScanLimit = 20_000;
/** Columns of tables above this many rows are looked for on a random sample of that many production values. */
export const fullValueScanLimit = 100_000;
/** Distinct candidates held before they are written out: memory stays flat however much text. */
const candidatesHeld = 100_000;

const candidates = 'devenv_leak_candidates';
const source = (c: PersonalColumn) => `${c.table}.${c.column}`;
/** The fraction of `rows` to look at: all of them up to `limit`, else about `limit` of them. */
const sampleFor = (rows: number, limit: number) => (rows > limit ? limit / rows : 1);
/** The same sample every run for the same data. */
const sampled = (table: string, fraction: number) =>
  `${ident(table)}${fraction < 1 ? ` TABLESAMPLE BERNOULLI (${(fraction * 100).toFixed(4)}) REPEATABLE (7)` : ''}`;

/** The row key when a column is checked row by row: values from a small space. */
export function rowKey(column: PersonalColumn, primaryKeys: Readonly<Record<string, string>>): string | undefined {
  return column.kind === 'date' ? primaryKeys[column.table] : undefined;
}

/** One probe table: production values of one column, or the words of production's names. */
export interface Probe {
  table: string;
  /** what the probe holds: table.column, or name-word */
  source: string;
  /** the fraction of production's values it holds */
  sample: number;
  /**
   * The SELECT on production that fills it: (key, value). None for the words of
   * production's names, which the rebuild reads once (`readNameWords`) for this
   * probe, the copy's filter and the confirmation of its finds.
   */
  query?: string;
}

/**
 * The probes of the personal columns (pure). `rows` has production's row count per
 * table; a table above `fullValueScanLimit` rows is sampled.
 */
export function probes(
  personal: readonly PersonalColumn[],
  primaryKeys: Readonly<Record<string, string>>,
  rows: Readonly<Record<string, number>>,
): Probe[] {
  // No DISTINCT: the checks are semi-joins, so a value prod repeats counts once per princess row anyway.
  const values = personal
    .filter((c) => c.kind !== 'text')
    .map((c, i): Probe => {
      const key = rowKey(c, primaryKeys);
      const count = rows[c.table] ?? 0;
      const sample = sampleFor(count, fullValueScanLimit);
      return {
        table: `devenv_leak_probe_${i}`,
        source: source(c),
        sample,
        query: `SELECT ${key ? `${ident(key)}::text` : 'NULL::text'}, ${ident(c.column)}::text FROM ${sampled(c.table, sample)} WHERE ${ident(c.column)} IS NOT NULL`,
      };
    });
  // Name words are looked up only among the words of free text.
  const words: Probe[] =
    nameColumns(personal).length > 0 && personal.some((c) => c.kind === 'text')
      ? [{ table: 'devenv_leak_probe_words', source: 'name-word', sample: 1 }]
      : [];
  return [...values, ...words];
}

const nameColumns = (personal: readonly PersonalColumn[]) => personal.filter((c) => c.kind === 'name');

/**
 * The distinct words of production's names (one column `w`): "Maria" alone in a
 * message is as much a leak as "Maria Lopez", so each name's words, as the text
 * scan reads words (letters, apostrophes and hyphens). Split at spaces first
 * (string_to_table, cheap), then the distinct pieces at every other non-letter:
 * the same words as one regular expression over every row, for a fraction of the CPU.
 */
function nameWords(names: readonly PersonalColumn[]): string {
  return names
    .map(
      (c) =>
        `SELECT DISTINCT w FROM (SELECT DISTINCT p FROM ${ident(c.table)}, string_to_table(${ident(c.column)}, ' ') AS p) s, regexp_split_to_table(s.p, '[^[:alpha:]''-]+') AS w WHERE w <> ''`,
    )
    .join(' UNION ');
}

/** The distinct words of production's names (`nameWords`), read from prod once per rebuild; none without a name column. */
export async function readNameWords(prod: pg.Client, personal: readonly PersonalColumn[]): Promise<string[]> {
  const names = nameColumns(personal);
  if (names.length === 0) return [];
  const words: string[] = [];
  for await (const values of copiedValues(
    prod.query(copyTo(`COPY (${nameWords(names)}) TO STDOUT`)),
    "production's name words",
  ))
    for (const word of values) words.push(word!);
  return words;
}

async function count(client: pg.Client, sql: string | pg.QueryConfig): Promise<number> {
  return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

/** Writes each tally line with the sink's backpressure. */
async function write(sink: Writable, text: string): Promise<void> {
  if (!sink.write(text)) await once(sink, 'drain');
}

/**
 * The values of a one-column COPY TO stream, decoded, a chunk's worth at a time:
 * a chunk may end inside a row or a character, so rows end at its last newline.
 */
async function* copiedValues(stream: AsyncIterable<Buffer>, what: string): AsyncGenerator<(string | null)[]> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      pending = Buffer.concat([pending, chunk]);
      continue;
    }
    const text = Buffer.concat([pending, chunk.subarray(0, last)]).toString('utf8');
    pending = chunk.subarray(last + 1);
    yield text.split('\n').map(decodeField);
  }
  if (pending.length > 0) throw new Error(`the text of ${what} ended inside a row`);
}

/**
 * Streams one text column out of princess, finds its emails, phones and the words
 * that are production name words, and writes them, tallied, into the candidates
 * table on the second connection. Answers how many rows it read.
 */
async function collectCandidates(
  princess: pg.Client,
  writer: pg.Client,
  column: string,
  from: string,
  nameWords: WordSet,
): Promise<number> {
  const sink = writer.query(copyFrom(`COPY ${candidates} (kind, value, n) FROM STDIN`));
  // One map per kind: keys need no joining, which is most of the cost per word.
  const held: Record<TextFindKind, Map<string, number>> = { emails: new Map(), phones: new Map(), names: new Map() };
  const heldCount = () => held.emails.size + held.phones.size + held.names.size;
  const flush = async () => {
    let text = '';
    for (const [kind, values] of Object.entries(held)) {
      for (const [value, n] of values) text += `${kind}\t${encodeField(value)}\t${n}\n`;
      values.clear();
    }
    if (text) await write(sink, text);
  };
  const tally = (kind: TextFindKind, value: string) => {
    const values = held[kind];
    values.set(value, (values.get(value) ?? 0) + 1);
  };
  let rows = 0;
  for await (const values of copiedValues(
    princess.query(copyTo(`COPY (SELECT ${column} FROM ${from}) TO STDOUT`)),
    from,
  )) {
    rows += values.length;
    for (const value of values) if (value !== null) findInText(value, tally, nameWords);
    if (heldCount() >= candidatesHeld) await flush();
  }
  await flush();
  sink.end();
  await finished(sink);
  return rows;
}

export interface LeakScanClients {
  /** Inside the rebuild's snapshot transaction, so the values looked for are the ones copied. */
  prod: pg.Client;
  /**
   * Three connections to the new princess database: free text streams out on the
   * first while its candidates go in on the second, and the columns are checked
   * on the third meanwhile.
   */
  princess: pg.Client;
  princessWriter: pg.Client;
  princessColumns: pg.Client;
}

/**
 * Production's side of the scan: the probe tables filled from prod's snapshot. It
 * needs nothing the copy writes, so it runs while the copy does.
 */
export async function loadProbes(
  { prod, princess }: Pick<LeakScanClients, 'prod' | 'princess'>,
  personal: readonly PersonalColumn[],
  primaryKeys: Readonly<Record<string, string>>,
  nameWords: Promise<readonly string[]>,
): Promise<Probe[]> {
  const tables = [...new Set(personal.map((c) => c.table))];
  const rows = Object.fromEntries(
    await Promise.all(
      tables.map(async (t) => [t, await count(prod, `SELECT count(*) AS n FROM ${ident(t)}`)] as const),
    ),
  );
  const planned = probes(personal, primaryKeys, rows);
  for (const p of planned) {
    await princess.query(`DROP TABLE IF EXISTS ${p.table}`);
    await princess.query(`CREATE UNLOGGED TABLE ${p.table} (key text, value text NOT NULL)`);
    const values =
      p.query === undefined
        ? Readable.from((await nameWords).map((word) => `\\N\t${encodeField(word)}\n`))
        : prod.query(copyTo(`COPY (${p.query}) TO STDOUT`));
    await pipeline(values, princess.query(copyFrom(`COPY ${p.table} (key, value) FROM STDIN`)));
    await princess.query(`ANALYZE ${p.table}`);
  }
  return planned;
}

/**
 * The checks, against probes `loadProbes` filled: the columns' on one connection
 * while the free text is scanned on the other two. The probe tables and the
 * candidates table are dropped at the end.
 */
export async function scanForLeaks(
  { princess, princessWriter, princessColumns }: Omit<LeakScanClients, 'prod'>,
  personal: readonly PersonalColumn[],
  primaryKeys: Readonly<Record<string, string>>,
  planned: readonly Probe[],
): Promise<LeakReport> {
  // Each table's rows counted once, however many of its columns are checked.
  const counted = new Map<string, Promise<number>>();
  const rowsOf = (table: string) =>
    counted.get(table) ??
    counted.set(table, count(princessColumns, `SELECT count(*) AS n FROM ${ident(table)}`)).get(table)!;
  const probeOf = new Map(planned.map((p) => [p.source, p]));
  const columnChecks = async (): Promise<LeakCheck[]> => {
    const checks: LeakCheck[] = [];
    for (const c of personal.filter((p) => p.kind !== 'text')) {
      const key = rowKey(c, primaryKeys);
      const p = probeOf.get(source(c))!;
      const sameRow = key ? ` AND p.key = t.${ident(key)}::text` : '';
      checks.push({
        what: `${source(c)}${key ? ' (row by row)' : ''}`,
        scanned: await rowsOf(c.table),
        sample: p.sample,
        hits: await count(
          princessColumns,
          `SELECT count(*) AS n FROM ${ident(c.table)} t WHERE EXISTS (SELECT 1 FROM ${p.table} p WHERE p.value = t.${ident(c.column)}::text${sameRow})`,
        ),
      });
    }
    return checks;
  };
  const textChecks = async (): Promise<LeakCheck[]> => {
    const checks: LeakCheck[] = [];
    const probesOf = (kind: PersonalColumn['kind']) =>
      personal.filter((c) => c.kind === kind).map((c) => probeOf.get(source(c))!.table);
    const probeTables: Record<TextFindKind, string[]> = {
      emails: probesOf('email'),
      phones: probesOf('phone'),
      names: probeOf.has('name-word') ? [probeOf.get('name-word')!.table] : [],
    };
    for (const c of personal.filter((p) => p.kind === 'text')) {
      const all = await count(princess, `SELECT count(*) AS n FROM ${ident(c.table)}`);
      const sample = sampleFor(all, fullTextScanLimit);
      const from = sampled(c.table, sample);
      await princess.query(`DROP TABLE IF EXISTS ${candidates}`);
      await princess.query(
        `CREATE UNLOGGED TABLE ${candidates} (kind text NOT NULL, value text NOT NULL, n bigint NOT NULL)`,
      );
      // Production's name words in memory (as many as there are distinct name words, not rows): a word not among them is no hit, so it is not tallied.
      const words =
        probeTables.names.length === 0
          ? []
          : (await princess.query<{ value: string }>(`SELECT value FROM ${probeTables.names[0]}`)).rows.map(
              (r) => r.value,
            );
      // The rows read are counted as they stream: a sample counted apart would read the whole table once more.
      const scanned = await collectCandidates(
        princess,
        princessWriter,
        `${ident(c.column)}::text`,
        from,
        wordSet(words),
      );
      await princess.query(`ANALYZE ${candidates}`);
      for (const kind of ['emails', 'phones', 'names'] as const) {
        // The finder gives phone numbers by their digits.
        const probeValue = kind === 'phones' ? phoneDigitsSql('p.value') : 'p.value';
        const found =
          probeTables[kind].map((t) => `EXISTS (SELECT 1 FROM ${t} p WHERE ${probeValue} = c.value)`).join(' OR ') ||
          'false';
        const hits = await count(
          princess,
          `SELECT coalesce(sum(c.n), 0) AS n FROM ${candidates} c WHERE c.kind = '${kind}' AND (${found})`,
        );
        checks.push({ what: `${source(c)} (text: ${kind})`, scanned, sample, hits });
      }
    }
    return checks;
  };
  try {
    // Settled both before the tables go: neither may still be reading them.
    const [columns, text] = await Promise.allSettled([columnChecks(), textChecks()]);
    if (columns.status === 'rejected') throw columns.reason;
    if (text.status === 'rejected') throw text.reason;
    const checks = [...columns.value, ...text.value];
    return { checks, hits: checks.reduce((sum, c) => sum + c.hits, 0) };
  } finally {
    await princess.query(`DROP TABLE IF EXISTS ${[...planned.map((p) => p.table), candidates].join(', ')}`);
  }
}

/** The copy's own row-by-row check as leak checks: values of personal columns that came out unchanged (pure). */
export function unchangedChecks(
  copied: readonly { table: string; rows: number; unchanged: Readonly<Record<string, number>> }[],
): LeakCheck[] {
  return copied.flatMap((t) =>
    Object.entries(t.unchanged).map(([column, hits]) => ({
      what: `${t.table}.${column} (row by row, during the copy)`,
      scanned: t.rows,
      sample: 1,
      hits,
    })),
  );
}

/** The columns whose production values the free text is checked against, row by row, during the copy. */
const contactKinds: Readonly<Partial<Record<PersonalColumn['kind'], ContactKind>>> = {
  email: 'emails',
  phone: 'phones',
  name: 'names',
};

/** The personal email, phone and name columns, by table: what the free text is checked against during the copy. */
function contactColumns(personal: readonly PersonalColumn[]): Map<string, PersonalColumn[]> {
  const byTable = new Map<string, PersonalColumn[]>();
  for (const c of personal)
    if (contactKinds[c.kind] !== undefined) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  return byTable;
}

/**
 * About how many values `fillContactFilter` will add, for sizing the filter: the
 * non-null values of every personal email, phone and name column in prod's
 * snapshot, one scan per table. A name counts once: a name has a few words, but
 * names share them, so their distinct words are far fewer than the names.
 */
export async function countContacts(prod: pg.Client, personal: readonly PersonalColumn[]): Promise<number> {
  let total = 0;
  for (const [table, columns] of contactColumns(personal))
    total += await count(
      prod,
      `SELECT ${columns.map((c) => `count(${ident(c.column)})`).join(' + ')} AS n FROM ${ident(table)}`,
    );
  return total;
}

/**
 * Adds every production email (as stored, as text), phone (by its digits, as the
 * finder gives them), streamed from prod's snapshot, and every word of
 * production's names (`readNameWords`) to the copy workers' filter. The caller
 * marks it filled (or failed).
 */
export async function fillContactFilter(
  prod: pg.Client,
  personal: readonly PersonalColumn[],
  shared: SharedContactFilter,
  nameWords: readonly string[],
): Promise<void> {
  const filter = new ContactFilter(shared);
  for (const word of nameWords) filter.addWord(word);
  for (const c of personal.filter((p) => p.kind === 'email' || p.kind === 'phone')) {
    const query = `COPY (SELECT ${ident(c.column)}::text FROM ${ident(c.table)} WHERE ${ident(c.column)} IS NOT NULL) TO STDOUT`;
    const asFound = c.kind === 'phone' ? phoneDigits : (value: string) => value;
    for await (const values of copiedValues(prod.query(copyTo(query)), source(c)))
      for (const value of values) filter.add(asFound(value!));
  }
}

/**
 * The copy's check of free text as leak checks: per free-text column and kind,
 * the emails, phones and words the filter may hold, confirmed against prod's
 * snapshot (a hit is a value some personal email column holds, as written, the
 * digits of some personal phone) or against `nameWords` (a word of some
 * production name, as `readNameWords` read them), plus any match past the ones
 * held, which cannot be confirmed and so counts.
 */
export async function contactChecks(
  prod: pg.Client,
  personal: readonly PersonalColumn[],
  copied: readonly { table: string; contacts: Readonly<Record<string, ContactFinds>> }[],
  nameWords: ReadonlySet<string>,
): Promise<LeakCheck[]> {
  const checks: LeakCheck[] = [];
  const heldBy: Record<'emails' | 'phones', string | undefined> = {
    emails: heldIn(
      personal.filter((c) => c.kind === 'email'),
      (value) => value,
    ),
    phones: heldIn(
      personal.filter((c) => c.kind === 'phone'),
      phoneDigitsSql,
    ),
  };
  const confirmed = async (kind: ContactKind, values: readonly (readonly [string, number])[]): Promise<number> => {
    if (values.length === 0) return 0;
    if (kind === 'names') return values.reduce((sum, [word, n]) => (nameWords.has(word) ? sum + n : sum), 0);
    const held = heldBy[kind];
    if (held === undefined) return 0;
    return count(prod, {
      text: `SELECT coalesce(sum(f.n), 0) AS n FROM unnest($1::text[], $2::bigint[]) AS f(v, n) WHERE ${held}`,
      values: [values.map(([v]) => v), values.map(([, n]) => n)],
    });
  };
  for (const t of copied) {
    for (const [column, finds] of Object.entries(t.contacts)) {
      for (const kind of ['emails', 'phones', 'names'] as const) {
        const hits = finds.unconfirmed[kind] + (await confirmed(kind, finds[kind]));
        checks.push({
          what: `${t.table}.${column} (text: ${kind}, every row, during the copy)`,
          scanned: finds.rows,
          sample: 1,
          hits,
        });
      }
    }
  }
  return checks;
}

/** The condition that a find `f.v` is a value of one of `columns` in prod, as text `asFound` it; none when there are no such columns. */
function heldIn(columns: readonly PersonalColumn[], asFound: (expression: string) => string): string | undefined {
  return columns.length === 0
    ? undefined
    : columns
        .map((c) => `EXISTS (SELECT 1 FROM ${ident(c.table)} p WHERE ${asFound(`p.${ident(c.column)}::text`)} = f.v)`)
        .join(' OR ');
}
