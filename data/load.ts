// Loads generated production data into an empty database: one COPY per table, in
// foreign-key order, all in one transaction, so a failed load leaves nothing behind.
// The tables' keys, foreign keys and indexes are made after their rows, in the same
// transaction, as pg_restore does: checked row by row, each order's and message's
// foreign keys locked a member's row and each index insert landed on a random page,
// which past the server's 64 MB of buffers read from disk (a 10^6 load took 504 s).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyLines, dataset, tableColumns, tableOrder, type TableName } from './generate.ts';

export interface LoadOptions {
  seed: number;
  members: number;
  /** rows sent so far into the table being loaded, after every chunk and once at its end */
  onProgress?: (table: string, rows: number) => void;
  /** the rows are in; the keys, foreign keys and indexes are being made */
  onConstraints?: () => void;
}

// Lines are sent in chunks of about this many characters: one write per line
// would cost more in stream overhead than generating the line.
const chunkChars = 64 * 1024;

/** Returns the number of rows loaded into each table. */
export async function loadProductionData(client: pg.Client, options: LoadOptions): Promise<Record<string, number>> {
  // Checked before touching the database, so bad options change nothing.
  const data = dataset(options.seed, options.members);
  const loaded: Record<string, number> = {};
  await client.query('BEGIN');
  try {
    // Nobody reads or writes these tables until the load commits (their keys are
    // dropped for it), so the emptiness checked here is still true when the rows arrive.
    await client.query(`LOCK TABLE ${tableOrder.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    await refuseUnlessEmpty(client);
    const constraints = await setConstraintsAside(client, tableOrder);
    for (const table of tableOrder) {
      loaded[table] = await copyTable(client, table, copyLines(data, table), (rows) =>
        options.onProgress?.(table, rows),
      );
    }
    options.onConstraints?.();
    // Index builds sort in memory rather than spill to disk past the server's 32 MB
    // (this transaction only): a third of the db role's 384 MB, the load's one session.
    await client.query(`SET LOCAL maintenance_work_mem = '128MB'`);
    for (const statement of constraints.remake) await client.query(statement);
    // The rows came with their ids: move the identity sequences past them for later inserts.
    for (const table of ['shops', 'items']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
    }
    await client.query('COMMIT');
  } catch (error) {
    // The connection may be gone too; the error worth reporting is the first one.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return loaded;
}

/**
 * Drops the keys, unique constraints, foreign keys and other indexes of `tables`
 * (and the foreign keys that point at them from elsewhere), answering the
 * statements that make them again as they were: keys and indexes first, then
 * the foreign keys, each checked over all the rows when it is added.
 */
async function setConstraintsAside(client: pg.Client, tables: readonly string[]): Promise<{ remake: string[] }> {
  const { rows } = await client.query<{ drop: string; remake: string; step: number }>(
    `WITH loaded AS (SELECT unnest($1::regclass[]) AS id)
     SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop,
            format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS remake,
            CASE contype WHEN 'f' THEN 2 ELSE 0 END AS step
       FROM pg_constraint
      WHERE (contype IN ('p', 'u') AND conrelid IN (SELECT id FROM loaded))
         OR (contype = 'f' AND (conrelid IN (SELECT id FROM loaded) OR confrelid IN (SELECT id FROM loaded)))
     UNION ALL
     SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid), 1
       FROM pg_index
      WHERE indrelid IN (SELECT id FROM loaded)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x'))`,
    [tables],
  );
  // Foreign keys go before the keys they point at; they come back after them.
  for (const row of [...rows].sort((a, b) => b.step - a.step)) await client.query(row.drop);
  return { remake: [...rows].sort((a, b) => a.step - b.step).map((row) => row.remake) };
}

/** prod already holds data: generating on top would mix two data sets. */
export class NotEmptyError extends Error {}

async function refuseUnlessEmpty(client: pg.Client): Promise<void> {
  const probe = tableOrder
    .map((table) => `SELECT '${table}' AS name WHERE EXISTS (SELECT 1 FROM ${table})`)
    .join(' UNION ALL ');
  const { rows } = await client.query<{ name: string }>(probe);
  if (rows.length > 0) {
    const names = rows.map((row) => row.name).join(', ');
    throw new NotEmptyError(
      `production data is only loaded into empty tables, but ${names} already ${rows.length === 1 ? 'has' : 'have'} rows`,
    );
  }
}

async function copyTable(
  client: pg.Client,
  table: TableName,
  lines: Iterable<string>,
  onRows: (rows: number) => void,
): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${table} (${tableColumns[table].join(', ')}) FROM STDIN`));
  // pipeline pulls the next chunk only when the connection has taken the last
  // one, so the generator never runs ahead of the network.
  await pipeline(Readable.from(chunks(lines, onRows)), copy);
  return copy.rowCount;
}

function* chunks(lines: Iterable<string>, onRows: (rows: number) => void): Generator<Buffer, void, undefined> {
  let text = '';
  let rows = 0;
  for (const line of lines) {
    text += line;
    rows++;
    if (text.length >= chunkChars) {
      yield Buffer.from(text);
      text = '';
      onRows(rows);
    }
  }
  if (text.length > 0) yield Buffer.from(text);
  onRows(rows);
}
