// devenv up: the developer's own copy of the production stack, converged
// (stacks/up.ts), filled with a sample of princess when asked.
import type { FixedStack } from '../../stacks/tiers.ts';
import { upStack, type UpStackResult } from '../../stacks/up.ts';
import type { Context } from '../../lib/paths.ts';
import { ensurePrerequisites } from '../../toolchain/prerequisites.ts';
import { UserError } from '../../lib/errors.ts';
import { loadPrincessSample, type SampleResult } from '../../data/princess-sample.ts';

export interface UpOptions {
  user?: string;
  /** a fixed stack (prod, princess) instead of the user's dev stack */
  stack?: FixedStack;
  envOverrides?: Record<string, Record<string, string>>;
  /** fill the database with a sample of princess instead of the dev seed */
  princessSample?: { percent: number };
}

export interface UpResult extends UpStackResult {
  sample?: SampleResult;
}

export async function up(ctx: Context, given: UpOptions): Promise<UpResult> {
  // A princess sample replaces the seed: the web must not seed what the sample fills.
  const { princessSample, ...options } = given.princessSample
    ? { ...given, envOverrides: { ...given.envOverrides, web: { ...given.envOverrides?.web, SEED: 'none' } } }
    : given;
  const result = await upStack(ctx, { ...options, beforeEngine: () => ensurePrerequisites(ctx) });
  if (!princessSample) return result;
  const url = result.urls['db.postgres'];
  if (!url) throw new UserError(`${result.stack} publishes no database port to load the sample into`);
  const sample = await loadPrincessSample(ctx, url, princessSample.percent);
  return { ...result, sample };
}

export function upText(result: UpResult): string {
  const urls = Object.entries(result.urls).map(([name, url]) => `  ${name.padEnd(14)} ${url}`);
  const how = result.fastPath ? 'already converged' : `${result.changes} change${result.changes === 1 ? '' : 's'}`;
  const sample = result.sample
    ? [
        result.sample.alreadyLoaded
          ? 'the princess sample is already loaded'
          : `loaded ${result.sample.percent}% of princess: ${Object.entries(result.sample.rows)
              .map(([t, n]) => `${n} ${t}`)
              .join(', ')}`,
      ]
    : [];
  return [
    ...result.notices.map((line) => `note: ${line}`),
    `${result.stack} is up (${how}, ${result.seconds.toFixed(1)} s)`,
    ...urls,
    ...sample,
  ].join('\n');
}
