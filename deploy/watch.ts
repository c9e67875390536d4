// The post-deploy watch: error rate and latency after the roll, from Graphite,
// against the minutes before the deploy. Pure verdict, thin fetch. Thresholds
// live with the site (site/watch.yaml), so a release carries its own.
import { parse } from 'yaml';
import { graphiteSeries } from '../stacks/graphite.ts';

export interface WindowStats {
  requests: number;
  errors: number;
  /** the 99th percentile of request latency, the worst 1 s point of the window */
  p99Ms: number | null;
}

export interface WatchThresholds {
  /** how much the error rate may grow (absolute: 0.02 = 2 percentage points) */
  errorRateIncrease: number;
  /** latency p99 may grow by this factor... */
  latencyFactor: number;
  /** ...and this many milliseconds, whichever is more (tiny baselines are noisy) */
  latencyIncreaseMs: number;
  /** fewer requests than this after the deploy: too little to judge errors by */
  minRequests: number;
}

export const defaultThresholds: WatchThresholds = {
  errorRateIncrease: 0.02,
  latencyFactor: 2,
  latencyIncreaseMs: 100,
  minRequests: 20,
};

const limits: Record<keyof WatchThresholds, [number, number]> = {
  errorRateIncrease: [0, 1],
  latencyFactor: [1, 100],
  latencyIncreaseMs: [0, 60_000],
  minRequests: [0, 1_000_000],
};

/** The thresholds of a watch.yaml (each key optional, defaults for the rest); throws naming the problem. */
export function parseThresholds(text: string): WatchThresholds {
  const document: unknown = parse(text) ?? {};
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new Error('watch.yaml must be a map of threshold name to number');
  const thresholds = { ...defaultThresholds };
  for (const [key, value] of Object.entries(document)) {
    if (!(key in limits))
      throw new Error(`watch.yaml: unknown key "${key}" (known: ${Object.keys(limits).join(', ')})`);
    const [low, high] = limits[key as keyof WatchThresholds];
    if (typeof value !== 'number' || !(value >= low && value <= high))
      throw new Error(`watch.yaml: ${key} must be a number from ${low} to ${high}, got ${JSON.stringify(value)}`);
    thresholds[key as keyof WatchThresholds] = value;
  }
  return thresholds;
}

export interface Verdict {
  regressed: boolean;
  reasons: string[];
  before: WindowStats;
  after: WindowStats;
}

const rate = (w: WindowStats) => (w.requests === 0 ? 0 : w.errors / w.requests);
const percent = (r: number) => `${(r * 100).toFixed(1)}%`;

export function watchVerdict(before: WindowStats, after: WindowStats, t: WatchThresholds = defaultThresholds): Verdict {
  const reasons: string[] = [];
  if (after.requests >= t.minRequests && rate(after) > rate(before) + t.errorRateIncrease) {
    reasons.push(
      `error rate ${percent(rate(after))} after the deploy, ${percent(rate(before))} before (${after.errors} of ${after.requests} requests failed)`,
    );
  }
  if (after.p99Ms !== null && before.p99Ms !== null) {
    const limit = Math.max(before.p99Ms * t.latencyFactor, before.p99Ms + t.latencyIncreaseMs);
    if (after.p99Ms > limit)
      reasons.push(`latency p99 ${after.p99Ms.toFixed(0)} ms after the deploy, ${before.p99Ms.toFixed(0)} ms before`);
  }
  return { regressed: reasons.length > 0, reasons, before, after };
}

/** Requests, errors and p99 latency of the site between two instants (ms since the epoch). */
export async function windowStats(
  graphiteUrl: string,
  prefix: string,
  from: number,
  until: number,
): Promise<WindowStats> {
  const sum = (values: (number | null)[]) => values.reduce<number>((total, v) => total + (v ?? 0), 0);
  const [requests, errors, p99] = await Promise.all([
    graphiteSeries(graphiteUrl, `stats.counters.${prefix}.requests.count`, from, until),
    graphiteSeries(graphiteUrl, `stats.counters.${prefix}.errors.count`, from, until),
    graphiteSeries(graphiteUrl, `stats.timers.${prefix}.latency.upper_99`, from, until),
  ]);
  const latencies = p99.filter((v): v is number => v !== null);
  return { requests: sum(requests), errors: sum(errors), p99Ms: latencies.length > 0 ? Math.max(...latencies) : null };
}
