// The deploy bot's pure side: commands read from a line, nicks mapped to users,
// floods answered once, and what changed in the store said in the channels.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { floodVerdict, readLine, validNick, type FloodState } from '../../chat/commands.ts';
import { parseNicks, withNick } from '../../chat/nicks.ts';
import { announcements, statusLines, type StoreReading } from '../../chat/announcements.ts';
import type { QueueEntry } from '../../deploy/queue.ts';
import type { DeployRecord } from '../../deploy/store.ts';

describe('readLine', () => {
  it('reads the commands, with their words', () => {
    assert.deepEqual(readLine('.join'), { command: { kind: 'join', train: 'code' } });
    assert.deepEqual(readLine('  .JOIN config '), { command: { kind: 'join', train: 'config' } });
    assert.deepEqual(readLine('.hold db is on fire'), { command: { kind: 'hold', reason: 'db is on fire' } });
    for (const kind of ['leave', 'status', 'good', 'release', 'help'] as const)
      assert.deepEqual(readLine(`.${kind}`), { command: { kind } });
  });

  it('leaves lines that are not for the bot alone', () => {
    assert.equal(readLine('good morning'), undefined);
    assert.equal(readLine('see https://example.com/.join'), undefined);
  });

  it('answers unknown words, a hold without a reason, and words after a bare command, in one line', () => {
    assert.deepEqual(readLine('.deploy now'), { answer: 'I do not know .deploy: .help lists what I do' });
    assert.deepEqual(readLine('.hold'), { answer: '.hold needs a reason: .hold REASON' });
    assert.deepEqual(readLine('.join later'), { answer: '.join takes nothing, or "config": not "later"' });
    assert.deepEqual(readLine('.leave me'), { answer: '.leave takes nothing after it (see .help)' });
    assert.match((readLine(`.hold ${'x'.repeat(201)}`) as { answer: string }).answer, /at most 200/);
  });

  it('never repeats control characters', () => {
    assert.deepEqual(readLine('.hold \u0003' + '4red\u0007 alert'), {
      command: { kind: 'hold', reason: '4red alert' },
    });
  });
});

describe('validNick', () => {
  it('takes IRC nicks and refuses control characters, spaces and leading digits', () => {
    for (const nick of ['ada', 'Bob_', '[away]', 'x-1']) assert.equal(validNick(nick), true, nick);
    for (const nick of ['', '1ada', 'a b', 'ada\u0007', 'ada\r\nPRIVMSG']) assert.equal(validNick(nick), false, nick);
  });
});

describe('floodVerdict', () => {
  it('lets five commands in ten seconds through, answers the sixth once, ignores the rest, and forgets', () => {
    const state: FloodState = new Map();
    const verdicts = Array.from({ length: 8 }, (_, i) => floodVerdict(state, 'ada', 1000 + i));
    assert.deepEqual(verdicts, ['go', 'go', 'go', 'go', 'go', 'warn', 'ignore', 'ignore']);
    assert.equal(floodVerdict(state, 'bob', 1010), 'go', 'each nick on its own');
    assert.equal(floodVerdict(state, 'ada', 20_000), 'go', 'a new window');
  });
});

describe('nicks', () => {
  it('maps nicks (any case) to devenv users, and refuses a file that is not a map of both', () => {
    const nicks = parseNicks('Ada_: ada\nbob: bob\n');
    assert.ok(nicks instanceof Map);
    assert.equal(nicks.get('ada_'), 'ada');
    assert.match(parseNicks('- ada') as string, /map each nick/);
    assert.match(parseNicks('ada: Not A User') as string, /not a devenv user/);
    assert.match(parseNicks('"1ada": ada') as string, /not an IRC nick/);
    assert.deepEqual(parseNicks(undefined), new Map());
  });

  it('writes a nick anew in place of the same nick in another case', () => {
    const text = withNick(withNick(undefined, 'Ada', 'ada'), 'ADA', 'ada2');
    assert.deepEqual(parseNicks(text), new Map([['ada', 'ada2']]));
  });
});

const entry = (
  id: number,
  user: string,
  train: 'code' | 'config' = 'code',
  groupId: number | null = null,
): QueueEntry => ({
  id,
  user,
  train,
  commit: 'c0ffee0000',
  repo: `/home/${user}/shop`,
  joinedAt: '2026-12-03T10:00:00Z',
  groupId,
});
const deploy = (over: Partial<DeployRecord>): DeployRecord => ({
  id: 1,
  train: 'code',
  stage: 'princess',
  commit: 'abc1234567890',
  previousCommit: 'fed9876543210',
  users: ['ada', 'bob'],
  entryIds: [1, 2],
  changes: '',
  diffStat: '',
  hosts: [],
  driver: 'cli',
  state: 'running',
  error: null,
  startedAt: '2026-12-03T10:00:00Z',
  finishedAt: null,
  seconds: null,
  ...over,
});
const reading = (over: Partial<StoreReading['state']> = {}, deploys: DeployRecord[] = []): StoreReading => ({
  state: { entries: [], hold: null, running: null, ...over },
  deploys,
  verdicts: {},
});
const texts = (before: StoreReading, after: StoreReading) =>
  announcements(before, after).map((a) => `${a.channel} ${a.text}`);

