// The Docker providers on a host of a fleet: one Pulumi program makes a network,
// a volume and a container on a local-fleet host's own engine, over SSH with the
// pinned key; a second up changes nothing; destroy leaves nothing there. Nothing
// of it lands on this machine's engine. (The local fleet's names are fixed: this
// replaces the machine's local fleet, if there is one.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { changeCount, selectStack } from '../../stacks/engine.ts';
import { Container } from '../../stacks/providers/container.ts';
import { Network } from '../../stacks/providers/network.ts';
import { Volume } from '../../stacks/providers/volume.ts';
import { hostDocker } from '../../stacks/host-engine.ts';
import { makeLocalFleet, removeLocalFleet, type LocalFleet } from '../../hosts/local-fleet.ts';
import { localFleetStack } from '../../hosts/local-fleet-plan.ts';
import { baseImageName, dockerClient, labelKeys } from '../../stacks/docker-client.ts';
import type { Host } from '../../stacks/hosts.ts';
import {
  engineSettings,
  fetchText,
  labelled,
  perlHttpServer,
  removeLabelled,
  throwawayHome,
} from '../support/engines.ts';

const stackName = `dev-fleet${process.pid}`;
const webPort = 31_180;

describe('the Docker providers on a fleet host', { timeout: 5 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let fleet: LocalFleet;
  let host: Host;
  const labels = [
    { label: labelKeys.managed, value: 'true' },
    { label: labelKeys.stack, value: stackName },
  ];

  before(async () => {
    home = await throwawayHome();
    fleet = await makeLocalFleet(home.home, 1);
    const { name, docker, address } = fleet.hosts[0]!;
    host = { name, docker, address };
    // Images reach hosts through the registry in the end; here the base image is sent over SSH.
    const inner = await hostDocker(home.home, host);
    const loading = await inner.loadImage(await dockerClient().getImage(baseImageName).get());
    await new Promise((resolve, reject) =>
      inner.modem.followProgress(loading, (error) => (error ? reject(error) : resolve(undefined))),
    );
  });
  after(async () => {
    await removeLocalFleet(home.home).catch(() => {});
    await removeLabelled(localFleetStack);
    await home.remove();
  });

  async function up(destroy = false) {
    const stack = await selectStack(await engineSettings(home.home), stackName, async () => {
      const network = new Network('net', { name: `${stackName}-net`, labels, internal: false, engine: host });
      const volume = new Volume('data', { name: `${stackName}-data`, labels, engine: host });
      new Container(
        'web',
        {
          name: `${stackName}-web`,
          image: baseImageName,
          command: perlHttpServer('served on a fleet host'),
          envs: [],
          ports: [{ internal: 8080, external: webPort, ip: '0.0.0.0', protocol: 'tcp' }],
          networkName: network.name,
          aliases: ['web'],
          volumes: [{ containerPath: '/data', volumeName: `${stackName}-data`, readOnly: false }],
          labels,
          restart: 'unless-stopped',
          engine: host,
        },
        { dependsOn: [network, volume] },
      );
    });
    return destroy ? stack.destroy({ color: 'never' }) : stack.up({ color: 'never' });
  }

  it("converges on the host's engine, over SSH: it serves on the host's address, and this machine's engine holds none of it", async () => {
    const result = await up();
    assert.equal(result.summary.result, 'succeeded');
    assert.equal(await fetchText(`http://${host.address}:${webPort}/`), 'served on a fleet host\n');
    const onHost = await (await hostDocker(home.home, host)).listContainers({
      filters: { label: [`${labelKeys.stack}=${stackName}`] },
    });
    assert.deepEqual(
      onHost.map((c) => c.Names[0]),
      [`/${stackName}-web`],
    );
    assert.deepEqual(await labelled(stackName), { containers: [], networks: [], volumes: [] });
  });

  it('a second up changes nothing', async () => {
    const result = (await up()) as Awaited<ReturnType<Awaited<ReturnType<typeof selectStack>>['up']>>;
    assert.equal(changeCount(result.summary.resourceChanges), 0, JSON.stringify(result.summary.resourceChanges));
  });

  it('destroy leaves nothing of the stack on the host', async () => {
    await up(true);
    const inner = await hostDocker(home.home, host);
    const filters = { label: [`${labelKeys.stack}=${stackName}`] };
    assert.deepEqual(await inner.listContainers({ all: true, filters }), []);
    assert.deepEqual((await inner.listVolumes({ filters })).Volumes ?? [], []);
    assert.deepEqual(await inner.listNetworks({ filters }), []);
  });
});
