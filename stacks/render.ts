// A tier rendered from production: every container, volume, image and port as
// plain data. What Pulumi turns into resources, and what parity compares.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labelKeys } from './docker-client.ts';
import { imageRepository, networkName, resourceName } from './naming.ts';
import { hostPort } from './ports.ts';
import { production, type Composition } from './production.ts';
import { tierOfStack, type Tier } from './tiers.ts';
import { contextHash } from './context-hash.ts';
import { fleetProblems, replicaHosts, type Fleet, type Host } from './hosts.ts';
import { opsStack } from './ops.ts';
import { devSecrets, secretStandIn, tierHasSecrets, type StackSecrets } from './secrets.ts';
import type { HostBind, Role } from '../roles/role.ts';

export interface RenderedImage {
  name: string;
  /** devenv/<name>:<content hash> */
  ref: string;
  contextDir: string;
  dockerfile: string;
  /** mid-roll, the image the replicas not yet rolled still run */
  previous?: boolean;
}

export interface RenderedContainer {
  name: string;
  role: string;
  replica: number;
  image: string;
  command?: string[];
  env: Record<string, string>;
  /** published on 127.0.0.1, or across a fleet on the address of the container's host */
  ports: {
    name: string;
    container: number;
    host: number;
    protocol?: 'udp';
    /** published for the fleet's other hosts only, not one of the stack's URLs */
    fleetOnly?: true;
  }[];
  mounts: { path: string; volume?: string; hostPath?: string; tmpfs?: boolean; readOnly: boolean }[];
  healthCheck?: Required<NonNullable<Role['healthCheck']>>;
  /** source mounted and the live-edit command run (dev) */
  liveEdit: boolean;
  dependsOn: string[];
  memoryMb: number;
  labels: Record<string, string>;
  /** shares the host's network and processes (the deploy service only) */
  hostNamespaces: boolean;
  /** the fleet host whose Docker engine runs it; absent: this machine's engine */
  host?: Host;
  /** across a fleet: the env keys whose values were rendered from the placement (addresses of other roles) */
  placedEnv?: string[];
  /** the env keys holding a secret (kept encrypted in the state), each with its value with the secret masked */
  secretEnv?: Record<string, string>;
}

export interface RenderedStack {
  stack: string;
  tier: Tier['name'];
  /** the stack's network on each engine it uses (one name; across a fleet, one network per host) */
  network: string;
  images: RenderedImage[];
  /** across a fleet, a volume is made on each host that runs its role */
  volumes: { name: string; role: string; data: boolean; host?: string }[];
  containers: RenderedContainer[];
  /** the fleet's hosts the stack uses; absent: this machine's engine alone */
  hosts?: Host[];
  /** rendered without the tier's secrets (to compare or to list URLs): it must not be applied */
  withoutSecrets?: true;
}

export interface RenderInputs {
  stack: string;
  tier: Tier;
  projectRoot: string;
  /** content hash of each image's build inputs, by image name */
  imageHashes: Record<string, string>;
  /** first host port of the stack */
  portBase: number;
  /** where roles that share the host's folders find them */
  hostPaths?: HostPaths;
  /** the hosts the stack runs on and where each role goes; absent: all on this machine's engine */
  fleet?: Fleet;
  /** the tier's secrets (a tier that has them, rendered without: a stand-in, and it cannot be applied) */
  secrets?: StackSecrets;
}

export interface HostPaths {
  project: string;
  devenvHome: string;
  /** the engines devenv installed for itself (the Pulumi engine, Node.js) */
  tools: string;
  dockerSocket: string;
}

/** `{{publish:db.postgres}}` in a role's env: the host port that role's port is published at. */
const publishedPlaceholder = /\{\{publish:([a-z0-9]+)\.([a-z0-9]+)\}\}/g;

function resolvePublished(value: string, roles: Role[], portBase: number): string {
  return value.replace(publishedPlaceholder, (whole, roleName: string, port: string) => {
    const offset = roles.find((r) => r.name === roleName)?.publish[port];
    if (offset === undefined) throw new Error(`${whole}: role ${roleName} publishes no port "${port}"`);
    return String(hostPort(portBase, offset));
  });
}

