// The deploy service's memory, in its own PostgreSQL: the queue, the hold, the
// deploys (history and lock at once: at most one row is 'running', enforced by a
// unique index) and their logs. Decisions come from queue.ts; this reads and writes.
import pg from 'pg';
import { processAlive } from '../lib/processes.ts';
import {
  driverGone,
  groupsOf,
  refusal,
  awaitingGood,
  goodRefusal,
  type DeployAsk,
  type QueueEntry,
  type QueueState,
  type RunningDeploy,
  type Stage,
  type Train,
} from './queue.ts';
import { lifetimeMs, type CredentialKind, type Person } from './auth.ts';

const schema = `
CREATE TABLE IF NOT EXISTS entries (
  id bigserial PRIMARY KEY,
  user_name text NOT NULL,
  train text NOT NULL CHECK (train IN ('code', 'config')),
  commit text NOT NULL,
  repo text NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  group_id bigint,
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'done', 'left'))
);
CREATE UNIQUE INDEX IF NOT EXISTS one_place_per_user ON entries (user_name) WHERE state = 'waiting';
CREATE TABLE IF NOT EXISTS hold (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  held_by text NOT NULL,
  reason text NOT NULL,
  held_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS deploys (
  id bigserial PRIMARY KEY,
  train text NOT NULL,
  stage text NOT NULL,
  commit text NOT NULL,
  previous_commit text,
  users text[] NOT NULL,
  entry_ids bigint[] NOT NULL,
  changes text NOT NULL DEFAULT '',
  diff_stat text NOT NULL DEFAULT '',
  driver text NOT NULL,
  pid int NOT NULL,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed', 'rolled-back')),
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS one_deploy_at_a_time ON deploys ((true)) WHERE state = 'running';
-- the fleet hosts a deploy's stage ran on (none: the deploying machine's engine)
ALTER TABLE deploys ADD COLUMN IF NOT EXISTS hosts text[] NOT NULL DEFAULT '{}';
CREATE TABLE IF NOT EXISTS deploy_log (
  id bigserial PRIMARY KEY,
  deploy_id bigint NOT NULL REFERENCES deploys,
  at timestamptz NOT NULL DEFAULT now(),
  line text NOT NULL
);
CREATE INDEX IF NOT EXISTS deploy_log_by_deploy ON deploy_log (deploy_id, id);
CREATE TABLE IF NOT EXISTS credentials (
  id bigserial PRIMARY KEY,
  user_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('cli', 'session', 'login', 'press')),
  secret_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
-- who of a group said they checked their change on princess (.good), by the group's first deploy
CREATE TABLE IF NOT EXISTS goods (
  group_id bigint NOT NULL,
  user_name text NOT NULL,
  said_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, user_name)
);
CREATE TABLE IF NOT EXISTS repositories (
  user_name text NOT NULL,
  path text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_name, path)
);
`;

export type DeployState = 'running' | 'succeeded' | 'failed' | 'rolled-back';

export interface DeployRecord {
  id: number;
  train: Train;
  stage: Stage;
  commit: string;
  previousCommit: string | null;
  users: string[];
  entryIds: number[];
  changes: string;
  diffStat: string;
  /** the fleet hosts the stage ran on; empty: the deploying machine's engine */
  hosts: string[];
  driver: string;
  state: DeployState;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
}

export interface StartDeploy {
  ask: DeployAsk;
  /** the person who started it (from their credential): the history's "by" */
  by: string;
  commit: string;
  previousCommit: string | null;
  /** the head group as the driver saw it: if the queue changed since, it asks again */
  entryIds: number[];
  changes: string;
  diffStat: string;
  /** the fleet hosts the stage runs on; empty: the deploying machine's engine */
  hosts: string[];
  pid: number;
}

