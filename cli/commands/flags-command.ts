// devenv flags lint|list|show|report|set: their definitions. Start-up imports every
// definition, so this file stays small: flags.ts, which loads the YAML library,
// loads when a command runs.
import { Option } from 'commander';
import { UserError } from '../../lib/errors.ts';
import { defineCommand, defineGroup } from '../define-command.ts';
import type { FlagRow, LintResult, ListResult, SetResult } from './flags.ts';
import type { AbReport } from '../../deploy/ab-report.ts';

const flagsModule = () => import('./flags.ts');
const fileOption = () => new Option('--file <path>', 'the flags file (default: site/flags.yaml of this checkout)');

export const flagsCommand = defineGroup({
  name: 'flags',
  description: 'config flags (site/flags.yaml): lint, list, show, set; they ship with `devenv deploy --config`',
  commands: [
    defineCommand({
      name: 'lint',
      description: 'check a flags file: each problem with its line; exit 1 if any (such a file cannot ship)',
      arguments: { '[file]': 'the flags file (default: site/flags.yaml)' },
      json: 'print the problems as JSON',
      run: async ([file]: [string?]) => (await flagsModule()).flagsLint({ ...(file && { file }) }),
      text: async (result: LintResult) => (await flagsModule()).lintText(result),
      ok: (result) => result.ok,
    }),
    defineCommand({
      name: 'list',
      description: 'every flag: on, off or its rollout, and its description',
      options: [fileOption()],
      json: 'print the flags as JSON',
      run: async (_, opts: { file?: string }) =>
        (await flagsModule()).flagsList({ ...(opts.file && { file: opts.file }) }),
      text: async (result: ListResult) => (await flagsModule()).listText(result),
    }),
    defineCommand({
      name: 'show',
      description: 'one flag with all its settings',
      arguments: { '<name>': 'the flag' },
      options: [fileOption()],
      json: 'print the flag as JSON',
      run: async ([name]: [string], opts: { file?: string }) =>
        (await flagsModule()).flagsShow(name, { ...(opts.file && { file: opts.file }) }),
      text: async (flag: FlagRow) => (await flagsModule()).showText(flag),
    }),
    defineCommand({
      name: 'report',
      description:
        "an A/B test's figures per variant (visitors, conversion, errors, latency) against the control, with p-values",
      arguments: { '<name>': 'the flag' },
      options: [
        new Option('--since <time>', 'from when (a Graphite time: -1h, -30min, -2d, ...)').default('-1h'),
        new Option('--stack <stack>', 'whose figures and flags').default('prod'),
      ],
      json: 'print the report as JSON',
      run: async ([name]: [string], opts: { since: string; stack: string }, ctx) =>
        (await import('./flags-report.ts')).flagsReport(ctx, name, { since: opts.since, stack: opts.stack }),
      text: async (report: AbReport) => (await import('./flags-report.ts')).reportText(report),
    }),
    defineCommand({
      name: 'set',
      description:
        'change one flag (or add it) in the flags file, print the diff; refused, file unchanged, if the result would fail lint',
      arguments: { '<name>': 'the flag' },
      options: [
        new Option('--on', 'switch it on'),
        new Option('--off', 'switch it off for everyone'),
        new Option('--percent <p>', 'roll it out to this share of ids (0 to 100)'),
        new Option('--variants <a=50,b=50>', 'A/B variants and their weights (adding up to 100)'),
        new Option('--users <a,b>', 'users who always get it (empty to clear)'),
        new Option('--groups <g,h>', 'groups whose members always get it (empty to clear)'),
        fileOption(),
      ],
      json: 'print the result as JSON',
      run: async (
        [name]: [string],
        opts: {
          on?: boolean;
          off?: boolean;
          percent?: string;
          variants?: string;
          users?: string;
          groups?: string;
          file?: string;
        },
      ) => {
        const { flagsSet, parseListOption, parsePercentOption, parseVariantsOption } = await flagsModule();
        if (opts.on && opts.off) throw new UserError('--on and --off together: say one');
        return flagsSet(
          name,
          {
            ...((opts.on || opts.off) && { enabled: Boolean(opts.on) }),
            ...(opts.percent !== undefined && { percent: parsePercentOption(opts.percent) }),
            ...(opts.variants !== undefined && { variants: parseVariantsOption(opts.variants) }),
            ...(opts.users !== undefined && { users: parseListOption('--users', opts.users) }),
            ...(opts.groups !== undefined && { groups: parseListOption('--groups', opts.groups) }),
          },
          { ...(opts.file && { file: opts.file }) },
        );
      },
      text: async (result: SetResult) => (await flagsModule()).setText(result),
    }),
  ],
});
