import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bucketOf,
  evaluate,
  exposuresOf,
  flagList,
  lintFlags,
  parseFlags,
  type FlagContext,
  type Flags,
} from '../flags.ts';

function flagsOf(text: string): Flags {
  const result = parseFlags(text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.flags;
}

const visitor = (id: string | number, more: Partial<FlagContext> = {}): FlagContext => ({
  visitorId: `v-${id}`,
  groups: [],
  isAdmin: false,
  tier: 'prod',
  urlOverrides: new Map(),
  ...more,
});

const ids = 100_000;

/** How many of 10^5 visitors get each answer. */
function tally(
  flags: Flags,
  name: string,
  context: (i: number) => FlagContext = (i) => visitor(i),
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids; i++) {
    const value = evaluate(flags, name, context(i));
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** Within 5 standard deviations of a binomial share: fails by chance about once in 3.5 million runs. */
function assertShare(count: number, share: number, what: string): void {
  const expected = ids * share;
  const sd = Math.sqrt(ids * share * (1 - share));
  assert.ok(
    Math.abs(count - expected) <= 5 * sd + 1,
    `${what}: ${count} of ${ids}, expected ${expected} +- ${Math.round(5 * sd)}`,
  );
}

describe('evaluation', () => {
  const flags = flagsOf(`
flags:
  on_one: true
  off_one: false
  tenth: { percent: 10 }
  half: { percent: 50.5 }
  none: { percent: 0 }
  ab: { variants: { blue: 50, green: 30, red: 20 } }
  ab_tenth: { percent: 10, variants: { a: 50, b: 50 } }
  killed: { enabled: false, users: [ada], admin: on }
  by_user: { bucket: user, percent: 50 }
  listed: { percent: 0, users: [ada, 42], groups: [beta], variants: { x: 50, y: 50 } }
  staff_only: { percent: 0, admin: on }
  staff_sees: { variants: { a: 50, b: 50 }, admin: b }
  staff_not: { admin: off }
`);

  const cases: { flag: string; context: FlagContext; want: string; why: string }[] = [
    { flag: 'on_one', context: visitor(1), want: 'on', why: 'shorthand true: on for everyone' },
    { flag: 'off_one', context: visitor(1), want: 'off', why: 'shorthand false: off for everyone' },
    { flag: 'missing', context: visitor(1), want: 'off', why: 'a missing flag is off' },
    { flag: 'constructor', context: visitor(1), want: 'off', why: 'names every object has are not flags' },
    { flag: 'none', context: visitor(1), want: 'off', why: 'percent 0' },
    {
      flag: 'killed',
      context: visitor(1, { userId: 'ada', isAdmin: true }),
      want: 'off',
      why: 'enabled: false beats users and admin',
    },
    {
      flag: 'listed',
      context: visitor(1, { userId: 'ada' }),
      want: evaluate(flags, 'listed', visitor(2, { userId: 'ada' })),
      why: 'a listed user gets it, by user id',
    },
    {
      flag: 'listed',
      context: visitor(1, { userId: '42' }),
      want: evaluate(flags, 'listed', visitor(9, { userId: '42' })),
      why: 'numeric user ids are ids',
    },
    { flag: 'listed', context: visitor(1, { userId: 'bob' }), want: 'off', why: 'unlisted user, percent 0' },
    { flag: 'by_user', context: visitor(1), want: 'off', why: 'bucket user without a user id' },
    { flag: 'staff_only', context: visitor(1, { isAdmin: true }), want: 'on', why: 'admin override' },
    { flag: 'staff_only', context: visitor(1), want: 'off', why: 'not staff' },
    { flag: 'staff_sees', context: visitor(1, { isAdmin: true }), want: 'b', why: 'admin names a variant' },
    {
      flag: 'staff_not',
      context: visitor(1, { isAdmin: true }),
      want: 'off',
      why: 'admin off hides a flag that is on for everyone else',
    },
    { flag: 'staff_not', context: visitor(1), want: 'on', why: 'everyone else' },
    // URL overrides: dev and princess only, and only values the flag can take
    {
      flag: 'none',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['none', 'on']]) }),
      want: 'on',
      why: 'url override in dev',
    },
    {
      flag: 'ab',
      context: visitor(1, { tier: 'princess', urlOverrides: new Map([['ab', 'red']]) }),
      want: 'red',
      why: 'url override picks a variant',
    },
    {
      flag: 'ab',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['ab', 'on']]) }),
      want: 'blue',
      why: '"on" forces the first variant',
    },
    {
      flag: 'on_one',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['on_one', 'off']]) }),
      want: 'off',
      why: 'url override off',
    },
    {
      flag: 'killed',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['killed', 'on']]) }),
      want: 'on',
      why: 'url override tries a killed flag in dev',
    },
    {
      flag: 'none',
      context: visitor(1, { tier: 'prod', urlOverrides: new Map([['none', 'on']]) }),
      want: 'off',
      why: 'no url override in prod',
    },
    {
      flag: 'ab',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['ab', 'purple']]) }),
      want: evaluate(flags, 'ab', visitor(1)),
      why: 'an unknown variant is ignored',
    },
    {
      flag: 'missing',
      context: visitor(1, { tier: 'dev', urlOverrides: new Map([['missing', 'on']]) }),
      want: 'off',
      why: 'a missing flag stays off',
    },
  ];
  for (const { flag, context, want, why } of cases) {
    test(`${flag}: ${why}`, () => assert.equal(evaluate(flags, flag, context), want));
  }

  test('a listed group gets the flag whatever its percent', () => {
    const counts = tally(flags, 'listed', (i) => visitor(i, { groups: ['beta'] }));
    assert.equal(counts.get('off'), undefined);
    assertShare(counts.get('x') ?? 0, 0.5, 'x among the group');
  });

  test('percentages hold on 10^5 ids', () => {
    assertShare(tally(flags, 'tenth').get('on') ?? 0, 0.1, 'percent 10');
    assertShare(tally(flags, 'half').get('on') ?? 0, 0.505, 'percent 50.5');
    assertShare(
      tally(flags, 'by_user', (i) => visitor(0, { userId: String(i) })).get('on') ?? 0,
      0.5,
      'percent 50 of sequential user ids',
    );
    assert.equal(tally(flags, 'none').get('off'), ids);
    assert.equal(tally(flags, 'on_one').get('on'), ids);
  });

  test('variants by weight on 10^5 ids, and independently of the rollout', () => {
    const counts = tally(flags, 'ab');
    assertShare(counts.get('blue') ?? 0, 0.5, 'blue');
    assertShare(counts.get('green') ?? 0, 0.3, 'green');
    assertShare(counts.get('red') ?? 0, 0.2, 'red');
    assert.equal(counts.get('off'), undefined);
    const rolled = tally(flags, 'ab_tenth');
    assertShare(rolled.get('a') ?? 0, 0.05, 'a of a 10% rollout');
    assertShare(rolled.get('b') ?? 0, 0.05, 'b of a 10% rollout');
  });

  test('stable per id, and growing the rollout keeps everyone who had it, in the same variant', () => {
    const small = flagsOf('flags:\n  f: { percent: 10, variants: { a: 50, b: 50 } }\n');
    const large = flagsOf('flags:\n  f: { percent: 60, variants: { a: 50, b: 50 } }\n');
    for (let i = 0; i < 20_000; i++) {
      const before = evaluate(small, 'f', visitor(i));
      assert.equal(evaluate(small, 'f', visitor(i)), before);
      if (before !== 'off') assert.equal(evaluate(large, 'f', visitor(i)), before, `visitor ${i}`);
    }
  });

  test('the bucket is FNV-1a of `<flag>:<id>`, mixed, whatever ids came before', () => {
    // The hash as the file format defines it, over the whole string at once.
    const reference = (name: string, id: string): number => {
      const text = `${name}:${id}`;
      let hash = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
      hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
      hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
      return ((hash ^ (hash >>> 16)) >>> 0) % 10_000;
    };
    const someIds = ['v-1', '', 'x'.repeat(100), 'v-2', 'café', '日本語のid', '😀', 'v-1', 'v-10', 'v-1'];
    for (const name of ['one', 'two'])
      for (const id of someIds) assert.equal(bucketOf(name, id), reference(name, id), `${name}:${id}`);
    // Two ids in turn, as a request asks flags bucketed by visitor and by user.
    const twoWays = flagsOf('flags:\n  by_visitor: { percent: 37 }\n  by_user: { bucket: user, percent: 37 }\n');
    for (let i = 0; i < 2000; i++) {
      const context = visitor(i, { userId: `u-${i % 7}` });
      assert.equal(
        evaluate(twoWays, 'by_visitor', context),
        reference('by_visitor', context.visitorId) < 3700 ? 'on' : 'off',
      );
      assert.equal(evaluate(twoWays, 'by_user', context), reference('by_user', context.userId!) < 3700 ? 'on' : 'off');
    }
  });

  test('each flag buckets on its own: the same id is not first in line for every flag', () => {
    let both = 0;
    for (let i = 0; i < ids; i++) if (bucketOf('one', `v-${i}`) < 1000 && bucketOf('two', `v-${i}`) < 1000) both++;
    assertShare(both, 0.01, 'in the first tenth of two flags');
  });
});

