// The deploy service: an HTTP API over the store for the CLI, and the two-button
// page. Its buttons start the same `devenv deploy` a developer runs (in this
// container, which shares the host's view), acting for the group at the head.
// Every state change names a person by a credential (see auth.ts): a CLI token,
// or the page session a one-time login link starts; reads stay open on loopback,
// and off loopback (a fleet's hosts) every request names its person.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { groupsOf, stages, trains, type DeployAsk, type Stage, type Train } from '../deploy/queue.ts';
import { Refused, type DeployState, type StartDeploy, type Store } from '../deploy/store.ts';
import { deployPage } from './page.ts';
import { logsPage } from './logs-page.ts';
import type { LiveLogs } from './live-logs.ts';
import { expectedLogsFile, expectedPatterns } from '../stacks/log-lines.ts';
import { graphiteTime, sitePrefix } from '../stacks/graphite.ts';
import { reportFlag, runningFlags, type AbReport } from '../deploy/ab-report.ts';
import { contextFromEnvironment } from '../lib/paths.ts';
import { fixedStacks } from './dashboard.ts';
import { userPattern } from '../lib/user.ts';
import {
  contentTypeRefusal,
  isLoopback,
  newSecret,
  originRefusal,
  presentedSecrets,
  secretHash,
  sessionCookieHeader,
  type CredentialKind,
  type Person,
} from '../deploy/auth.ts';

/** What the service runs on: its store, the port it answers on, the checkout it deploys with, the devenv home it shares. */
export interface ServiceContext {
  store: Store;
  port: number;
  /** the checkout whose `devenv deploy` a button runs */
  root: string;
  /** the devenv home shared with the host: logs, and the machine's admin key */
  home: string;
  /** the address a fleet's hosts reach this machine at, which the service answers on too */
  fleetAddress?: string;
  /** princess's and prod's logs, live, for the log page */
  logs?: LiveLogs;
}

/**
 * The machine's admin key: whoever can read the devenv home may make and revoke
 * people's tokens (the CLI does, with this key); a web page cannot read it.
 */
const adminKeyFile = (home: string) => join(home, 'ops', 'admin.key');

