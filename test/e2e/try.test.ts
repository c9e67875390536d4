// devenv try as a developer runs it, from throwaway clones of this repository:
// a passing and a failing diff tried at the same time give the right verdicts,
// --staged leaves the rest of the working copy out, bad input is refused in one
// line, and the working copies are byte for byte what they were.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import type { TryResult } from '../../try/run.ts';
import { devenvBin } from '../support/devenv-cli.ts';
import { throwawayHome } from '../support/engines.ts';

/** Every file under dir (.git included): content hash, mode and mtime; symlinks by target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  async function walk(path: string): Promise<void> {
    const stat = await lstat(path);
    const name = relative(dir, path) || '.';
    if (stat.isDirectory()) {
      files[`${name}/`] = `${stat.mode}`;
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry));
    } else if (stat.isSymbolicLink()) {
      files[name] = `-> ${await readlink(path)}`;
    } else {
      files[name] = `${stat.mode} ${stat.mtimeMs} ${createHash('sha256')
        .update(await readFile(path))
        .digest('hex')}`;
    }
  }
  await walk(dir);
  // What git itself says, asked without letting it refresh the index.
  const status = await execa('git', ['status', '--porcelain=v1', '--untracked-files=all'], {
    cwd: dir,
    env: { GIT_OPTIONAL_LOCKS: '0' },
  });
  files['(git status)'] = status.stdout;
  return files;
}

async function clone(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  // Copies, not hard links: a commit in the project would otherwise touch the clone's objects (git freshens their mtimes).
  await execa('git', ['clone', '--quiet', '--no-hardlinks', projectRoot, dir]);
  await execa('git', ['config', 'user.email', `${name}@example.com`], { cwd: dir });
  await execa('git', ['config', 'user.name', name], { cwd: dir });
  return dir;
}

describe('devenv try', () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let clones: string;
  const run = (cwd: string, args: string[]) =>
    execa(devenvBin, ['try', ...args], { cwd, env: { DEVENV_HOME: home.home }, reject: false });

  before(async () => {
    home = await throwawayHome();
    clones = await mkdtemp(join(tmpdir(), 'devenv-try-clones-'));
  });
  after(async () => {
    await home.remove();
    await rm(clones, { recursive: true, force: true });
  });

  async function noneLeft(result: TryResult): Promise<void> {
    const containers = await dockerClient().listContainers({ all: true, filters: { name: [result.id] } });
    assert.deepEqual(containers, [], 'the try container is removed');
    assert.equal(existsSync(join(home.home, 'try', result.id)), false, 'the checkout is removed');
  }

  it('a passing and a failing diff, at the same time: the right verdicts, working copies untouched', async () => {
    const passing = await clone(clones, 'passing');
    // Staged, then edited again; an untracked test; an untracked binary file.
    await appendFile(join(passing, 'site/html.ts'), '\n// staged edit\n');
    await execa('git', ['add', 'site/html.ts'], { cwd: passing });
    await appendFile(join(passing, 'site/html.ts'), '// and an unstaged one\n');
    await writeFile(
      join(passing, 'site/test/try-probe.test.ts'),
      "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { escapeHtml } from '../html.ts';\n\ntest('the probe of devenv try runs', () => assert.equal(escapeHtml('<'), '&lt;'));\n",
    );
    await mkdir(join(passing, 'site/fixtures'), { recursive: true });
    await writeFile(join(passing, 'site/fixtures/probe.bin'), randomBytes(2048));

    const failing = await clone(clones, 'failing');
    await writeFile(join(failing, 'site/broken.ts'), "export const answer: number = 'forty-two';\n");

    const before = { passing: await snapshot(passing), failing: await snapshot(failing) };
    const [pass, fail] = await Promise.all([run(passing, ['--json']), run(failing, ['--json'])]);

    assert.equal(pass.exitCode, 0, pass.stderr);
    const passed = JSON.parse(pass.stdout) as TryResult;
    assert.equal(passed.ok, true);
    assert.deepEqual(passed.files, ['site/fixtures/probe.bin', 'site/html.ts', 'site/test/try-probe.test.ts']);
    assert.deepEqual(
      passed.steps.map((s) => `${s.name}:${s.status}`),
      ['deps:pass', 'typecheck:pass', 'test:pass'],
    );
    assert.equal(passed.trunk.ref, 'origin/main');
    const passLog = await readFile(passed.log, 'utf8');
    assert.match(passLog, /the probe of devenv try runs/, 'the new test ran');
    assert.match(passLog, /\nPASS in /);

    assert.equal(fail.exitCode, 1, fail.stderr);
    const failed = JSON.parse(fail.stdout) as TryResult;
    assert.equal(failed.ok, false);
    assert.deepEqual(failed.files, ['site/broken.ts']);
    assert.deepEqual(
      failed.steps.map((s) => `${s.name}:${s.status}`),
      ['deps:pass', 'typecheck:fail', 'test:pass'],
    );
    assert.match(fail.stderr, /broken\.ts.*TS2322/, 'the output streams to stderr');
    assert.match(await readFile(failed.log, 'utf8'), /broken\.ts.*TS2322[^]*\nFAIL in /);

    assert.notEqual(passed.id, failed.id);
    assert.deepEqual(await snapshot(passing), before.passing, 'the passing clone is unchanged');
    assert.deepEqual(await snapshot(failing), before.failing, 'the failing clone is unchanged');
    await noneLeft(passed);
    await noneLeft(failed);

    // --staged: the untracked broken file is not part of the index, so trunk alone is tried.
    const staged = await run(failing, ['--staged', '--json']);
    assert.equal(staged.exitCode, 0, staged.stderr);
    const stagedResult = JSON.parse(staged.stdout) as TryResult;
    assert.equal(stagedResult.staged, true);
    assert.deepEqual(stagedResult.files, []);
    assert.deepEqual(await snapshot(failing), before.failing, 'unchanged after --staged too');
  });

  describe('bad input: one line, exit 1, nothing left behind', () => {
    const refused = async (cwd: string, args: string[], pattern: RegExp) => {
      const result = await run(cwd, args);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, pattern);
      const left = existsSync(join(home.home, 'try')) ? await readdir(join(home.home, 'try')) : [];
      assert.deepEqual(left, [], 'no checkout left');
    };

    it('not inside a git work tree', async () => {
      const plain = await mkdtemp(join(clones, 'plain-'));
      await refused(plain, [], /^devenv: \S+ is not inside a git work tree; run devenv try from your checkout/);
    });

    it('a trunk that does not exist, or looks like an option', async () => {
      const repo = await clone(clones, 'trunks');
      await refused(repo, ['--trunk', 'no-such-branch'], /^devenv: trunk no-such-branch is not a commit in /);
      await refused(repo, ['--trunk=--output=x'], /is not a git ref/);
    });

    it('a diff that does not apply to trunk names the file', async () => {
      const repo = await clone(clones, 'conflict');
      const before = await snapshot(repo);
      await execa('git', ['checkout', '--quiet', '-b', 'feature'], { cwd: repo });
      await execa('git', ['checkout', '--quiet', 'main'], { cwd: repo });
      await appendFile(join(repo, 'site/html.ts'), '// trunk moved on\n');
      await execa('git', ['commit', '--quiet', '-am', 'trunk moved on'], { cwd: repo });
      await execa('git', ['checkout', '--quiet', 'feature'], { cwd: repo });
      await appendFile(join(repo, 'site/html.ts'), '// my change\n');
      const mine = await snapshot(repo);
      await refused(
        repo,
        ['--trunk', 'main'],
        /^devenv: your diff does not apply to main \([0-9a-f]{7}\): site\/html\.ts; merge or rebase onto main/,
      );
      assert.deepEqual(await snapshot(repo), mine, 'the working copy is unchanged');
      assert.notDeepEqual(mine, before);
    });
  });
});
