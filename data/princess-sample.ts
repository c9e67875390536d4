// `devenv up --data princess-sample`: a developer's database filled with a
// consistent sample of princess (scrubbed production data) instead of the seed.
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { subsetQueries } from './subset.ts';
import { UserError } from '../lib/errors.ts';
import { connect, databaseAddress, openClient } from './postgres.ts';
import type { Context } from '../lib/paths.ts';
import { devSecrets } from '../stacks/secrets.ts';

export interface SampleResult {
  percent: number;
  rows: Record<string, number>;
  /** true when the database already held the sample (nothing loaded) */
  alreadyLoaded: boolean;
}

export async function loadPrincessSample(ctx: Context, devDatabaseUrl: string, percent: number): Promise<SampleResult> {
  const queries = subsetQueries(percent);
  const dev = await openClient(
    { host: '127.0.0.1', port: Number(new URL(devDatabaseUrl).port), password: devSecrets.dbPassword },
    'shop',
  );
  const princess = await connect(await databaseAddress(ctx, 'princess'), 'shop').catch((error: UserError) => {
    void dev.end();
    throw new UserError(
      `princess-sample needs princess: ${error.message}`,
      'bring it up with `devenv princess up` and fill it with `devenv princess rebuild`',
    );
  });
  try {
    const count = async (client: pg.Client, table: string) =>
      Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    if ((await count(dev, 'members')) > 0) return { percent, rows: {}, alreadyLoaded: true };
    if ((await count(dev, 'shops')) > 0) {
      throw new UserError(
        'your dev database already holds seed data',
        'run `devenv down --purge-data`, then `devenv up --data princess-sample` again',
      );
    }
    if ((await count(princess, 'members')) === 0)
      throw new UserError('princess has no members to sample', 'fill it with `devenv princess rebuild`');
    const rows: Record<string, number> = {};
    await princess.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await dev.query('BEGIN');
    for (const { table, columns, select } of queries) {
      const into = dev.query(copyFrom(`COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`));
      await pipeline(princess.query(copyTo(`COPY (${select}) TO STDOUT`)), into);
      rows[table] = into.rowCount;
    }
    for (const table of ['shops', 'items']) {
      await dev.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1))`,
      );
    }
    await dev.query('COMMIT');
    await princess.query('COMMIT');
    return { percent, rows, alreadyLoaded: false };
  } finally {
    await Promise.all([dev.end(), princess.end()]).catch(() => {}); // a connection that cannot close was lost already
  }
}
