// devenv up's definitions (your dev stack, and `devenv <fixed stack> up`). Start-up
// imports every definition, so this file stays small: up.ts, which loads the
// Pulumi engine's SDK, loads when the command runs.
import { Option } from 'commander';
import { UserError } from '../../lib/errors.ts';
import type { FixedStack } from '../../stacks/tiers.ts';
import { type CommandDefinition, defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import type { UpResult } from './up.ts';

const upModule = () => import('./up.ts');
const upText = async (result: UpResult) => (await upModule()).upText(result);

export const upCommand = defineCommand({
  name: 'up',
  description: 'bring up your own copy of the production stack (dev-<user>) and print its URLs',
  options: [
    userOption("whose stack (default: git's user.email, else the OS user)"),
    new Option(
      '--data <source>',
      'where the data comes from: princess-sample (a consistent sample of princess) instead of the dev seed',
    ),
    new Option('--percent <p>', 'with --data princess-sample: the share of members to take')
      .argParser((v) => Number(v))
      .default(10),
    new Option('--env <role.KEY=VALUE...>', 'override an env variable of a role').hideHelp(),
  ],
  json: 'print the result as JSON',
  run: async (_, opts: { user?: string; env?: string[]; data?: string; percent: number }, ctx) => {
    const { up } = await upModule();
    if (opts.data !== undefined && opts.data !== 'princess-sample')
      throw new UserError(`--data knows princess-sample only, got "${opts.data}"`);
    if (!(opts.percent > 0 && opts.percent <= 100))
      throw new UserError(`--percent must be above 0 and at most 100, got ${opts.percent}`);
    return up(ctx, {
      ...(opts.user && { user: opts.user }),
      envOverrides: parseEnvOverrides(opts.env ?? []),
      ...(opts.data && { princessSample: { percent: opts.percent } }),
    });
  },
  text: upText,
});

/** `devenv prod up` and the like: a fixed stack brought up or converged. */
export function upCommandFor(stack: FixedStack): CommandDefinition {
  return defineCommand({
    name: 'up',
    description: `bring ${stack} up or converge it`,
    json: 'print the result as JSON',
    run: async (_, __, ctx) => (await upModule()).up(ctx, { stack }),
    text: upText,
  });
}

/** role.KEY=VALUE pairs into per-role env overrides. */
function parseEnvOverrides(pairs: string[]): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {};
  for (const pair of pairs) {
    const match = /^([a-z0-9]+)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) throw new UserError(`--env wants role.KEY=VALUE, got "${pair}"`);
    const [, role, key, value] = match as unknown as [string, string, string, string];
    overrides[role] = { ...overrides[role], [key]: value };
  }
  return overrides;
}
