// Hosts of a test's (or a benchmark's) own: containers of images/host, made the
// way the local fleet makes them (hosts/local-fleet.ts), but on a network, with
// names and labels of their own, so that they never touch `devenv hosts local`'s
// fixed names. Each host's SSH key is pinned in the given home, and the home's
// registry CA is installed on it.
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
import { ensureFleetKey, pinHostKeys } from '../../stacks/fleet-files.ts';
import type { Host } from '../../stacks/hosts.ts';
import { knownHostsName, type PublicKey } from '../../stacks/known-hosts.ts';
import { removeLabelled } from './engines.ts';

export interface OwnHostsOptions {
  /** the value of devenv.stack on all of it, and the prefix of every name */
  stack: string;
  /** a /24 of its own: 10.214.0 makes 10.214.0.0/24, gateway .1, hosts from .11 */
  subnetPrefix: string;
  count: number;
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

export async function makeOwnHosts(home: string, options: OwnHostsOptions): Promise<OwnHosts> {
  const { stack, subnetPrefix, count } = options;
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
    const image = await ensureHostImage(home, silentReporter);
    const pins = new Map<string, PublicKey>();
    await Promise.all(
      specs.map(async (spec) => {
        await docker.createVolume({ Name: spec.volume, Labels: labels });
        const container = await createHostContainer(docker, spec, { image, authorizedKey }, { network, labels });
        await container.start();
        pins.set(knownHostsName(spec.address), await readHostKey(docker, spec));
      }),
    );
    await pinHostKeys(home, pins);
    await Promise.all(specs.map((spec) => waitUntilReachable(home, docker, spec)));
    await Promise.all(specs.map((spec) => trustRegistry(home, docker, spec)));
    return { hosts: specs.map(fleetHost), docker, gateway, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
