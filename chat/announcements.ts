// What the deploy bot says by itself: the store read twice, and the difference
// said in the channel. Pure: the bot polls the one store the CLI and the page
// use (never a queue of its own), hands each reading here with the last one,
// and posts the lines. A bot that was away compares with what it last saw, so
// nothing that happened meanwhile goes unsaid.
import { groupsOf, type Group, type QueueState } from '../deploy/queue.ts';
import type { DeployRecord } from '../deploy/store.ts';

export const deployChannel = '#deploy';
export const warroomChannel = '#warroom';

export interface StoreReading {
  state: QueueState;
  /** the latest deploys, newest first */
  deploys: readonly DeployRecord[];
  /** a finished prod deploy's watch verdict line, by deploy id, where its log has one */
  verdicts: Readonly<Record<number, string>>;
}

export interface Announcement {
  channel: typeof deployChannel | typeof warroomChannel;
  text: string;
}

const riders = (group: Group) => group.entries.map((entry) => entry.user).join(', ');
const short = (commit: string) => commit.slice(0, 10);
const say = (text: string): Announcement => ({ channel: deployChannel, text });

/** The queue as `.status` tells it: what deploys, whether it is held, then each group in turn. */
export function statusLines(state: QueueState): string[] {
  const lines: string[] = [];
  if (state.running)
    lines.push(
      `deploying: #${state.running.id}, ${state.running.train} to ${state.running.stage} for ${state.running.users.join(', ')}`,
    );
  if (state.hold) lines.push(`held by ${state.hold.by}: ${state.hold.reason} (.release lets it go)`);
  const groups = groupsOf(state.entries);
  if (groups.length === 0) lines.push('the queue is empty: .join to ride the next deploy');
  for (const [index, group] of groups.entries())
    lines.push(`group ${index + 1} (${group.train}${group.groupId !== null ? ', deploying' : ''}): ${riders(group)}`);
  return lines;
}

function deployAnnouncement(deploy: DeployRecord, verdict: string | undefined): Announcement[] {
  const who = deploy.users.join(', ');
  const where = deploy.hosts.length > 0 ? ` on ${deploy.hosts.join(', ')}` : '';
  switch (deploy.state) {
    case 'running':
      return [
        say(`deploy #${deploy.id}: ${deploy.train} to ${deploy.stage}${where} for ${who} (${short(deploy.commit)})`),
      ];
    case 'succeeded':
      if (deploy.stage === 'princess')
        return [
          say(
            `princess runs ${short(deploy.commit)}: ${deploy.users.map((user) => `${user}, check your change there and say .good`).join('; ')}`,
          ),
        ];
      return [
        say(
          `prod is live: ${short(deploy.commit)} for ${who}${deploy.seconds !== null ? ` in ${deploy.seconds} s` : ''}`,
        ),
        ...(verdict ? [say(verdict)] : []),
      ];
    case 'failed':
    case 'rolled-back': {
      const how = deploy.state === 'rolled-back' ? `rolled back to ${short(deploy.previousCommit ?? '')}` : 'failed';
      return [
        say(`deploy #${deploy.id} to ${deploy.stage} ${how}: ${deploy.error ?? 'no reason given'} (${who})`),
        ...(verdict ? [say(verdict)] : []),
      ];
    }
  }
}

/** What changed between two readings of the store, as lines for the channels, in the order they happened. */
export function announcements(before: StoreReading, after: StoreReading): Announcement[] {
  const lines: Announcement[] = [];
  const earlier = new Map(before.deploys.map((deploy) => [deploy.id, deploy]));
  for (const deploy of [...after.deploys].reverse()) {
    const was = earlier.get(deploy.id);
    if (was?.state === deploy.state) continue;
    // A deploy first seen finished was also started: both are said.
    if (!was && deploy.state !== 'running')
      lines.push(...deployAnnouncement({ ...deploy, state: 'running' }, undefined));
    lines.push(...deployAnnouncement(deploy, after.verdicts[deploy.id]));
  }

  const gone = new Set(
    after.deploys.filter((d) => d.stage === 'prod' && d.state === 'succeeded').flatMap((d) => d.entryIds),
  );
  const now = new Set(after.state.entries.map((entry) => entry.id));
  const then = new Set(before.state.entries.map((entry) => entry.id));
  for (const entry of before.state.entries)
    if (!now.has(entry.id) && !gone.has(entry.id)) lines.push(say(`${entry.user} left the queue`));
  const groups = groupsOf(after.state.entries);
  for (const entry of after.state.entries) {
    if (then.has(entry.id)) continue;
    const group = groups.findIndex((g) => g.entries.some((e) => e.id === entry.id));
    lines.push(say(`${entry.user} joined the ${entry.train} train: group ${group + 1} is ${riders(groups[group]!)}`));
  }

  const saidGood = (after.state.goods ?? []).filter((user) => !(before.state.goods ?? []).includes(user));
  const riding = groups.find((group) => group.groupId !== null);
  if (saidGood.length > 0 && riding) {
    const waiting = riding.entries.map((entry) => entry.user).filter((user) => !after.state.goods?.includes(user));
    lines.push(
      say(
        `${saidGood.join(', ')} checked ${saidGood.length === 1 ? 'their change' : 'their changes'} on princess (.good): ${
          waiting.length === 0 ? 'every rider said .good, prod may go' : `prod waits for ${waiting.join(', ')}`
        }`,
      ),
    );
  }

  if (after.state.hold && after.state.hold.at !== before.state.hold?.at) {
    const text = `the queue is held by ${after.state.hold.by}: ${after.state.hold.reason}`;
    lines.push(say(text), { channel: warroomChannel, text: `${text} (in ${deployChannel})` });
  }
  if (before.state.hold && !after.state.hold) lines.push(say('the queue is released: deploys may go again'));

  // Whose turn it is: said when the head group changes, or becomes free to go.
  const head = groups[0];
  const headBefore = groupsOf(before.state.entries)[0];
  const free = (state: QueueState) => !state.running && !state.hold;
  const headKey = (group: Group | undefined) => group?.entries.map((entry) => entry.id).join(',') ?? '';
  if (
    head &&
    head.groupId === null &&
    free(after.state) &&
    (headKey(head) !== headKey(headBefore) || !free(before.state))
  )
    lines.push(
      say(
        `${riders(head)}: your turn (${head.train} train): run \`devenv deploy${head.train === 'config' ? ' --config' : ''}\` or press Princess on the deploy page`,
      ),
    );
  return lines;
}