/**
 * How containers reach each other: `{{reach:db.postgres}}` is one replica's
 * address, `{{upstreams:web.http}}` every replica's. On one host's network
 * that is the role's name and container port (Docker's DNS answers it); across
 * hosts of a fleet it is the address of the target's host and the port
 * published there.
 */
/** `{{secret:dbPassword}}`: one of the tier's secrets. */
const secretPlaceholder = /\{\{secret:([A-Za-z]+)\}\}/g;

/** The value with each secret put in (null: left as its placeholder, to compare values without seeing them). */
function resolveSecrets(value: string, secrets: StackSecrets | undefined | null): string {
  return value.replace(secretPlaceholder, (whole, name: string) => {
    if (!(name in devSecrets)) throw new Error(`${whole}: no secret is called ${name}`);
    if (secrets === null) return whole;
    return secrets ? secrets[name as keyof StackSecrets] : secretStandIn;
  });
}

/** A value that names other roles' addresses: rendered differently on one host and across a fleet. */
const placementDependent = /\{\{(reach|upstreams|fleet):/;
const fleetAddresses = /\{\{fleet:addresses\}\}/g;
const reachPlaceholder = /\{\{(reach|upstreams):([a-z0-9]+)\.([a-z0-9]+)\}\}/g;

/** Where one replica of a role runs and what it publishes there, by port name. */
interface Placed {
  host?: Host;
  published: Record<string, number>;
}

function resolveReach(
  value: string,
  from: Host | undefined,
  roles: Role[],
  placed: Map<string, Placed[]>,
  fleet: Fleet | undefined,
): string {
  // `{{fleet:addresses}}`: every host's address and devenv's own machine's (a database lets them in), nothing on one host.
  const withFleet = value.replace(fleetAddresses, () =>
    [...(fleet?.hosts ?? []).map((host) => host.address), ...(fleet?.controller ? [fleet.controller] : [])].join(' '),
  );
  return withFleet.replace(reachPlaceholder, (whole, kind: string, roleName: string, port: string) => {
    const role = roles.find((r) => r.name === roleName);
    if (!role) throw new Error(`${whole}: there is no role ${roleName} in the stack`);
    const containerPort = role.ports[port];
    if (containerPort === undefined) throw new Error(`${whole}: role ${roleName} has no port "${port}"`);
    const replicas = placed.get(roleName)!;
    const onHostNetwork = `${roleName}:${containerPort}`;
    const across = (replica: Placed) => `${replica.host!.address}:${replica.published[port]}`;
    if (kind === 'upstreams') return from === undefined ? onHostNetwork : replicas.map(across).join(' ');
    if (replicas.length > 1)
      throw new Error(`${whole}: role ${roleName} has ${replicas.length} replicas; reach them with {{upstreams:...}}`);
    const target = replicas[0]!;
    return from === undefined || target.host!.name === from.name ? onHostNetwork : across(target);
  });
}

/**
 * Across a fleet every port of every role is published on its host, since any
 * of them may be reached from another host: a single, unnumbered replica at its
 * role's own offset when it has one, every other port at an offset from 10
 * (after the range a single host uses). The offsets depend only on the roles and
 * the replica's number, never on how many replicas run: scaling a role adds
 * replicas and moves none, so no new container asks for a port an old one
 * still holds. Fixed tiers' bases are 100 apart.
 */
export const fleetPortSpan = 100;
const firstFleetOffset = 10;

function fleetOffsets(
  roles: Role[],
  replicasOf: (role: Role) => number,
  numbered: (role: Role) => boolean,
): Map<string, number> {
  const slots = roles.flatMap((role) =>
    Object.keys(role.ports)
      .filter((port) => numbered(role) || role.publish[port] === undefined)
      .map((port) => `${role.name}.${port}`),
  );
  const offsets = new Map<string, number>();
  let highest = 0;
  for (const role of roles)
    for (const port of Object.keys(role.ports))
      for (let replica = 1; replica <= replicasOf(role); replica++) {
        const slot = slots.indexOf(`${role.name}.${port}`);
        const offset = slot === -1 ? role.publish[port]! : firstFleetOffset + (replica - 1) * slots.length + slot;
        highest = Math.max(highest, offset);
        offsets.set(`${role.name}.${port}.${replica}`, offset);
      }
  if (highest >= fleetPortSpan)
    throw new Error(
      `a fleet needs host ports up to offset ${highest} per stack, more than the ${fleetPortSpan} a tier has: run fewer replicas`,
    );
  return offsets;
}

function hostBindPath(bind: HostBind, paths: HostPaths): string {
  const byBind: Record<HostBind, string> = {
    project: paths.project,
    'devenv-home': paths.devenvHome,
    tools: paths.tools,
    'docker-socket': paths.dockerSocket,
  };
  return byBind[bind];
}

export function imageBuild(projectRoot: string, image: Role['image']): { contextDir: string; dockerfile: string } {
  const dockerfileDir = join(projectRoot, 'images', image.name);
  return {
    dockerfile: join(dockerfileDir, 'Dockerfile'),
    contextDir: image.context ? join(projectRoot, image.context) : dockerfileDir,
  };
}

export function render(production: Composition, inputs: RenderInputs): RenderedStack {
  const { stack, tier, fleet } = inputs;
  const secrets = tierHasSecrets(tier) ? inputs.secrets : devSecrets;
  if (fleet) {
    if (tier.ports.kind !== 'fixed')
      throw new Error(`${stack}: only tiers with fixed ports (princess, prod) run on a fleet`);
    const problems = fleetProblems(
      fleet,
      production.roles.map((role) => role.name),
    );
    if (problems.length > 0) throw new Error(`${stack}'s fleet: ${problems.join('; ')}`);
  }
  const images = uniqueImages(production.roles).map((image) => {
    const hash = inputs.imageHashes[image.name];
    if (!hash) throw new Error(`no content hash for image ${image.name}`);
    return {
      name: image.name,
      ref: `${imageRepository(image.name)}:${hash}`,
      ...imageBuild(inputs.projectRoot, image),
    };
  });
  const replicasOf = (role: Role) => fleet?.replicas?.[role.name] ?? tier.replicas[role.name] ?? role.replicas;
  // On a fleet a role the tier or the fleet scales is numbered even as one replica, so that
  // scaling it never renames its first replica (a new name is a new container, made before the old goes).
  const numbered = (role: Role) =>
    replicasOf(role) > 1 ||
    (fleet !== undefined && (role.name in tier.replicas || role.name in (fleet.replicas ?? {})));
  const offsets = fleet && fleetOffsets(production.roles, replicasOf, numbered);
  const hostByName = new Map(fleet?.hosts.map((host) => [host.name, host]));
  const placed = new Map(
    production.roles.map((role) => {
      const replicas = replicasOf(role);
      const hosts = fleet ? replicaHosts(fleet, role.name, replicas) : [];
      return [
        role.name,
        Array.from({ length: replicas }, (_, i): Placed => {
          if (!offsets) return { published: {} };
          const published = Object.fromEntries(
            Object.keys(role.ports).map((port) => [
              port,
              inputs.portBase + offsets.get(`${role.name}.${port}.${i + 1}`)!,
            ]),
          );
          return { host: hostByName.get(hosts[i]!)!, published };
        }),
      ] as const;
    }),
  );
  const containers = production.roles.flatMap((role) => {
    const replicas = replicasOf(role);
    const host = role.host;
    if (host && !inputs.hostPaths) throw new Error(`role ${role.name} shares host folders: render it with hostPaths`);
    // On the host's network a port is the host port itself.
    const ports = Object.entries(role.publish).map(([name, offset]) => {
      const published = hostPort(inputs.portBase, offset);
      return { name, container: host ? published : role.ports[name]!, host: published };
    });
    const hostEnv: Record<string, string> = host
      ? {
          ...Object.fromEntries(ports.map((p) => [`PORT_${p.name.toUpperCase()}`, String(p.host)])),
          DEVENV_ROOT: inputs.hostPaths!.project,
          DEVENV_HOME: inputs.hostPaths!.devenvHome,
          DEVENV_TOOLS: inputs.hostPaths!.tools,
        }
      : {};
    const liveEdit = tier.liveEdit && role.image.context !== undefined && role.image.sourcePath !== undefined;
    const command = liveEdit && role.liveEditCommand ? role.liveEditCommand : role.command;
    const udp = new Set(role.udpPorts ?? []);
    return Array.from({ length: replicas }, (_, i): RenderedContainer => {
      const replica = i + 1;
      const where = placed.get(role.name)![i]!;
      const envWith = (given: StackSecrets | undefined | null) =>
        Object.fromEntries(
          Object.entries(role.env).map(([key, value]) => [
            key,
            resolveReach(
              resolveSecrets(resolvePublished(value, production.roles, inputs.portBase), given),
              where.host,
              production.roles,
              placed,
              fleet,
            ),
          ]),
        );
      const roleEnv = envWith(secrets);
      const secretKeys = Object.keys(role.env).filter((key) => role.env[key]!.includes('{{secret:'));
      const masked = secretKeys.length > 0 ? envWith(null) : {};
      // Replicas sit behind the proxy; only a single replica publishes its ports itself, except across a fleet.
      const published = where.host
        ? Object.entries(where.published).map(([name, port]) => ({
            name,
            container: role.ports[name]!,
            host: port,
            ...(udp.has(name) && { protocol: 'udp' as const }),
            ...((numbered(role) || role.publish[name] === undefined) && { fleetOnly: true as const }),
          }))
        : replicas === 1
          ? ports
          : [];
      return {
        name: numbered(role) ? resourceName(stack, role.name, replica) : resourceName(stack, role.name),
        role: role.name,
        replica,
        image: images.find((image) => image.name === role.image.name)!.ref,
        ...(command && { command }),
        env: { ...roleEnv, ...hostEnv, ...tier.env[role.name] },
        ports: published,
        mounts: [
          ...role.volumes.map((v) => ({
            path: v.path,
            volume: resourceName(stack, `${role.name}-${v.name}`),
            readOnly: false,
          })),
          ...(liveEdit
            ? [
                {
                  path: role.image.sourcePath!,
                  hostPath: join(inputs.projectRoot, role.image.context!),
                  readOnly: true,
                },
                // The host's own node_modules (built for the host) must not shadow the image's.
                { path: `${role.image.sourcePath}/node_modules`, tmpfs: true, readOnly: true },
              ]
            : []),
          ...(host?.binds ?? []).map((bind) => {
            const path = hostBindPath(bind, inputs.hostPaths!);
            return { path, hostPath: path, readOnly: false };
          }),
        ],
        ...(role.healthCheck && {
          healthCheck: { intervalSeconds: 5, timeoutSeconds: 3, readyTimeoutSeconds: 60, ...role.healthCheck },
        }),
        liveEdit,
        dependsOn: role.dependsOn,
        memoryMb: role.resources.memoryMb,
        labels: {
          [labelKeys.managed]: 'true',
          [labelKeys.stack]: stack,
          [labelKeys.role]: role.name,
          ...(where.host && { [labelKeys.image]: images.find((image) => image.name === role.image.name)!.ref }),
        },
        hostNamespaces: host !== undefined,
        ...(secretKeys.length > 0 && {
          secretEnv: Object.fromEntries(secretKeys.map((key) => [key, masked[key]!])),
        }),
        ...(where.host && {
          host: where.host,
          placedEnv: Object.keys(role.env).filter((key) => placementDependent.test(role.env[key]!)),
        }),
      };
    });
  });
  const volumes = production.roles.flatMap((role) =>
    role.volumes.flatMap((v) => {
      const volume = { name: resourceName(stack, `${role.name}-${v.name}`), role: role.name, data: v.data };
      if (!fleet) return [volume];
      const hosts = [...new Set(placed.get(role.name)!.map((replica) => replica.host!.name))];
      return hosts.map((host) => ({ ...volume, host }));
    }),
  );
  const used = new Set(containers.map((c) => c.host?.name));
  return {
    stack,
    tier: tier.name,
    network: networkName(stack),
    images,
    volumes,
    containers,
    ...(fleet && { hosts: fleet.hosts.filter((host) => used.has(host.name)) }),
    // Only a stack whose env holds a secret needs one to be applied.
    ...(!secrets && containers.some((c) => c.secretEnv) && { withoutSecrets: true as const }),
  };
}

function uniqueImages(roles: Role[]): Role['image'][] {
  const seen = new Map<string, Role['image']>();
  for (const role of roles) seen.set(role.image.name, role.image);
  return [...seen.values()];
}

/** Content hash of every image's build inputs, by image name. */
export async function imageHashes(projectRoot: string, roles: Role[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    uniqueImages(roles).map(async (image) => {
      const build = imageBuild(projectRoot, image);
      if (!existsSync(build.dockerfile))
        throw new Error(`image ${image.name} has no build context: ${build.dockerfile} is missing`);
      return [image.name, await contextHash(build)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

export interface StackSources {
  /** the folder the site's images are built from: a release (one commit, exported) instead of the checkout */
  imageRoot?: string;
  /**
   * mid-roll (and for a rollback): the image each container runs now, by name,
   * and how many replicas of each role already run the new release's images
   */
  rolling?: { running: Record<string, string>; replicasOnNew: number };
  hostPaths?: HostPaths;
  /** the hosts the stack runs on (recorded in the stack's config); absent: this machine's engine */
  fleet?: Fleet;
  /** the tier's secrets, read from the stack's config by whoever opened the stack */
  secrets?: StackSecrets;
}

/** A stack by name (dev-<user>, princess, prod, ops) rendered from its description as it is now. */
export async function renderStack(
  stack: string,
  projectRoot: string,
  portBase: number,
  sources: StackSources = {},
): Promise<RenderedStack> {
  const tier = tierOfStack(stack);
  const roles = tier.composition === 'ops' ? opsStack() : production();
  const root = sources.imageRoot ?? projectRoot;
  const next = render(roles, {
    stack,
    tier,
    projectRoot: root,
    imageHashes: await imageHashes(root, roles.roles),
    portBase,
    ...(sources.hostPaths && { hostPaths: sources.hostPaths }),
    ...(sources.fleet && { fleet: sources.fleet }),
    ...(sources.secrets && { secrets: sources.secrets }),
  });
  return sources.rolling ? rollingStep(next, sources.rolling.running, sources.rolling.replicasOnNew) : next;
}

/**
 * One step of a roll: replicas 1..n of each role run the next release's image;
 * the others keep the image they run now (replicas 0 is a rollback to what ran).
 * Everything but the image is the next release's: roles and config are the same.
 */
export function rollingStep(
  next: RenderedStack,
  running: Record<string, string>,
  replicasOnNew: number,
): RenderedStack {
  const containers = next.containers.map((container) => {
    const now = running[container.name];
    if (container.replica <= replicasOnNew || now === undefined) return container;
    // Across a fleet the label names the image as tagged here: it follows the image, or the replica would be replaced.
    const labels =
      labelKeys.image in container.labels ? { ...container.labels, [labelKeys.image]: now } : container.labels;
    return { ...container, image: now, labels };
  });
  const declared = new Set(next.images.map((image) => image.ref));
  const kept = new Map<string, RenderedImage>();
  for (const container of containers) {
    if (declared.has(container.image) || kept.has(container.image)) continue;
    const sameName = next.images.find(
      (image) => image.ref === next.containers.find((c) => c.name === container.name)!.image,
    )!;
    kept.set(container.image, { ...sameName, ref: container.image, previous: true });
  }
  return { ...next, images: [...next.images, ...kept.values()], containers };
}

/** Per-role env overrides on top of the rendered ones (experiments, tests). */
export function withEnvOverrides(
  rendered: RenderedStack,
  overrides: Record<string, Record<string, string>>,
): RenderedStack {
  return {
    ...rendered,
    containers: rendered.containers.map((c) => ({ ...c, env: { ...c.env, ...overrides[c.role] } })),
  };
}

/** A published port as a URL: its name is its scheme (`http`, `postgres`), on loopback or a fleet host's address. */
export function endpointUrl(portName: string, hostPort: number, address = '127.0.0.1'): string {
  return portName === 'http' ? `http://${address}:${hostPort}/` : `${portName}://${address}:${hostPort}`;
}

/** The URLs a stack serves, by role.port; a port is named after its protocol. */
export function urlsOf(rendered: RenderedStack): Record<string, string> {
  return Object.fromEntries(
    rendered.containers.flatMap((c) =>
      c.ports
        .filter((p) => !p.fleetOnly)
        .map((p) => [`${c.role}.${p.name}`, endpointUrl(p.name, p.host, c.host?.address)]),
    ),
  );
}