async function ensureAdminKey(home: string): Promise<void> {
  const file = adminKeyFile(home);
  if (!existsSync(file)) {
    await mkdir(join(home, 'ops'), { recursive: true, mode: 0o700 });
    await writeFile(file, `${newSecret()}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // made by another start at the same moment: that one stands
    });
  }
  await chmod(file, 0o600);
}

const commitPattern = /^[0-9a-f]{40}$/;

class BadRequest extends Error {}

/** Refused for want of a credential, or a request from another origin: nothing changed. */
class NotAllowed extends Error {
  readonly status: 401 | 403;
  /** for the CLI: an unknown token is registered again, a revoked one is not */
  readonly code: string | undefined;
  constructor(status: 401 | 403, message: string, code?: 'unknown-token' | 'revoked-token') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function isAdminKey(ctx: ServiceContext, secret: string): Promise<boolean> {
  const key = Buffer.from((await readFile(adminKeyFile(ctx.home), 'utf8')).trim());
  const given = Buffer.from(secret);
  return key.length === given.length && timingSafeEqual(key, given);
}

/**
 * The person behind a request, from the credential it presents: a bearer token
 * of one of the `bearer` kinds, or (where the page may act) the session cookie.
 */
async function personOf(
  ctx: ServiceContext,
  request: IncomingMessage,
  allowed: { bearer: CredentialKind[]; session: boolean },
): Promise<Person> {
  const { bearer, session } = presentedSecrets(request.headers);
  const secret = bearer ?? (allowed.session ? session : undefined);
  if (!secret)
    throw new NotAllowed(
      401,
      allowed.session
        ? 'no credential: log in with the link `devenv ops login` prints, or send your devenv token'
        : 'no token: this takes your devenv token (the CLI sends it)',
    );
  const found = await ctx.store.identify(secretHash(secret));
  if (found === 'unknown') throw new NotAllowed(401, 'this token is not one the deploy service knows', 'unknown-token');
  if (found === 'revoked')
    throw new NotAllowed(401, 'this token was revoked (`devenv ops tokens new` makes another)', 'revoked-token');
  if (found === 'expired') throw new NotAllowed(401, 'expired: log in again with `devenv ops login`');
  const kinds: CredentialKind[] = bearer ? allowed.bearer : ['session'];
  if (!kinds.includes(found.kind)) throw new NotAllowed(403, `a ${found.kind} credential cannot do this`);
  return found;
}

async function requireAdmin(ctx: ServiceContext, request: IncomingMessage): Promise<void> {
  const { bearer } = presentedSecrets(request.headers);
  if (!bearer || !(await isAdminKey(ctx, bearer)))
    throw new NotAllowed(401, `this takes the machine's admin key (${adminKeyFile(ctx.home)})`);
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new BadRequest('request body over 1 MB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new BadRequest('the body must be a JSON object');
  }
}

function field<T>(value: unknown, name: string, ok: (v: unknown) => v is T): T {
  if (!ok(value)) throw new BadRequest(`"${name}" is missing or not valid`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isUser = (v: unknown): v is string => isString(v) && userPattern.test(v);
const isTrain = (v: unknown): v is Train => trains.includes(v as Train);
const isStage = (v: unknown): v is Stage => stages.includes(v as Stage);
const isCommit = (v: unknown): v is string => isString(v) && commitPattern.test(v);

function send(response: ServerResponse, status: number, value: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(value) : String(value);
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(text);
}

async function queueView(ctx: ServiceContext) {
  const state = await ctx.store.state();
  return { ...state, groups: groupsOf(state.entries) };
}

function askOf(input: Record<string, unknown>, person: Person): DeployAsk {
  const driver = input.driver as Record<string, unknown> | undefined;
  const stage = field(input.stage, 'stage', isStage);
  const train = field(input.train, 'train', isTrain);
  // A deploy the page started runs on the presser's press credential; any other is the CLI's person.
  if (person.kind === 'press') return { stage, train, driver: { kind: 'page' } };
  return {
    stage,
    train,
    ...(input.force === true && { force: true }),
    driver: {
      kind: 'cli',
      user: person.user,
      uncommitted: field(
        driver?.uncommitted,
        'driver.uncommitted',
        (v): v is string[] => Array.isArray(v) && v.every(isString),
      ),
    },
  };
}

/**
 * A button: the same `devenv deploy` a developer runs, for the head group, in
 * the background, on a press credential of the person who pressed (so the
 * history names them). Answers once the deploy has started (or why it could not).
 */
async function press(ctx: ServiceContext, stage: Stage, person: Person): Promise<{ status: number; value: unknown }> {
  const head = groupsOf((await ctx.store.state()).entries)[0];
  if (!head) return { status: 409, value: { error: 'the queue is empty: `devenv queue join` first' } };
  const repo = head.entries.at(-1)!.repo;
  const before = (await ctx.store.history(1))[0]?.id ?? 0;
  await mkdir(join(ctx.home, 'logs'), { recursive: true });
  const logPath = join(ctx.home, 'logs', `deploy-page-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  log.write(`${person.user} pressed ${stage === 'prod' ? 'Production' : 'Princess'} on the deploy page\n`);
  console.log(`deployer: ${person.user} pressed ${stage} for ${head.entries.map((e) => e.user).join(', ')}`);
  const token = newSecret();
  await ctx.store.addCredential(person.user, 'press', secretHash(token));
  const args = [
    join(ctx.root, 'cli', 'main.ts'),
    'deploy',
    '--to',
    stage,
    '--driver',
    'page',
    ...(head.train === 'config' ? ['--config'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, DEVENV_OPS_URL: `http://127.0.0.1:${ctx.port}`, DEVENV_OPS_TOKEN: token, CI: 'true' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lastLine = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = chunk.toString('utf8').trim().split('\n');
      lastLine = lines.at(-1) ?? lastLine;
    });
  }
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const latest = (await ctx.store.history(1))[0];
    if (latest && latest.id > before) return { status: 202, value: { deploy: latest, log: logPath } };
    const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 200))]);
    if (code !== null)
      return {
        status: 409,
        value: { error: lastLine.replace(/^devenv: /, '') || `the deploy exited with ${code}`, log: logPath },
      };
  }
  return { status: 504, value: { error: 'the deploy did not start within 60 s', log: logPath } };
}

