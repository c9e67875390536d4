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
  if (!Number.isFinite(metric.value)) return null;
  const value = metric.type === 'c' ? Math.round(metric.value) : Math.round(metric.value * 1000) / 1000;
  const rate = metric.rate !== undefined && metric.rate > 0 && metric.rate < 1 ? `|@${metric.rate}` : '';
  return `${metricName(prefix, metric.name)}:${value}|${metric.type}${rate}`;
}

export function formatPacket(prefix: string, metrics: readonly Metric[]): string {
  return metrics
    .map((metric) => formatMetric(prefix, metric))
    .filter((line) => line !== null)
    .join('\n');
}
