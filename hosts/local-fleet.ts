// A fleet to try on one machine: N containers of the host image (images/host),
// each with a Docker engine and sshd of its own, at fixed addresses on a network
// of their own; reached, like any fleet, over SSH with the fleet key and pinned
// host keys. local-fleet-plan.ts decides what changes; this file does it with the
// machine's Docker engine. Everything made here carries devenv.managed and
// devenv.stack=local-fleet, and nothing without those labels is adopted or removed.
import { join } from 'node:path';
import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { projectRoot } from '../lib/paths.ts';
import { silentReporter, type Reporter } from '../lib/report.ts';
import { waitFor } from '../lib/wait.ts';
import { contextHash } from '../stacks/context-hash.ts';
import {
  baseImageName,
  containerLogs,
  dockerClient,
  execIn,
  inspectIfPresent,
  isNotFound,
  labelKeys,
  removeIfPresent,
} from '../stacks/docker-client.ts';
import type { Fleet, Host } from '../stacks/hosts.ts';
import { imageRepository } from '../stacks/naming.ts';
import { imageBuild } from '../stacks/render.ts';
import { baseImagePresent } from '../toolchain/base-image.ts';
import { ensureFleetKey, pinHostKeys, readKnownHosts } from '../stacks/fleet-files.ts';
import { ensureRegistryFiles } from '../stacks/registry-files.ts';
import { readRegistry } from '../stacks/registry.ts';
import { hostDocker } from '../stacks/host-engine.ts';
import { knownHostsName, parsePublicKey, pinnedKey, type PublicKey } from '../stacks/known-hosts.ts';
import {
  fleetHost,
  hostCapabilities,
  hostDefinition,
  localFleetNetwork,
  localFleetStack,
  localHostIndex,
  localHostSpec,
  maxLocalHosts,
  resizePlan,
  type ExistingHost,
  type LocalHostSpec,
} from './local-fleet-plan.ts';

export interface LocalHost extends Host {
  container: string;
  /** the container's state on this machine's engine: running, exited, ... */
  state: string;
}

export interface LocalFleet extends Fleet {
  hosts: LocalHost[];
  network: string;
  subnet: string;
}

/** Host names by what happened to them. */
export interface LocalFleetChanges {
  created: string[];
  replaced: string[];
  started: string[];
  removed: string[];
}

const definitionLabel = 'devenv.host-definition';
/** Long enough for a host's dockerd to stop its own containers (10 s each by default) and exit clean. */
const stopTimeoutSeconds = 30;
const reachableTimeoutMs = 60_000;

const labels = (role: string): Record<string, string> => ({
  [labelKeys.managed]: 'true',
  [labelKeys.stack]: localFleetStack,
  [labelKeys.role]: role,
});
const ours = (found: Record<string, string> | null | undefined) => found?.[labelKeys.stack] === localFleetStack;

/** The host image's content-hash tag, built the way every image of the project is when the engine lacks it. */
export async function ensureHostImage(home: string, reporter: Reporter): Promise<string> {
  const build = imageBuild(projectRoot, { name: 'host' });
  const ref = `${imageRepository('host')}:${await contextHash(build)}`;
  const docker = dockerClient();
  if (await inspectIfPresent(() => docker.getImage(ref).inspect())) return ref;
  if (!(await baseImagePresent(docker)))
    throw new UserError(
      `the base image ${baseImageName}, which the host image is built from, is missing`,
      'run `devenv setup`, which makes it',
    );
  await reporter.phase(`Building the host image ${ref}`, async () => {
    // The build path loads Pulumi's SDK: only paid when the image is missing.
    const { ensureImage } = await import('../stacks/providers/image.ts');
    await ensureImage({
      imageName: ref,
      ...build,
      buildArgs: {},
      labels: [{ label: labelKeys.managed, value: 'true' }],
      logDir: join(home, 'logs'),
    });
  });
  return ref;
}

interface FoundHost extends ExistingHost {
  container: string;
  state: string;
}

