// The copy through the scrubber spread over worker threads: scrubbing is CPU in
// JavaScript (an HMAC per value, free-text redaction), so one thread caps the
// rebuild. Big tables are cut into key ranges so the workers stay evenly busy;
// each worker takes the next part when it finishes one. Every worker reads
// production inside the rebuild's exported snapshot, so the parts together are
// exactly the snapshot's rows.
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import { mergeFinds, type ContactFinds, type SharedContactFilter } from './contact-filter.ts';
import type { ColumnRule } from './scrub-rules.ts';
import type { CopyPart } from './table-copy.ts';

export interface WorkerSetup {
  prod: pg.ClientConfig;
  next: pg.ClientConfig;
  /** pg_export_snapshot() of the rebuild's production transaction, open until the copy ends. */
  snapshot: string;
  key: Uint8Array;
  knownNameTokens: string[];
  rules: ColumnRule[];
  /** table.column of every column whose values must all come out changed (counted row by row). */
  mustChange: string[];
  /** table.column of the free-text columns whose every value is checked against production's emails and phones in `contacts` */
  textColumns: string[];
  contacts: SharedContactFilter;
}

export type ToWorker = { type: 'copy'; id: number; part: CopyPart } | { type: 'stop' };
export type FromWorker =
  | { type: 'progress'; id: number; rows: number }
  | {
      type: 'done';
      id: number;
      rows: number;
      bytes: number;
      unchanged: Record<string, number>;
      contacts: Record<string, ContactFinds>;
      progressRows: number;
    }
  | { type: 'failed'; id: number; message: string };

export interface TableCopied {
  table: string;
  rows: number;
  bytes: number;
  seconds: number;
  /** Per column that must change: values that came out unchanged. */
  unchanged: Record<string, number>;
  /** Per free-text column: what the filter of production's emails and phones may hold (to confirm). */
  contacts: Record<string, ContactFinds>;
}

export interface ParallelCopy {
  /** Settles when every part of `table` is copied, or with the copy's first error. */
  table(table: string): Promise<TableCopied>;
  /** Settles when every part is copied and the workers have exited. */
  finished: Promise<TableCopied[]>;
  /** Ends the workers now (their connections drop, so PostgreSQL aborts their COPY). */
  stop(): Promise<void>;
}

/** The parts of a table with `rows` keys from `min` to `max`: whole, or ranges of about `partRows` keys (pure). */
export function splitTable(
  table: string,
  columns: string[],
  key: { column: string; min: number; max: number } | undefined,
  partRows: number,
): CopyPart[] {
  if (!key || key.max - key.min < partRows) return [{ table, columns }];
  const parts: CopyPart[] = [];
  for (let from = key.min; from <= key.max; from += partRows) {
    // The last range is open-ended in spirit: it runs to max, which the snapshot fixes.
    parts.push({ table, columns, range: { key: key.column, from, to: Math.min(from + partRows - 1, key.max) } });
  }
  return parts;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  // Whoever awaits it sees the error; nobody awaiting it must not crash the process.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Starts `workers` threads copying `parts` (in the order given, each to the next
 * idle worker). `onRows` hears every 10,000 rows per part.
 */
export function copyInParallel(
  setup: WorkerSetup,
  parts: readonly CopyPart[],
  workers: number,
  onRows: (table: string, rows: number) => void,
): ParallelCopy {
  const tables = [...new Set(parts.map((p) => p.table))];
  const done = new Map(tables.map((t) => [t, deferred<TableCopied>()]));
  const totals = new Map(
    tables.map((t) => [
      t,
      {
        table: t,
        rows: 0,
        bytes: 0,
        seconds: 0,
        unchanged: {} as Record<string, number>,
        contacts: {} as Record<string, ContactFinds>,
        started: 0,
        partsLeft: parts.filter((p) => p.table === t).length,
      },
    ]),
  );
  const copied = (t: string): TableCopied => {
    const { table, rows, bytes, seconds, unchanged, contacts } = totals.get(t)!;
    return { table, rows, bytes, seconds, unchanged, contacts };
  };
  const finished = deferred<TableCopied[]>();
  const threads: Worker[] = [];
  const stopped = new Set<Worker>();
  let nextPart = 0;
  let failed = false;

  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    for (const d of done.values()) d.reject(error);
    finished.reject(error);
    void Promise.all(threads.map((t) => t.terminate()));
  };
  const give = (thread: Worker) => {
    if (failed) return;
    const id = nextPart++;
    const part = parts[id];
    if (!part) {
      stopped.add(thread);
      thread.postMessage({ type: 'stop' } satisfies ToWorker);
      return;
    }
    const total = totals.get(part.table)!;
    if (total.started === 0) total.started = performance.now();
    thread.postMessage({ type: 'copy', id, part } satisfies ToWorker);
  };

  const count = Math.max(1, Math.min(workers, parts.length));
  let exited = 0;
  for (let i = 0; i < count; i++) {
    const thread = new Worker(new URL('./copy-worker.ts', import.meta.url), { workerData: setup });
    threads.push(thread);
    thread.on('message', (message: FromWorker) => {
      const part = parts[message.id]!;
      if (message.type === 'progress') return onRows(part.table, message.rows);
      if (message.type === 'failed') return fail(new Error(message.message));
      onRows(part.table, message.progressRows);
      const total = totals.get(part.table)!;
      total.rows += message.rows;
      total.bytes += message.bytes;
      for (const [column, n] of Object.entries(message.unchanged))
        total.unchanged[column] = (total.unchanged[column] ?? 0) + n;
      for (const [column, finds] of Object.entries(message.contacts))
        total.contacts[column] = mergeFinds(total.contacts[column], finds);
      if (--total.partsLeft === 0) {
        total.seconds = (performance.now() - total.started) / 1000;
        done.get(part.table)!.resolve(copied(part.table));
      }
      give(thread);
    });
    thread.on('error', fail);
    thread.on('exit', (code) => {
      if (failed) return;
      if (!stopped.has(thread)) return fail(new Error(`a copy worker exited (code ${code}) before the copy was done`));
      if (++exited === count) finished.resolve(tables.map(copied));
    });
    give(thread);
  }

  return {
    table: (table) => done.get(table)?.promise ?? Promise.reject(new Error(`${table} is not among the tables copied`)),
    finished: finished.promise,
    stop: async () => {
      failed = true;
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}
