import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluate, parseFlags, type Exposure, type Flags } from '../flags.ts';
import {
  exposureCounter,
  parseFeatures,
  readFlagSettings,
  requestFlags,
  Visitors,
  type CountExposure,
  type RequestFlags,
} from '../flag-request.ts';
import { homePage, renderHomePage } from '../home-page.ts';
import { formatPacket } from '../statsd-line.ts';

function flagsOf(text: string): Flags {
  const result = parseFlags(text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.flags;
}

/** A reader whose exposures are recorded in `counted`, as the statsd client would count them. */
function recording(): { counted: Exposure[]; countExposure: CountExposure } {
  const counted: Exposure[] = [];
  return { counted, countExposure: (_flags, outcome) => void counted.push(outcome.exposure) };
}

/** Asks a, a, ab, missing, missing, as a page asking some flags twice would: the variant of ab. */
function askSomeTwice(request: RequestFlags): string {
  request.variant('a');
  request.variant('a');
  const ab = request.variant('ab');
  request.variant('missing');
  request.variant('missing');
  return ab;
}

const flags = flagsOf(
  'flags:\n  a: true\n  dark: { percent: 0, admin: on }\n  ab: { variants: { blue: 50, green: 50 } }\n',
);
const prod = readFlagSettings({});
const dev = readFlagSettings({ DEVENV_TIER: 'dev', STAFF_TOKEN: 'sesame' });

test('a new visitor gets a random id, and a cookie only when a flag used it', () => {
  const first = requestFlags(flags, {}, '', prod);
  assert.match(first.context.visitorId, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(first.cookie(), undefined, 'no flag evaluated: no cookie');
  first.variant('a');
  assert.equal(first.cookie(), `visitor=${first.context.visitorId}; Path=/; Max-Age=63072000; HttpOnly; SameSite=Lax`);
  assert.notEqual(requestFlags(flags, {}, '', prod).context.visitorId, first.context.visitorId);
});

test('a returning visitor keeps their id and variant, and gets no new cookie', () => {
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  const once = requestFlags(flags, { cookie: `theme=dark; visitor=${id}` }, '', prod);
  const again = requestFlags(flags, { cookie: `visitor=${id}` }, '', prod);
  assert.equal(once.context.visitorId, id);
  assert.equal(once.variant('ab'), again.variant('ab'));
  assert.equal(once.cookie(), undefined);
  assert.notEqual(
    requestFlags(flags, { cookie: 'visitor=<script>' }, '', prod).context.visitorId,
    '<script>',
    'a malformed id is replaced',
  );
});

test('exposures: one counter per flag evaluated, however often it is asked', () => {
  const { counted, countExposure } = recording();
  const ab = askSomeTwice(requestFlags(flags, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure));
  assert.deepEqual(counted, [
    { name: 'flags.a.on', value: 1, type: 'c' },
    { name: `flags.ab.${ab}`, value: 1, type: 'c' },
    { name: 'flags.missing.off', value: 1, type: 'c' },
  ]);
  const listing = requestFlags(flags, {}, '', prod, countExposure);
  assert.deepEqual(Object.keys(listing.all()), ['a', 'dark', 'ab']);
  assert.equal(counted.length, 3, '/flags.json shows nothing to the visitor: not an exposure');
});

test('?features= forces flags in dev, never in prod', () => {
  assert.equal(requestFlags(flags, {}, '?features=dark:on,ab:green', dev).variant('dark'), 'on');
  assert.equal(requestFlags(flags, {}, '?features=dark,ab:green', dev).variant('ab'), 'green');
  assert.equal(requestFlags(flags, {}, '?features=a%3Aoff', dev).variant('a'), 'off');
  assert.equal(requestFlags(flags, {}, '?features=dark:on', prod).variant('dark'), 'off');
  assert.deepEqual(
    [...parseFeatures(['a:x, b', 'c:'])],
    [
      ['a', 'x'],
      ['b', 'on'],
      ['c', ''],
    ],
  );
});

test('staff: the staff cookie must match STAFF_TOKEN; without a token nobody is staff', () => {
  assert.equal(requestFlags(flags, { cookie: 'staff=sesame' }, '', dev).variant('dark'), 'on');
  assert.deepEqual(requestFlags(flags, { cookie: 'staff=sesame' }, '', dev).context.groups, ['staff']);
  assert.equal(requestFlags(flags, { cookie: 'staff=sesam' }, '', dev).variant('dark'), 'off');
  assert.equal(
    requestFlags(flags, { cookie: 'staff=' }, '', readFlagSettings({ STAFF_TOKEN: '' })).variant('dark'),
    'off',
  );
  assert.equal(requestFlags(flags, { cookie: 'staff=anything' }, '', prod).context.isAdmin, false);
});

test('the user cookie is the user id when it looks like one', () => {
  assert.equal(requestFlags(flags, { cookie: 'user=ada' }, '', prod).context.userId, 'ada');
  assert.equal(requestFlags(flags, { cookie: 'user=a b;' }, '', prod).context.userId, undefined);
});

test('cookies: names and values trimmed, the last of a name wins, others and nameless parts skipped', () => {
  const id = 'CCCCCCCCCCCCCCCCCCCCCC';
  const read = (cookie: string) => requestFlags(flags, { cookie }, '', prod).context;
  assert.equal(read(`visitors=x; \tvisitor = ${id} ;user=ada`).visitorId, id);
  assert.equal(read(`visitor=AAAAAAAAAAAAAAAAAAAAAA; visitor=${id}`).visitorId, id);
  assert.equal(read(`=ada; user=bob; theme=dark=blue`).userId, 'bob');
  assert.equal(read(`user; visitor=${id}`).userId, undefined);
  assert.equal(read(`\u00a0user\u00a0=ada`).userId, 'ada', 'as String.prototype.trim would');
});

test('a reader answers as evaluate() does, and reads nothing until a flag is asked', () => {
  const many = flagsOf(
    `flags:\n${Array.from({ length: 12 }, (_, i) => `  f${i}: { percent: ${i * 9}, variants: { x: 30, y: 70 }, users: ["7"] }`).join('\n')}\n`,
  );
  for (const cookie of ['visitor=DDDDDDDDDDDDDDDDDDDDDD', 'visitor=EEEEEEEEEEEEEEEEEEEEEE; user=7', '']) {
    const request = requestFlags(many, { cookie }, '', prod);
    for (const name of [...many.keys()].reverse())
      assert.equal(request.variant(name), evaluate(many, name, request.context));
  }
  const { counted, countExposure } = recording();
  const untouched = requestFlags(many, {}, '', prod, countExposure);
  assert.equal(untouched.cookie(), undefined);
  assert.deepEqual(counted, []);
});

test('exposures are shared, frozen counters that format as the packet carries them', () => {
  const { counted, countExposure } = recording();
  const first = requestFlags(flags, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure);
  const second = requestFlags(flags, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure);
  first.variant('a');
  second.variant('a');
  assert.equal(counted[0], counted[1], 'made once per flags load');
  assert.ok(Object.isFrozen(counted[0]));
  first.variant('missing');
  assert.equal(
    formatPacket('shop', [{ name: 'requests', value: 1, type: 'c' }, counted[0]!, counted[2]!]),
    'shop.requests:1|c\nshop.flags.a.on:1|c\nshop.flags.missing.off:1|c',
  );
});

test('the tier: DEVENV_TIER, else prod', () => {
  assert.equal(prod.tier, 'prod');
  assert.equal(dev.tier, 'dev');
});

test('the home page shows the new banner with its flag and variant, for e2e tests to find', () => {
  const page = renderHomePage({ shopName: 's', servedBy: 'h', items: [], saleBanner: false, newBanner: 'green' });
  assert.match(page, /<p class="banner banner-green" data-flag="new_banner" data-variant="green">/);
  assert.doesNotMatch(
    renderHomePage({ shopName: 's', servedBy: 'h', items: [], saleBanner: false, newBanner: 'off' }),
    /data-flag/,
  );
});

test('ids are taken from cookies exactly when they match their patterns', () => {
  const visitorPattern = /^[A-Za-z0-9_-]{16,64}$/;
  const userPattern = /^[A-Za-z0-9_.@-]{1,64}$/;
  const values = [
    'A'.repeat(15),
    'A'.repeat(16),
    'aZ09_-'.repeat(10).slice(0, 64),
    'A'.repeat(65),
    'ada',
    'a.b@c-d_e',
    'a b',
    'a+b',
    'a/b',
    'caf\u00e9',
    '\u65e5\u672c',
    'x'.repeat(64),
    'a.b.c.d.e.f.g.h.i.j.k.l',
    '-'.repeat(20),
  ];
  for (const value of values) {
    const context = requestFlags(flags, { cookie: `visitor=${value}; user=${value}` }, '', prod).context;
    assert.equal(context.visitorId === value, visitorPattern.test(value), `visitor ${JSON.stringify(value)}`);
    assert.equal(context.userId === value, userPattern.test(value), `user ${JSON.stringify(value)}`);
  }
});

test('exposures are counted as flags are first asked: by slot for flags of the file, by name for the others', () => {
  const counted: string[] = [];
  const lists: string[][] = [];
  const countExposure = exposureCounter({
    tallyList: (names) => {
      lists.push([...names]);
      return (slot) => void counted.push(names[slot]!);
    },
    tally: (counters) => void counted.push(...counters.map((counter) => counter.name)),
  });
  const first = requestFlags(flags, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure);
  const ab = askSomeTwice(first);
  assert.deepEqual(first.all(), { a: 'on', dark: 'off', ab }, 'listing every flag');
  requestFlags(flags, {}, '', prod, countExposure);
  requestFlags(flags, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure).variant('dark');
  assert.deepEqual(
    counted,
    ['flags.a.on', `flags.ab.${ab}`, 'flags.missing.off', 'flags.dark.off'],
    '/flags.json is not an exposure',
  );
  assert.equal(lists.length, 1, 'one list per flags load');
  requestFlags(flagsOf('flags:\n  a: false\n'), {}, '', prod, countExposure).variant('a');
  assert.equal(lists.length, 2, 'a new list for new flags');
  assert.equal(counted.at(-1), 'flags.a.off');
});

test("the home page asks its own two flags on the request's reader", () => {
  const banners = flagsOf('flags:\n  sale_banner: true\n  new_banner: { variants: { green: 100 } }\n');
  const { counted, countExposure } = recording();
  const request = requestFlags(banners, { cookie: 'visitor=BBBBBBBBBBBBBBBBBBBBBB' }, '', prod, countExposure);
  const page = homePage({ shopName: 's', servedBy: 'h', items: [] }, request);
  assert.match(page, /Sale this week/);
  assert.match(page, /data-flag="new_banner" data-variant="green"/);
  assert.deepEqual(
    counted.map((exposure) => exposure.name),
    ['flags.sale_banner.on', 'flags.new_banner.green'],
  );
  assert.doesNotMatch(
    homePage({ shopName: 's', servedBy: 'h', items: [] }, requestFlags(flags, {}, '', prod)),
    /class="banner/,
  );
});

describe('returning visitors remembered (Visitors)', () => {
  const many = flagsOf(
    `flags:\n${Array.from({ length: 40 }, (_, i) => `  f${i}: { percent: ${(i * 7) % 101}, variants: { x: 30, y: 70 }, users: ["7"], admin: y }`).join('\n')}\n`,
  );
  const names = [...many.keys()];
  const headers = [
    'visitor=DDDDDDDDDDDDDDDDDDDDDD',
    'visitor=EEEEEEEEEEEEEEEEEEEEEE; user=7',
    'visitor=EEEEEEEEEEEEEEEEEEEEEE',
    'staff=sesame; visitor=FFFFFFFFFFFFFFFFFFFFFF',
  ];

  test('a remembered visitor gets the answers, context and exposures of one read afresh, in any order asked', () => {
    const visitors = new Visitors();
    for (let pass = 0; pass < 3; pass++) {
      for (const cookie of headers) {
        const fresh = recording();
        const remembered = recording();
        const plain = requestFlags(many, { cookie }, '', dev, fresh.countExposure);
        const memo = requestFlags(many, { cookie }, '', dev, remembered.countExposure, visitors);
        const order = pass === 1 ? [...names].reverse() : names;
        for (const name of [...order, ...order.slice(0, 5), 'not_in_file', 'not_in_file'])
          assert.equal(memo.variant(name), plain.variant(name), `${cookie} ${name}`);
        assert.deepEqual(memo.context, plain.context);
        assert.deepEqual(remembered.counted, fresh.counted, 'each flag counted once per request, in the order asked');
        assert.equal(remembered.counted.length, names.length + 1);
        assert.equal(memo.cookie(), undefined, 'a returning visitor gets no new cookie');
      }
    }
    assert.equal(visitors.size, headers.length);
  });

  test('new visitors, ?features= and long headers are not remembered; new flags forget everyone', () => {
    const visitors = new Visitors();
    const newcomer = requestFlags(many, {}, '', dev, undefined, visitors);
    newcomer.variant('f1');
    assert.match(newcomer.cookie() ?? '', /^visitor=/);
    requestFlags(many, { cookie: 'visitor=<bad>' }, '', dev, undefined, visitors).variant('f1');
    assert.equal(visitors.size, 0, 'no valid visitor id: nothing to remember');
    const forced = requestFlags(many, { cookie: headers[0] }, '?features=f1:x', dev, undefined, visitors);
    assert.equal(forced.variant('f1'), 'x');
    assert.equal(visitors.size, 0);
    assert.notEqual(requestFlags(many, { cookie: headers[0] }, '', prod, undefined, visitors).variant('f1'), undefined);
    assert.equal(visitors.size, 1);
    requestFlags(many, { cookie: `${headers[0]}; junk=${'j'.repeat(600)}` }, '', prod, undefined, visitors).variant(
      'f1',
    );
    assert.equal(visitors.size, 1, 'a header over 512 characters is not kept');
    const all = flagsOf('flags:\n  f1: true\n');
    assert.equal(
      requestFlags(all, { cookie: headers[0] }, '', prod, undefined, visitors).variant('f1'),
      'on',
      'answered from the new file',
    );
    assert.equal(visitors.size, 1, "the old file's visitors forgotten");
  });

  test('at most `capacity` visitors, the most recent kept', () => {
    const visitors = new Visitors(100);
    for (let i = 0; i < 1000; i++)
      requestFlags(many, { cookie: `visitor=${String(i).padStart(22, 'V')}` }, '', prod, undefined, visitors).variant(
        'f3',
      );
    assert.ok(visitors.size <= 100, `${visitors.size} remembered`);
    assert.ok(visitors.size >= 50);
  });
});