/** A CLI token as `devenv ops tokens` lists it (never the secret, which the store does not keep). */
export interface TokenRecord {
  id: number;
  user: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What a presented secret is: a live credential's person, or why it is not one. */
export type Identified = Person | 'revoked' | 'expired' | 'unknown';

/** A request the rules refuse: the message is for the person who asked. */
export class Refused extends Error {
  readonly status: number;
  constructor(message: string, status = 409) {
    super(message);
    this.status = status;
  }
}

const deployColumns = `id::int, train, stage, commit, previous_commit, users, entry_ids::int[], changes, diff_stat, hosts, driver, state, error,
  started_at, finished_at, extract(epoch FROM coalesce(finished_at, now()) - started_at)::float AS seconds`;

function deployFromRow(row: Record<string, unknown>): DeployRecord {
  return {
    id: row.id as number,
    train: row.train as Train,
    stage: row.stage as Stage,
    commit: row.commit as string,
    previousCommit: row.previous_commit as string | null,
    users: row.users as string[],
    entryIds: row.entry_ids as number[],
    changes: row.changes as string,
    diffStat: row.diff_stat as string,
    hosts: row.hosts as string[],
    driver: row.driver as string,
    state: row.state as DeployState,
    error: row.error as string | null,
    startedAt: (row.started_at as Date).toISOString(),
    finishedAt: row.finished_at ? (row.finished_at as Date).toISOString() : null,
    seconds: row.finished_at ? Math.round((row.seconds as number) * 10) / 10 : null,
  };
}

export interface Store {
  state(): Promise<QueueState>;
  join(user: string, train: Train, commit: string, repo: string): Promise<QueueEntry>;
  leave(user: string): Promise<boolean>;
  hold(by: string, reason: string): Promise<void>;
  /** the person checked their change on princess: prod need not wait for them */
  markGood(user: string): Promise<void>;
  release(): Promise<boolean>;
  startDeploy(start: StartDeploy): Promise<DeployRecord>;
  log(id: number, lines: string[]): Promise<void>;
  heartbeat(id: number): Promise<void>;
  finishDeploy(id: number, state: Exclude<DeployState, 'running'>, error: string | null): Promise<DeployRecord>;
  history(limit: number): Promise<DeployRecord[]>;
  deploy(id: number): Promise<DeployRecord | undefined>;
  logLines(id: number, after: number): Promise<{ id: number; at: string; line: string }[]>;
  /** keeps a credential's hash for a person; it lives as long as its kind does */
  addCredential(user: string, kind: CredentialKind, secretHash: string): Promise<void>;
  identify(secretHash: string): Promise<Identified>;
  /** a login link's code, used once: the person it was made for, or undefined */
  consumeLogin(secretHash: string): Promise<string | undefined>;
  tokens(): Promise<TokenRecord[]>;
  /** revokes every credential of the person at once; how many were live */
  revoke(user: string): Promise<number>;
  registerRepository(user: string, path: string): Promise<void>;
  repositoryRegistered(user: string, path: string): Promise<boolean>;
  /** the checkout the person's CLI registered last, if any */
  latestRepository(user: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function openStore(databaseUrl: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 6 });
  // The deploy service and the deploy bot open the store side by side: two CREATE TABLE IF NOT EXISTS
  // of one table at once collide in PostgreSQL's catalog, so the schema is made under a lock of its own.
  await pool.query(`BEGIN; SELECT pg_advisory_xact_lock(4243); ${schema}; COMMIT;`);

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One writer of the queue at a time: the rules read and then decide.
      await client.query('SELECT pg_advisory_xact_lock(4242)');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {}); // a lost connection rolls back by itself; the first error is rethrown
      throw error;
    } finally {
      client.release();
    }
  };

  const readState = async (db: pg.Pool | pg.PoolClient): Promise<QueueState> => {
    const entries = await db.query(
      `SELECT id::int, user_name, train, commit, repo, joined_at, group_id::int FROM entries WHERE state = 'waiting' ORDER BY id`,
    );
    const hold = await db.query('SELECT held_by, reason, held_at FROM hold');
    const running = await db.query(
      `SELECT id::int, stage, train, users, started_at, pid, heartbeat_at FROM deploys WHERE state = 'running'`,
    );
    const goods = await db.query(
      `SELECT user_name FROM goods WHERE group_id IN
         (SELECT group_id FROM entries WHERE state = 'waiting' AND group_id IS NOT NULL) ORDER BY said_at`,
    );
    const h = hold.rows[0];
    const r = running.rows[0];
    return {
      goods: goods.rows.map((row) => row.user_name as string),
      entries: entries.rows.map((row) => ({
        id: row.id,
        user: row.user_name,
        train: row.train,
        commit: row.commit,
        repo: row.repo,
        joinedAt: (row.joined_at as Date).toISOString(),
        groupId: row.group_id,
      })),
      hold: h ? { by: h.held_by, reason: h.reason, at: (h.held_at as Date).toISOString() } : null,
      running: r
        ? {
            id: r.id,
            stage: r.stage,
            train: r.train,
            users: r.users,
            startedAt: (r.started_at as Date).toISOString(),
            pid: r.pid,
            heartbeatAt: (r.heartbeat_at as Date).toISOString(),
          }
        : null,
    };
  };

  /** A deploy whose driver died holds nothing: it is marked failed, which frees the lock. */
  const expireGone = async (client: pg.PoolClient, running: RunningDeploy | null): Promise<boolean> => {
    const gone = running && driverGone(running, Date.now(), processAlive);
    if (!running || !gone) return false;
    await client.query(
      `UPDATE deploys SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state = 'running'`,
      [running.id, `stopped: ${gone}`],
    );
    await client.query('INSERT INTO deploy_log (deploy_id, line) VALUES ($1, $2)', [
      running.id,
      `deploy stopped: ${gone}; the lock is released`,
    ]);
    return true;
  };

  const deployById = async (db: pg.Pool | pg.PoolClient, id: number): Promise<DeployRecord | undefined> => {
    const { rows } = await db.query(`SELECT ${deployColumns} FROM deploys WHERE id = $1`, [id]);
    return rows[0] ? deployFromRow(rows[0]) : undefined;
  };

  return {
    state: () =>
      transaction(async (client) => {
        const state = await readState(client);
        return (await expireGone(client, state.running)) ? readState(client) : state;
      }),

    join: (user, train, commit, repo) =>
      transaction(async (client) => {
        const mine = (await readState(client)).entries.find((e) => e.user === user);
        if (mine?.groupId !== null && mine !== undefined) {
          throw new Refused(
            `${user} rides in a group that is deploying (commit ${mine.commit.slice(0, 10)}); join again after it finishes`,
          );
        }
        const { rows } = mine
          ? await client.query(
              `UPDATE entries SET train = $2, commit = $3, repo = $4 WHERE id = $1 RETURNING id::int, joined_at`,
              [mine.id, train, commit, repo],
            )
          : await client.query(
              `INSERT INTO entries (user_name, train, commit, repo) VALUES ($1, $2, $3, $4) RETURNING id::int, joined_at`,
              [user, train, commit, repo],
            );
        return {
          id: rows[0].id,
          user,
          train,
          commit,
          repo,
          joinedAt: (rows[0].joined_at as Date).toISOString(),
          groupId: null,
        };
      }),

    leave: (user) =>
      transaction(async (client) => {
        const state = await readState(client);
        const mine = state.entries.find((e) => e.user === user);
        if (!mine) return false;
        if (state.running && mine.groupId !== null && state.running.users.includes(user)) {
          throw new Refused(`${user}'s group is deploying (deploy #${state.running.id}): leave after it finishes`);
        }
        await client.query(`UPDATE entries SET state = 'left' WHERE id = $1`, [mine.id]);
        return true;
      }),

    markGood: (user) =>
      transaction(async (client) => {
        const { rows } = await client.query(
          `SELECT id::int, group_id::int FROM entries WHERE user_name = $1 AND state = 'waiting'`,
          [user],
        );
        const entry = rows[0] as { id: number; group_id: number | null } | undefined;
        if (!entry)
          throw new Refused(`${user} is not in the queue: .good is for a rider whose change runs on princess`);
        const onPrincess = await client.query(
          `SELECT 1 FROM deploys WHERE stage = 'princess' AND state = 'succeeded' AND $1 = ANY(entry_ids)`,
          [entry.id],
        );
        if (entry.group_id === null || onPrincess.rowCount === 0)
          throw new Refused(`princess does not run ${user}'s change yet: check it there once it does, then say .good`);
        await client.query(`INSERT INTO goods (group_id, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
          entry.group_id,
          user,
        ]);
      }),

    hold: async (by, reason) => {
      await pool.query(
        `INSERT INTO hold (id, held_by, reason) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET held_by = $1, reason = $2, held_at = now()`,
        [by, reason],
      );
    },

    release: async () => (await pool.query('DELETE FROM hold')).rowCount === 1,

    startDeploy: (start) =>
      transaction(async (client) => {
        let state = await readState(client);
        if (await expireGone(client, state.running)) state = await readState(client);
        const refused = refusal(state, start.ask, Date.now());
        if (refused) throw new Refused(refused, state.hold ? 423 : 409);
        const head = groupsOf(state.entries)[0]!;
        const headIds = head.entries.map((e) => e.id);
        if (headIds.join(',') !== [...start.entryIds].sort((a, b) => a - b).join(',')) {
          throw new Refused('the head of the queue changed while the deploy was being prepared: run it again');
        }
        if (start.ask.stage === 'prod' && !start.ask.force) {
          const waitingFor = awaitingGood(head, state.goods ?? [], start.by);
          if (waitingFor.length > 0) throw new Refused(goodRefusal(waitingFor));
        }
        if (start.ask.stage === 'prod' && head.train === 'code') {
          const rehearsed = await client.query(
            `SELECT 1 FROM deploys WHERE stage = 'princess' AND state = 'succeeded' AND commit = $1 AND entry_ids = $2::bigint[]`,
            [start.commit, headIds],
          );
          if (rehearsed.rowCount === 0) {
            throw new Refused(
              `commit ${start.commit.slice(0, 10)} has not passed princess for this group: run \`devenv deploy --to princess\` first`,
            );
          }
        }
        const { rows } = await client.query(
          `INSERT INTO deploys (train, stage, commit, previous_commit, users, entry_ids, changes, diff_stat, driver, pid, hosts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${deployColumns}`,
          [
            head.train,
            start.ask.stage,
            start.commit,
            start.previousCommit,
            head.entries.map((e) => e.user),
            headIds,
            start.changes,
            start.diffStat,
            start.ask.driver.kind === 'cli' ? start.by : `${start.by} on the deploy page`,
            start.pid,
            start.hosts,
          ],
        );
        const deploy = deployFromRow(rows[0]);
        // From the first deploy on, the group is fixed: later joiners form the next one.
        await client.query(`UPDATE entries SET group_id = $1 WHERE id = ANY($2::bigint[]) AND group_id IS NULL`, [
          deploy.id,
          headIds,
        ]);
        return deploy;
      }),

    log: async (id, lines) => {
      if (lines.length === 0) return;
      await pool.query(`INSERT INTO deploy_log (deploy_id, line) SELECT $1, unnest($2::text[])`, [id, lines]);
    },

    heartbeat: async (id) => {
      await pool.query(`UPDATE deploys SET heartbeat_at = now() WHERE id = $1 AND state = 'running'`, [id]);
    },

    finishDeploy: (id, state, error) =>
      transaction(async (client) => {
        const before = await deployById(client, id);
        if (!before) throw new Refused(`no deploy #${id}`, 404);
        if (before.state !== 'running') throw new Refused(`deploy #${id} already finished (${before.state})`);
        await client.query(`UPDATE deploys SET state = $2, error = $3, finished_at = now() WHERE id = $1`, [
          id,
          state,
          error,
        ]);
        // Live on prod: the group has shipped and leaves the queue.
        if (state === 'succeeded' && before.stage === 'prod') {
          await client.query(`UPDATE entries SET state = 'done' WHERE id = ANY($1::bigint[])`, [before.entryIds]);
        }
        return (await deployById(client, id))!;
      }),

    history: async (limit) =>
      (await pool.query(`SELECT ${deployColumns} FROM deploys ORDER BY id DESC LIMIT $1`, [limit])).rows.map(
        deployFromRow,
      ),

    deploy: (id) => deployById(pool, id),

    logLines: async (id, after) =>
      (
        await pool.query(
          `SELECT id::int, at, line FROM deploy_log WHERE deploy_id = $1 AND id > $2 ORDER BY id LIMIT 2000`,
          [id, after],
        )
      ).rows.map((row) => ({
        id: row.id,
        at: (row.at as Date).toISOString(),
        line: row.line,
      })),

    addCredential: async (user, kind, secretHash) => {
      const lifetime = lifetimeMs[kind];
      await pool.query(
        `INSERT INTO credentials (user_name, kind, secret_hash, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')`,
        [user, kind, secretHash, lifetime],
      );
    },

    identify: async (secretHash) => {
      const { rows } = await pool.query(
        `UPDATE credentials SET last_used_at = now() WHERE secret_hash = $1 AND kind <> 'login'
         RETURNING user_name, kind, revoked_at IS NOT NULL AS revoked, expires_at IS NOT NULL AND expires_at <= now() AS expired`,
        [secretHash],
      );
      const row = rows[0];
      if (!row) return 'unknown';
      if (row.revoked) return 'revoked';
      if (row.expired) return 'expired';
      return { user: row.user_name as string, kind: row.kind as CredentialKind };
    },

    consumeLogin: async (secretHash) =>
      (
        await pool.query(
          `UPDATE credentials SET revoked_at = now(), last_used_at = now()
           WHERE secret_hash = $1 AND kind = 'login' AND revoked_at IS NULL AND expires_at > now() RETURNING user_name`,
          [secretHash],
        )
      ).rows[0]?.user_name as string | undefined,

    tokens: async () =>
      (
        await pool.query(
          `SELECT id::int, user_name, created_at, last_used_at, revoked_at FROM credentials WHERE kind = 'cli' ORDER BY id`,
        )
      ).rows.map((row) => ({
        id: row.id,
        user: row.user_name,
        createdAt: (row.created_at as Date).toISOString(),
        lastUsedAt: row.last_used_at ? (row.last_used_at as Date).toISOString() : null,
        revokedAt: row.revoked_at ? (row.revoked_at as Date).toISOString() : null,
      })),

    revoke: async (user) =>
      (
        await pool.query(`UPDATE credentials SET revoked_at = now() WHERE user_name = $1 AND revoked_at IS NULL`, [
          user,
        ])
      ).rowCount ?? 0,

    registerRepository: async (user, path) => {
      // Registered again, it becomes the person's latest checkout: the one the deploy bot joins them with.
      await pool.query(
        `INSERT INTO repositories (user_name, path) VALUES ($1, $2)
         ON CONFLICT (user_name, path) DO UPDATE SET registered_at = now()`,
        [user, path],
      );
    },

    latestRepository: async (user) =>
      (
        await pool.query(
          `SELECT path FROM repositories WHERE user_name = $1 ORDER BY registered_at DESC, path LIMIT 1`,
          [user],
        )
      ).rows[0]?.path as string | undefined,

    repositoryRegistered: async (user, path) =>
      ((await pool.query(`SELECT 1 FROM repositories WHERE user_name = $1 AND path = $2`, [user, path])).rowCount ??
        0) > 0,

    close: () => pool.end(),
  };
}
