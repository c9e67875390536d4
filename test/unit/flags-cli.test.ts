import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  applyFlagChange,
  flagsLint,
  flagsList,
  flagsSet,
  flagsShow,
  parseVariantsOption,
  unifiedDiff,
} from '../../cli/commands/flags.ts';
import { UserError } from '../../lib/errors.ts';
import { lintFlags } from '../../site/flags.ts';

const file = `# flags of the shop
flags:
  # the sale, on in the last week of a month
  sale: false
  banner:
    description: the new banner
    percent: 0   # dark for now
    variants: { blue: 50, green: 50 }
`;

describe('flags set: the edit', () => {
  it('keeps the shorthand for on and off, and every comment', () => {
    const next = applyFlagChange(file, 'sale', { enabled: true });
    assert.equal(next, file.replace('sale: false', 'sale: true'));
  });

  it('changes settings in place, comments and order kept', () => {
    const next = applyFlagChange(file, 'banner', {
      percent: 10,
      variants: [
        ['blue', 20],
        ['green', 80],
      ],
    });
    // the edited line's comment gets yaml's one space; the others keep theirs
    assert.equal(
      next,
      file.replace('percent: 0   #', 'percent: 10 #').replace('{ blue: 50, green: 50 }', '{ blue: 20, green: 80 }'),
    );
  });

  it('turns the shorthand into settings, an off flag staying off until --on', () => {
    assert.match(
      applyFlagChange(file, 'sale', { percent: 5 }),
      /  sale:\n    enabled: false\n    percent: 5\n  banner:/,
    );
    assert.match(
      applyFlagChange(file, 'sale', { percent: 5, enabled: true }),
      /  sale:\n    enabled: true\n    percent: 5\n/,
    );
  });

  it('adds a new flag at the end, and grows `flags: {}` into a block', () => {
    assert.ok(
      applyFlagChange(file, 'fresh', { users: ['ada', 'bob'], percent: 0 }).endsWith(
        '  fresh:\n    percent: 0\n    users: [ ada, bob ]\n',
      ),
    );
    assert.equal(applyFlagChange('flags: {}\n', 'x', { enabled: true }), 'flags:\n  x: true\n');
    assert.equal(applyFlagChange('flags:\n', 'x', { enabled: false }), 'flags:\n  x: false\n');
  });
});

describe('the diff', () => {
  it('is unified, removed lines before added, with context', () => {
    const diff = unifiedDiff('a\nb\nc\nd\ne\nf\ng\n', 'a\nb\nc\nD\ne\nf\ng\nh\n', 'site/flags.yaml');
    assert.equal(
      diff,
      [
        '--- a/site/flags.yaml',
        '+++ b/site/flags.yaml',
        '@@ -2,6 +2,7 @@',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        '+h',
      ].join('\n'),
    );
    assert.equal(unifiedDiff('same\n', 'same\n', 'x'), '');
  });

  it('splits changes far apart into hunks', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = lines.map((line, i) => (i === 1 || i === 18 ? `${line}!` : line));
    const diff = unifiedDiff(lines.join('\n'), changed.join('\n'), 'f');
    assert.deepEqual(
      diff.split('\n').filter((line) => line.startsWith('@@')),
      ['@@ -1,4 +1,4 @@', '@@ -17,4 +17,4 @@'],
    );
  });
});

describe('flags commands on a file', () => {
  let dir = '';
  let path = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flags-cli-'));
    path = join(dir, 'flags.yaml');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('set writes the file and returns the diff; list and show read it back', async () => {
    await writeFile(path, file);
    const result = await flagsSet('banner', { percent: 25 }, { file: path });
    assert.equal(result.changed, true);
    assert.match(result.diff, /^-    percent: 0   # dark for now\n\+    percent: 25/m);
    assert.equal(result.flag.summary, '25% blue/green');
    assert.deepEqual(lintFlags(await readFile(path, 'utf8')), []);
    assert.deepEqual(
      (await flagsList({ file: path })).flags.map((flag) => [flag.name, flag.summary]),
      [
        ['sale', 'off'],
        ['banner', '25% blue/green'],
      ],
    );
    assert.equal((await flagsShow('banner', { file: path })).description, 'the new banner');
    const again = await flagsSet('banner', { percent: 25 }, { file: path });
    assert.equal(again.changed, false);
  });

  const refusals: { why: string; name: string; change: Parameters<typeof flagsSet>[1]; message: RegExp }[] = [
    {
      why: 'a percent of 150',
      name: 'banner',
      change: { percent: 150 },
      message: /refused: flag "banner": percent 150 is not between 0 and 100; .* is unchanged/,
    },
    {
      why: 'weights short of 100',
      name: 'banner',
      change: {
        variants: [
          ['a', 50],
          ['b', 40],
        ],
      },
      message: /add up to 90, not 100/,
    },
    { why: 'a bad flag name', name: 'bad name', change: { enabled: true }, message: /flag name "bad name"/ },
    {
      why: 'a variant called off',
      name: 'banner',
      change: { variants: [['off', 100]] },
      message: /cannot be called "off"/,
    },
    { why: 'nothing to set', name: 'banner', change: {}, message: /nothing to set/ },
  ];
  for (const { why, name, change, message } of refusals) {
    it(`set refuses ${why} and leaves the file as it was`, async () => {
      await writeFile(path, file);
      await assert.rejects(
        flagsSet(name, change, { file: path }),
        (error: Error) => error instanceof UserError && message.test(error.message),
      );
      assert.equal(await readFile(path, 'utf8'), file);
    });
  }

  it('set refuses to edit a file that fails lint already', async () => {
    await writeFile(path, 'flags:\n  a: maybe\n');
    await assert.rejects(flagsSet('b', { enabled: true }, { file: path }), /has problems already \(line 2: /);
  });

  it('lint names each problem with its line', async () => {
    await writeFile(
      path,
      'flags:\n  a: { percent: 150 }\n  b:\n    variants: { x: 60, y: 60 }\n  a: true\n  c: "yes"\n  d: { prcent: 1 }\n',
    );
    const result = await flagsLint({ file: path });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((problem) => problem.line),
      [2, 4, 5, 6, 7],
    );
    await writeFile(path, file);
    assert.deepEqual(await flagsLint({ file: path }), { file: path, ok: true, flags: 2, problems: [] });
  });

  it('the variants option keeps its order and refuses what is not name=weight', () => {
    assert.deepEqual(parseVariantsOption('b=70, a=30'), [
      ['b', 70],
      ['a', 30],
    ]);
    assert.throws(() => parseVariantsOption('a:50'), /name=weight/);
  });
});
