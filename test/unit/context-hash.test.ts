// Content-hash tags: stable across runs, different when any input changes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFiles, contextHash } from '../../stacks/context-hash.ts';

describe('context hash', () => {
  let dir: string;
  let inputs: { contextDir: string; dockerfile: string };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devenv-hash-'));
    await mkdir(join(dir, 'ctx', 'lib'), { recursive: true });
    await mkdir(join(dir, 'ctx', 'node_modules', 'x'), { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM devenv/base:bookworm\n');
    await writeFile(join(dir, 'ctx', 'server.ts'), 'console.log(1)\n');
    await writeFile(join(dir, 'ctx', 'lib', 'a.ts'), 'export const a = 1\n');
    await writeFile(join(dir, 'ctx', 'node_modules', 'x', 'index.js'), 'ignored\n');
    inputs = { contextDir: join(dir, 'ctx'), dockerfile: join(dir, 'Dockerfile') };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is stable across runs and 16 hex characters', async () => {
    const first = await contextHash(inputs);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(await contextHash(inputs), first);
  });

  it('lists files sorted, skipping node_modules', async () => {
    assert.deepEqual(await contextFiles(inputs.contextDir), ['lib/a.ts', 'server.ts']);
  });

  it('changes when a file, the Dockerfile, a build arg or an exec bit changes, and back', async () => {
    const original = await contextHash(inputs);
    await writeFile(join(dir, 'ctx', 'lib', 'a.ts'), 'export const a = 2\n');
    const edited = await contextHash(inputs);
    assert.notEqual(edited, original);
    await writeFile(join(dir, 'ctx', 'lib', 'a.ts'), 'export const a = 1\n');
    assert.equal(await contextHash(inputs), original, 'same bytes, same tag');

    await writeFile(join(dir, 'Dockerfile'), 'FROM devenv/base:bookworm\nRUN true\n');
    assert.notEqual(await contextHash(inputs), original);
    await writeFile(join(dir, 'Dockerfile'), 'FROM devenv/base:bookworm\n');

    assert.notEqual(await contextHash({ ...inputs, buildArgs: { A: '1' } }), original);

    await chmod(join(dir, 'ctx', 'server.ts'), 0o755);
    assert.notEqual(await contextHash(inputs), original);
    await chmod(join(dir, 'ctx', 'server.ts'), 0o644);

    await writeFile(join(dir, 'ctx', 'node_modules', 'x', 'index.js'), 'still ignored\n');
    assert.equal(await contextHash(inputs), original);
  });

  it('changes when a file is renamed with the same bytes', async () => {
    const original = await contextHash(inputs);
    const { rename } = await import('node:fs/promises');
    await rename(join(dir, 'ctx', 'lib', 'a.ts'), join(dir, 'ctx', 'lib', 'b.ts'));
    assert.notEqual(await contextHash(inputs), original);
    await rename(join(dir, 'ctx', 'lib', 'b.ts'), join(dir, 'ctx', 'lib', 'a.ts'));
  });
});
