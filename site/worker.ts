// The worker role: runs jobs from the jobs table. Polls every 500 ms while the
// queue is empty and goes straight on to the next job while it is not.
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoff } from './backoff.ts';
import { readConfig } from './config.ts';
import { setUpDatabase } from './database-setup.ts';
import { createPool, ping } from './db.ts';
import { runNextJob, type JobHandler } from './jobs.ts';
import { retryFor } from './retry.ts';
import { createStatsd } from './statsd.ts';
import { thumbnailJob } from './thumbnail.ts';

const pollMs = 500;
/** The heartbeat is touched at most this often: the health check allows 20 s. */
const heartbeatMs = 2000;

const config = readConfig(process.env);
const statsd = createStatsd(config.statsd, config.statsdPrefix);
const pool = createPool(config.databaseUrl, 2);
const handlers: Record<string, JobHandler> = { thumbnail: thumbnailJob(config.teamDir) };

const stopped = new AbortController();
let working = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // Still waiting for the database: nothing to finish.
    if (!working) process.exit(0);
    if (stopped.signal.aborted) return;
    console.log(`worker: ${signal}, stopping after the job in hand`);
    stopped.abort();
  });
}

try {
  await retryFor('db', 60_000, () => ping(pool));
  // The web runs the same migrations; whichever role starts first creates the tables.
  await setUpDatabase(pool, null);
} catch (error) {
  console.error(`worker: cannot start: ${(error as Error).message}`);
  process.exit(1);
}
console.log(`worker: running jobs of kind ${Object.keys(handlers).join(', ')}`);
working = true;

// The container's health check reads the heartbeat's age (roles/worker.ts).
const { heartbeatFile } = config;
let lastBeat = 0;
const beat = async (): Promise<void> => {
  const now = Date.now();
  if (heartbeatFile === undefined || now - lastBeat < heartbeatMs) return;
  lastBeat = now;
  await writeFile(heartbeatFile, `${new Date(now).toISOString()}\n`).catch((error: Error) =>
    console.error(`worker: heartbeat: ${error.message}`),
  );
};

let failures = 0;
while (!stopped.signal.aborted) {
  let wait = pollMs;
  try {
    const started = performance.now();
    const outcome = await runNextJob(pool, handlers);
    failures = 0;
    await beat();
    if (outcome.ran) {
      wait = 0;
      const ms = performance.now() - started;
      const name = `${outcome.job.kind} ${outcome.job.key}`;
      statsd.timing('jobs.latency', ms);
      if (outcome.ok) {
        statsd.increment('jobs.done');
        console.log(`worker: ${name} done in ${ms.toFixed(0)} ms`);
      } else {
        statsd.send([
          { name: 'jobs.failed', value: 1, type: 'c' },
          ...(outcome.gaveUp ? [{ name: 'jobs.gave_up', value: 1, type: 'c' as const }] : []),
        ]);
        console.error(`worker: ${name} failed${outcome.gaveUp ? ' for the last time' : ''}: ${outcome.error}`);
      }
    }
  } catch (error) {
    // The database went away: keep trying, more slowly.
    wait = backoff(failures++, pollMs, 5000);
    statsd.increment('worker.errors');
    console.error(`worker: ${(error as Error).message}; retrying in ${wait} ms`);
  }
  if (wait > 0) await sleep(wait, undefined, { signal: stopped.signal }).catch(() => {});
}

await pool.end();
statsd.close();
process.exit(0);
