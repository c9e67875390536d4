// The jobs table as a queue. A job is claimed with FOR UPDATE SKIP LOCKED and
// worked on inside that transaction, so each runs on one worker at a time and a
// crashed worker's job simply becomes claimable again.
import type { Pool } from './db.ts';
import { backoff } from './backoff.ts';

export interface Job {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

/** What a job kind does; `query` runs inside the job's transaction. */
export type JobHandler = (job: Job, query: (sql: string, values: unknown[]) => Promise<unknown>) => Promise<void>;

export type JobOutcome =
  | { ran: false }
  | { ran: true; job: Job; ok: true }
  | { ran: true; job: Job; ok: false; error: string; gaveUp: boolean };

/** Seconds before a failed job is tried again: 2, 4, 8, ... at most 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return backoff(attempts, 2, 300);
}

/** Queues a thumbnail for `file` unless one exists; a finished or failed job for it is queued afresh. */
export async function enqueueThumbnail(pool: Pool, file: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO jobs (kind, key, payload)
     SELECT 'thumbnail', $1::text, jsonb_build_object('file', $1::text)
      WHERE NOT EXISTS (SELECT 1 FROM thumbnails WHERE file = $1::text)
     ON CONFLICT (kind, key) DO UPDATE
        SET state = 'queued', attempts = 0, last_error = NULL, run_after = now(), updated_at = now()
      WHERE jobs.state <> 'queued'`,
    [file],
  );
  return (rowCount ?? 0) > 0;
}

/** Claims the next ready job, runs it with its handler and records the outcome. */
export async function runNextJob(pool: Pool, handlers: Readonly<Record<string, JobHandler>>): Promise<JobOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<Job>(
      `SELECT id, kind, key, payload, attempts, max_attempts AS "maxAttempts"
         FROM jobs
        WHERE state = 'queued' AND run_after <= now()
        ORDER BY run_after, id
        LIMIT 1
          FOR UPDATE SKIP LOCKED`,
    );
    const job = rows[0];
    if (!job) {
      await client.query('COMMIT');
      client.release();
      return { ran: false };
    }
    let outcome: JobOutcome;
    await client.query('SAVEPOINT job');
    try {
      const handler = handlers[job.kind];
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler(job, (sql, values) => client.query(sql, values));
      await client.query(
        `UPDATE jobs SET state = 'done', attempts = attempts + 1, last_error = NULL, updated_at = now() WHERE id = $1`,
        [job.id],
      );
      outcome = { ran: true, job, ok: true };
    } catch (error) {
      // Undo what the handler wrote, keep the lock, record the failure.
      await client.query('ROLLBACK TO SAVEPOINT job');
      const message = (error as Error).message;
      const gaveUp = job.attempts + 1 >= job.maxAttempts;
      await client.query(
        `UPDATE jobs
            SET attempts = attempts + 1, last_error = $2, state = $3,
                run_after = now() + make_interval(secs => $4), updated_at = now()
          WHERE id = $1`,
        [job.id, message, gaveUp ? 'failed' : 'queued', retryDelaySeconds(job.attempts)],
      );
      outcome = { ran: true, job, ok: false, error: message, gaveUp };
    }
    await client.query('COMMIT');
    client.release();
    return outcome;
  } catch (error) {
    // The connection may be in any state: close it rather than reuse it.
    client.release(error as Error);
    throw error;
  }
}
