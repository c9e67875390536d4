// A bounded load from a loopback client: GETs at a steady rate until stopped, or
// until its own count or time limit, whichever comes first. Counts failures
// (network errors and non-200 answers) and keeps each request's latency.
export interface LoadReport {
  sent: number;
  failed: number;
  failures: string[];
  latenciesMs: number[];
}

export interface Load {
  stop(): Promise<LoadReport>;
}

export function startLoad(url: string, perSecond: number, limits: { maxRequests: number; maxSeconds: number }): Load {
  // Loopback, or a host of the local fleet the tests made (10.213.0.0/24): nowhere else.
  if (!/^http:\/\/(127\.0\.0\.1|10\.213\.0\.\d{1,3}):/.test(url))
    throw new Error(`load goes to loopback or the local fleet's hosts only, not ${url}`);
  const report: LoadReport = { sent: 0, failed: 0, failures: [], latenciesMs: [] };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const one = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      report.latenciesMs.push(performance.now() - t0);
    } catch (error) {
      report.failed++;
      if (report.failures.length < 20) report.failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    if (report.sent >= limits.maxRequests || performance.now() - started > limits.maxSeconds * 1000)
      return clearInterval(timer);
    report.sent++;
    const request = one().finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return report;
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
