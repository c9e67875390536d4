// Bad input and missing prerequisites: one line saying what to do, exit 1,
// nothing half-made.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chown, readdir, readFile, writeFile } from 'node:fs/promises';
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

describe('a fleet that is not sound', () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  const run = (args: string[]) => execa(devenv, args, { env: { DEVENV_HOME: home.home }, reject: false });
  const configFile = () => join(home.home, 'workspace', 'Pulumi.prod.yaml');
  const write = async (name: string, fleet: unknown) => {
    const file = join(home.home, name);
    await writeFile(file, JSON.stringify(fleet));
    return file;
  };
  const hosts = [
    { name: 'edge-1', docker: 'ssh://deploy@10.0.0.1', address: '10.0.0.1' },
    { name: 'app-1', docker: 'ssh://deploy@10.0.0.2', address: '10.0.0.2' },
  ];
  const placement = {
    proxy: ['edge-1'],
    web: ['app-1'],
    worker: ['app-1'],
    db: ['edge-1'],
    cache: ['edge-1'],
    statsd: ['edge-1'],
    graphite: ['edge-1'],
  };

  before(async () => {
    home = await throwawayHome();
  });
  after(async () => {
    await home.remove();
  });

  it('is refused in one line naming the problem, and nothing is recorded', async () => {
    const cases: [unknown, RegExp][] = [
      [{ hosts, placement: { ...placement, db: ['data-9'] } }, /role db is placed on an unknown host "data-9"/],
      [{ hosts, placement: { ...placement, search: ['app-1'] } }, /the placement names an unknown role "search"/],
      [{ hosts, placement: { ...placement, web: [] } }, /role web is placed on no host/],
      [
        { hosts: [...hosts, { name: 'app-2', docker: 'ssh://deploy@10.0.0.3', address: '10.0.0.2' }], placement },
        /hosts app-1 and app-2 have one address, 10\.0\.0\.2/,
      ],
      [{ hosts: [{ name: 'edge-1', docker: 'tcp://10.0.0.1:2375', address: '10.0.0.1' }], placement }, /without TLS/],
      [{ hosts: 'edge-1' }, /needs a list of hosts/],
      [
        { hosts, placement, controller: '10.0.0.9' },
        /the fleet's controller 10\.0\.0\.9 is not the address the registry and the deploy service listen on/,
      ],
    ];
    for (const [index, [fleet, reason]] of cases.entries()) {
      const result = await run(['hosts', 'use', 'prod', await write(`fleet-${index}.json`, fleet)]);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n')[0]!.startsWith('devenv: '), true, result.stderr);
      assert.match(result.stderr, reason);
    }
    const dev = await run(['hosts', 'use', 'dev-ada', '--local']);
    assert.match(dev.stderr, /^devenv: dev-ada runs on this machine's engine only/);
    const neither = await run(['hosts', 'use', 'prod']);
    assert.match(neither.stderr, /give one of: a fleet FILE, --local or --none/);
    await assert.rejects(readFile(configFile(), 'utf8'), /ENOENT/, 'no stack config was written');

    const sound = await run(['hosts', 'use', 'prod', await write('fleet-ok.json', { hosts, placement })]);
    assert.equal(sound.exitCode, 0, sound.stderr);
    assert.match(await readFile(configFile(), 'utf8'), /devenv:fleet:/);
  });
});

describe("the deploy channel's nick map", () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  const run = (args: string[]) => execa(devenv, args, { env: { DEVENV_HOME: home.home }, reject: false });

  before(async () => {
    home = await throwawayHome();
  });
  after(async () => {
    await home.remove();
  });

  it('refuses a nick with control characters or spaces in one line, and writes nothing', async () => {
    for (const nick of ['ada\u0007', 'ada lovelace', '1ada', '']) {
      const result = await run(['chat', 'nick', nick, '--user', 'ada']);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, /^devenv: ".*" is not an IRC nick/);
      assert.doesNotMatch(result.stderr, /\u0007/, 'a control character is never echoed');
    }
    await assert.rejects(readFile(join(home.home, 'ops', 'nicks.yaml'), 'utf8'), /ENOENT/);
    const mapped = await run(['chat', 'nick', 'Ada_', '--user', 'ada']);
    assert.equal(mapped.exitCode, 0, mapped.stderr);
    assert.match(await readFile(join(home.home, 'ops', 'nicks.yaml'), 'utf8'), /^Ada_: ada$/m);
  });
});
