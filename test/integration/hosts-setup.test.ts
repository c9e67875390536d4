// `devenv hosts setup` on a bare Debian machine, for real: a container of
// images/bare-host (sshd and sudo, no Docker) on a network of this test's own,
// 10.215.0.0/24, which is not internal, for the host's apt-get reaches Debian's
// mirror. Setup installs docker.io there, makes the deploy user and starts the
// engine; then the engine answers over SSH as deploy, runs a container, and
// `hosts check` reports it with what devenv runs there. A second setup changes
// nothing; a wrong key, a wrong user, a user without sudo and a changed host
// key are each refused in one line. Everything is removed afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type Docker from 'dockerode';
import ssh2 from 'ssh2';
import { join } from 'node:path';
import { checkHosts } from '../../hosts/check.ts';
import { readSetUpHosts } from '../../hosts/set-up-hosts.ts';
import { setupHost, type SetupOptions } from '../../hosts/setup.ts';
import { UserError } from '../../lib/errors.ts';
import { projectRoot } from '../../lib/paths.ts';
import { plainReporter } from '../../lib/report.ts';
import { waitFor } from '../../lib/wait.ts';
import { contextHash } from '../../stacks/context-hash.ts';
import { dockerClient, execIn, labelKeys, removeIfPresent } from '../../stacks/docker-client.ts';
import { ensureFleetKey, fleetFiles } from '../../stacks/fleet-files.ts';
import { hostDocker, hostExec } from '../../stacks/host-engine.ts';
import { parsePublicKey, pinnedKey } from '../../stacks/known-hosts.ts';
import { imageRepository } from '../../stacks/naming.ts';
import { imageBuild } from '../../stacks/render.ts';
import { cli } from '../support/devenv-cli.ts';
import { removeLabelled, throwawayHome } from '../support/engines.ts';

const testStack = 'hosts-setup-test';
const network = { name: 'devenv-bare-net', subnet: '10.215.0.0/24', gateway: '10.215.0.1' };
const bare = { container: 'devenv-bare-1', volume: 'devenv-bare-1-docker', address: '10.215.0.11' };
const labels = { [labelKeys.managed]: 'true', [labelKeys.stack]: testStack };

/** The bare-host image at its content hash, built when this engine lacks it. */
async function bareHostImage(home: string): Promise<string> {
  const build = imageBuild(projectRoot, { name: 'bare-host' });
  const ref = `${imageRepository('bare-host')}:${await contextHash(build)}`;
  const { ensureImage } = await import('../../stacks/providers/image.ts');
  await ensureImage({ imageName: ref, ...build, buildArgs: {}, labels: [], logDir: join(home, 'logs') });
  return ref;
}

/** The flags that let a Docker engine run inside a container here (DESIGN.md, "Facts"), as hosts/local-fleet.ts uses. */
async function startBareHost(docker: Docker, image: string, authorizedKey: string): Promise<void> {
  await docker.createNetwork({
    Name: network.name,
    Driver: 'bridge',
    // Not internal: setup's apt-get on the host reaches Debian's mirror.
    IPAM: { Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Labels: labels,
  });
  await docker.createVolume({ Name: bare.volume, Labels: labels });
  const container = await docker.createContainer({
    name: bare.container,
    Image: image,
    Hostname: 'bare-1',
    Env: [`AUTHORIZED_KEY=${authorizedKey}`, `DOCKERD_CGROUP_PARENT=/${bare.container}`],
    Labels: labels,
    HostConfig: {
      Init: true,
      CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      Mounts: [{ Type: 'volume', Source: bare.volume, Target: '/var/lib/docker' }],
      NetworkMode: network.name,
    },
    NetworkingConfig: { EndpointsConfig: { [network.name]: { IPAMConfig: { IPv4Address: bare.address } } } },
  });
  await container.start();
  await waitFor(() => sshAnswers(bare.address), {
    intervalMs: 200,
    timeoutMs: 30_000,
    timedOut: () => new Error(`the bare host's sshd did not answer at ${bare.address}:22 within 30 s`),
  });
}

const sshAnswers = (address: string) =>
  new Promise<true | undefined>((resolve) => {
    const socket = connect({ host: address, port: 22, timeout: 1000 });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(undefined);
    });
  });

