// The Docker providers on a host of a fleet: one Pulumi program makes a network,
// a volume and a container on a host's own engine, reached over SSH with the
// pinned key (a local-fleet host) or over TCP with TLS both ways (a host of the
// test's own); a second up changes nothing; destroy leaves nothing there. Nothing
// of it lands on this machine's engine. (The local fleet's names are fixed: this
// replaces the machine's local fleet, if there is one.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { changeCount, selectStack } from '../../stacks/engine.ts';
import { Container } from '../../stacks/providers/container.ts';
import { Network } from '../../stacks/providers/network.ts';
import { Volume } from '../../stacks/providers/volume.ts';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { checkHosts } from '../../hosts/check.ts';
import { hostTlsFiles } from '../../stacks/fleet-files.ts';
import { hostDocker, hostEngineSocket } from '../../stacks/host-engine.ts';
import { makeOwnHosts } from '../support/own-hosts.ts';
import { issue, makeCa } from '../support/tls.ts';
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

const webPort = 31_180;

interface Transport {
  name: string;
  /** makes the host in the home, and says how to remove it */
  makeHost(home: string): Promise<{ host: Host; remove: () => Promise<void> }>;
}

const overSsh: Transport = {
  name: 'SSH',
  async makeHost(home) {
    const fleet: LocalFleet = await makeLocalFleet(home, 1);
    const { name, docker, address } = fleet.hosts[0]!;
    return {
      host: { name, docker, address },
      remove: async () => {
        await removeLocalFleet(home).catch(() => {});
        await removeLabelled(localFleetStack);
      },
    };
  },
};

const overTls: Transport = {
  name: 'TCP with TLS',
  async makeHost(home) {
    const own = await makeOwnHosts(home, { stack: 'devenv-tls-hosts', subnetPrefix: '10.214.3', count: 1, tls: true });
    return { host: own.hosts[0]!, remove: own.remove };
  },
};

for (const transport of [overSsh, overTls]) {
  const stackName = `dev-fleet${transport === overSsh ? 'ssh' : 'tls'}${process.pid}`;
  describe(`the Docker providers on a fleet host, over ${transport.name}`, { timeout: 5 * 60_000 }, () => {
    let home: Awaited<ReturnType<typeof throwawayHome>>;
    let host: Host;
    let removeHost = async () => {};
    const labels = [
      { label: labelKeys.managed, value: 'true' },
      { label: labelKeys.stack, value: stackName },
    ];

    before(async () => {
      home = await throwawayHome();
      ({ host, remove: removeHost } = await transport.makeHost(home.home));
      // Images reach hosts through the registry in the end; here the base image is sent over SSH.
      const inner = await hostDocker(home.home, host);
      const loading = await inner.loadImage(await dockerClient().getImage(baseImageName).get());
      await new Promise((resolve, reject) =>
        inner.modem.followProgress(loading, (error) => (error ? reject(error) : resolve(undefined))),
      );
    });
    after(async () => {
      await removeHost();
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

    it("converges on the host's engine: it serves on the host's address, and this machine's engine holds none of it", async () => {
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

    it('the docker CLI reaches the host through the socket devenv opens for it', async () => {
      const engine = await hostEngineSocket(home.home, host);
      try {
        const cli = await execa('docker', ['ps', '--format', '{{.Names}}'], {
          env: { DOCKER_HOST: `unix://${engine.path}` },
        });
        assert.equal(cli.stdout.trim(), `${stackName}-web`);
      } finally {
        await engine.close();
      }
    });

    if (transport === overTls)
      it('refuses in one line a home without the certificates, a client certificate of another CA, a host its CA does not vouch for', async () => {
        const other = await makeCa(join(home.home, 'other-ca'), 'other-ca');
        const own = hostTlsFiles(home.home, host.name);
        const problemWith = async (files: 'none' | 'foreign-client' | 'foreign-ca') => {
          const elsewhere = await mkdtemp(join(home.home, 'elsewhere-'));
          const tls = hostTlsFiles(elsewhere, host.name);
          if (files !== 'none') {
            await mkdir(tls.dir, { recursive: true });
            await copyFile(files === 'foreign-ca' ? other.cert : own.ca, tls.ca);
            if (files === 'foreign-client') await issue(other, tls, 'client');
            else await Promise.all([copyFile(own.cert, tls.cert), copyFile(own.key, tls.key)]);
          }
          const [check] = await checkHosts(elsewhere, { hosts: [host], placement: {} });
          assert.equal(check!.reachable, false);
          return check!.problem!;
        };
        assert.match(await problemWith('none'), /lacks ca\.pem, cert\.pem, key\.pem$/);
        assert.match(await problemWith('foreign-client'), /refused devenv's client certificate/);
        assert.match(await problemWith('foreign-ca'), /presented a certificate that .*ca\.pem does not vouch for/);
        const [good] = await checkHosts(home.home, { hosts: [host], placement: {} });
        assert.equal(good!.reachable, true, good!.problem);
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
}
