// A stack's containers as the Docker engine sees them now: state, health (Docker's
// own check, or the probe `up` waited on while Docker has not checked yet), URLs.
import type Docker from 'dockerode';
import { dockerClient, labelKeys, passesHealthTest } from './docker-client.ts';
import { devStackName } from './tiers.ts';
import { endpointUrl } from './render.ts';
import { production } from './production.ts';
import { deployer } from '../roles/deployer.ts';
import type { Role } from '../roles/role.ts';
import { UserError } from '../lib/errors.ts';
import { resolveUser } from '../lib/user.ts';
import type { Host } from './hosts.ts';
import { unreachableReason } from './host-engine.ts';

export interface StatusOptions {
  user?: string;
  stack?: string;
  /** the stack's fleet (recorded in its config): every host is asked; absent: this machine's engine */
  hosts?: readonly Host[];
}

export interface ContainerStatus {
  name: string;
  /** the fleet host it runs on; absent: this machine */
  host?: string;
  role: string;
  state: string;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  urls: string[];
  image: string;
}

export interface StatusResult {
  stack: string;
  healthy: boolean;
  containers: ContainerStatus[];
  /** the fleet's hosts that did not answer, each with why */
  unreachable: { host: string; reason: string }[];
}

/** The stack's containers on one engine; a fleet host that does not answer is said, not thrown. */
async function listedOn(
  stack: string,
  engine: { host?: Host; docker: Docker },
): Promise<{ containers: Docker.ContainerInfo[]; unreachable?: { host: string; reason: string } }> {
  try {
    const containers = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${labelKeys.stack}=${stack}`] },
    });
    return { containers };
  } catch (error) {
    if (!engine.host)
      throw new UserError(
        `cannot ask the Docker engine: ${(error as Error).message}`,
        'run `devenv doctor` to see what is missing',
      );
    return { containers: [], unreachable: { host: engine.host.name, reason: unreachableReason(error, engine.host) } };
  }
}

export async function status(options: StatusOptions): Promise<StatusResult> {
  const stack = options.stack ?? devStackName((await resolveUser(options.user)).user);
  const engines = options.hosts
    ? await (await import('./host-engine.ts')).stackEngines(options.hosts)
    : [{ docker: dockerClient() }];
  const found = await Promise.all(engines.map((engine) => listedOn(stack, engine)));
  const unreachable = found.flatMap((f) => (f.unreachable ? [f.unreachable] : []));
  const listed = found.flatMap((f, i) => f.containers.map((c) => ({ c, engine: engines[i]! })));
  const roles = [...production().roles, deployer];
  const containers = (
    await Promise.all(
      listed.map(async ({ c, engine }): Promise<ContainerStatus> => {
        const docker = engine.docker;
        const reported = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1];
        const health =
          reported === 'health: starting'
            ? await probeStarting(docker.getContainer(c.Id))
            : ((reported as ContainerStatus['health'] | undefined) ?? 'none');
        return {
          name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
          ...(engine.host && { host: engine.host.name }),
          role: c.Labels[labelKeys.role] ?? '?',
          state: c.State,
          health,
          urls: c.Ports.filter((p) => p.PublicPort).map((p) =>
            endpointUrl(
              portName(roles, c.Labels[labelKeys.role] ?? '', p.PrivatePort),
              p.PublicPort,
              engine.host?.address,
            ),
          ),
          image: c.Labels[labelKeys.image] ?? c.Image,
        };
      }),
    )
  ).sort((a, b) => a.name.localeCompare(b.name));
  const healthy =
    containers.length > 0 &&
    unreachable.length === 0 &&
    containers.every((c) => c.state === 'running' && (c.health === 'healthy' || c.health === 'none'));
  return { stack, healthy, containers, unreachable };
}

/** The name a role gives a container port (its URL's scheme), as render names it. */
function portName(roles: Role[], role: string, containerPort: number): string {
  const named = Object.entries(roles.find((r) => r.name === role)?.ports ?? {}).find(
    ([, port]) => port === containerPort,
  );
  return named?.[0] ?? 'http';
}

/**
 * Docker has not run a young container's health check yet: ask the same probe
 * `up` waited on, so that right after `up` says the stack is up, status agrees.
 */
async function probeStarting(container: Docker.Container): Promise<ContainerStatus['health']> {
  const tests = (await container.inspect().catch(() => undefined))?.Config.Healthcheck?.Test;
  if (!tests) return 'starting';
  return (await passesHealthTest(container, tests).catch(() => false)) ? 'healthy' : 'starting';
}
