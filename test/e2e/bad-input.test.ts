// Bad input and missing prerequisites: one line saying what to do, exit 1,
// nothing half-made.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.ts';
import { throwawayHome } from '../support/engines.ts';
import { readableCopy, type ReadableCopy } from '../support/readable-copy.ts';

const devenv = join(projectRoot, 'bin', 'devenv');

describe('without root and without a Docker engine', () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let copy: ReadableCopy;
  // `nobody` cannot reach root's Docker socket, cannot install packages and cannot start dockerd.
  // It runs a copy it can enter: the checkout itself may lie where only root can.
  const asNobody = (args: string[]) =>
    execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', copy.launcher, ...args], {
      env: {
        DEVENV_HOME: home.home,
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        HOME: home.home,
        DEVENV_TOOLS: copy.tools,
      },
      reject: false,
    });

  before(async () => {
    home = await throwawayHome();
    await chown(home.home, 65534, 65534);
    copy = await readableCopy();
  });
  after(async () => {
    await home.remove();
    await copy.remove();
  });

  it('doctor says what is missing and what to do, exit 1', async () => {
    const result = await asNobody(['doctor', '--json']);
    assert.equal(result.exitCode, 1, result.stderr);
    const rows = (JSON.parse(result.stdout) as { rows: { name: string; ok: boolean; advice: string }[] }).rows;
    const docker = rows.find((r) => r.name === 'docker')!;
    assert.equal(docker.ok, false);
    assert.match(docker.advice, /Docker engine|DOCKER_HOST/);
  });

  it('setup refuses in one line and installs nothing', async () => {
    const before = await readdir(home.home);
    const result = await asNobody(['setup']);
    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^devenv: docker: .*(start the Docker engine|install a Docker engine)/);
    assert.deepEqual(await readdir(home.home), before, 'nothing written to the devenv home');
  });

  it('up refuses the same way before creating anything', async () => {
    const result = await asNobody(['up', '--user', 'nobodys-stack']);
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^devenv: docker: /);
  });
});

describe('user names that cannot be stack names', () => {
  it('refuses an empty --user in one line instead of meaning the default user', async () => {
    for (const name of ['', '   ']) {
      const result = await execa(devenv, ['up', '--user', name], { reject: false });
      assert.equal(result.exitCode, 1);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr.trim(),
        'devenv: --user is empty; give a user name, or leave --user out to be yourself',
      );
    }
  });
  for (const name of ['ada lovelace', 'x'.repeat(100), 'a;b', '$(id)', '../etc']) {
    it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}...` : name)} in one line`, async () => {
      const result = await execa(devenv, ['up', '--user', name], { reject: false });
      assert.equal(result.exitCode, 1);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /cannot be a user name/);
    });
  }
});
