// Hosts as data: the machines a tier runs on, each reached through its own
// Docker engine, and where each role goes. Pure: the description is checked
// here, the engines are reached elsewhere. A tier without a fleet runs every
// role on the local engine, as every tier did before fleets.

/** How devenv reaches a host's Docker engine. */
export type DockerEndpoint =
  | { kind: 'socket'; path: string }
  | { kind: 'ssh'; user: string; host: string; port: number }
  | { kind: 'tcp'; host: string; port: number };

export interface Host {
  /** lowercase name: edge-1, app-1, data-1 */
  name: string;
  /** ssh://user@addr[:port], tcp://addr:port (TLS), or unix:///path/docker.sock */
  docker: string;
  /** where the edge proxy and the other hosts reach what this host publishes */
  address: string;
}

export interface Fleet {
  hosts: Host[];
  /** role → the hosts it runs on; a role's replicas go round them in turn */
  placement: Record<string, string[]>;
  /** replicas of a role on this fleet, where they differ from the tier's (e.g. one web replica per host) */
  replicas?: Record<string, number>;
  /**
   * the address the hosts see devenv's own machine at, which reaches the
   * databases directly (the princess rebuild, `prod generate`): let in beside the hosts
   */
  controller?: string;
}

/** This machine's own Docker engine, as an endpoint. */
export const localEngineEndpoint = 'unix:///var/run/docker.sock';

/** The fleet of a tier that names none: one host, the local engine, every role on it. */
export const localHostName = 'local';
export function localFleet(roles: readonly string[]): Fleet {
  return {
    hosts: [{ name: localHostName, docker: localEngineEndpoint, address: '127.0.0.1' }],
    placement: Object.fromEntries(roles.map((role) => [role, [localHostName]])),
  };
}

const hostNamePattern = /^[a-z][a-z0-9-]{0,30}$/;

/** A Docker endpoint, or what is wrong with it in words a user can act on. */
export function parseDockerEndpoint(text: string): DockerEndpoint | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a Docker endpoint: use ssh://user@address, tcp://address:2376 or unix:///var/run/docker.sock`;
  }
  const port = (fallback: number) => (url.port === '' ? fallback : Number(url.port));
  switch (url.protocol) {
    case 'unix:':
      return url.pathname ? { kind: 'socket', path: url.pathname } : `"${text}" names no socket path`;
    case 'ssh:':
      if (!url.username) return `"${text}" names no user: ssh://user@address`;
      if (url.pathname && url.pathname !== '/') return `"${text}": an ssh endpoint has no path`;
      return { kind: 'ssh', user: decodeURIComponent(url.username), host: url.hostname, port: port(22) };
    case 'tcp:':
      // Docker over plain TCP gives anyone who reaches the port root on the host: TLS only.
      if (url.port === '2375') return `"${text}": port 2375 is Docker without TLS; use TLS (2376) or ssh://`;
      return { kind: 'tcp', host: url.hostname, port: port(2376) };
    default:
      return `"${text}" is not a Docker endpoint: use ssh://user@address, tcp://address:2376 or unix:///var/run/docker.sock`;
  }
}

/**
 * Everything wrong with a fleet for these roles, one line each (empty when it is
 * sound): unknown hosts, unplaced roles, hosts sharing a name or an address,
 * endpoints that do not parse.
 */
export function fleetProblems(fleet: Fleet, roles: readonly string[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const addresses = new Map<string, string>();
  const endpoints = new Map<string, string>();
  if (fleet.hosts.length === 0) problems.push('the fleet names no host');
  for (const host of fleet.hosts) {
    if (!hostNamePattern.test(host.name))
      problems.push(`host name "${host.name}" must be lowercase letters, digits and -, starting with a letter`);
    if (names.has(host.name)) problems.push(`two hosts are named ${host.name}`);
    names.add(host.name);
    const endpoint = parseDockerEndpoint(host.docker);
    if (typeof endpoint === 'string') problems.push(`host ${host.name}: ${endpoint}`);
    const sameAddress = addresses.get(host.address);
    if (sameAddress) problems.push(`hosts ${sameAddress} and ${host.name} have one address, ${host.address}`);
    addresses.set(host.address, host.name);
    const sameEngine = endpoints.get(host.docker);
    if (sameEngine) problems.push(`hosts ${sameEngine} and ${host.name} have one Docker engine, ${host.docker}`);
    endpoints.set(host.docker, host.name);
  }
  for (const role of roles) {
    const placed = fleet.placement[role];
    if (!placed || placed.length === 0) problems.push(`role ${role} is placed on no host`);
  }
  for (const [role, count] of Object.entries(fleet.replicas ?? {})) {
    if (!roles.includes(role)) problems.push(`the replicas name an unknown role "${role}"`);
    if (!Number.isInteger(count) || count < 1 || count > 20)
      problems.push(`role ${role} is given ${count} replicas: a whole number from 1 to 20`);
  }
  for (const [role, hosts] of Object.entries(fleet.placement)) {
    if (!roles.includes(role)) problems.push(`the placement names an unknown role "${role}"`);
    for (const host of hosts)
      if (!names.has(host)) problems.push(`role ${role} is placed on an unknown host "${host}"`);
    if (new Set(hosts).size !== hosts.length) problems.push(`role ${role} names one host twice`);
  }
  return problems;
}

/** The host of each replica of a role, 1-based replicas going round its hosts in turn. */
export function replicaHosts(fleet: Fleet, role: string, replicas: number): string[] {
  const hosts = fleet.placement[role] ?? [];
  if (hosts.length === 0) throw new Error(`role ${role} is placed on no host`);
  return Array.from({ length: replicas }, (_, index) => hosts[index % hosts.length]!);
}

/**
 * The placement a fleet gets when none is written: the edge proxy and the data
 * roles (and the worker) on one host, the web replicas spread over every host.
 */
export function defaultPlacement(
  roles: readonly string[],
  hosts: readonly string[],
  dataHost: string,
): Record<string, string[]> {
  if (!hosts.includes(dataHost)) throw new Error(`the data host ${dataHost} is not one of the fleet's hosts`);
  return Object.fromEntries(roles.map((role) => [role, role === 'web' ? [...hosts] : [dataHost]]));
}
