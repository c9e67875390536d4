// Every log line of princess and prod, live: each container of both stacks on
// every engine they run on (this machine's, or each host of their fleet), merged
// into one stream the log page subscribes to (Etsy's Supergrep). The hub follows
// the containers only while someone watches, looks for new ones (a deploy
// replaces them) every few seconds, keeps the last lines in a ring of fixed size,
// and gives each subscriber a bounded backlog: a subscriber that cannot keep up
// is told how many lines it missed instead of making the service hold them, so
// the service's memory stays flat.
import type Docker from 'dockerode';
import type { Context } from '../lib/paths.ts';
import { labelKeys } from '../stacks/docker-client.ts';
import { readFleet } from '../stacks/fleet-config.ts';
import { stackEngines } from '../stacks/host-engine.ts';
import { FrameSplitter, mergeByTime, type LogLine } from '../stacks/log-lines.ts';

export const watchedStacks = ['princess', 'prod'] as const;

export interface LiveLine {
  /** a number of the hub's own, increasing: the page's key for a line */
  seq: number;
  /** RFC 3339, as Docker stamped it */
  time: string;
  stack: string;
  /** the fleet host, when the stack runs on one */
  host?: string;
  /** the container's name without its stack: web-1, db */
  container: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Subscriber {
  /** hands the subscriber a line; false when it cannot take more now (its backlog is full) */
  send(line: LiveLine): boolean;
  /** told when it can take lines again, with how many it missed */
  missed(count: number): void;
}

export interface Subscription {
  /** the subscriber can take lines again: it is told what it missed, and lines flow again */
  drained(): void;
  close(): void;
}

/** Longer lines are cut: a line is for reading, and a filter's time grows with its length. */
export const maxLineLength = 2000;
const ringSize = 2000;
const rescanMs = 3000;

/** A container being followed: its log stream, to close. */
interface Followed {
  close(): void;
}

export interface LiveLogs {
  /** the last lines, oldest first, then every new line until the subscription is closed */
  subscribe(subscriber: Subscriber): Subscription;
  /** lines of both stacks between two times, merged, from the engines (for a deploy's window) */
  between(from: string, until: string, limit: number): Promise<LiveLine[]>;
}

function cut(text: string): string {
  return text.length > maxLineLength ? `${text.slice(0, maxLineLength)}...` : text;
}

type Found = Awaited<ReturnType<typeof containersOf>>[number];

/** A line of a followed container as the page gets it (its number given when it is published). */
function liveLine(found: Found, line: LogLine): Omit<LiveLine, 'seq'> {
  return {
    time: line.time,
    stack: found.stack,
    ...(found.host && { host: found.host }),
    container: found.name.slice(found.stack.length + 1),
    stream: line.stream,
    text: cut(line.text),
  };
}

async function containersOf(ctx: Context): Promise<{ docker: Docker; stack: string; host?: string; name: string }[]> {
  const found = await Promise.all(
    watchedStacks.map(async (stack) => {
      const fleet = await readFleet(ctx, stack).catch(() => undefined);
      const engines = await stackEngines(fleet?.hosts);
      const lists = await Promise.all(
        engines.map(async ({ host, docker }) => {
          const listed = await docker
            .listContainers({ filters: { label: [`${labelKeys.stack}=${stack}`] } })
            .catch(() => []);
          return listed.map((c) => ({
            docker,
            stack,
            ...(host && { host: host.name }),
            name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
          }));
        }),
      );
      return lists.flat();
    }),
  );
  return found.flat();
}

/**
 * The fan-out, without the engines: the last `ringSize` lines for whoever
 * subscribes, then every new line to each subscriber that can take it, and a
 * count of the lines it could not take. `onFirst` and `onLast` start and stop
 * whatever produces the lines.
 */
export function lineFanout(options: { ringSize: number; onFirst(): void; onLast(): void }) {
  const ring: LiveLine[] = [];
  // full: the subscriber took its last line but asked for no more until it drains (as a socket's write does)
  const subscribers = new Set<{ subscriber: Subscriber; full: boolean; missed: number }>();
  const offer = (entry: { subscriber: Subscriber; full: boolean; missed: number }, line: LiveLine) => {
    if (entry.full) entry.missed++;
    else entry.full = !entry.subscriber.send(line);
  };
  let seq = 0;
  return {
    publish(line: Omit<LiveLine, 'seq'>): void {
      const live: LiveLine = { ...line, seq: ++seq, text: cut(line.text) };
      ring.push(live);
      if (ring.length > options.ringSize) ring.shift();
      for (const entry of subscribers) offer(entry, live);
    },
    subscribe(subscriber: Subscriber): Subscription {
      const entry = { subscriber, full: false, missed: 0 };
      for (const line of ring) offer(entry, line);
      subscribers.add(entry);
      if (subscribers.size === 1) options.onFirst();
      return {
        drained() {
          entry.full = false;
          if (entry.missed === 0) return;
          const missed = entry.missed;
          entry.missed = 0;
          subscriber.missed(missed);
        },
        close() {
          if (!subscribers.delete(entry)) return;
          if (subscribers.size === 0) options.onLast();
        },
      };
    },
    /** how many lines the ring holds now (never more than its size) */
    held: () => ring.length,
  };
}

export function liveLogs(ctx: Context): LiveLogs {
  const followed = new Map<string, Followed>();
  /** when each container's last stream ended: a container replaced under the same name is read from then on */
  const endedAt = new Map<string, number>();
  let watchingSince = 0;
  let rescan: NodeJS.Timeout | undefined;

  const follow = async (found: Found, key: string) => {
    const stream = (await found.docker.getContainer(found.name).logs({
      stdout: true,
      stderr: true,
      timestamps: true,
      follow: true,
      since: Math.floor((endedAt.get(key) ?? watchingSince) / 1000),
    })) as NodeJS.ReadableStream & { destroy(): void };
    const splitter = new FrameSplitter(found.name);
    const emit = (lines: LogLine[]) => {
      for (const line of lines) fanout.publish(liveLine(found, line));
    };
    stream.on('data', (chunk: Buffer) => emit(splitter.push(chunk)));
    stream.on('error', () => {});
    stream.on('end', () => {
      emit(splitter.flush());
      followed.delete(key);
      endedAt.set(key, Date.now());
    });
    followed.set(key, { close: () => stream.destroy() });
  };

  const scan = async () => {
    const found = await containersOf(ctx).catch(() => []);
    for (const container of found) {
      const key = `${container.host ?? ''}/${container.name}`;
      if (followed.has(key)) continue;
      // Marked before the stream opens, so two scans never follow one container twice.
      followed.set(key, { close: () => {} });
      await follow(container, key).catch(() => followed.delete(key));
    }
  };

  const start = () => {
    watchingSince = Date.now();
    endedAt.clear();
    void scan();
    rescan = setInterval(() => void scan(), rescanMs);
  };
  const stop = () => {
    clearInterval(rescan);
    rescan = undefined;
    for (const each of followed.values()) each.close();
    followed.clear();
  };

  const fanout = lineFanout({ ringSize, onFirst: start, onLast: stop });

  return {
    subscribe: (subscriber) => fanout.subscribe(subscriber),

    async between(from, until, limit) {
      const since = Math.floor(Date.parse(from) / 1000);
      const to = Math.ceil(Date.parse(until) / 1000);
      const found = await containersOf(ctx);
      const lines = await Promise.all(
        found.map(async (container) => {
          const buffer = (await container.docker
            .getContainer(container.name)
            .logs({ stdout: true, stderr: true, timestamps: true, since, until: to, follow: false })
            .catch(() => Buffer.alloc(0))) as unknown as Buffer;
          const splitter = new FrameSplitter(container.name);
          return [...splitter.push(buffer), ...splitter.flush()].map((line) => liveLine(container, line));
        }),
      );
      return mergeByTime(lines)
        .slice(-limit)
        .map((line, index) => ({ ...line, seq: index + 1 }));
    },
  };
}
