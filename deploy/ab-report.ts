// An A/B test judged from its figures, per variant of a flag: visitors, the
// conversion rate (an item page viewed after the home page) with its 95%
// interval, the error rate, p50 and p99 latency, and each variant against the
// control with a two-sided test's p-value. The site counts the figures
// (site/ab.ts) in statsd; they are read back from the stack's Graphite. The
// judgement is pure (`judge`); reading the figures is the thin edge.
import { compareRates, rateOf, type Difference, type Rate } from '../lib/proportions.ts';
import type { Context } from '../lib/paths.ts';
import { readFleet } from '../stacks/fleet-config.ts';
import { graphiteSeries } from '../stacks/graphite.ts';
import { flagList, parseFlags, type Flag } from '../site/flags.ts';
import { currentFlags } from './steps.ts';

export interface VariantFigures {
  variant: string;
  visitors: number;
  conversions: number;
  requests: number;
  errors: number;
  /** the requests' latency: the median of statsd's per-second medians, weighted by requests */
  p50Ms: number | null;
  /** the highest per-second 99th percentile of the window */
  p99Ms: number | null;
}

export interface VariantReport extends VariantFigures {
  conversion: Rate;
  errorRate: Rate;
  /** against the control; absent for the control itself */
  versusControl?: { conversion: Difference; errors: Difference };
}

export interface AbReport {
  flag: string;
  stack: string;
  /** ISO 8601, the window read */
  from: string;
  until: string;
  control: string;
  variants: VariantReport[];
  /** below this many visitors in a variant, its comparison says nothing yet */
  minVisitors: number;
  /** every variant has its minimum */
  enoughData: boolean;
}

/** Fewer visitors than this in a variant: "not enough data yet". */
export const defaultMinVisitors = 100;

/** The control is a variant named control, else the first the flag lists. */
export function controlOf(variants: readonly string[]): string {
  return variants.includes('control') ? 'control' : variants[0]!;
}

export function judge(
  flag: { name: string; stack: string; from: string; until: string },
  figures: readonly VariantFigures[],
  minVisitors = defaultMinVisitors,
): AbReport {
  const control = controlOf(figures.map((f) => f.variant));
  const rates = (f: VariantFigures) => ({
    conversion: rateOf(f.conversions, f.visitors),
    errorRate: rateOf(f.errors, f.requests),
  });
  const base = rates(figures.find((f) => f.variant === control)!);
  const variants = figures.map((f): VariantReport => {
    const own = rates(f);
    return {
      ...f,
      ...own,
      ...(f.variant !== control && {
        versusControl: {
          conversion: compareRates(base.conversion, own.conversion),
          errors: compareRates(base.errorRate, own.errorRate),
        },
      }),
    };
  });
  return {
    flag: flag.name,
    stack: flag.stack,
    from: flag.from,
    until: flag.until,
    control,
    variants,
    minVisitors,
    enoughData: figures.every((f) => f.visitors >= minVisitors),
  };
}

/** The median of per-second medians, each weighted by its second's requests. */
export function weightedMedian(values: readonly (number | null)[], weights: readonly (number | null)[]): number | null {
  const pairs = values
    .map((value, i) => [value, weights[i] ?? 0] as const)
    .filter((pair): pair is readonly [number, number] => pair[0] !== null && pair[1] > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = pairs.reduce((sum, [, weight]) => sum + weight, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const [value, weight] of pairs) {
    seen += weight;
    if (seen >= total / 2) return value;
  }
  return pairs.at(-1)![0];
}

/** A variant's figures in a window, from the stack's Graphite. */
export async function readVariantFigures(
  graphiteUrl: string,
  prefix: string,
  flag: string,
  variant: string,
  from: number,
  until: number,
): Promise<VariantFigures> {
  const at = `${prefix}.ab.${flag}.${variant}`;
  const series = (target: string) => graphiteSeries(graphiteUrl, target, from, until);
  const sum = (values: (number | null)[]) => values.reduce<number>((total, v) => total + (v ?? 0), 0);
  const [visitors, conversions, requests, errors, medians, counts, p99s] = await Promise.all([
    series(`stats.counters.${at}.visitors.count`),
    series(`stats.counters.${at}.conversions.count`),
    series(`stats.counters.${at}.requests.count`),
    series(`stats.counters.${at}.errors.count`),
    series(`stats.timers.${at}.latency.median`),
    series(`stats.timers.${at}.latency.count`),
    series(`stats.timers.${at}.latency.upper_99`),
  ]);
  const highs = p99s.filter((v): v is number => v !== null);
  return {
    variant,
    visitors: sum(visitors),
    conversions: sum(conversions),
    requests: sum(requests),
    errors: sum(errors),
    p50Ms: weightedMedian(medians, counts),
    p99Ms: highs.length > 0 ? Math.max(...highs) : null,
  };
}

/** The flags a stack runs now (its web replicas' shared file), as the flags file lists them. */
export async function runningFlags(ctx: Context, stack: string): Promise<readonly Flag[]> {
  const fleet = await readFleet(ctx, stack);
  const parsed = parseFlags(await currentFlags(stack, fleet?.hosts));
  if (!parsed.ok) throw new Error(`${stack}'s flags file has problems: ${parsed.error}`);
  return flagList(parsed.flags);
}

/** One flag's report on a stack between two instants (ms since the epoch), its figures read from the stack's Graphite. */
export async function reportFlag(
  graphiteUrl: string,
  prefix: string,
  stack: string,
  flag: Flag,
  from: number,
  until: number,
): Promise<AbReport> {
  const figures = await Promise.all(
    flag.variants.map((variant) => readVariantFigures(graphiteUrl, prefix, flag.name, variant.name, from, until)),
  );
  return judge(
    { name: flag.name, stack, from: new Date(from).toISOString(), until: new Date(until).toISOString() },
    figures,
  );
}