function liveLogsOf(ctx: ServiceContext): LiveLogs {
  if (!ctx.logs) throw new Refused('this deploy service does not follow logs', 404);
  return ctx.logs;
}

/** The expected noise, as the service's checkout lists it. */
async function expectedPatternsOf(ctx: ServiceContext): Promise<string[]> {
  return expectedPatterns(await readFile(join(ctx.root, expectedLogsFile), 'utf8').catch(() => ''));
}

/** prod's A/B tests: each flag prod runs with two variants or more, judged since `since`. */
async function abReports(ctx: ServiceContext, since: string): Promise<AbReport[]> {
  const now = Date.now();
  const from = graphiteTime(since, Math.floor(now / 1000));
  if (from === undefined || from * 1000 >= now)
    throw new BadRequest(`since "${since}" is not a Graphite time before now`);
  const flags = await runningFlags({ ...contextFromEnvironment(), home: ctx.home }, 'prod').catch((error: Error) => {
    throw new Refused(`the flags prod runs cannot be read: ${error.message.split('\n')[0]}`, 503);
  });
  const prod = fixedStacks().find((stack) => stack.name === 'prod')!;
  const tested = flags.filter((flag) => flag.variants.length > 1);
  return Promise.all(tested.map((flag) => reportFlag(prod.graphiteUrl, sitePrefix, 'prod', flag, from * 1000, now)));
}

/**
 * Server-sent events: each line an event, and `missed` with a count when this
 * client could not keep up (its socket's buffer was full): the lines meanwhile
 * are dropped for it, not kept, so a slow client costs the service nothing.
 */
function streamLogs(ctx: ServiceContext, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  response.write(': princess and prod, live\n\n');
  const subscription = liveLogsOf(ctx).subscribe({
    send: (line) => response.write(`data: ${JSON.stringify(line)}\n\n`),
    missed: (count) => response.write(`event: missed\ndata: ${JSON.stringify({ count })}\n\n`),
  });
  response.on('drain', () => subscription.drained());
  const beat = setInterval(() => response.write(': still here\n\n'), 15_000);
  request.on('close', () => {
    clearInterval(beat);
    subscription.close();
  });
}

/** Who may do what: a CLI token everywhere, the page's session on its own buttons, a press credential on its deploy. */
const cliOnly = { bearer: ['cli'] as CredentialKind[], session: false };
const cliOrPage = { bearer: ['cli'] as CredentialKind[], session: true };
const deployDriver = { bearer: ['cli', 'press'] as CredentialKind[], session: false };