/** The host containers on this machine; a container with a host's name that devenv did not make is refused. */
async function foundHosts(docker: Docker): Promise<FoundHost[]> {
  const listed = await docker.listContainers({ all: true, filters: { name: ['devenv-host-'] } });
  const hosts: FoundHost[] = [];
  for (const container of listed) {
    const name = (container.Names[0] ?? '').replace(/^\//, '');
    const index = localHostIndex(name);
    if (index === undefined) continue;
    if (!ours(container.Labels))
      throw new UserError(
        `a container named ${name} exists that the local fleet did not make`,
        `remove or rename it: the local fleet's hosts are named devenv-host-1 to devenv-host-${maxLocalHosts}`,
      );
    hosts.push({
      index,
      container: name,
      definition: container.Labels[definitionLabel] ?? '',
      running: container.State === 'running',
      state: container.State,
    });
  }
  return hosts.sort((a, b) => a.index - b.index);
}

async function ensureNetwork(docker: Docker): Promise<void> {
  const { name, subnet, gateway } = localFleetNetwork;
  const existing = await inspectIfPresent(() => docker.getNetwork(name).inspect());
  if (existing) {
    if (!ours(existing.Labels))
      throw new UserError(`a network named ${name} exists that the local fleet did not make`, 'remove or rename it');
    const subnets = (existing.IPAM?.Config ?? []).map((config: { Subnet?: string }) => config.Subnet);
    if (!subnets.includes(subnet))
      throw new UserError(
        `the network ${name} has subnet ${subnets.join(', ')}, not ${subnet}`,
        'remove the local fleet with `devenv hosts local --down` and make it again',
      );
    return;
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      // The hosts talk to each other and to this machine, never beyond it: they need nothing from outside.
      Internal: true,
      IPAM: { Config: [{ Subnet: subnet, Gateway: gateway }] },
      Labels: labels('network'),
    });
  } catch (error) {
    if (/overlap/i.test((error as Error).message))
      throw new UserError(
        `the local fleet's subnet ${subnet} overlaps a network this machine has already`,
        'find it with `ip route` or `docker network inspect`, and remove it or move it elsewhere',
        { cause: error },
      );
    throw error;
  }
}

async function ensureVolume(docker: Docker, spec: LocalHostSpec): Promise<void> {
  const existing = await inspectIfPresent(() => docker.getVolume(spec.volume).inspect());
  if (existing && !ours(existing.Labels))
    throw new UserError(
      `a volume named ${spec.volume} exists that the local fleet did not make`,
      'remove or rename it',
    );
  if (!existing) await docker.createVolume({ Name: spec.volume, Labels: labels('host') });
}

/** The network a host container is on, and its labels (a test's hosts carry their own). */
export interface HostPlacement {
  network: string;
  labels: Record<string, string>;
}

/** The flags that make a Docker engine run inside a container here (DESIGN.md, "Facts"): --privileged is refused. */
export async function createHostContainer(
  docker: Docker,
  spec: LocalHostSpec,
  inputs: {
    image: string;
    authorizedKey: string;
    /** ca.pem, server-cert.pem, server-key.pem: the host's engine also serves TCP 2376 with TLS */
    tlsDir?: string;
  },
  placement: HostPlacement,
): Promise<Docker.Container> {
  return docker.createContainer({
    name: spec.container,
    Image: inputs.image,
    Hostname: spec.name,
    Env: [`DEPLOY_AUTHORIZED_KEY=${inputs.authorizedKey}`, `DOCKERD_CGROUP_PARENT=/${spec.container}`],
    Labels: placement.labels,
    StopTimeout: stopTimeoutSeconds,
    HostConfig: {
      CapAdd: [...hostCapabilities],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw', ...(inputs.tlsDir ? [`${inputs.tlsDir}:/etc/docker/tls:ro`] : [])],
      Mounts: [{ Type: 'volume', Source: spec.volume, Target: '/var/lib/docker' }],
      RestartPolicy: { Name: 'unless-stopped' },
      NetworkMode: placement.network,
    },
    NetworkingConfig: {
      EndpointsConfig: { [placement.network]: { IPAMConfig: { IPv4Address: spec.address } } },
    },
  });
}

/**
 * The host's SSH host key, read through this machine's own engine (not over the
 * network, so there is no first connection to trust): the host makes it on its
 * first start, so it is waited for.
 */
