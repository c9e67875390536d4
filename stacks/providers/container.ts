// A Docker container that counts as created only once it is healthy, so that
// containers depending on it start after it really serves. Input names follow
// @pulumi/docker's Container where they mean the same.
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { waitFor } from '../../lib/wait.ts';
import type Docker from 'dockerode';
import { containerLogs, inspectIfPresent, labelKeys, passesHealthTest, removeIfPresent } from '../docker-client.ts';
import { changedKeys, labelsObject, lazyProvider, sameLabels, type Label, type Operations } from './dynamic.ts';
import { engineOf } from '../host-engine.ts';
import type { Host } from '../hosts.ts';

export interface PortInput {
  internal: number;
  external: number;
  /** @default "127.0.0.1": nothing we publish listens beyond loopback */
  ip: string;
  protocol: 'tcp' | 'udp';
}

export interface VolumeMountInput {
  containerPath: string;
  /** a named volume... */
  volumeName?: string;
  /** ...or a folder of the host (live edit in dev)... */
  hostPath?: string;
  /** ...or an empty in-memory folder (hides what a host folder would bring along) */
  tmpfs?: boolean;
  readOnly: boolean;
}

export interface HealthcheckInput {
  /** CMD-SHELL form: ["CMD-SHELL", "curl -f http://localhost/"] or ["CMD", ...] */
  tests: string[];
  /** Docker's own interval for `docker ps` health; readiness at create is polled faster */
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  /** how long create waits for the first healthy answer before giving up */
  readyTimeoutSeconds: number;
}

export interface ContainerInputs {
  name: string;
  image: string;
  command?: string[];
  envs: string[];
  ports: PortInput[];
  networkName: string;
  /** names other containers of the stack reach this one by */
  aliases: string[];
  volumes: VolumeMountInput[];
  labels: Label[];
  healthcheck?: HealthcheckInput;
  /** memory limit in MiB; changed in place */
  memoryMb?: number;
  /** @default "unless-stopped"; changed in place */
  restart: 'no' | 'unless-stopped' | 'always';
  /** the host whose engine runs it @default this machine's */
  engine?: Host;
}

export interface ContainerOutputs extends ContainerInputs {
  containerId: string;
}

const inPlaceKeys = ['memoryMb', 'restart'] as const;
const replacingKeys = [
  'name',
  'image',
  'command',
  'envs',
  'ports',
  'networkName',
  'aliases',
  'engine',
  'volumes',
  'labels',
  'healthcheck',
] as const;
const readinessPollMs = 200;
const stopGraceSeconds = 10;

function nanoseconds(seconds: number): number {
  return Math.round(seconds * 1e9);
}

function createOptions(inputs: ContainerInputs): Docker.ContainerCreateOptions {
  const portKey = (p: PortInput) => `${p.internal}/${p.protocol}`;
  return {
    name: inputs.name,
    Image: inputs.image,
    ...(inputs.command && { Cmd: inputs.command }),
    Env: inputs.envs,
    Labels: labelsObject(inputs.labels),
    ExposedPorts: Object.fromEntries(inputs.ports.map((p) => [portKey(p), {}])),
    ...(inputs.healthcheck && {
      Healthcheck: {
        Test: inputs.healthcheck.tests,
        Interval: nanoseconds(inputs.healthcheck.intervalSeconds),
        Timeout: nanoseconds(inputs.healthcheck.timeoutSeconds),
        Retries: inputs.healthcheck.retries,
      },
    }),
    HostConfig: {
      PortBindings: Object.fromEntries(
        inputs.ports.map((p) => [portKey(p), [{ HostIp: p.ip, HostPort: String(p.external) }]]),
      ),
      Mounts: inputs.volumes.map((v) =>
        v.volumeName
          ? { Type: 'volume' as const, Source: v.volumeName, Target: v.containerPath, ReadOnly: v.readOnly }
          : v.tmpfs
            ? { Type: 'tmpfs' as const, Source: '', Target: v.containerPath, ReadOnly: v.readOnly }
            : { Type: 'bind' as const, Source: v.hostPath!, Target: v.containerPath, ReadOnly: v.readOnly },
      ),
      RestartPolicy: { Name: inputs.restart },
      NetworkMode: inputs.networkName,
      // The host's network also means its processes and host name (see roles/deployer.ts).
      ...(inputs.networkName === 'host' && { PidMode: 'host', UTSMode: 'host' }),
      ...(inputs.memoryMb !== undefined && { Memory: inputs.memoryMb * 1024 * 1024 }),
    },
    ...(inputs.networkName !== 'host' && {
      NetworkingConfig: { EndpointsConfig: { [inputs.networkName]: { Aliases: inputs.aliases } } },
    }),
  };
}

