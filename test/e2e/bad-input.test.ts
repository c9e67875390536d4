// Bad input and missing prerequisites: one line saying what to do, exit 1,
// nothing half-made.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../cli/paths.ts';
import { throwawayHome } from '../support/engines.ts';

const devenv = join(projectRoot, 'bin', 'devenv');

describe('without root and without a Docker engine', () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  // `nobody` cannot reach root's Docker socket, cannot install packages and cannot start dockerd.
  const asNobody = (args: string[]) =>
    execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', devenv, ...args], {
      env: { DEVENV_HOME: home.home, DOCKER_HOST: 'unix:///nonexistent/docker.sock', HOME: home.home },
      reject: false,
    });

  before(async () => {
    home = await throwawayHome();
    await chown(home.home, 65534, 65534);
  });
  after(() => home.remove());

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
