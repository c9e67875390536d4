// How each host of a fleet is doing, asked the way devenv reaches it (SSH or TLS):
// reachable or not (and why, in one line), its Docker engine's version, the
// disk left for Docker's data, load average, containers running, and what
// devenv runs there (containers by the stack and role their labels name). Hosts
// are asked side by side, and one that does not answer never stops the others.
import { labelKeys } from '../stacks/docker-client.ts';
import { parseDockerEndpoint, type DockerEndpoint, type Fleet, type Host } from '../stacks/hosts.ts';
import { hostDocker, hostExec, unreachableReason } from '../stacks/host-engine.ts';

export interface HostCheck {
  name: string;
  address: string;
  docker: string;
  reachable: boolean;
  /** why it is not reachable, one line */
  problem?: string;
  dockerVersion?: string;
  /** bytes free on the filesystem of /var/lib/docker */
  freeDiskBytes?: number;
  /** 1, 5 and 15 minutes */
  load?: [number, number, number];
  containersRunning?: number;
  /** devenv's containers there, by stack and role (labels devenv.stack, devenv.role) */
  workloads?: Workload[];
}

/** The containers of one role of one stack on a host. */
export interface Workload {
  stack: string;
  role: string;
  running: number;
  /** made but not running: exited, created, paused, restarting */
  stopped: number;
}

/** devenv's containers on a host by stack and role, in order; a container without devenv's stack label is not one. */
export function workloadsOf(containers: readonly { Labels?: Record<string, string>; State?: string }[]): Workload[] {
  const byKey = new Map<string, Workload>();
  for (const container of containers) {
    const stack = container.Labels?.[labelKeys.stack];
    if (!stack) continue;
    const role = container.Labels?.[labelKeys.role] || '-';
    const key = `${stack}\u0000${role}`;
    const workload = byKey.get(key) ?? { stack, role, running: 0, stopped: 0 };
    if (container.State === 'running') workload.running++;
    else workload.stopped++;
    byKey.set(key, workload);
  }
  return [...byKey.values()].sort((a, b) => a.stack.localeCompare(b.stack) || a.role.localeCompare(b.role));
}

/** One host's whole check may take this long: a host that hangs after the handshake is "not answering" too. */
const checkTimeoutMs = 15_000;

/** What Docker's API does not say: free bytes under /var/lib/docker, then /proc/loadavg. */
const factsCommand = 'df -P -B1 /var/lib/docker | tail -n 1; cat /proc/loadavg';

/** The free bytes and load averages from factsCommand's output, or undefined when it is not that. */
export function parseHostFacts(stdout: string): { freeDiskBytes: number; load: [number, number, number] } | undefined {
  const [dfLine, loadLine] = stdout.trim().split('\n');
  // df -P: filesystem, size, used, available, capacity, mount point
  const available = Number(dfLine?.trim().split(/\s+/)[3]);
  const load = (loadLine ?? '').trim().split(/\s+/).slice(0, 3).map(Number);
  if (!Number.isFinite(available) || load.length !== 3 || load.some((n) => !Number.isFinite(n))) return undefined;
  return { freeDiskBytes: available, load: load as [number, number, number] };
}

async function checkHost(home: string, host: Host): Promise<HostCheck> {
  const row = { name: host.name, address: host.address, docker: host.docker };
  try {
    const docker = await hostDocker(home, host);
    // Disk and load are read with a shell on the host: only a host reached over SSH has one to offer.
    const overSsh = (parseDockerEndpoint(host.docker) as DockerEndpoint).kind === 'ssh';
    const [info, facts, containers] = await Promise.all([
      docker.info(),
      overSsh ? hostExec(home, host, factsCommand) : undefined,
      docker.listContainers({ all: true, filters: { label: [labelKeys.stack] } }),
    ]);
    const parsed = facts?.code === 0 ? parseHostFacts(facts.stdout) : undefined;
    return {
      ...row,
      reachable: true,
      dockerVersion: info.ServerVersion,
      containersRunning: info.ContainersRunning,
      workloads: workloadsOf(containers),
      ...parsed,
      ...(facts &&
        !parsed && { problem: `its disk and load could not be read: ${facts.stderr.trim() || facts.stdout.trim()}` }),
    };
  } catch (error) {
    return { ...row, reachable: false, problem: unreachableReason(error, host, home) };
  }
}

/** Every host of the fleet checked, side by side, in the fleet's order. */
export async function checkHosts(home: string, fleet: Fleet): Promise<HostCheck[]> {
  return Promise.all(
    fleet.hosts.map((host) => {
      const timeout = new Promise<HostCheck>((resolve) =>
        setTimeout(
          () =>
            resolve({
              name: host.name,
              address: host.address,
              docker: host.docker,
              reachable: false,
              problem: `it did not finish answering within ${checkTimeoutMs / 1000} s`,
            }),
          checkTimeoutMs,
        ).unref(),
      );
      return Promise.race([checkHost(home, host), timeout]);
    }),
  );
}
