// Hosts of a test's (or a benchmark's) own: containers of images/host, made the
// way the local fleet makes them (hosts/local-fleet.ts), but on a network, with
// names and labels of their own, so that they never touch `devenv hosts local`'s
// fixed names. Each host's SSH key is pinned in the given home, and the home's
// registry CA is installed on it. With `tls`, each host's engine also serves TCP
// 2376 with TLS, and the hosts are named by that endpoint.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  createHostContainer,
  ensureHostImage,
  readHostKey,
  trustRegistry,
  waitUntilReachable,
} from '../../hosts/local-fleet.ts';
import { fleetHost, type LocalHostSpec } from '../../hosts/local-fleet-plan.ts';
import { silentReporter } from '../../lib/report.ts';
import { dockerClient, labelKeys } from '../../stacks/docker-client.ts';
import { ensureFleetKey, hostTlsFiles, pinHostKeys } from '../../stacks/fleet-files.ts';
import { issue, makeCa, type TestCa } from './tls.ts';
import type { Host } from '../../stacks/hosts.ts';
import { knownHostsName, type PublicKey } from '../../stacks/known-hosts.ts';
import { ensureRegistryFiles } from '../../stacks/registry-files.ts';
import { removeLabelled } from './engines.ts';

export interface OwnHostsOptions {
  /** the value of devenv.stack on all of it, and the prefix of every name */
  stack: string;
  /** a /24 of its own: 10.214.0 makes 10.214.0.0/24, gateway .1, hosts from .11 */
  subnetPrefix: string;
  count: number;
  /** the hosts' engines also serve TCP 2376 with TLS, and the hosts are reached there (certificates made here) */
  tls?: true;
}

export interface OwnHosts {
  hosts: Host[];
  /** the machine's engine, holding the host containers */
  docker: Docker;
  /** the network's gateway: this machine's address on it */
  gateway: string;
  /** removes the hosts, their Docker data and the network */
  remove(): Promise<void>;
}

/**
 * The host's server certificate (bound into it at /etc/docker/tls) and devenv's
 * client certificate for it, where devenv looks for them: both signed by the CA.
 */
async function serverTls(home: string, ca: TestCa, spec: LocalHostSpec): Promise<string> {
  const dir = join(home, 'test-hosts-tls', spec.name);
  await mkdir(dir, { recursive: true });
  await copyFile(ca.cert, join(dir, 'ca.pem'));
  await issue(ca, { cert: join(dir, 'server-cert.pem'), key: join(dir, 'server-key.pem') }, { server: spec.address });
  const client = hostTlsFiles(home, spec.name);
  await mkdir(client.dir, { recursive: true });
  await copyFile(ca.cert, client.ca);
  await issue(ca, client, 'client');
  return dir;
}

export async function makeOwnHosts(home: string, options: OwnHostsOptions): Promise<OwnHosts> {
  const { stack, subnetPrefix, count, tls } = options;
  const docker = dockerClient();
  const labels = { [labelKeys.managed]: 'true', [labelKeys.stack]: stack, [labelKeys.role]: 'host' };
  const network = `${stack}-net`;
  const gateway = `${subnetPrefix}.1`;
  const specs: LocalHostSpec[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    name: `host-${i + 1}`,
    container: `${stack}-host-${i + 1}`,
    volume: `${stack}-host-${i + 1}-docker`,
    address: `${subnetPrefix}.${11 + i}`,
  }));
  const remove = async () => {
    await Promise.all(
      specs.map((spec) =>
        docker
          .getContainer(spec.container)
          .stop({ t: 30 })
          .catch(() => {}),
      ),
    );
    await removeLabelled(stack);
    await pinHostKeys(home, new Map(specs.map((spec) => [knownHostsName(spec.address), undefined])));
  };
  try {
    await docker.createNetwork({
      Name: network,
      Driver: 'bridge',
      Internal: true,
      IPAM: { Config: [{ Subnet: `${subnetPrefix}.0/24`, Gateway: gateway }] },
      Labels: labels,
    });
    const authorizedKey = await ensureFleetKey(home);
    // The hosts trust the registry's CA, made here when `devenv ops up` has not made it yet (as the local fleet does).
    await ensureRegistryFiles(home);
    const image = await ensureHostImage(home, silentReporter);
    const pins = new Map<string, PublicKey>();
    const ca = tls && (await makeCa(join(home, 'test-hosts-ca')));
    await Promise.all(
      specs.map(async (spec) => {
        await docker.createVolume({ Name: spec.volume, Labels: labels });
        const tlsDir = ca ? await serverTls(home, ca, spec) : undefined;
        const container = await createHostContainer(
          docker,
          spec,
          { image, authorizedKey, ...(tlsDir && { tlsDir }) },
          { network, labels },
        );
        await container.start();
        pins.set(knownHostsName(spec.address), await readHostKey(docker, spec));
      }),
    );
    await pinHostKeys(home, pins);
    await Promise.all(specs.map((spec) => waitUntilReachable(home, docker, spec)));
    await Promise.all(specs.map((spec) => trustRegistry(home, docker, spec)));
    const hosts = specs.map((spec) =>
      tls ? { ...fleetHost(spec), docker: `tcp://${spec.address}:2376` } : fleetHost(spec),
    );
    return { hosts, docker, gateway, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
