// The deploy queue's rules, pure: who rides together, who is at the head, and
// whether a deploy may start. The store feeds it rows; the CLI and the page ask it.

export type Train = 'code' | 'config';
export type Stage = 'princess' | 'prod';
export const trains: readonly Train[] = ['code', 'config'];
export const stages: readonly Stage[] = ['princess', 'prod'];

/** Code pushers ride together, up to this many; a config push rides alone. */
export const maxCodeRiders = 5;

export interface QueueEntry {
  id: number;
  user: string;
  train: Train;
  commit: string;
  /** the repository the commit is in, as the host sees it */
  repo: string;
  joinedAt: string;
  /** set when the group's first deploy starts: from then on nobody joins or leaves the group */
  groupId: number | null;
}

export interface Group {
  train: Train;
  entries: QueueEntry[];
  /** the deploy that fixed its membership, if one started */
  groupId: number | null;
}

export interface Hold {
  by: string;
  reason: string;
  at: string;
}

export interface RunningDeploy {
  id: number;
  stage: Stage;
  train: Train;
  users: string[];
  startedAt: string;
  /** the driver's process, on this host */
  pid: number;
  heartbeatAt: string;
}

export interface QueueState {
  entries: QueueEntry[];
  hold: Hold | null;
  running: RunningDeploy | null;
  /** the riders of the group on its way to prod who said they checked their change on princess (`.good`) */
  goods?: readonly string[];
}

/**
 * Entries in the order they joined, grouped: a group whose deploy has started
 * keeps its members; the others form groups of consecutive code riders (up to
 * five), each config entry alone.
 */
export function groupsOf(entries: readonly QueueEntry[]): Group[] {
  const fixed = new Map<number, QueueEntry[]>();
  const forming: Group[] = [];
  for (const entry of entries) {
    if (entry.groupId !== null) {
      fixed.set(entry.groupId, [...(fixed.get(entry.groupId) ?? []), entry]);
      continue;
    }
    const last = forming.at(-1);
    if (entry.train === 'code' && last?.train === 'code' && last.entries.length < maxCodeRiders)
      last.entries.push(entry);
    else forming.push({ train: entry.train, entries: [entry], groupId: null });
  }
  // Groups already deploying go first: they hold the head until they finish or leave.
  const deploying = [...fixed].map(
    ([groupId, members]): Group => ({ train: members[0]!.train, entries: members, groupId }),
  );
  return [...deploying, ...forming];
}

export interface DeployAsk {
  stage: Stage;
  train: Train;
  /** who asks: a developer at the CLI, or the page (which acts for the head group) */
  driver: { kind: 'cli'; user: string; uncommitted: string[] } | { kind: 'page' };
  /** a person at the CLI sends prod without waiting for every rider's `.good` */
  force?: boolean;
}

/**
 * The riders prod still waits for: each checks their change on princess and
 * says `.good` (or `devenv queue good`). The person who sends prod (at the CLI or
 * with the page's button) vouches for their own change by doing so.
 */
export function awaitingGood(group: Group, goods: readonly string[], sender: string): string[] {
  return group.entries.map((entry) => entry.user).filter((user) => user !== sender && !goods.includes(user));
}

export function goodRefusal(waitingFor: readonly string[]): string {
  return `prod waits for .good from ${waitingFor.join(', ')}: each checks their change on princess and says .good in #deploy (or runs \`devenv queue good\`); a person may send it anyway with \`devenv deploy --to prod --force\``;
}

/** Why a deploy may not start now, as one sentence with what to do; undefined when it may. */
export function refusal(state: QueueState, ask: DeployAsk, now: number): string | undefined {
  if (ask.driver.kind === 'cli' && ask.driver.uncommitted.length > 0) {
    const files = ask.driver.uncommitted;
    return `you have uncommitted changes (${files.slice(0, 3).join(', ')}${files.length > 3 ? `, and ${files.length - 3} more` : ''}): commit them (and run devenv try) before you deploy`;
  }
  if (state.hold)
    return `the queue is held by ${state.hold.by} (${state.hold.reason}): nothing deploys until \`devenv queue release\``;
  if (state.running) {
    const seconds = Math.round((now - Date.parse(state.running.startedAt)) / 1000);
    return `deploy #${state.running.id} (${state.running.stage}, ${state.running.users.join(', ')}) is running since ${seconds} s: one deploy at a time; wait for it to finish`;
  }
  const head = groupsOf(state.entries)[0];
  if (!head) return 'the queue is empty: `devenv queue join` first (add --config for a flags change)';
  if (head.train !== ask.train) {
    return `the head of the queue rides the ${head.train} train (${head.entries.map((e) => e.user).join(', ')}): ${head.train === 'config' ? 'run `devenv deploy --config`' : 'run `devenv deploy`'}`;
  }
  const asker = ask.driver.kind === 'cli' ? ask.driver.user : undefined;
  if (asker !== undefined && !head.entries.some((e) => e.user === asker)) {
    const position = groupsOf(state.entries).findIndex((g) => g.entries.some((e) => e.user === asker));
    const where =
      position < 0
        ? 'you are not in the queue: `devenv queue join` first'
        : `you are in group ${position + 1}; wait for your turn`;
    return `you are not at the head of the queue (${head.entries.map((e) => e.user).join(', ')} ${head.entries.length === 1 ? 'is' : 'are'}): ${where}`;
  }
  return undefined;
}

/** A running deploy counts as gone when its driver stopped beating or its process is gone. */
export function driverGone(
  running: RunningDeploy,
  now: number,
  processAlive: (pid: number) => boolean,
  timeoutMs = 60_000,
): string | undefined {
  if (!processAlive(running.pid)) return `its driver (pid ${running.pid}) is gone`;
  if (now - Date.parse(running.heartbeatAt) > timeoutMs)
    return `its driver stopped reporting ${Math.round((now - Date.parse(running.heartbeatAt)) / 1000)} s ago`;
  return undefined;
}
