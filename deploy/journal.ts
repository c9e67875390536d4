// A running deploy's journal on the deploy service: its log lines (batched, so a
// chatty step costs one request a few times a second) and the heartbeat that
// keeps its lock. If the service stops answering, the deploy goes on: the lines
// are kept for the end and the local log has them all.
import { appendFile } from 'node:fs/promises';
import type { OpsClient } from './client.ts';

export interface Journal {
  say(line: string): void;
  close(): Promise<void>;
}

const flushMs = 300;
const heartbeatMs = 5000;

export function openJournal(ops: OpsClient, user: string, deployId: number, localLog: string): Journal {
  let pending: string[] = [];
  let sending: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (pending.length === 0) return sending;
    const lines = pending;
    pending = [];
    sending = sending.then(() => ops.log(user, deployId, lines).catch(() => void (pending = [...lines, ...pending])));
    return sending;
  };
  const flusher = setInterval(() => void flush(), flushMs);
  // A missed beat is retried at the next one; the service waits a minute before it gives up on a deploy.
  const beat = setInterval(() => void ops.heartbeat(user, deployId).catch(() => {}), heartbeatMs);
  return {
    say(line) {
      const lines = line.split('\n').filter((l) => l.trim() !== '');
      pending.push(...lines);
      // The local log is a copy: the deploy goes on without it, and the service keeps every line.
      void appendFile(localLog, lines.map((l) => `${new Date().toISOString()} ${l}\n`).join('')).catch(() => {});
    },
    async close() {
      clearInterval(flusher);
      clearInterval(beat);
      await flush();
      await flush(); // lines put back by a failed send get one more try
    },
  };
}
