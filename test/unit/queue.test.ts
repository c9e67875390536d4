// The deploy queue's rules: groups, the head, and when a deploy may start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  awaitingGood,
  driverGone,
  goodRefusal,
  groupsOf,
  refusal,
  type QueueEntry,
  type QueueState,
  type Train,
} from '../../deploy/queue.ts';

let nextId = 1;
const entry = (user: string, train: Train = 'code', groupId: number | null = null): QueueEntry => ({
  id: nextId++,
  user,
  train,
  commit: 'a'.repeat(40),
  repo: '/repo',
  joinedAt: '2026-11-26T10:00:00.000Z',
  groupId,
});
const state = (entries: QueueEntry[], extra: Partial<QueueState> = {}): QueueState => ({
  entries,
  hold: null,
  running: null,
  ...extra,
});
const users = (entries: QueueEntry[]) => entries.map((e) => e.user);
const cli = (user: string, uncommitted: string[] = []) => ({ kind: 'cli' as const, user, uncommitted });

describe('groupsOf', () => {
  it('code pushers ride together, up to five; a config push rides alone', () => {
    const groups = groupsOf(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((u) => entry(u)).concat([entry('g', 'config'), entry('h')]),
    );
    assert.deepEqual(
      groups.map((g) => [g.train, users(g.entries)]),
      [
        ['code', ['a', 'b', 'c', 'd', 'e']],
        ['code', ['f']],
        ['config', ['g']],
        ['code', ['h']],
      ],
    );
  });

  it('two config pushes never share a group', () => {
    assert.equal(groupsOf([entry('a', 'config'), entry('b', 'config')]).length, 2);
  });

  it('a group whose deploy started keeps its members and the head; later joiners form the next group', () => {
    const fixed = [entry('a', 'code', 7), entry('b', 'code', 7)];
    const groups = groupsOf([entry('z'), ...fixed, entry('c')]);
    assert.deepEqual(users(groups[0]!.entries), ['a', 'b']);
    assert.deepEqual(
      groups.slice(1).map((g) => users(g.entries)),
      [['z', 'c']],
    );
  });

  it('an empty queue has no groups', () => {
    assert.deepEqual(groupsOf([]), []);
  });
});

describe('refusal', () => {
  const now = Date.parse('2026-11-26T10:01:00.000Z');
  const queue = state([entry('ada'), entry('bob'), entry('cy', 'config')]);

  it('lets a rider of the head group deploy its train', () => {
    assert.equal(refusal(queue, { stage: 'princess', train: 'code', driver: cli('bob') }, now), undefined);
    assert.equal(refusal(queue, { stage: 'princess', train: 'code', driver: { kind: 'page' } }, now), undefined);
  });

  it('refuses uncommitted changes first, naming them', () => {
    const why = refusal(
      queue,
      { stage: 'princess', train: 'code', driver: cli('ada', ['site/a.ts', 'b', 'c', 'd']) },
      now,
    );
    assert.match(why!, /uncommitted changes \(site\/a\.ts, b, c, and 1 more\)/);
  });

  it('refuses someone who is not at the head, saying where they are', () => {
    assert.match(
      refusal(queue, { stage: 'princess', train: 'code', driver: cli('cy') }, now)!,
      /not at the head of the queue \(ada, bob are\): you are in group 2/,
    );
    assert.match(
      refusal(queue, { stage: 'princess', train: 'code', driver: cli('dan') }, now)!,
      /you are not in the queue/,
    );
  });

  it('refuses the wrong train', () => {
    assert.match(
      refusal(queue, { stage: 'princess', train: 'config', driver: cli('ada') }, now)!,
      /rides the code train .* run `devenv deploy`/,
    );
  });

  it('refuses while held, and while another deploy runs', () => {
    const held = state(queue.entries, { hold: { by: 'ops', reason: 'incident 42', at: '' } });
    assert.match(
      refusal(held, { stage: 'princess', train: 'code', driver: cli('ada') }, now)!,
      /held by ops \(incident 42\)/,
    );
    const running = state(queue.entries, {
      running: {
        id: 9,
        stage: 'prod',
        train: 'code',
        users: ['ada'],
        startedAt: '2026-11-26T10:00:30.000Z',
        pid: 1,
        heartbeatAt: '',
      },
    });
    assert.match(
      refusal(running, { stage: 'princess', train: 'code', driver: cli('ada') }, now)!,
      /deploy #9 \(prod, ada\) is running since 30 s/,
    );
  });

  it('refuses on an empty queue', () => {
    assert.match(refusal(state([]), { stage: 'princess', train: 'code', driver: cli('ada') }, now)!, /queue is empty/);
  });
});

describe('driverGone', () => {
  const running = {
    id: 1,
    stage: 'prod' as const,
    train: 'code' as const,
    users: ['a'],
    startedAt: '',
    pid: 123,
    heartbeatAt: '2026-11-26T10:00:00.000Z',
  };
  it('a dead process or a silent driver frees the lock; a live, beating one holds it', () => {
    const now = Date.parse('2026-11-26T10:00:10.000Z');
    assert.match(driverGone(running, now, () => false)!, /pid 123/);
    assert.equal(
      driverGone(running, now, () => true),
      undefined,
    );
    assert.match(driverGone(running, now + 120_000, () => true)!, /stopped reporting 130 s ago/);
  });
});

describe('awaitingGood', () => {
  it('prod waits for each rider but the one who sends it, until they said .good', () => {
    const group = groupsOf([entry('ada', 'code', 9), entry('bob', 'code', 9), entry('cy', 'code', 9)])[0]!;
    assert.deepEqual(awaitingGood(group, [], 'ada'), ['bob', 'cy']);
    assert.deepEqual(awaitingGood(group, ['cy'], 'ada'), ['bob']);
    assert.deepEqual(awaitingGood(group, ['bob', 'cy'], 'ada'), []);
    assert.deepEqual(
      awaitingGood(group, ['ada'], 'deployer'),
      ['bob', 'cy'],
      'the page acts for the group, not as a rider',
    );
    assert.match(goodRefusal(['bob']), /^prod waits for \.good from bob: .*--force/);
  });
});
