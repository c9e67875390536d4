// devenv princess rebuild: the workflow is data/rebuild.ts; this defines the command and says its result.
import { Option } from 'commander';
import type { RebuildResult } from '../../data/rebuild.ts';
import { defineCommand } from '../define-command.ts';
import { wholeNumber } from '../options.ts';

export function rebuildText(result: RebuildResult): string {
  return [
    ...result.tables.map(
      (t) =>
        `  ${t.table.padEnd(18)} ${t.rows.toLocaleString('en').padStart(11)} rows  ${(t.bytes / 1024 ** 2).toFixed(1).padStart(7)} MB  ${t.seconds.toFixed(1).padStart(6)} s`,
    ),
    `princess rebuilt from prod's snapshot ${result.snapshot}: ${result.rows.toLocaleString('en')} rows, ${result.megabytes.toFixed(1)} MB in ${result.seconds.toFixed(1)} s ` +
      `(copy ${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s, ${result.megabytesPerSecond.toFixed(1)} MB/s); leak scan: ${result.leaks.hits} hits in ${result.leaks.checks.length} checks`,
  ].join('\n');
}

export const rebuildCommand = defineCommand({
  name: 'rebuild',
  description:
    "rebuild princess's database from one snapshot of prod through the scrubber; princess keeps its old data unless every check passes",
  options: [
    new Option('--rules <file>', 'the scrub rules (default: data/scrub-rules.yaml)'),
    new Option('--key-file <file>', 'the scrub key (default: DEVENV_SCRUB_KEY, else <devenv home>/scrub.key)'),
    new Option(
      '--workers <n>',
      'worker threads copying through the scrubber (1 to 16; default: one per core)',
    ).argParser(wholeNumber('--workers', 1, 16)),
  ],
  json: 'print the summary as JSON',
  run: async (_, opts: { rules?: string; keyFile?: string; workers?: number }, ctx) => {
    const { workers } = opts;
    const { rebuildPrincess } = await import('../../data/rebuild.ts');
    return rebuildPrincess(ctx, {
      ...(opts.rules && { rules: opts.rules }),
      ...(opts.keyFile && { keyFile: opts.keyFile }),
      ...(workers !== undefined && { workers }),
    });
  },
  text: rebuildText,
});
