// The deploy service's API as the CLI uses it. Where it answers is fixed by the
// ops tier (its port base); DEVENV_OPS_URL points elsewhere when set.
import type { Group, QueueState, Train, DeployAsk, QueueEntry } from './queue.ts';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeployRecord, DeployState, StartDeploy, TokenRecord } from './store.ts';
import { newSecret, secretHash } from './auth.ts';
import type { Context } from '../lib/paths.ts';
import { hostPort } from '../stacks/ports.ts';
import { deployer } from '../roles/deployer.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { UserError } from '../lib/errors.ts';
import { writeFileAtomic } from '../lib/files.ts';

export type QueueView = QueueState & { groups: Group[] };

export function opsUrl(): string {
  return process.env.DEVENV_OPS_URL ?? `http://127.0.0.1:${hostPort(fixedPortBase('ops'), deployer.publish.http!)}`;
}

/**
 * How a request names its sender: not at all (reads, open on loopback), as a
 * person (their token), or as this machine's admin (to make and revoke tokens).
 */
type Sender = { as: 'nobody' } | { as: 'person'; user: string } | { as: 'admin' };

/** What the service's POST /api/deploys takes: the ask, flattened, and what the deploy ships. */
export type StartRequest = DeployAsk & Omit<StartDeploy, 'ask' | 'by'>;

/**
 * The deploy service's client for this devenv home, where the service shares its
 * admin key and each person's token is kept.
 */
export function opsClient(ctx: Context) {
  const opsDir = () => join(ctx.home, 'ops');
  const tokenFile = (user: string) => join(opsDir(), 'tokens', `${user}.token`);

  /** The admin key the deploy service made in the devenv home it shares with this CLI. */
  async function adminKey(): Promise<string> {
    const key = await readFile(join(opsDir(), 'admin.key'), 'utf8').catch(() => undefined);
    if (!key)
      throw new UserError(
        `this machine's deploy-service admin key is missing (${join(opsDir(), 'admin.key')})`,
        'the deploy service makes it when it starts: run `devenv ops up`',
      );
    return key.trim();
  }

  /** Tells the service a person's token (its hash only), as this machine's admin. */
  async function registerToken(user: string, token: string): Promise<void> {
    await call('POST', '/api/tokens', { user, hash: secretHash(token) }, { as: 'admin' });
  }

  /** Makes a person's token, registers it with the service, and keeps it (mode 0600). */
  async function makeToken(user: string): Promise<string> {
    const token = newSecret();
    await registerToken(user, token);
    await mkdir(join(opsDir(), 'tokens'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(tokenFile(user), `${token}\n`, { mode: 0o600 });
    keptTokens.set(user, Promise.resolve(token));
    return token;
  }

  /** Each person's kept token, read once per process: a deploy's journal sends several requests a second. */
  const keptTokens = new Map<string, Promise<string>>();

  /** The person's token: the one a page-pressed deploy was started with, else their own, made on first use. */
  async function tokenOf(user: string): Promise<{ token: string; own: boolean }> {
    if (process.env.DEVENV_OPS_TOKEN) return { token: process.env.DEVENV_OPS_TOKEN, own: false };
    if (!keptTokens.has(user))
      keptTokens.set(
        user,
        readFile(tokenFile(user), 'utf8').then(
          (text) => text.trim(),
          () => '',
        ),
      );
    return { token: (await keptTokens.get(user)!) || (await makeToken(user)), own: true };
  }

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    input: unknown,
    sender: Sender,
    retried = false,
  ): Promise<T> {
    const url = `${opsUrl()}${path}`;
    const credential =
      sender.as === 'admin' ? await adminKey() : sender.as === 'person' ? await tokenOf(sender.user) : undefined;
    const secret = typeof credential === 'string' ? credential : credential?.token;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(method === 'POST' && { 'content-type': 'application/json' }),
          ...(secret && { authorization: `Bearer ${secret}` }),
        },
        ...(method === 'POST' && { body: JSON.stringify(input ?? {}) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      throw new UserError(`the deploy service does not answer at ${opsUrl()}`, 'run `devenv ops up`');
    }
    const text = await response.text();
    const value = text ? (JSON.parse(text) as { error?: string; code?: string } | undefined) : undefined;
    if (response.ok) return value as T;
    if (sender.as === 'person' && typeof credential === 'object' && credential.own) {
      // The service's database was made anew (ops down --purge-data): the kept token is registered again.
      if (value?.code === 'unknown-token' && !retried) {
        await registerToken(sender.user, credential.token);
        return call<T>(method, path, input, sender, true);
      }
      if (value?.code === 'revoked-token')
        throw new UserError(
          `${sender.user}'s deploy token was revoked`,
          `make a new one with \`devenv ops tokens new --user ${sender.user}\``,
        );
    }
    throw new UserError(value?.error ?? `${method} ${path}: HTTP ${response.status}`);
  }

  const ops = {
    queue: () => call<QueueView>('GET', '/api/queue', undefined, { as: 'nobody' }),
    history: (limit: number) => call<DeployRecord[]>('GET', `/api/deploys?limit=${limit}`, undefined, { as: 'nobody' }),
    /** the repository the person deploys from: the service takes only registered ones */
    join: async (user: string, train: Train, commit: string, repo: string) => {
      await call('POST', '/api/repositories', { path: repo }, { as: 'person', user });
      return call<{ entry: QueueEntry; queue: QueueView }>(
        'POST',
        '/api/queue/join',
        { train, commit, repo },
        { as: 'person', user },
      );
    },
    leave: (user: string) =>
      call<{ left: boolean; queue: QueueView }>('POST', '/api/queue/leave', {}, { as: 'person', user }),
    good: (user: string) => call<QueueView>('POST', '/api/queue/good', {}, { as: 'person', user }),
    hold: (user: string, reason: string) =>
      call<QueueView>('POST', '/api/queue/hold', { reason }, { as: 'person', user }),
    release: (user: string) =>
      call<{ released: boolean; queue: QueueView }>('POST', '/api/queue/release', {}, { as: 'person', user }),
    startDeploy: (user: string, request: StartRequest) =>
      call<DeployRecord>('POST', '/api/deploys', request, { as: 'person', user }),
    log: (user: string, id: number, lines: string[]) =>
      call<void>('POST', `/api/deploys/${id}/log`, { lines }, { as: 'person', user }),
    heartbeat: (user: string, id: number) =>
      call<void>('POST', `/api/deploys/${id}/heartbeat`, {}, { as: 'person', user }),
    finish: (user: string, id: number, state: Exclude<DeployState, 'running'>, error: string | null) =>
      call<DeployRecord>('POST', `/api/deploys/${id}/finish`, { state, error }, { as: 'person', user }),
    /** a one-time link that starts a page session as the person */
    loginLink: (user: string) =>
      call<{ user: string; url: string }>('POST', '/api/login-links', {}, { as: 'person', user }),
    tokens: () => call<TokenRecord[]>('GET', '/api/tokens', undefined, { as: 'admin' }),
    revoke: (user: string) =>
      call<{ user: string; revoked: number }>('POST', '/api/tokens/revoke', { user }, { as: 'admin' }),
    /** revokes the person's credentials and makes them a new token */
    renewToken: async (user: string) => {
      const { revoked } = await ops.revoke(user);
      await makeToken(user);
      return { user, revoked };
    },
  };
  return ops;
}

export type OpsClient = ReturnType<typeof opsClient>;