export async function readHostKey(docker: Docker, spec: LocalHostSpec): Promise<PublicKey> {
  const container = docker.getContainer(spec.container);
  return waitFor(
    async () => {
      const { code, stdout } = await execIn(container, ['cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
      return code === 0 ? parsePublicKey(stdout) : undefined;
    },
    {
      intervalMs: 200,
      timeoutMs: 30_000,
      timedOut: async () =>
        new UserError(
          `${spec.name} made no SSH host key within 30 s${lastWords(await containerLogs(container, 5).catch(() => ''))}`,
          `see its log: docker logs ${spec.container}`,
        ),
    },
  );
}

const lastWords = (log: string) => {
  const last = log.trim().split('\n').pop()?.trim();
  return last ? `: ${last}` : '';
};

/** Waits until the host's Docker engine answers over SSH with the pinned key; a refused key ends the wait at once. */
export async function waitUntilReachable(home: string, docker: Docker, spec: LocalHostSpec): Promise<string> {
  const container = docker.getContainer(spec.container);
  let last = '';
  return waitFor(
    async () => {
      const state = (await container.inspect()).State;
      if (!state.Running)
        throw new UserError(
          `${spec.name} stopped (exit code ${state.ExitCode}) while starting${lastWords(await containerLogs(container, 5))}`,
          `see its log: docker logs ${spec.container}`,
        );
      try {
        return (await (await hostDocker(home, fleetHost(spec))).version()).Version;
      } catch (error) {
        if (error instanceof UserError) throw error;
        last = (error as Error).message;
        return undefined;
      }
    },
    {
      intervalMs: 500,
      timeoutMs: reachableTimeoutMs,
      timedOut: () =>
        new UserError(
          `${spec.name}'s Docker engine did not answer over SSH within ${reachableTimeoutMs / 1000} s${last ? `: ${last}` : ''}`,
          `see its log: docker logs ${spec.container}`,
        ),
    },
  );
}

/**
 * Makes the host's Docker engine trust devenv's registry: the CA's certificate
 * where dockerd looks for it, per registry address (read on every pull, so no
 * restart). Written through this machine's engine, on every run: a host remade,
 * or a CA made after the host, is covered by the next `devenv hosts local N`.
 */
export async function trustRegistry(home: string, docker: Docker, spec: LocalHostSpec): Promise<void> {
  const { location, ca } = await readRegistry(home);
  const dir = `/etc/docker/certs.d/${location.pull}`;
  // The CA's certificate is public: it may ride on the command line.
  const { code, stderr } = await execIn(docker.getContainer(spec.container), [
    'sh',
    '-c',
    'mkdir -p "$0" && printf %s "$1" > "$0/ca.crt.partial" && mv "$0/ca.crt.partial" "$0/ca.crt"',
    dir,
    ca,
  ]);
  if (code !== 0) throw new Error(`could not install the registry's CA on ${spec.name}: ${stderr.trim()}`);
}

/** Stops a host (its dockerd stops its own containers) and removes it; its Docker data too when asked. */
async function removeHost(docker: Docker, spec: LocalHostSpec, options: { withData: boolean }): Promise<void> {
  const container = docker.getContainer(spec.container);
  await container.stop({ t: stopTimeoutSeconds }).catch((error: { statusCode?: number }) => {
    // 304: already stopped; 404: already gone.
    if (error.statusCode !== 304 && !isNotFound(error)) throw error;
  });
  await removeIfPresent(() => container.remove({ force: true }));
  if (options.withData) await removeIfPresent(() => docker.getVolume(spec.volume).remove());
}

/** The local fleet as this machine's engine holds it now (no host is asked anything). */
export async function listLocalFleet(): Promise<LocalFleet> {
  const hosts = (await foundHosts(dockerClient())).map((found) => ({
    ...fleetHost(localHostSpec(found.index)),
    container: found.container,
    state: found.state,
  }));
  return { hosts, placement: {}, network: localFleetNetwork.name, subnet: localFleetNetwork.subnet };
}

/**
 * Makes the local fleet N hosts strong, or leaves it as it is: hosts missing are
 * made, hosts beyond N removed with their Docker data, a stopped host started, a
 * host whose definition changed (image, key) made anew on its data. Each host
 * made has its SSH host key pinned, and every host must answer over SSH before
 * this returns.
 */
export async function makeLocalFleet(
  home: string,
  count: number,
  reporter: Reporter = silentReporter,
): Promise<LocalFleet & { changes: LocalFleetChanges }> {
  if (!Number.isInteger(count) || count < 1 || count > maxLocalHosts)
    throw new UserError(`a local fleet has 1 to ${maxLocalHosts} hosts, not ${count}`);
  const docker = dockerClient();
  const authorizedKey = await ensureFleetKey(home);
  const image = await ensureHostImage(home, reporter);
  const definitionOf = (index: number) => hostDefinition({ image, authorizedKey, spec: localHostSpec(index) });
  const plan = resizePlan(await foundHosts(docker), count, definitionOf);
  const knownHosts = await readKnownHosts(home);
  const pins = new Map<string, PublicKey | undefined>();
  const pinName = (spec: LocalHostSpec) => knownHostsName(spec.address);
  const changes: LocalFleetChanges = { created: [], replaced: [], started: [], removed: [] };
  const specs = (indexes: number[]) => indexes.map(localHostSpec);

  await ensureNetwork(docker);
  // Settled, not raced: when one host fails, the others' work ends before the pins are written and the error thrown.
  const settled = await Promise.allSettled([
    ...specs(plan.remove).map((spec) =>
      reporter.phase(`Removing ${spec.name} and its Docker data`, async () => {
        await removeHost(docker, spec, { withData: true });
        pins.set(pinName(spec), undefined);
        changes.removed.push(spec.name);
      }),
    ),
    ...specs([...plan.create, ...plan.replace]).map((spec) => {
      const replacing = plan.replace.includes(spec.index);
      return reporter.phase(`${replacing ? 'Remaking' : 'Making'} ${spec.name} at ${spec.address}`, async () => {
        if (replacing) await removeHost(docker, spec, { withData: false });
        await ensureVolume(docker, spec);
        const container = await createHostContainer(
          docker,
          spec,
          { image, authorizedKey },
          {
            network: localFleetNetwork.name,
            labels: { ...labels('host'), [definitionLabel]: definitionOf(spec.index) },
          },
        );
        await container.start();
        // A new container is a new machine with a new host key: its pin is what this run reads.
        pins.set(pinName(spec), await readHostKey(docker, spec));
        (replacing ? changes.replaced : changes.created).push(spec.name);
      });
    }),
    ...specs([...plan.start, ...plan.keep]).map(async (spec) => {
      if (plan.start.includes(spec.index))
        await reporter.phase(`Starting ${spec.name}`, async () => {
          await docker.getContainer(spec.container).start();
          changes.started.push(spec.name);
        });
      // A pin deleted on purpose (the host was remade by hand) is read again, from this machine's engine.
      if (!pinnedKey(knownHosts, pinName(spec))) pins.set(pinName(spec), await readHostKey(docker, spec));
    }),
  ]);
  // Written even when a host failed: the hosts made meanwhile are pinned, and the next run goes on from there.
  await pinHostKeys(home, pins);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  await reporter.phase(`Waiting for ${count} host${count === 1 ? '' : 's'} to answer over SSH`, () =>
    Promise.all(
      specs(Array.from({ length: count }, (_, i) => i + 1)).map((spec) => waitUntilReachable(home, docker, spec)),
    ),
  );
  // The CA is made here when `devenv ops up` has not made it yet: either may come first.
  await ensureRegistryFiles(home);
  await reporter.phase("Trusting devenv's registry on every host", () =>
    Promise.all(specs(Array.from({ length: count }, (_, i) => i + 1)).map((spec) => trustRegistry(home, docker, spec))),
  );
  for (const names of Object.values(changes)) names.sort();
  return { ...(await listLocalFleet()), changes };
}

/** Removes every host of the local fleet, their Docker data and the network; the fleet key is kept. */
export async function removeLocalFleet(
  home: string,
  reporter: Reporter = silentReporter,
): Promise<{ removed: string[] }> {
  const docker = dockerClient();
  const hosts = await foundHosts(docker);
  const specs = hosts.map((host) => localHostSpec(host.index));
  await Promise.all(
    specs.map((spec) =>
      reporter.phase(`Removing ${spec.name} and its Docker data`, () => removeHost(docker, spec, { withData: true })),
    ),
  );
  // Whatever else carries the label (a volume whose container was removed by hand) goes too.
  const filters = { label: [`${labelKeys.stack}=${localFleetStack}`] };
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all((Volumes ?? []).map((volume) => removeIfPresent(() => docker.getVolume(volume.Name).remove())));
  for (const network of await docker.listNetworks({ filters }))
    await removeIfPresent(() => docker.getNetwork(network.Id).remove());
  await pinHostKeys(home, new Map(specs.map((spec) => [knownHostsName(spec.address), undefined])));
  return { removed: specs.map((spec) => spec.name) };
}
