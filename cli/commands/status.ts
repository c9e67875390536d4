// devenv status and `devenv <fixed stack> status`: the result of stacks/status.ts as a table.
import { Option } from 'commander';
import type { StatusResult } from '../../stacks/status.ts';
import type { FixedStack } from '../../stacks/tiers.ts';
import { type CommandDefinition, defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import { textTable } from '../text-table.ts';

export function statusText(result: StatusResult): string {
  if (result.containers.length === 0) return `${result.stack}: no containers (run \`devenv up\`)`;
  const rows = result.containers.map((c) => [c.role, c.name, c.state, c.health, c.urls.join(' ') || '-', c.image]);
  const header = ['ROLE', 'CONTAINER', 'STATE', 'HEALTH', 'URL', 'IMAGE'];
  return textTable(header, rows);
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
  run: async (_, opts: { user?: string; stack?: string }) =>
    (await statusModule()).status({ ...(opts.user && { user: opts.user }), ...(opts.stack && { stack: opts.stack }) }),
  text: statusText,
  ok: (result) => result.healthy,
});

/** `devenv prod status` and the like. */
export function statusCommandFor(stack: FixedStack): CommandDefinition {
  return defineCommand({
    name: 'status',
    description: `state, health, URL and image of each container of ${stack}`,
    json: 'print the result as JSON',
    run: async () => (await statusModule()).status({ stack }),
    text: statusText,
    ok: (result) => result.healthy,
  });
}
