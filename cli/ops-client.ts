// The deploy service's API as the CLI uses it. Where it answers is fixed by the
// ops tier (its port base); DEVENV_OPS_URL points elsewhere when set.
import type { Group, QueueState, Train, DeployAsk, QueueEntry } from '../ops/queue.ts';
import type { DeployRecord, DeployState, StartDeploy } from '../ops/store.ts';
import { hostPort } from '../stacks/ports.ts';
import { deployer } from '../roles/deployer.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { UserError } from './errors.ts';

export type QueueView = QueueState & { groups: Group[] };

export function opsUrl(): string {
  return process.env.DEVENV_OPS_URL ?? `http://127.0.0.1:${hostPort(fixedPortBase('ops'), deployer.publish.http!)}`;
}

async function call<T>(method: 'GET' | 'POST', path: string, input?: unknown): Promise<T> {
  const url = `${opsUrl()}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      ...(input !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new UserError(`the deploy service does not answer at ${opsUrl()}`, 'run `devenv ops up`');
  }
  const text = await response.text();
  const value = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new UserError((value as { error?: string } | undefined)?.error ?? `${method} ${path}: HTTP ${response.status}`);
  return value as T;
}

/** What the service's POST /api/deploys takes: the ask, flattened, and what the deploy ships. */
export type StartRequest = DeployAsk & Omit<StartDeploy, 'ask'>;

export const ops = {
  queue: () => call<QueueView>('GET', '/api/queue'),
  join: (user: string, train: Train, commit: string, repo: string) =>
    call<{ entry: QueueEntry; queue: QueueView }>('POST', '/api/queue/join', { user, train, commit, repo }),
  leave: (user: string) => call<{ left: boolean; queue: QueueView }>('POST', '/api/queue/leave', { user }),
  hold: (by: string, reason: string) => call<QueueView>('POST', '/api/queue/hold', { by, reason }),
  release: () => call<{ released: boolean; queue: QueueView }>('POST', '/api/queue/release'),
  startDeploy: (request: StartRequest) => call<DeployRecord>('POST', '/api/deploys', request),
  log: (id: number, lines: string[]) => call<void>('POST', `/api/deploys/${id}/log`, { lines }),
  heartbeat: (id: number) => call<void>('POST', `/api/deploys/${id}/heartbeat`),
  finish: (id: number, state: Exclude<DeployState, 'running'>, error: string | null) => call<DeployRecord>('POST', `/api/deploys/${id}/finish`, { state, error }),
  history: (limit: number) => call<DeployRecord[]>('GET', `/api/deploys?limit=${limit}`),
};
