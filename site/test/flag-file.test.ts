import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchFlagFile } from '../flag-file.ts';
import { flagList, summary, type Flags } from '../flags.ts';

const shown = (flags: Flags) => Object.fromEntries(flagList(flags).map((flag) => [flag.name, summary(flag)]));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await sleep(20);
  assert.ok(condition(), 'condition met within 2 s');
}

test('reloads on change, keeps the last good flags on a broken edit, follows a replaced file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flags-'));
  const path = join(dir, 'flags.yaml');
  const quiet = () => {};
  const warnings: string[] = [];
  try {
    await writeFile(path, 'flags:\n  a: true\n');
    const flags = await watchFlagFile(path, { pollMs: 50, log: quiet, warn: (line) => warnings.push(line) });
    try {
      assert.deepEqual(shown(flags.current()), { a: 'on' });

      await writeFile(path, 'flags:\n  a: false\n  b: true\n');
      await until(() => flags.current().has('b'));
      assert.deepEqual(shown(flags.current()), { a: 'off', b: 'on' });

      const goodDigest = flags.digest();
      assert.match(goodDigest, /^[0-9a-f]{64}$/);
      // Written in place, the file may be caught half-written (empty) first: wait for the real verdict.
      await writeFile(path, 'flags:\n  a: [oops\n');
      await until(() => warnings.some((line) => /not valid YAML/.test(line)));
      assert.match(warnings.find((line) => /not valid YAML/.test(line)) ?? '', /not valid YAML.*keeping a=off, b=on/);
      assert.equal(flags.digest(), goodDigest, 'a refused file does not count as loaded');
      assert.deepEqual(shown(flags.current()), { a: 'off', b: 'on' });

      // one that parses but fails lint is refused the same way, with its line
      await writeFile(path, 'flags:\n  a: false\n  b:\n    percent: 150\n');
      await until(() => warnings.some((line) => /percent 150/.test(line)));
      assert.match(
        warnings.at(-1) ?? '',
        /line 4: flag "b": percent 150 is not between 0 and 100; keeping a=off, b=on/,
      );
      assert.deepEqual(shown(flags.current()), { a: 'off', b: 'on' });

      // the way editors and config tools save: write aside, rename over
      await writeFile(join(dir, 'next.yaml'), 'flags:\n  c: { percent: 20, variants: { x: 50, y: 50 } }\n');
      await rename(join(dir, 'next.yaml'), path);
      await until(() => flags.current().has('c'));
      assert.deepEqual(shown(flags.current()), { c: '20% x/y' });
      assert.notEqual(flags.digest(), goodDigest);
    } finally {
      flags.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing file means no flags, and says so', async () => {
  const warnings: string[] = [];
  const flags = await watchFlagFile(join(tmpdir(), 'no-such-dir-for-flags', 'flags.yaml'), {
    warn: (line) => warnings.push(line),
  });
  flags.close();
  assert.equal(flags.current().size, 0);
  assert.match(warnings[0] ?? '', /no such file/);
});