async function handle(ctx: ServiceContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://deployer');
  const method = request.method ?? 'GET';
  const path = url.pathname;
  const deployMatch = /^\/api\/deploys\/(\d+)(\/[a-z]+)?$/.exec(path);

  if (method === 'GET' && path === '/healthz') return send(response, 200, { ok: true });
  const foreign = originRefusal(
    { host: request.headers.host, origin: request.headers.origin },
    ctx.port,
    ctx.fleetAddress,
  );
  if (foreign) throw new NotAllowed(foreign.status, foreign.reason);
  // Off loopback (from a fleet's hosts) even a read names its person, and the admin key is not taken at all.
  if (!isLoopback(request.socket.localAddress)) {
    if (path.startsWith('/api/tokens'))
      throw new NotAllowed(403, "tokens are made and revoked on the deploy service's own machine only");
    if (path !== '/login') await personOf(ctx, request, cliOrPage);
  }

  if (method === 'GET' && path === '/') return send(response, 200, deployPage(), 'text/html');
  if (method === 'GET' && path === '/dashboard')
    return send(response, 200, (await import('./dashboard.ts')).dashboardPage(), 'text/html');
  if (method === 'GET' && path === '/logs') return send(response, 200, logsPage(), 'text/html');
  if (method === 'GET' && path === '/api/logs/patterns')
    return send(response, 200, { patterns: await expectedPatternsOf(ctx) });
  if (method === 'GET' && path === '/api/logs/stream') return streamLogs(ctx, request, response);
  if (method === 'GET' && path === '/api/logs') {
    const [from, until] = [url.searchParams.get('from') ?? '', url.searchParams.get('until') ?? ''];
    if (Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(until)))
      throw new BadRequest('from and until must be times (ISO 8601), as the history gives them');
    return send(response, 200, await liveLogsOf(ctx).between(from, until, 5000));
  }
  if (method === 'GET' && path === '/api/ab')
    return send(response, 200, await abReports(ctx, url.searchParams.get('since') ?? '-1h'));
  if (method === 'GET' && path === '/api/queue') return send(response, 200, await queueView(ctx));
  if (method === 'GET' && path === '/api/deploys') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 500);
    return send(response, 200, await ctx.store.history(limit));
  }
  if (method === 'GET' && path === '/api/session')
    return send(response, 200, { user: (await personOf(ctx, request, { bearer: [], session: true })).user });
  if (method === 'GET' && path === '/login') {
    const user = await ctx.store.consumeLogin(secretHash(url.searchParams.get('code') ?? ''));
    if (!user)
      return send(
        response,
        401,
        'This login link is used or expired: run `devenv ops login` for a new one.',
        'text/plain',
      );
    const session = newSecret();
    await ctx.store.addCredential(user, 'session', secretHash(session));
    console.log(`deployer: ${user} logged in to the page`);
    response.writeHead(303, { location: '/', 'set-cookie': sessionCookieHeader(session), 'cache-control': 'no-store' });
    return void response.end();
  }
  if (method === 'GET' && path === '/api/tokens') {
    await requireAdmin(ctx, request);
    return send(response, 200, await ctx.store.tokens());
  }

  if (method === 'POST') {
    const wrongType = contentTypeRefusal(request.headers['content-type']);
    if (wrongType) throw new NotAllowed(wrongType.status, wrongType.reason);
  }
  if (method === 'POST' && path === '/api/tokens') {
    await requireAdmin(ctx, request);
    const input = await body(request);
    await ctx.store.addCredential(
      field(input.user, 'user', isUser),
      'cli',
      field(input.hash, 'hash', (v): v is string => isString(v) && /^[0-9a-f]{64}$/.test(v)),
    );
    return send(response, 201, { registered: input.user });
  }
  if (method === 'POST' && path === '/api/tokens/revoke') {
    await requireAdmin(ctx, request);
    const user = field((await body(request)).user, 'user', isUser);
    const revoked = await ctx.store.revoke(user);
    console.log(`deployer: ${revoked} credentials of ${user} revoked`);
    return send(response, 200, { user, revoked });
  }
  if (method === 'POST' && path === '/api/repositories') {
    const person = await personOf(ctx, request, cliOnly);
    const repo = field(
      (await body(request)).path,
      'path',
      (v): v is string => isString(v) && v.startsWith('/') && v.length < 4096,
    );
    await ctx.store.registerRepository(person.user, repo);
    return send(response, 201, { user: person.user, path: repo });
  }
  if (method === 'POST' && path === '/api/login-links') {
    const person = await personOf(ctx, request, cliOnly);
    const code = newSecret();
    await ctx.store.addCredential(person.user, 'login', secretHash(code));
    return send(response, 201, { user: person.user, url: `http://127.0.0.1:${ctx.port}/login?code=${code}` });
  }
  if (method === 'POST' && path === '/api/queue/join') {
    const person = await personOf(ctx, request, cliOnly);
    const input = await body(request);
    const repo = field(input.repo, 'repo', (v): v is string => isString(v) && v.startsWith('/'));
    if (!(await ctx.store.repositoryRegistered(person.user, repo)))
      throw new NotAllowed(403, `${repo} is not a repository ${person.user}'s devenv registered`);
    const entry = await ctx.store.join(
      person.user,
      field(input.train, 'train', isTrain),
      field(input.commit, 'commit', isCommit),
      repo,
    );
    return send(response, 200, { entry, queue: await queueView(ctx) });
  }
  if (method === 'POST' && path === '/api/queue/leave') {
    const person = await personOf(ctx, request, cliOrPage);
    const left = await ctx.store.leave(person.user);
    return send(response, 200, { left, queue: await queueView(ctx) });
  }
  if (method === 'POST' && path === '/api/queue/hold') {
    const person = await personOf(ctx, request, cliOrPage);
    const input = await body(request);
    await ctx.store.hold(
      person.user,
      field(input.reason, 'reason', (v): v is string => isString(v) && v.trim().length > 0 && v.length <= 200),
    );
    console.log(`deployer: ${person.user} held the queue`);
    return send(response, 200, await queueView(ctx));
  }
  if (method === 'POST' && path === '/api/queue/good') {
    const person = await personOf(ctx, request, cliOrPage);
    await ctx.store.markGood(person.user);
    console.log(`deployer: ${person.user} said .good`);
    return send(response, 200, await queueView(ctx));
  }
  if (method === 'POST' && path === '/api/queue/release') {
    const person = await personOf(ctx, request, cliOrPage);
    const released = await ctx.store.release();
    if (released) console.log(`deployer: ${person.user} released the queue`);
    return send(response, 200, { released, queue: await queueView(ctx) });
  }
  if (method === 'POST' && path === '/api/press') {
    const person = await personOf(ctx, request, cliOrPage);
    const { status, value } = await press(ctx, field((await body(request)).stage, 'stage', isStage), person);
    return send(response, status, value);
  }
  if (method === 'POST' && path === '/api/deploys') {
    const person = await personOf(ctx, request, deployDriver);
    const input = await body(request);
    const start: StartDeploy = {
      ask: askOf(input, person),
      by: person.user,
      commit: field(input.commit, 'commit', isCommit),
      previousCommit: input.previousCommit === null ? null : field(input.previousCommit, 'previousCommit', isCommit),
      entryIds: field(input.entryIds, 'entryIds', (v): v is number[] => Array.isArray(v) && v.every(Number.isInteger)),
      changes: field(input.changes ?? '', 'changes', isString),
      diffStat: field(input.diffStat ?? '', 'diffStat', isString),
      hosts: field(
        input.hosts ?? [],
        'hosts',
        (v): v is string[] =>
          Array.isArray(v) &&
          v.length <= 100 &&
          v.every((h) => typeof h === 'string' && /^[a-z][a-z0-9-]{0,30}$/.test(h)),
      ),
      pid: field(input.pid, 'pid', (v): v is number => Number.isInteger(v)),
    };
    return send(response, 201, await ctx.store.startDeploy(start));
  }
  if (deployMatch) {
    const id = Number(deployMatch[1]);
    const action = deployMatch[2] ?? '';
    if (method === 'GET' && action === '') {
      const deploy = await ctx.store.deploy(id);
      return deploy ? send(response, 200, deploy) : send(response, 404, { error: `no deploy #${id}` });
    }
    if (method === 'GET' && action === '/log')
      return send(response, 200, await ctx.store.logLines(id, Number(url.searchParams.get('after') ?? 0) || 0));
    if (method === 'POST') await personOf(ctx, request, deployDriver);
    if (method === 'POST' && action === '/log') {
      const lines = field(
        (await body(request)).lines,
        'lines',
        (v): v is string[] => Array.isArray(v) && v.every(isString),
      );
      await ctx.store.log(
        id,
        lines.map((line) => line.slice(0, 2000)),
      );
      return send(response, 204, '');
    }
    if (method === 'POST' && action === '/heartbeat') {
      await ctx.store.heartbeat(id);
      return send(response, 204, '');
    }
    if (method === 'POST' && action === '/finish') {
      const input = await body(request);
      const state = field(
        input.state,
        'state',
        (v): v is Exclude<DeployState, 'running'> => v === 'succeeded' || v === 'failed' || v === 'rolled-back',
      );
      const error = input.error === undefined || input.error === null ? null : field(input.error, 'error', isString);
      return send(response, 200, await ctx.store.finishDeploy(id, state, error));
    }
  }
  return send(response, 404, { error: `no such endpoint: ${method} ${path}` });
}

/** The deploy service over a store: an HTTP server, not yet listening. */
export async function createDeployService(ctx: ServiceContext): Promise<Server> {
  await ensureAdminKey(ctx.home);
  return createServer((request, response) => {
    handle(ctx, request, response).catch((error: unknown) => {
      if (error instanceof Refused) return send(response, error.status, { error: error.message });
      if (error instanceof NotAllowed)
        return send(response, error.status, { error: error.message, ...(error.code && { code: error.code }) });
      if (error instanceof BadRequest) return send(response, 400, { error: error.message });
      console.error(`deployer: ${request.method} ${request.url}: ${(error as Error).stack ?? error}`);
      send(response, 500, { error: `unexpected: ${(error as Error).message}` });
    });
  });
}
