// devenv down's definitions (your dev stack, and `devenv <fixed stack> down`).
// Start-up imports every definition, so this file stays small: down.ts, which
// loads the Pulumi engine's SDK, loads when the command runs.
import { Option } from 'commander';
import type { FixedStack } from '../../stacks/tiers.ts';
import { type CommandDefinition, defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import type { DownResult } from './down.ts';

const downModule = () => import('./down.ts');
const purgeData = () => new Option('--purge-data', 'also delete the data volumes');
const downText = async (result: DownResult) => (await downModule()).downText(result);

export const downCommand = defineCommand({
  name: 'down',
  description: 'stop your stack; its data volumes are kept unless --purge-data',
  options: [userOption('whose stack'), purgeData()],
  json: 'print the result as JSON',
  run: async (_, opts: { user?: string; purgeData?: boolean }, ctx) =>
    (await downModule()).down(ctx, { ...(opts.user && { user: opts.user }), purgeData: Boolean(opts.purgeData) }),
  text: downText,
});

/** `devenv prod down` and the like: a fixed stack stopped. */
export function downCommandFor(stack: FixedStack): CommandDefinition {
  return defineCommand({
    name: 'down',
    description: `stop ${stack}; its data volumes are kept unless --purge-data`,
    options: [purgeData()],
    json: 'print the result as JSON',
    run: async (_, opts: { purgeData?: boolean }, ctx) =>
      (await downModule()).down(ctx, { stack, purgeData: Boolean(opts.purgeData) }),
    text: downText,
  });
}
