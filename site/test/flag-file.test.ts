import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchFlagFile } from '../flag-file.ts';

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
      assert.deepEqual(flags.current(), { a: true });

      await writeFile(path, 'flags:\n  a: false\n  b: true\n');
      await until(() => flags.current().b === true);
      assert.deepEqual(flags.current(), { a: false, b: true });

      await writeFile(path, 'flags:\n  a: [oops\n');
      await until(() => warnings.length > 0);
      assert.match(warnings[0] ?? '', /not valid YAML.*keeping a=off, b=on/);
      assert.deepEqual(flags.current(), { a: false, b: true });

      // the way editors and config tools save: write aside, rename over
      await writeFile(join(dir, 'next.yaml'), 'flags:\n  c: true\n');
      await rename(join(dir, 'next.yaml'), path);
      await until(() => flags.current().c === true);
      assert.deepEqual(flags.current(), { c: true });
    } finally {
      flags.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing file means no flags, and says so', async () => {
  const warnings: string[] = [];
  const flags = await watchFlagFile(join(tmpdir(), 'no-such-dir-for-flags', 'flags.yaml'), { warn: (line) => warnings.push(line) });
  flags.close();
  assert.deepEqual(flags.current(), {});
  assert.match(warnings[0] ?? '', /no such file/);
});
