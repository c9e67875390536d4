// A fleet to try on one machine, as data: host N is the container
// devenv-host-N at a fixed address on one network of its own, with its Docker
// data on its own volume. Pure: what to create, start, replace or remove to get
// from the hosts that exist to the hosts wanted is decided here, and
// local-fleet.ts only carries it out.
import { createHash } from 'node:crypto';
import type { Host } from '../stacks/hosts.ts';

/** The value of `devenv.stack` on everything the local fleet is made of, so it can be found and removed whole. */
export const localFleetStack = 'local-fleet';

/** How many hosts one machine is asked to hold: each runs a Docker engine of its own. */
export const maxLocalHosts = 20;

/**
 * The fleet's own bridge network. A fixed subnet gives every host a fixed
 * address, reachable from this machine; 10.213.0.0/24 is far from Docker's
 * default pools (172.17.0.0/16 and up, 192.168.0.0/16).
 */
export const localFleetNetwork = { name: 'devenv-host-net', subnet: '10.213.0.0/24', gateway: '10.213.0.1' } as const;

/** The account devenv logs in as: in the host's `docker` group, no password, root not allowed in. */
export const deployUser = 'deploy';

/** Host 1 is .11, host 2 is .12, ...: the low addresses stay free for what the network itself takes. */
const firstHostOctet = 11;

export interface LocalHostSpec {
  /** 1-based; the host's name, container, volume and address all follow from it */
  index: number;
  /** its name in the fleet: host-1 */
  name: string;
  container: string;
  /** the host's /var/lib/docker */
  volume: string;
  address: string;
}

export function localHostSpec(index: number): LocalHostSpec {
  if (!Number.isInteger(index) || index < 1 || index > maxLocalHosts)
    throw new Error(`a local host's number goes from 1 to ${maxLocalHosts}, got ${index}`);
  const prefix = localFleetNetwork.subnet.split('.').slice(0, 3).join('.');
  return {
    index,
    name: `host-${index}`,
    container: `devenv-host-${index}`,
    volume: `devenv-host-${index}-docker`,
    address: `${prefix}.${firstHostOctet + index - 1}`,
  };
}

export function localHostSpecs(count: number): LocalHostSpec[] {
  return Array.from({ length: count }, (_, i) => localHostSpec(i + 1));
}

/** The host's number from its container's name, or undefined for a name that is not a local host's. */
export function localHostIndex(container: string): number | undefined {
  const match = /^\/?devenv-host-(\d+)$/.exec(container);
  const index = match ? Number(match[1]) : Number.NaN;
  return Number.isInteger(index) && index >= 1 && index <= maxLocalHosts ? index : undefined;
}

/** A local host as a fleet names it: Docker over SSH as the deploy user, at its fixed address. */
export function fleetHost(spec: LocalHostSpec): Host {
  return { name: spec.name, docker: `ssh://${deployUser}@${spec.address}`, address: spec.address };
}

/**
 * What makes a host container what it is (its image, the key that logs in, its
 * address), as a short hash kept in a label: a host whose definition changed is
 * replaced, one whose definition holds is left alone.
 */
export function hostDefinition(inputs: { image: string; authorizedKey: string; spec: LocalHostSpec }): string {
  const { image, authorizedKey, spec } = inputs;
  return createHash('sha256')
    .update(JSON.stringify([image, authorizedKey.trim(), spec.container, spec.volume, spec.address, hostCapabilities]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * What a host container may do beyond Docker's defaults, so that its own engine
 * runs containers: SYS_ADMIN and NET_ADMIN for their namespaces and networks,
 * SYS_PTRACE for `docker exec` and health checks (runc joins a running
 * container's namespaces through /proc, which needs it). --privileged is refused here.
 */
export const hostCapabilities = ['SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE'] as const;

export interface ExistingHost {
  index: number;
  /** the definition label the container carries */
  definition: string;
  running: boolean;
}

/** Host numbers by what happens to them; each wanted host is in exactly one of the first four. */
export interface ResizePlan {
  create: number[];
  /** its definition changed: removed and made anew (its Docker data volume is kept) */
  replace: number[];
  /** as defined, but stopped */
  start: number[];
  keep: number[];
  /** beyond the count: removed with its Docker data */
  remove: number[];
}

export function resizePlan(
  existing: readonly ExistingHost[],
  count: number,
  definitionOf: (index: number) => string,
): ResizePlan {
  if (!Number.isInteger(count) || count < 1 || count > maxLocalHosts)
    throw new Error(`a local fleet has 1 to ${maxLocalHosts} hosts, got ${count}`);
  const plan: ResizePlan = { create: [], replace: [], start: [], keep: [], remove: [] };
  const byIndex = new Map(existing.map((host) => [host.index, host]));
  for (let index = 1; index <= count; index++) {
    const host = byIndex.get(index);
    if (!host) plan.create.push(index);
    else if (host.definition !== definitionOf(index)) plan.replace.push(index);
    else if (!host.running) plan.start.push(index);
    else plan.keep.push(index);
  }
  plan.remove = existing
    .map((host) => host.index)
    .filter((index) => index > count)
    .sort((a, b) => a - b);
  return plan;
}
