// devenv status and `devenv <fixed stack> status`: the result of stacks/status.ts as a table.
import { Option } from 'commander';
import type { StatusResult } from '../../stacks/status.ts';
import type { FixedStack } from '../../stacks/tiers.ts';
import { type CommandDefinition, defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import { textTable } from '../text-table.ts';
import type { Context } from '../../lib/paths.ts';

export function statusText(result: StatusResult): string {
  const lost = result.unreachable.map(({ host, reason }) => `host ${host} did not answer: ${reason}`);
  if (result.containers.length === 0) return [`${result.stack}: no containers (run \`devenv up\`)`, ...lost].join('\n');
  const fleet = result.containers.some((c) => c.host !== undefined);
  const rows = result.containers.map((c) => [
    c.role,
    c.name,
    ...(fleet ? [c.host ?? '-'] : []),
    c.state,
    c.health,
    c.urls.join(' ') || '-',
    c.image,
  ]);
  const header = ['ROLE', 'CONTAINER', ...(fleet ? ['HOST'] : []), 'STATE', 'HEALTH', 'URL', 'IMAGE'];
  return [textTable(header, rows), ...lost].join('\n');
}

/** A stack's status, on every host of the fleet its config records. */
async function statusOf(ctx: Context, options: { user?: string; stack?: string }): Promise<StatusResult> {
  const [{ status }, { readFleet }] = await Promise.all([statusModule(), import('../../stacks/fleet-config.ts')]);
  const fleet = options.stack ? await readFleet(ctx, options.stack).catch(() => undefined) : undefined;
  return status({ ...options, ...(fleet && { hosts: fleet.hosts }) });
}

const statusModule = () => import('../../stacks/status.ts');

export const statusCommand = defineCommand({
  name: 'status',
  description: 'state, health, URL and image of each container of a stack',
  options: [
    userOption('whose dev stack'),
    new Option('--stack <name>', 'any stack by name (dev-<user>, princess, prod)'),
  ],
  json: 'print the result as JSON',
  run: async (_, opts: { user?: string; stack?: string }, ctx) =>
    statusOf(ctx, { ...(opts.user && { user: opts.user }), ...(opts.stack && { stack: opts.stack }) }),
  text: statusText,
  ok: (result) => result.healthy,
});

/** `devenv prod status` and the like. */
export function statusCommandFor(stack: FixedStack): CommandDefinition {
  return defineCommand({
    name: 'status',
    description: `state, health, URL and image of each container of ${stack}`,
    json: 'print the result as JSON',
    run: async (_, __, ctx) => statusOf(ctx, { stack }),
    text: statusText,
    ok: (result) => result.healthy,
  });
}