describe('announcements', () => {
  it('says who joined, which group they ride in, and whose turn it is', () => {
    assert.deepEqual(texts(reading(), reading({ entries: [entry(1, 'ada'), entry(2, 'bob')] })), [
      '#deploy ada joined the code train: group 1 is ada, bob',
      '#deploy bob joined the code train: group 1 is ada, bob',
      '#deploy ada, bob: your turn (code train): run `devenv deploy` or press Princess on the deploy page',
    ]);
  });

  it('says a deploy started, princess ready for each rider’s .good, and prod live with the watch’s verdict', () => {
    const riding = [entry(1, 'ada', 'code', 1), entry(2, 'bob', 'code', 1)];
    const princess = deploy({ id: 1 });
    const started = texts(reading({ entries: riding }), reading({ entries: riding }, [princess]));
    assert.deepEqual(started, ['#deploy deploy #1: code to princess for ada, bob (abc1234567)']);
    const ready = texts(
      reading({ entries: riding }, [princess]),
      reading({ entries: riding }, [{ ...princess, state: 'succeeded' }]),
    );
    assert.deepEqual(ready, [
      '#deploy princess runs abc1234567: ada, check your change there and say .good; bob, check your change there and say .good',
    ]);
    const prod = deploy({ id: 2, stage: 'prod', state: 'succeeded', seconds: 84, hosts: ['host-1', 'host-2'] });
    const live = announcements(reading({ entries: riding }, [princess]), {
      ...reading({}, [prod, princess]),
      verdicts: { 2: 'watch verdict: no regression; graph: /tmp/watch.png' },
    }).map((a) => a.text);
    assert.deepEqual(live, [
      'deploy #2: code to prod on host-1, host-2 for ada, bob (abc1234567)',
      'prod is live: abc1234567 for ada, bob in 84 s',
      'watch verdict: no regression; graph: /tmp/watch.png',
    ]);
  });

  it('says who checked their change on princess, and whom prod still waits for', () => {
    const riding = [entry(1, 'ada', 'code', 1), entry(2, 'bob', 'code', 1)];
    assert.deepEqual(texts(reading({ entries: riding, goods: [] }), reading({ entries: riding, goods: ['bob'] })), [
      '#deploy bob checked their change on princess (.good): prod waits for ada',
    ]);
    assert.deepEqual(
      texts(reading({ entries: riding, goods: ['bob'] }), reading({ entries: riding, goods: ['bob', 'ada'] })),
      ['#deploy ada checked their change on princess (.good): every rider said .good, prod may go'],
    );
  });

  it('says a failure and its rollback', () => {
    const running = deploy({ id: 3, stage: 'prod' });
    assert.deepEqual(
      texts(
        reading({}, [running]),
        reading({}, [{ ...running, state: 'rolled-back', error: 'smoke test home page failed' }]),
      ),
      ['#deploy deploy #3 to prod rolled back to fed9876543: smoke test home page failed (ada, bob)'],
    );
  });

  it('posts a hold in #warroom too, and says the release', () => {
    const hold = { by: 'ada', reason: 'db is on fire', at: '2026-12-03T10:01:00Z' };
    assert.deepEqual(texts(reading(), reading({ hold })), [
      '#deploy the queue is held by ada: db is on fire',
      '#warroom the queue is held by ada: db is on fire (in #deploy)',
    ]);
    assert.deepEqual(texts(reading({ hold }), reading()), ['#deploy the queue is released: deploys may go again']);
  });

  it('says nothing when nothing changed, and tells a leave from a group gone to prod', () => {
    const riders = [entry(1, 'ada', 'code', 1)];
    assert.deepEqual(texts(reading({ entries: riders }), reading({ entries: riders })), []);
    const shipped = deploy({ id: 2, stage: 'prod', state: 'succeeded', entryIds: [1], users: ['ada'] });
    assert.deepEqual(texts(reading({ entries: riders }, [shipped]), reading({}, [shipped])), []);
    assert.deepEqual(texts(reading({ entries: [entry(5, 'bob')] }), reading()), ['#deploy bob left the queue']);
  });
});

describe('statusLines', () => {
  it('tells what deploys, the hold, and each group', () => {
    const state = {
      entries: [entry(1, 'ada', 'code', 7), entry(2, 'bob'), entry(3, 'cy', 'config')],
      hold: { by: 'dee', reason: 'incident', at: '2026-12-03T10:00:00Z' },
      running: {
        id: 7,
        stage: 'princess' as const,
        train: 'code' as const,
        users: ['ada'],
        startedAt: '',
        pid: 1,
        heartbeatAt: '',
      },
    };
    assert.deepEqual(statusLines(state), [
      'deploying: #7, code to princess for ada',
      'held by dee: incident (.release lets it go)',
      'group 1 (code, deploying): ada',
      'group 2 (code): bob',
      'group 3 (config): cy',
    ]);
    assert.deepEqual(statusLines({ entries: [], hold: null, running: null }), [
      'the queue is empty: .join to ride the next deploy',
    ]);
  });
});
