// devenv flags report NAME: an A/B test's figures per variant, judged against
// the control (deploy/ab-report.ts), from the stack's Graphite, for a flag as
// the stack runs it now.
import { UserError } from '../../lib/errors.ts';
import type { Context } from '../../lib/paths.ts';
import { reportFlag, runningFlags, type AbReport, type VariantReport } from '../../deploy/ab-report.ts';
import { graphiteTime, graphiteUrlOf, sitePrefix } from '../../stacks/graphite.ts';

export interface ReportOptions {
  /** a Graphite time: -1h, -30min, ... */
  since: string;
  stack: string;
}

/** The report of a flag the stack runs now (its variants as its flags file lists them). */
export async function flagsReport(ctx: Context, name: string, options: ReportOptions): Promise<AbReport> {
  const now = Date.now();
  const from = graphiteTime(options.since, Math.floor(now / 1000));
  if (from === undefined || from * 1000 >= now)
    throw new UserError(
      `--since "${options.since}" is not a time before now that Graphite understands`,
      'use -1h, -30min, -2d, seconds since the epoch, YYYYMMDD or HH:MM_YYYYMMDD (UTC)',
    );
  const graphite = await graphiteUrlOf(ctx, options.stack);
  const flags = await runningFlags(ctx, options.stack).catch((error: Error) => {
    throw new UserError(
      `cannot read the flags ${options.stack} runs: ${error.message.split('\n')[0]}`,
      `is ${options.stack} up? see \`devenv status --stack ${options.stack}\``,
    );
  });
  const flag = flags.find((f) => f.name === name);
  if (!flag)
    throw new UserError(
      `${options.stack} runs no flag "${name}": it is off for everyone there`,
      `its flags: ${flags.map((f) => f.name).join(', ') || 'none'}`,
    );
  return reportFlag(graphite, sitePrefix, options.stack, flag, from * 1000, now).catch((error: Error) => {
    throw new UserError(
      `the Graphite of ${options.stack} could not give ${name}'s figures: ${error.message}`,
      `is ${options.stack} up? see \`devenv status --stack ${options.stack}\``,
    );
  });
}

const percent = (rate: number) => `${(rate * 100).toFixed(rate < 0.01 && rate > 0 ? 2 : 1)}%`;
const interval = (r: { rate: number; low: number; high: number }) =>
  `${percent(r.rate)} (${percent(r.low)}-${percent(r.high)})`;
const ms = (value: number | null) => (value === null ? '-' : `${value.toFixed(0)} ms`);
const pValue = (p: number) => (p < 0.0001 ? 'p < 0.0001' : `p = ${p.toFixed(4)}`);
const points = (difference: number) => `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)} pts`;

function versus(variant: VariantReport, enough: boolean): string {
  if (!variant.versusControl) return 'control';
  if (!enough) return 'not enough data yet';
  const { conversion, errors } = variant.versusControl;
  return `conversion ${points(conversion.difference)}, ${pValue(conversion.p)}; errors ${points(errors.difference)}, ${pValue(errors.p)}`;
}

export function reportText(report: AbReport): string {
  const header = ['variant', 'visitors', 'conversion (95%)', 'errors (95%)', 'p50', 'p99', `against ${report.control}`];
  const rows = report.variants.map((v) => [
    v.variant,
    String(v.visitors),
    interval(v.conversion),
    interval(v.errorRate),
    ms(v.p50Ms),
    ms(v.p99Ms),
    versus(v, report.enoughData),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const short = report.variants.filter((v) => v.visitors < report.minVisitors);
  return [
    `${report.flag} on ${report.stack}, ${report.from.slice(0, 16).replace('T', ' ')} to ${report.until.slice(0, 16).replace('T', ' ')} UTC`,
    line(header),
    ...rows.map(line),
    ...(report.enoughData
      ? ['A difference with p below 0.01 is unlikely to be chance.']
      : [
          `Not enough data yet: ${short.map((v) => `${v.variant} has ${v.visitors} visitors`).join(', ')}; each variant needs ${report.minVisitors}.`,
        ]),
  ].join('\n');
}
