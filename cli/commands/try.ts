// devenv try: the workflow is try/run.ts; this defines the command and says its result.
import { Option } from 'commander';
import type { TryResult } from '../../try/run.ts';
import { defineCommand } from '../define-command.ts';

export function tryText(result: TryResult): string {
  const what = `${result.files.length} file${result.files.length === 1 ? '' : 's'}${result.staged ? ' staged' : ''} against ${result.trunk.ref} ${result.trunk.commit.slice(0, 7)}`;
  const rows = result.steps.map((step) => {
    const detail = step.status === 'skipped' ? '' : step.cached ? 'cached' : `${step.seconds.toFixed(1)} s`;
    return `  ${step.name.padEnd(10)} ${step.status.padEnd(8)} ${detail}`.trimEnd();
  });
  return [
    `try ${result.id}: ${result.ok ? 'PASS' : 'FAIL'} (${what}, ${result.seconds.toFixed(1)} s)`,
    ...rows,
    `log: ${result.log}`,
  ].join('\n');
}

export const tryCommand = defineCommand({
  name: 'try',
  description:
    "your working copy's diff against trunk (untracked files too), applied to a clean checkout and type-checked and tested in the build environment",
  options: [
    new Option('--staged', 'only what is staged in the index'),
    new Option('--trunk <ref>', 'the trunk to diff against and apply to (default: origin/main, else main)'),
  ],
  json: 'print the result as JSON',
  run: async (_, opts: { staged?: boolean; trunk?: string }, ctx) => {
    const { tryDiff } = await import('../../try/run.ts');
    return tryDiff(ctx, {
      cwd: process.cwd(),
      staged: Boolean(opts.staged),
      ...(opts.trunk !== undefined && { trunk: opts.trunk }),
    });
  },
  text: tryText,
  ok: (result) => result.ok,
});
