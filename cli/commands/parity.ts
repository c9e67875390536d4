// devenv parity [A] [B]: two tiers rendered from production, compared. Nothing
// needs to be running: this is about what the description makes of each tier.
import { breaksParity, parity, type Difference } from '../../stacks/parity.ts';
import { candidateBases } from '../../stacks/ports.ts';
import { renderStack } from '../../stacks/render.ts';
import { devStackName, tierOfStackOrRefuse } from '../../stacks/tiers.ts';
import { projectRoot, type Context } from '../../lib/paths.ts';
import { readFleet } from '../../stacks/fleet-config.ts';
import { resolveUser } from '../../lib/user.ts';

export interface ParityOptions {
  a?: string;
  b?: string;
  user?: string;
}

export interface ParityResult {
  a: string;
  b: string;
  ok: boolean;
  differences: Difference[];
}

async function rendered(ctx: Context, stack: string) {
  const tier = tierOfStackOrRefuse(stack);
  // Host ports are allowed to differ, so a dev stack's own range is not needed here.
  const portBase = tier.ports.kind === 'fixed' ? tier.ports.base : candidateBases(stack.slice('dev-'.length))[0]!;
  // On the hosts its config records: placement is a difference tiers may have.
  const fleet = await readFleet(ctx, stack);
  return renderStack(stack, projectRoot, portBase, fleet && { fleet });
}

export async function parityCheck(ctx: Context, options: ParityOptions): Promise<ParityResult> {
  const a = options.a ?? devStackName((await resolveUser(options.user)).user);
  const b = options.b ?? 'prod';
  const differences = parity(await rendered(ctx, a), await rendered(ctx, b));
  return { a, b, ok: breaksParity(differences).length === 0, differences };
}

export function parityText(result: ParityResult): string {
  const lines = result.differences.map(
    (d) =>
      `${d.allowedAs ? 'allowed' : 'BREAKS '}  ${d.role.padEnd(9)} ${d.field.padEnd(16)} ${d.a}  ->  ${d.b}${d.allowedAs ? `  (${d.allowedAs})` : ''}`,
  );
  const verdict = result.ok
    ? `${result.a} and ${result.b} are at parity: they differ only where tiers may (replicas, host ports, data source, live edit, placement on hosts).`
    : `${result.a} and ${result.b} are NOT at parity: ${breaksParity(result.differences).length} difference(s) outside the allow-list.`;
  return [...lines, verdict].join('\n');
}