async function refusal(home: string, options: SetupOptions): Promise<UserError> {
  const error = await setupHost(home, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof UserError, `refused with a UserError, got ${String(error)}`);
  assert.ok(!`${error.message}; ${error.fix}`.includes('\n'), `one line: ${error.message}; ${error.fix}`);
  return error;
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

describe('devenv hosts setup on a bare Debian host', { timeout: 10 * 60_000 }, () => {
  const docker = dockerClient();
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  const endpoint = `ssh://admin@${bare.address}`;
  const deployHost = { name: 'bare-1', docker: `ssh://deploy@${bare.address}`, address: bare.address };

  before(async () => {
    await removeLabelled(testStack);
    home = await throwawayHome();
    const started = Date.now();
    const image = await bareHostImage(home.home);
    await startBareHost(docker, image, await ensureFleetKey(home.home));
    console.log(`bare host up in ${seconds(started)}`);
  });
  after(async () => {
    await removeIfPresent(() => docker.getContainer(bare.container).remove({ force: true }));
    await removeLabelled(testStack);
    // The cgroups the host's engine made for its containers' parent, in the machine's tree.
    const hierarchies = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
    for (const hierarchy of hierarchies) await rmdir(`/sys/fs/cgroup/${hierarchy}/${bare.container}`).catch(() => {});
    await home?.remove();
  });

  it('refuses a key the host does not know in one line saying how to authorize it, and pins nothing', async () => {
    const stranger = await throwawayHome();
    try {
      await ensureFleetKey(stranger.home);
      const wrongKey = await refusal(stranger.home, { endpoint, name: 'bare-1' });
      assert.match(
        wrongKey.message,
        /^bare-1: admin@10\.215\.0\.11:22 did not accept the fleet key \(its public key is /,
      );
      assert.match(wrongKey.fix ?? '', /ssh-copy-id -i \S+id_ed25519\.pub admin@10\.215\.0\.11/);
      assert.equal(
        await readFile(fleetFiles(stranger.home).knownHosts, 'utf8').catch(() => ''),
        '',
        'no key is pinned for a login that failed',
      );
      assert.deepEqual(await readSetUpHosts(stranger.home), []);
    } finally {
      await stranger.remove();
    }
  });

  it('installs Docker, makes the deploy user and starts the engine, which then answers over SSH as deploy', async () => {
    const started = Date.now();
    const result = await setupHost(home.home, { endpoint, name: 'bare-1' }, plainReporter(process.stderr));
    console.log(`set up a bare host in ${seconds(started)}`);
    assert.equal(result.docker, 'ssh://deploy@10.215.0.11');
    assert.equal(result.hostKey.pinnedNow, true);
    assert.match(result.hostKey.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.match(result.dockerVersion, /^\d+\.\d+/);
    assert.deepEqual(
      result.changes.map((change) => change.split(' ').slice(0, 2).join(' ')),
      ['pinned its', 'installed docker.io,', 'made the', 'authorized the', 'started dockerd', 'recorded it'],
    );

    // The pin is the key the host made, read through this machine's engine rather than the network.
    const { stdout } = await execIn(docker.getContainer(bare.container), ['cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
    const pinned = pinnedKey(await readFile(fleetFiles(home.home).knownHosts, 'utf8'), bare.address);
    assert.deepEqual(pinned, parsePublicKey(stdout));
    assert.deepEqual(await readSetUpHosts(home.home), [deployHost]);

    const version = await (await hostDocker(home.home, deployHost)).version();
    assert.equal(version.Version, result.dockerVersion);
  });

  it('a second setup changes nothing, and says so', async () => {
    const started = Date.now();
    const again = await setupHost(home.home, { endpoint });
    console.log(`set up the same host again in ${seconds(started)}`);
    assert.equal(again.name, 'bare-1', 'the name it was set up with is kept');
    assert.deepEqual(again.changes, []);
    assert.equal(again.hostKey.pinnedNow, false);

    // The command as a user runs it says so in words, on stdout, and exits 0.
    const run = await cli({ ...process.env, DEVENV_HOME: home.home } as Record<string, string>).run([
      'hosts',
      'setup',
      endpoint,
    ]);
    assert.equal(run.exitCode, 0, run.all);
    assert.match(
      run.stdout,
      /^nothing changed: bare-1 was set up already \(Docker \S+ answers at ssh:\/\/deploy@10\.215\.0\.11\)\.$/m,
    );
  });

  it('`hosts check` reports the host reachable, with its Docker version and what devenv runs there', async () => {
    const inner = await hostDocker(home.home, deployHost);
    // An image of `sleep` and its libraries, made on the host from its own files: a few MB, where sending
    // the base image over SSH takes seconds to a minute.
    const started = Date.now();
    const tiny = await hostExec(
      home.home,
      deployHost,
      'set -e; r=$(mktemp -d); for f in /bin/sleep $(ldd /bin/sleep | grep -o "/[^ ]*"); do cp -L --parents "$f" "$r/"; done; ' +
        'tar -C "$r" -c . | docker import - setup-test/sleep:1 >/dev/null; rm -rf "$r"',
    );
    assert.equal(tiny.code, 0, tiny.stderr);
    console.log(`made an image of sleep on the set-up host in ${seconds(started)}`);
    const web = await inner.createContainer({
      name: 'setup-test-web',
      Image: 'setup-test/sleep:1',
      Cmd: ['/bin/sleep', 'infinity'],
      Labels: { [labelKeys.stack]: 'setup-test', [labelKeys.role]: 'web' },
    });
    await web.start();
    try {
      const [check] = await checkHosts(home.home, { hosts: [deployHost], placement: {} });
      assert.equal(check?.reachable, true, check?.problem);
      assert.match(check?.dockerVersion ?? '', /^\d+\.\d+/);
      assert.deepEqual(check?.workloads, [{ stack: 'setup-test', role: 'web', running: 1, stopped: 0 }]);

      // The command a user runs: only the host named, so no other fleet on this machine is asked.
      const checked = await cli({ ...process.env, DEVENV_HOME: home.home } as Record<string, string>).json<
        { name: string; reachable: boolean; workloads: unknown[] }[]
      >(['hosts', 'check', 'bare-1']);
      assert.deepEqual(
        checked.map(({ name, reachable, workloads }) => ({ name, reachable, workloads })),
        [
          {
            name: 'bare-1',
            reachable: true,
            workloads: [{ stack: 'setup-test', role: 'web', running: 1, stopped: 0 }],
          },
        ],
      );
    } finally {
      await web.remove({ force: true });
    }
  });

  it('refuses a user the host does not know and a user without sudo, in one line each', async () => {
    const wrongUser = await refusal(home.home, { endpoint: `ssh://nobody@${bare.address}` });
    assert.match(wrongUser.message, /^bare-1: nobody@10\.215\.0\.11:22 did not accept the fleet key/);
    const noSudo = await refusal(home.home, { endpoint: `ssh://guest@${bare.address}` });
    assert.match(noSudo.message, /^bare-1 \(10\.215\.0\.11\): guest is not root and cannot sudo without a password$/);
    assert.match(noSudo.fix ?? '', /NOPASSWD/);
    assert.deepEqual(await readSetUpHosts(home.home), [deployHost], 'the host set up stays as it was');
  });

  it('refuses the host once its key is not the pinned one, in one line', async () => {
    const { knownHosts } = fleetFiles(home.home);
    const pins = await readFile(knownHosts, 'utf8');
    const stranger = ssh2.utils.generateKeyPairSync('ed25519').public.split(' ')[1]!;
    await writeFile(knownHosts, pins.replace(/^(10\.215\.0\.11 ssh-ed25519) \S+/m, `$1 ${stranger}`));
    try {
      const changed = await refusal(home.home, { endpoint });
      assert.match(changed.message, /^bare-1 \(10\.215\.0\.11\) presented an SSH host key other than the one pinned/);
    } finally {
      await writeFile(knownHosts, pins);
    }
  });
});
