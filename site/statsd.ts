// A statsd client on UDP: fire and forget. Sending never throws and never waits,
// so metrics cannot slow down or break a request, and a missing statsd is fine.
import { createSocket } from 'node:dgram';
import type { HostPort } from './config.ts';
import { packetFormatter, type Metric } from './statsd-line.ts';

export interface Statsd {
  send(metrics: readonly Metric[]): void;
  /**
   * Counters added up here and sent once a second: for counts taken on every
   * request (flag exposures), where statsd would only add them up itself.
   */
  tally(counters: readonly Metric[]): void;
  increment(name: string, by?: number): void;
  timing(name: string, ms: number): void;
  gauge(name: string, value: number): void;
  close(): void;
}

const tallyFlushMs = 1000;

export function createStatsd(target: HostPort, prefix: string): Statsd {
  const socket = createSocket('udp4');
  // An unreachable or unresolvable statsd surfaces here; metrics are best effort.
  socket.on('error', () => {});
  socket.unref();
  let closed = false;
  const formatPacket = packetFormatter(prefix);

  const send = (metrics: readonly Metric[]): void => {
    if (closed) return;
    const packet = formatPacket(metrics);
    if (packet === '') return;
    try {
      socket.send(packet, target.port, target.host, () => {});
    } catch {
      // e.g. the socket was closed underneath us; dropping a metric is fine
    }
  };

  const tallied = new Map<string, number>();
  const flushTally = (): void => {
    if (tallied.size === 0) return;
    send([...tallied].map(([name, value]) => ({ name, value, type: 'c' as const })));
    tallied.clear();
  };
  const flusher = setInterval(flushTally, tallyFlushMs);
  flusher.unref();

  return {
    send,
    tally: (counters) => {
      for (const counter of counters) tallied.set(counter.name, (tallied.get(counter.name) ?? 0) + counter.value);
    },
    increment: (name, by = 1) => send([{ name, value: by, type: 'c' }]),
    timing: (name, ms) => send([{ name, value: ms, type: 'ms' }]),
    gauge: (name, value) => send([{ name, value, type: 'g' }]),
    close: () => {
      if (closed) return;
      clearInterval(flusher);
      const last = formatPacket([...tallied].map(([name, value]) => ({ name, value, type: 'c' as const })));
      closed = true;
      // The last tally goes out before the socket closes (closing at once would drop it).
      if (last === '') return socket.close();
      try {
        socket.send(last, target.port, target.host, () => socket.close());
      } catch {
        socket.close();
      }
    },
  };
}