/**
 * Host folders a container's mounts need before it starts: a mount nested inside
 * a bind of a host folder (the tmpfs over site/node_modules in dev) needs its
 * mount point to exist in that folder, and a read-only bind lets Docker make none.
 * A fresh clone has no site/node_modules, so the folder is made here, empty.
 */
export function nestedMountPoints(volumes: VolumeMountInput[]): string[] {
  const binds = volumes.filter((v) => v.hostPath !== undefined);
  return volumes.flatMap((inner) => {
    const outer = binds.find(
      (bind) => bind !== inner && inner.containerPath.startsWith(`${bind.containerPath.replace(/\/+$/, '')}/`),
    );
    return outer ? [join(outer.hostPath!, relative(outer.containerPath, inner.containerPath))] : [];
  });
}

async function lastLogLines(container: Docker.Container, lines = 15): Promise<string> {
  return containerLogs(container, lines).catch(() => '');
}

async function waitReady(container: Docker.Container, inputs: ContainerInputs): Promise<void> {
  const timeoutMs = (inputs.healthcheck?.readyTimeoutSeconds ?? 30) * 1000;
  await waitFor(
    async () => {
      const state = (await container.inspect()).State;
      // A process that dies at once is restarted by the restart policy: that is exiting too.
      if (!state.Running || state.Restarting) {
        throw new Error(
          `container ${inputs.name} exited with code ${state.ExitCode} while starting:\n${await lastLogLines(container)}`,
        );
      }
      if (!inputs.healthcheck) return true;
      // An exec races a container that just died (409): the next inspect says how it ended.
      return (await passesHealthTest(container, inputs.healthcheck.tests).catch(() => false)) || undefined;
    },
    {
      intervalMs: readinessPollMs,
      timeoutMs,
      timedOut: async () =>
        new Error(
          `container ${inputs.name} was not healthy within ${timeoutMs / 1000} s:\n${await lastLogLines(container)}`,
        ),
    },
  );
}

async function createAndStart(inputs: ContainerInputs): Promise<{ id: string; outs: ContainerOutputs }> {
  const docker = await engineOf(inputs.engine);
  const leftover = await inspectIfPresent(() => docker.getContainer(inputs.name).inspect());
  const stackLabels = inputs.labels.filter((l) => l.label === labelKeys.managed || l.label === labelKeys.stack);
  if (leftover && !sameLabels(leftover.Config.Labels, stackLabels)) {
    throw new Error(`a container named ${inputs.name} exists and is not this stack's: remove or rename it`);
  }
  // Ours, left by an interrupted run or replaced by hand: recreate it from the spec.
  if (leftover) await removeIfPresent(() => docker.getContainer(leftover.Id).remove({ force: true }));
  // Bind sources are this machine's folders: only a container on this machine binds any.
  if (!inputs.engine) for (const folder of nestedMountPoints(inputs.volumes)) await mkdir(folder, { recursive: true });
  const container = await docker.createContainer(createOptions(inputs));
  try {
    await container.start();
    await waitReady(container, inputs);
  } catch (error) {
    // Leave nothing half-made: a container that never became ready is removed.
    await removeIfPresent(() => container.remove({ force: true }));
    throw error;
  }
  return { id: container.id, outs: { ...inputs, containerId: container.id } };
}

export const operations: Operations<ContainerInputs, ContainerOutputs> = {
  create: createAndStart,
  async diff(id, olds, news) {
    const replaces = changedKeys(olds, news, replacingKeys);
    const updates = changedKeys(olds, news, inPlaceKeys);
    // Drift: removed or stopped by hand, or crashed. The next `up` repairs it.
    const docker = await engineOf(olds.engine);
    const actual = await inspectIfPresent(() => docker.getContainer(id).inspect());
    if (!actual || !actual.State.Running) replaces.push('containerId');
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },
  async update(id, _olds, news) {
    const container = (await engineOf(news.engine)).getContainer(id);
    await container.update({
      RestartPolicy: { Name: news.restart },
      ...(news.memoryMb !== undefined && { Memory: news.memoryMb * 1024 * 1024, MemorySwap: -1 }),
    });
    return { outs: { ...news, containerId: id } };
  },
  async delete(id, props) {
    // SIGTERM first: a web replica finishes the requests in flight (the proxy
    // sends new ones to the others) before it goes.
    const container = (await engineOf(props.engine)).getContainer(id);
    await removeIfPresent(() =>
      container.stop({ t: stopGraceSeconds }).catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error; // 304: already stopped
      }),
    );
    await removeIfPresent(() => container.remove({ force: true, v: false }));
  },
};

export class Container extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly containerId: pulumi.Output<string>;
  constructor(
    name: string,
    args: { [K in keyof ContainerInputs]: pulumi.Input<ContainerInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(lazyProvider(import.meta.url), name, { ...args, containerId: undefined }, opts);
  }
}
