// devenv parity's definition. Start-up imports every definition, so this file
// stays small: parity.ts, which renders the stacks, loads when the command runs.
import { defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import type { ParityResult } from './parity.ts';

const parityModule = () => import('./parity.ts');

export const parityCommand = defineCommand({
  name: 'parity',
  description:
    'compare two tiers rendered from production (default: your dev stack vs prod); exit 1 on a difference outside the allow-list',
  arguments: {
    '[a]': 'a stack: dev-<user>, princess or prod (default: your dev stack)',
    '[b]': 'the other stack (default: prod)',
  },
  options: [userOption('whose dev stack is the default A')],
  json: 'print the differences as JSON',
  run: async ([a, b]: [string?, string?], opts: { user?: string }, ctx) =>
    (await parityModule()).parityCheck(ctx, {
      ...(a && { a }),
      ...(b && { b }),
      ...(opts.user && { user: opts.user }),
    }),
  text: async (result: ParityResult) => (await parityModule()).parityText(result),
  ok: (result) => result.ok,
});
