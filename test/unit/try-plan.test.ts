// devenv try's pure part: names, trunk refs, what a failed `git apply` names, the verdict, the text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyFailures,
  containerName,
  defaultTrunks,
  depsVolumeName,
  fillDepsScript,
  pathList,
  trunkCandidates,
  tryId,
  verdict,
} from '../../try/plan.ts';
import { tryText } from '../../cli/commands/try.ts';
import type { TryResult } from '../../try/run.ts';

describe('try names', () => {
  it('an id sorts by time and differs by its random part', () => {
    const at = new Date('2025-03-04T05:06:07.890Z');
    assert.equal(tryId(at, 0xabcdef12), '20250304-050607-abcd');
    assert.equal(tryId(at, 0x1), '20250304-050607-0000');
    assert.notEqual(tryId(at, 0x12345678), tryId(at, 0x87654321));
    assert.ok(tryId(new Date('2025-03-04T05:06:08Z'), 0) > tryId(at, 0xffffffff));
  });

  it('a container per user and try, a dependency cache per lockfile', () => {
    assert.equal(containerName('ada', '20250304-050607-abcd'), 'try-ada-20250304-050607-abcd');
    assert.match(depsVolumeName('{"lockfileVersion":3}'), /^devenv-try-deps-[0-9a-f]{16}$/);
    assert.equal(depsVolumeName('{"a":1}'), depsVolumeName(Buffer.from('{"a":1}')));
    assert.notEqual(depsVolumeName('{"a":1}'), depsVolumeName('{"a":2}'));
  });

  it('the cache is filled in a folder of its own and renamed into place', () => {
    const script = fillDepsScript('x1');
    assert.match(script, /npm ci --include=dev/);
    assert.match(script, /mv -T \/deps\/\.fill-x1\/node_modules \/deps\/node_modules/);
  });
});

describe('trunk refs', () => {
  it('origin/main first, else main; a given ref alone', () => {
    assert.deepEqual(trunkCandidates(undefined), [...defaultTrunks]);
    assert.deepEqual(defaultTrunks, ['origin/main', 'main']);
    assert.deepEqual(trunkCandidates('release-2'), ['release-2']);
  });

  it('refuses what git would read as an option, or not a ref at all', () => {
    for (const bad of ['', '-x', '--output=/tmp/x', 'a b', 'a\0b'])
      assert.throws(() => trunkCandidates(bad), /is not a git ref/, bad);
  });
});

describe('a diff that does not apply', () => {
  it('names each file git apply refused, once, in its order', () => {
    const stderr = [
      'error: patch failed: site/html.ts:1',
      'error: site/html.ts: patch does not apply',
      'error: site/new.ts: already exists in working directory',
      'error: site/gone.ts: No such file or directory',
      'warning: something else',
    ].join('\n');
    assert.deepEqual(applyFailures(stderr), ['site/html.ts', 'site/new.ts', 'site/gone.ts']);
  });

  it('names nothing for other complaints (the caller shows the first line)', () => {
    assert.deepEqual(applyFailures('error: corrupt patch at line 9\n'), []);
  });
});

describe('verdict', () => {
  it('passes only when every step passed', () => {
    assert.equal(
      verdict([
        { name: 'deps', status: 'pass', seconds: 0, cached: true },
        { name: 'typecheck', status: 'pass', seconds: 1 },
        { name: 'test', status: 'pass', seconds: 2 },
      ]),
      true,
    );
    assert.equal(
      verdict([
        { name: 'typecheck', status: 'fail', seconds: 1 },
        { name: 'test', status: 'pass', seconds: 2 },
      ]),
      false,
    );
    assert.equal(
      verdict([
        { name: 'deps', status: 'fail', seconds: 1 },
        { name: 'typecheck', status: 'skipped', seconds: 0 },
      ]),
      false,
    );
    assert.equal(verdict([]), false);
  });

  it('paths from git -z outputs, sorted, each once', () => {
    assert.deepEqual(pathList('b\0a\0', 'a\0c d\0'), ['a', 'b', 'c d']);
    assert.deepEqual(pathList('', ''), []);
  });
});

describe('try text', () => {
  const result: TryResult = {
    ok: false,
    id: '20250304-050607-abcd',
    repository: '/src/shop',
    trunk: { ref: 'origin/main', commit: '0123456789abcdef0123456789abcdef01234567' },
    base: '0123456789abcdef0123456789abcdef01234567',
    staged: false,
    files: ['site/a.ts', 'site/b.ts'],
    image: 'devenv/web:0011223344556677',
    steps: [
      { name: 'deps', status: 'pass', seconds: 0.2, cached: true },
      { name: 'typecheck', status: 'fail', seconds: 1.25, exitCode: 2 },
      { name: 'test', status: 'pass', seconds: 4 },
    ],
    seconds: 9.96,
    log: '/home/ada/.devenv/logs/try-20250304-050607-abcd.log',
  };

  it('the verdict first, one row per step, the log last', () => {
    assert.equal(
      tryText(result),
      [
        'try 20250304-050607-abcd: FAIL (2 files against origin/main 0123456, 10.0 s)',
        '  deps       pass     cached',
        '  typecheck  fail     1.3 s',
        '  test       pass     4.0 s',
        'log: /home/ada/.devenv/logs/try-20250304-050607-abcd.log',
      ].join('\n'),
    );
  });

  it('says when only the staged changes were tried', () => {
    assert.match(
      tryText({ ...result, ok: true, staged: true, files: ['x'] }),
      /^try \S+: PASS \(1 file staged against origin\/main/,
    );
  });
});
