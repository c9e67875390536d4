// Loads generated production data into an empty database: one COPY per table, in
// foreign-key order, all in one transaction, so a failed load leaves nothing behind.
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
    // Nobody writes these tables until the load commits (readers go on), so the
    // emptiness checked here is still true when the rows arrive.
    await client.query(`LOCK TABLE ${tableOrder.join(', ')} IN EXCLUSIVE MODE`);
    await refuseUnlessEmpty(client);
    for (const table of tableOrder) {
      loaded[table] = await copyTable(client, table, copyLines(data, table), (rows) => options.onProgress?.(table, rows));
    }
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

/** prod already holds data: generating on top would mix two data sets. */
export class NotEmptyError extends Error {}

async function refuseUnlessEmpty(client: pg.Client): Promise<void> {
  const probe = tableOrder.map((table) => `SELECT '${table}' AS name WHERE EXISTS (SELECT 1 FROM ${table})`).join(' UNION ALL ');
  const { rows } = await client.query<{ name: string }>(probe);
  if (rows.length > 0) {
    const names = rows.map((row) => row.name).join(', ');
    throw new NotEmptyError(`production data is only loaded into empty tables, but ${names} already ${rows.length === 1 ? 'has' : 'have'} rows`);
  }
}

async function copyTable(client: pg.Client, table: TableName, lines: Iterable<string>, onRows: (rows: number) => void): Promise<number> {
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