describe('the file', () => {
  test('every outcome of the file has a slot of its own, where exposuresOf lists its counter', () => {
    const flags = flagsOf('flags:\n  a: true\n  b: { variants: { x: 50, y: 50 } }\n  c: { percent: 5, admin: off }\n');
    const outcomes = [...flags.values()].flatMap((compiled) => [compiled.offOutcome, ...compiled.outcomes]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.slot).sort((p, q) => p - q),
      [0, 1, 2, 3, 4, 5, 6],
    );
    const exposures = exposuresOf(flags);
    for (const outcome of outcomes) assert.equal(exposures[outcome.slot], outcome.exposure);
    assert.deepEqual(
      exposures.map((exposure) => exposure.name),
      ['flags.a.off', 'flags.a.on', 'flags.b.off', 'flags.b.x', 'flags.b.y', 'flags.c.off', 'flags.c.on'],
    );
  });

  test('shorthand and settings, with defaults filled in, in file order', () => {
    const flags = flagList(flagsOf('flags:\n  b: true\n  a:\n    percent: 5\n    description: d\n'));
    assert.deepEqual(flags, [
      {
        name: 'b',
        enabled: true,
        percent: 100,
        variants: [{ name: 'on', weight: 100 }],
        bucket: 'visitor',
        users: [],
        groups: [],
      },
      {
        name: 'a',
        description: 'd',
        enabled: true,
        percent: 5,
        variants: [{ name: 'on', weight: 100 }],
        bucket: 'visitor',
        users: [],
        groups: [],
      },
    ]);
  });

  test('no flags at all, said on purpose', () => {
    assert.equal(flagsOf('flags: {}').size, 0);
    assert.equal(flagsOf('flags:\n').size, 0);
  });

  test('the shipped flags file passes lint', async () => {
    const { readFile } = await import('node:fs/promises');
    assert.deepEqual(lintFlags(await readFile(new URL('../flags.yaml', import.meta.url), 'utf8')), []);
  });

  const bad: { why: string; text: string; line: number; message: RegExp }[] = [
    { why: 'empty', text: '', line: 1, message: /empty/ },
    { why: 'bad YAML', text: 'flags:\n  a: [oops\n', line: 3, message: /not valid YAML/ },
    { why: 'not a map', text: '- a\n- b\n', line: 1, message: /map with the key "flags"/ },
    { why: 'unknown top key', text: 'flags: {}\nflag:\n  a: true\n', line: 2, message: /unknown key "flag"/ },
    { why: 'flags a list', text: 'flags: [a, b]', line: 1, message: /must be a map/ },
    {
      why: 'a string for a boolean',
      text: 'flags:\n  a: on\n',
      line: 2,
      message: /flag "a" must be true, false or a map of settings.*not "on"/,
    },
    { why: 'a number for a boolean', text: 'flags:\n  a: 1\n', line: 2, message: /not 1/ },
    { why: 'a bad name', text: 'flags:\n  "bad name": true\n', line: 2, message: /flag name "bad name"/ },
    {
      why: 'duplicate name',
      text: 'flags:\n  a: true\n  b: true\n  a: false\n',
      line: 4,
      message: /flag "a" is listed twice \(first on line 2\)/,
    },
    {
      why: 'percent 150',
      text: 'flags:\n  a:\n    percent: 150\n',
      line: 3,
      message: /flag "a": percent 150 is not between 0 and 100/,
    },
    { why: 'negative percent', text: 'flags:\n  a: { percent: -1 }\n', line: 2, message: /percent -1 is not between/ },
    {
      why: 'percent as text',
      text: 'flags:\n  a:\n    percent: "50"\n',
      line: 3,
      message: /percent must be a number from 0 to 100, not "50"/,
    },
    { why: 'percent too fine', text: 'flags:\n  a: { percent: 10.001 }\n', line: 2, message: /finer than 0.01/ },
    {
      why: 'weights short of 100',
      text: 'flags:\n  a:\n    variants:\n      x: 50\n      y: 40\n',
      line: 4,
      message: /weights of the variants add up to 90, not 100/,
    },
    {
      why: 'weights over 100',
      text: 'flags:\n  a:\n    variants: { x: 60, y: 60 }\n',
      line: 3,
      message: /add up to 120, not 100/,
    },
    {
      why: 'a weight as text',
      text: 'flags:\n  a:\n    variants:\n      x: "50"\n      y: 50\n',
      line: 4,
      message: /weight of variant "x" must be a number/,
    },
    {
      why: 'variants a list',
      text: 'flags:\n  a:\n    variants: [x, y]\n',
      line: 3,
      message: /variants must be a map/,
    },
    {
      why: 'a variant called off',
      text: 'flags:\n  a:\n    variants: { off: 50, on: 50 }\n',
      line: 3,
      message: /cannot be called "off"/,
    },
    {
      why: 'duplicate variant',
      text: 'flags:\n  a:\n    variants:\n      x: 50\n      x: 50\n',
      line: 5,
      message: /variant "x" is listed twice/,
    },
    { why: 'unknown key', text: 'flags:\n  a:\n    prcent: 5\n', line: 3, message: /flag "a": unknown key "prcent"/ },
    {
      why: 'a key given twice',
      text: 'flags:\n  a:\n    percent: 5\n    percent: 6\n',
      line: 4,
      message: /"percent" is given twice/,
    },
    {
      why: 'enabled as text',
      text: 'flags:\n  a:\n    enabled: yes\n',
      line: 3,
      message: /enabled must be true or false, not "yes"/,
    },
    {
      why: 'unknown bucket',
      text: 'flags:\n  a:\n    bucket: session\n',
      line: 3,
      message: /bucket must be "user" or "visitor"/,
    },
    { why: 'users not a list', text: 'flags:\n  a:\n    users: ada\n', line: 3, message: /users must be a list/ },
    {
      why: 'a group that is not a name',
      text: 'flags:\n  a:\n    groups:\n      - staff\n      - { x: 1 }\n',
      line: 5,
      message: /groups must list group names/,
    },
    {
      why: 'admin names an unknown variant',
      text: 'flags:\n  a:\n    variants: { x: 50, y: 50 }\n    admin: purple\n',
      line: 4,
      message: /admin names the variant "purple".*\(x, y, off\)/,
    },
    {
      why: 'admin "on" of a flag with variants',
      text: 'flags:\n  a:\n    variants: { x: 100 }\n    admin: on\n',
      line: 4,
      message: /admin names the variant "on"/,
    },
  ];
  for (const { why, text, line, message } of bad) {
    test(`lint: ${why}`, () => {
      const problems = lintFlags(text);
      assert.ok(problems.length > 0, 'a problem is found');
      assert.equal(problems[0]!.line, line, JSON.stringify(problems));
      assert.match(problems[0]!.message, message);
      const result = parseFlags(text);
      assert.equal(result.ok, false, 'nothing is loaded');
    });
  }

  test('lint reports every problem of a file, each on its line', () => {
    const problems = lintFlags('flags:\n  a: { percent: 150 }\n  b: maybe\n  c:\n    variants: { x: 10 }\n  a: true\n');
    assert.deepEqual(
      problems.map((p) => p.line),
      [2, 3, 5, 6],
    );
    assert.match(
      parseFlags('flags:\n  a: 2\n  b: 3\n').ok
        ? ''
        : (parseFlags('flags:\n  a: 2\n  b: 3\n') as { error: string }).error,
      /^line 2: .* \(and 1 more problem\)$/,
    );
  });
});
