// devenv prod generate's definition. Start-up imports every definition, so this
// file stays small: prod-generate.ts, which loads the Postgres client, loads when
// the command runs.
import { Option } from 'commander';
import { defineCommand } from '../define-command.ts';
import type { GenerateResult } from './prod-generate.ts';

const generateModule = () => import('./prod-generate.ts');

export const generateCommand = defineCommand({
  name: 'generate',
  description:
    "fill prod's empty database with realistic marketplace data, personal data included (deterministic by seed); one transaction, during which prod's readers of those tables wait",
  options: [
    new Option('--members <n>', 'how many members (10000 to 1000000); shops, items, orders and messages follow')
      .argParser((v) => Number(v))
      .makeOptionMandatory(),
    new Option('--seed <n>', 'the generator seed').argParser((v) => Number(v)).default(1),
  ],
  json: 'print the row counts as JSON',
  run: async (_, opts: { members: number; seed: number }, ctx) =>
    (await generateModule()).generateProd(ctx, { members: opts.members, seed: opts.seed }),
  text: async (result: GenerateResult) => (await generateModule()).generateText(result),
});
