// A fleet on one machine, for real: two host containers, each with its own Docker
// engine, reached over SSH with the fleet key and their pinned host keys. An image
// goes to a host over SSH, a container it runs answers on the host's address from
// this machine, a host with another key is refused, a stopped host is reported
// without stopping the check of the other, and removing the fleet leaves nothing.
// The local fleet's names and addresses are fixed: this replaces the machine's
// local fleet, if there is one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { checkHosts } from '../../hosts/check.ts';
import { fleetFiles } from '../../stacks/fleet-files.ts';
import { hostDocker } from '../../stacks/host-engine.ts';
import { makeLocalFleet, removeLocalFleet, type LocalFleet } from '../../hosts/local-fleet.ts';
import { localFleetStack } from '../../hosts/local-fleet-plan.ts';
import { UserError } from '../../lib/errors.ts';
import { baseImageName, dockerClient } from '../../stacks/docker-client.ts';
import { fetchText, labelled, perlHttpServer, removeLabelled, throwawayHome } from '../support/engines.ts';

/** Above 30000, on the host's own address: nothing else on this machine publishes there. */
const webPort = 31_080;

describe('a local fleet of two hosts', { timeout: 5 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let fleet: LocalFleet;
  const host = (index: number) => fleet.hosts[index]!;

  before(async () => {
    home = await throwawayHome();
  });
  after(async () => {
    await removeLocalFleet(home.home).catch(() => {});
    await removeLabelled(localFleetStack);
    await home.remove();
  });

  it('makes two hosts whose Docker engines answer over SSH with the pinned keys; the same count again changes nothing', async () => {
    const started = Date.now();
    fleet = await makeLocalFleet(home.home, 2);
    console.log(`made a 2-host local fleet in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(
      fleet.hosts.map(({ name, docker, address, state }) => ({ name, docker, address, state })),
      [
        { name: 'host-1', docker: 'ssh://deploy@10.213.0.11', address: '10.213.0.11', state: 'running' },
        { name: 'host-2', docker: 'ssh://deploy@10.213.0.12', address: '10.213.0.12', state: 'running' },
      ],
    );
    const files = fleetFiles(home.home);
    assert.equal((await stat(files.privateKey)).mode & 0o777, 0o600);
    const pins = (await readFile(files.knownHosts, 'utf8')).trim().split('\n').sort();
    assert.deepEqual(
      pins.map((line) => line.split(' ').slice(0, 2).join(' ')),
      ['10.213.0.11 ssh-ed25519', '10.213.0.12 ssh-ed25519'],
    );
    assert.notEqual(pins[0]!.split(' ')[2], pins[1]!.split(' ')[2], 'each host has a host key of its own');

    for (const each of fleet.hosts) {
      const version = await (await hostDocker(home.home, each)).version();
      assert.match(version.Version, /^\d+\.\d+/, `${each.name} answers with its Docker version`);
    }

    const again = await makeLocalFleet(home.home, 2);
    assert.deepEqual(again.changes, { created: [], replaced: [], started: [], removed: [] });
  });

  it("runs a container on host-1 from an image sent over SSH; its port answers on host-1's address", async () => {
    const inner = await hostDocker(home.home, host(0));
    const started = Date.now();
    const loading = await inner.loadImage(await dockerClient().getImage(baseImageName).get());
    await new Promise((resolve, reject) =>
      inner.modem.followProgress(loading, (error) => (error ? reject(error) : resolve(undefined))),
    );
    console.log(`loaded ${baseImageName} into host-1 over SSH in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const web = await inner.createContainer({
      name: 'fleet-test-web',
      Image: baseImageName,
      Cmd: perlHttpServer('hello from $ENV{HOST_NAME}'),
      Env: [`HOST_NAME=${host(0).name}`],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: host(0).address, HostPort: String(webPort) }] } },
    });
    await web.start();
    assert.equal(await fetchText(`http://${host(0).address}:${webPort}/`), 'hello from host-1\n');
    const [check] = await checkHosts(home.home, { hosts: [host(0)], placement: {} });
    assert.equal(check?.containersRunning, 1);
    await web.remove({ force: true });
  });

  it('refuses a host whose key is not the pinned one, in one line naming it and what to do', async () => {
    const { knownHosts } = fleetFiles(home.home);
    const pinned = await readFile(knownHosts, 'utf8');
    const stranger = ssh2.utils.generateKeyPairSync('ed25519').public.split(' ')[1]!;
    await writeFile(knownHosts, pinned.replace(/^(10\.213\.0\.11 ssh-ed25519) \S+/m, `$1 ${stranger}`));
    try {
      const refused = await (await hostDocker(home.home, host(0))).version().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof UserError, `refused with a UserError, got ${String(refused)}`);
      assert.match(refused.message, /^host-1 \(10\.213\.0\.11\) presented an SSH host key other than the one pinned/);
      assert.match(refused.fix ?? '', /devenv hosts local N/);
      assert.ok(!`${refused.message}; ${refused.fix}`.includes('\n'), 'one line');
      const [other] = await checkHosts(home.home, { hosts: [host(1)], placement: {} });
      assert.equal(other?.reachable, true, 'host-2 still answers: its pin holds');
    } finally {
      await writeFile(knownHosts, pinned);
    }
  });

  it('checks both hosts: a stopped one is unreachable, with why, and the other reports its state', async () => {
    await dockerClient().getContainer('devenv-host-2').stop();
    const started = Date.now();
    const [first, second] = await checkHosts(home.home, fleet);
    console.log(`checked 2 hosts (one stopped) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(first?.reachable, true, first?.problem);
    assert.match(first?.dockerVersion ?? '', /^\d+\.\d+/);
    assert.ok((first?.freeDiskBytes ?? 0) > 0);
    assert.equal(first?.load?.length, 3);
    assert.equal(first?.containersRunning, 0);
    assert.equal(second?.reachable, false);
    assert.match(second?.problem ?? '', /10\.213\.0\.12/);
    assert.ok(!second?.problem?.includes('\n'), 'one line');
  });

  it('resized to one host, host-2 goes with its Docker data and its pin; host-1 is untouched', async () => {
    const one = await makeLocalFleet(home.home, 1);
    assert.deepEqual(one.changes, { created: [], replaced: [], started: [], removed: ['host-2'] });
    assert.deepEqual(
      one.hosts.map((each) => each.name),
      ['host-1'],
    );
    assert.deepEqual((await labelled(localFleetStack)).volumes, ['devenv-host-1-docker']);
    assert.doesNotMatch(await readFile(fleetFiles(home.home).knownHosts, 'utf8'), /10\.213\.0\.12/);
  });

  it('removing the fleet leaves nothing labelled, and no pins', async () => {
    const { removed } = await removeLocalFleet(home.home);
    assert.deepEqual(removed, ['host-1']);
    assert.deepEqual(await labelled(localFleetStack), { containers: [], networks: [], volumes: [] });
    assert.equal(await readFile(fleetFiles(home.home).knownHosts, 'utf8'), '');
  });
});
