// The deploy service: an HTTP API over the store for the CLI, and the two-button
// page. Its buttons start the same `devenv deploy` a developer runs (in this
// container, which shares the host's view), acting for the group at the head.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { groupsOf, stages, trains, type DeployAsk, type Stage, type Train } from './queue.ts';
import { openStore, Refused, type DeployState, type StartDeploy } from './store.ts';
import { deployPage } from './page.ts';

const port = Number(process.env.PORT_HTTP ?? 8080);
const root = process.env.DEVENV_ROOT ?? process.cwd();
const home = process.env.DEVENV_HOME ?? '/root/.devenv';
const store = await openStore(process.env.DATABASE_URL ?? 'postgres://deploys:deploys@127.0.0.1:5432/deploys');

const commitPattern = /^[0-9a-f]{40}$/;
const userPattern = /^[a-z0-9][a-z0-9-]{0,30}$/;

class BadRequest extends Error {}

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

async function queueView() {
  const state = await store.state();
  return { ...state, groups: groupsOf(state.entries) };
}

function askOf(input: Record<string, unknown>): DeployAsk {
  const driver = input.driver as Record<string, unknown> | undefined;
  const stage = field(input.stage, 'stage', isStage);
  const train = field(input.train, 'train', isTrain);
  if (driver?.kind === 'page') return { stage, train, driver: { kind: 'page' } };
  return {
    stage,
    train,
    driver: {
      kind: 'cli',
      user: field(driver?.user, 'driver.user', isUser),
      uncommitted: field(driver?.uncommitted, 'driver.uncommitted', (v): v is string[] => Array.isArray(v) && v.every(isString)),
    },
  };
}

/**
 * A button: the same `devenv deploy` a developer runs, for the head group, in
 * the background. Answers once the deploy has started (or why it could not).
 */
async function press(stage: Stage): Promise<{ status: number; value: unknown }> {
  const head = groupsOf((await store.state()).entries)[0];
  if (!head) return { status: 409, value: { error: 'the queue is empty: `devenv queue join` first' } };
  const repo = head.entries.at(-1)!.repo;
  const before = (await store.history(1))[0]?.id ?? 0;
  await mkdir(join(home, 'logs'), { recursive: true });
  const logPath = join(home, 'logs', `deploy-page-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  const args = [join(root, 'cli', 'main.ts'), 'deploy', '--to', stage, '--driver', 'page', ...(head.train === 'config' ? ['--config'] : [])];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, DEVENV_OPS_URL: `http://127.0.0.1:${port}`, CI: 'true' },
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
    const latest = (await store.history(1))[0];
    if (latest && latest.id > before) return { status: 202, value: { deploy: latest, log: logPath } };
    const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 200))]);
    if (code !== null) return { status: 409, value: { error: lastLine.replace(/^devenv: /, '') || `the deploy exited with ${code}`, log: logPath } };
  }
  return { status: 504, value: { error: 'the deploy did not start within 60 s', log: logPath } };
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://deployer');
  const method = request.method ?? 'GET';
  const path = url.pathname;
  const deployMatch = /^\/api\/deploys\/(\d+)(\/[a-z]+)?$/.exec(path);

  if (method === 'GET' && path === '/healthz') return send(response, 200, { ok: true });
  if (method === 'GET' && path === '/') return send(response, 200, deployPage(), 'text/html');
  if (method === 'GET' && path === '/dashboard') return send(response, 200, (await import('./dashboard.ts')).dashboardPage(), 'text/html');
  if (method === 'GET' && path === '/api/queue') return send(response, 200, await queueView());
  if (method === 'GET' && path === '/api/deploys') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 500);
    return send(response, 200, await store.history(limit));
  }
  if (method === 'POST' && path === '/api/queue/join') {
    const input = await body(request);
    const repo = field(input.repo, 'repo', (v): v is string => isString(v) && v.startsWith('/'));
    const entry = await store.join(field(input.user, 'user', isUser), field(input.train, 'train', isTrain), field(input.commit, 'commit', isCommit), repo);
    return send(response, 200, { entry, queue: await queueView() });
  }
  if (method === 'POST' && path === '/api/queue/leave') {
    const left = await store.leave(field((await body(request)).user, 'user', isUser));
    return send(response, 200, { left, queue: await queueView() });
  }
  if (method === 'POST' && path === '/api/queue/hold') {
    const input = await body(request);
    await store.hold(field(input.by, 'by', isUser), field(input.reason, 'reason', (v): v is string => isString(v) && v.trim().length > 0 && v.length <= 200));
    return send(response, 200, await queueView());
  }
  if (method === 'POST' && path === '/api/queue/release') {
    const released = await store.release();
    return send(response, 200, { released, queue: await queueView() });
  }
  if (method === 'POST' && path === '/api/press') {
    const { status, value } = await press(field((await body(request)).stage, 'stage', isStage));
    return send(response, status, value);
  }
  if (method === 'POST' && path === '/api/deploys') {
    const input = await body(request);
    const start: StartDeploy = {
      ask: askOf(input),
      commit: field(input.commit, 'commit', isCommit),
      previousCommit: input.previousCommit === null ? null : field(input.previousCommit, 'previousCommit', isCommit),
      entryIds: field(input.entryIds, 'entryIds', (v): v is number[] => Array.isArray(v) && v.every(Number.isInteger)),
      changes: field(input.changes ?? '', 'changes', isString),
      diffStat: field(input.diffStat ?? '', 'diffStat', isString),
      pid: field(input.pid, 'pid', (v): v is number => Number.isInteger(v)),
    };
    return send(response, 201, await store.startDeploy(start));
  }
  if (deployMatch) {
    const id = Number(deployMatch[1]);
    const action = deployMatch[2] ?? '';
    if (method === 'GET' && action === '') {
      const deploy = await store.deploy(id);
      return deploy ? send(response, 200, deploy) : send(response, 404, { error: `no deploy #${id}` });
    }
    if (method === 'GET' && action === '/log') return send(response, 200, await store.logLines(id, Number(url.searchParams.get('after') ?? 0) || 0));
    if (method === 'POST' && action === '/log') {
      const lines = field((await body(request)).lines, 'lines', (v): v is string[] => Array.isArray(v) && v.every(isString));
      await store.log(id, lines.map((line) => line.slice(0, 2000)));
      return send(response, 204, '');
    }
    if (method === 'POST' && action === '/heartbeat') {
      await store.heartbeat(id);
      return send(response, 204, '');
    }
    if (method === 'POST' && action === '/finish') {
      const input = await body(request);
      const state = field(input.state, 'state', (v): v is Exclude<DeployState, 'running'> => v === 'succeeded' || v === 'failed' || v === 'rolled-back');
      const error = input.error === undefined || input.error === null ? null : field(input.error, 'error', isString);
      return send(response, 200, await store.finishDeploy(id, state, error));
    }
  }
  return send(response, 404, { error: `no such endpoint: ${method} ${path}` });
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    if (error instanceof Refused) return send(response, error.status, { error: error.message });
    if (error instanceof BadRequest) return send(response, 400, { error: error.message });
    console.error(`deployer: ${request.method} ${request.url}: ${(error as Error).stack ?? error}`);
    send(response, 500, { error: `unexpected: ${(error as Error).message}` });
  });
});

server.listen(port, '127.0.0.1', () => console.log(`deployer: serving on http://127.0.0.1:${port}/`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => store.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
