// The statsd wire format: `<prefix>.<name>:<value>|<type>[|@<rate>]`, several
// metrics to a datagram separated by newlines.

export type MetricType = 'c' | 'ms' | 'g';

export interface Metric {
  name: string;
  value: number;
  type: MetricType;
  /** sampling rate in (0, 1]; omitted when 1 */
  rate?: number;
}

/** Characters statsd and Graphite treat specially become underscores. */
export function metricName(prefix: string, name: string): string {
  const full = prefix === '' ? name : `${prefix}.${name}`;
  return full.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** One metric's line, or null when its value cannot be sent (NaN, infinity). */
export function formatMetric(prefix: string, metric: Metric): string | null {
  return lineOf(metricName(prefix, metric.name), metric);
}

export function formatPacket(prefix: string, metrics: readonly Metric[]): string {
  return packetFormatter(prefix)(metrics);
}

/**
 * formatPacket for one prefix, remembering the line of each counter of 1 (a
 * request's packet repeats them: requests, status, the flags' exposures) and the
 * cleaned-up full name of anything else: cleaning names was most of the cost.
 */
export function packetFormatter(prefix: string): (metrics: readonly Metric[]) => string {
  const names = new Map<string, string>();
  const countedOnce = new Map<string, string>();
  // Names come from the code and the flags file; the bound is for a name made from input by mistake.
  const remember = (cache: Map<string, string>, name: string, value: string): string => {
    if (cache.size < 10_000) cache.set(name, value);
    return value;
  };
  const fullName = (name: string): string => names.get(name) ?? remember(names, name, metricName(prefix, name));
  const line = (metric: Metric): string | null =>
    metric.value === 1 && metric.type === 'c' && metric.rate === undefined
      ? (countedOnce.get(metric.name) ?? remember(countedOnce, metric.name, `${fullName(metric.name)}:1|c`))
      : lineOf(fullName(metric.name), metric);
  return (metrics) => {
    let packet = '';
    for (const metric of metrics) {
      const next = line(metric);
      if (next !== null) packet = packet === '' ? next : `${packet}\n${next}`;
    }
    return packet;
  };
}

function lineOf(fullName: string, metric: Metric): string | null {
  if (!Number.isFinite(metric.value)) return null;
  const value = metric.type === 'c' ? Math.round(metric.value) : Math.round(metric.value * 1000) / 1000;
  const rate = metric.rate !== undefined && metric.rate > 0 && metric.rate < 1 ? `|@${metric.rate}` : '';
  return `${fullName}:${value}|${metric.type}${rate}`;
}
