// devenv prod generate: this local prod's production data. Realistic marketplace
// data with real-looking personal data in it, deterministic by seed, so that
// princess rebuilds, the scrubber and the leak scan have something true to work on.
import { loadProductionData, NotEmptyError } from '../../data/load.ts';
import { UserError } from '../../lib/errors.ts';
import { connect, databaseAddress } from '../../data/postgres.ts';
import type { Context } from '../../lib/paths.ts';
import { consoleReporter, countOutput } from '../../lib/report.ts';

export interface GenerateOptions {
  members: number;
  seed: number;
}

export interface GenerateResult {
  members: number;
  seed: number;
  rows: Record<string, number>;
  seconds: number;
  rowsPerSecond: number;
}

export async function generateProd(ctx: Context, options: GenerateOptions): Promise<GenerateResult> {
  if (!Number.isInteger(options.members) || options.members < 10_000 || options.members > 1_000_000) {
    throw new UserError(`--members must be a whole number from 10000 to 1000000, got ${options.members}`);
  }
  if (!Number.isInteger(options.seed)) throw new UserError(`--seed must be a whole number, got ${options.seed}`);
  const started = performance.now();
  const client = await connect(await databaseAddress(ctx, 'prod'), 'shop');
  const result = { rows: {} as Record<string, number> };
  try {
    result.rows = await consoleReporter().phase(
      `Generating ${options.members.toLocaleString('en')} members and their shops, items, orders and messages into prod`,
      (phase) => {
        const progress = countOutput((text) => phase.output(text));
        return loadProductionData(client, {
          seed: options.seed,
          members: options.members,
          onProgress: (table, rows) => progress(`${table}: ${rows.toLocaleString('en')} rows`),
          onConstraints: () => phase.output('making the keys, foreign keys and indexes'),
        }).catch((error: unknown) => {
          if (error instanceof NotEmptyError)
            throw new UserError(
              error.message,
              'start from an empty prod: `devenv prod down --purge-data`, then `devenv prod up`',
            );
          throw error;
        });
      },
    );
  } finally {
    await client.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
  return { members: options.members, seed: options.seed, rows: result.rows, seconds, rowsPerSecond: total / seconds };
}

export function generateText(result: GenerateResult): string {
  const rows = Object.entries(result.rows).map(
    ([table, n]) => `  ${table.padEnd(10)} ${n.toLocaleString('en').padStart(11)}`,
  );
  return [
    ...rows,
    `prod holds generated data for seed ${result.seed} (${result.seconds.toFixed(1)} s, ${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s)`,
  ].join('\n');
}
