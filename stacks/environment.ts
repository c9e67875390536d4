// Opens a tier's stack on the Pulumi engine: renders it from production, keeps its
// host ports stable (recorded in the stack's config), and runs Pulumi operations
// with progress. Commands (up, down, status) are thin over this.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Stack, EngineEvent } from '@pulumi/pulumi/automation/index.js';
import { engineFailure, stackLocked, UserError, type ResourceFailure } from '../lib/errors.ts';
import { paths, projectRoot, type Context } from '../lib/paths.ts';

import { renderStack, urlsOf, withEnvOverrides, type RenderedStack, type StackSources } from './render.ts';
import { dockerClient } from './docker-client.ts';
import { fingerprint, recordConverged } from './fast-path.ts';
import { recordedSources } from './releases.ts';
import { tierOfStack } from './tiers.ts';
import { devSecrets, ensureSecrets, tierHasSecrets, type StackSecrets } from './secrets.ts';
import { candidateBases, portRange } from './ports.ts';
import { hostComponentType, hostResourceUrns, program } from './program.ts';
import {
  automationSdkVersion,
  changeCount,
  clearStaleLocks,
  probePulumi,
  repairStateSidecars,
  selectStack,
  tornSidecar,
} from './engine.ts';
import { sleep } from '../lib/wait.ts';
import type { Host } from './hosts.ts';

export interface Environment {
  stack: Stack;
  rendered: RenderedStack;
  portBase: number;
  secrets: StackSecrets;
}

export interface OpenOptions {
  /** env overrides per role, applied on top of production's (tests, experiments) */
  envOverrides?: Record<string, Record<string, string>>;
  /** what to render from (a deploy's release, mid-roll); default: the stack's recorded release, else the checkout */
  sources?: StackSources;
  /** aborted: the engine finishes the steps in flight and stops (Ctrl-C) */
  signal?: AbortSignal;
  /**
   * fleet hosts left out of the update (lost ones, during a rollback): their
   * resources are not touched and they are not asked whether they answer
   */
  leaveHosts?: readonly string[];
}

/** What a caller does around each step of applySteps. */
export interface StepHooks {
  /** before the step's update starts (a roll drains the replicas it replaces) */
  before?: (index: number) => Promise<void>;
  /** after it, done or failed (the roll puts them back into service) */
  after?: (index: number) => Promise<void>;
  done?: (index: number) => void;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function rangeFree(base: number): Promise<boolean> {
  for (let port = base; port < base + portRange.size; port++) if (!(await portFree(port))) return false;
  return true;
}

/**
 * The stack's first host port: the recorded one, else the first free range from
 * the user's own slot (a taken slot moves on to the next free one, said plainly).
 */
async function portBase(stack: Stack, user: string, notice: (line: string) => void): Promise<number> {
  const tier = tierOfStack(stack.name);
  if (tier.ports.kind === 'fixed') return tier.ports.base;
  const recorded = await stack.getConfig('portBase').catch(() => undefined);
  if (recorded) return Number(recorded.value);
  const candidates = candidateBases(user);
  for (const [index, base] of candidates.entries()) {
    if (await rangeFree(base)) {
      if (index > 0)
        notice(
          `ports ${candidates[0]}-${candidates[0]! + portRange.size - 1} are taken by another process; using ${base}-${base + portRange.size - 1}`,
        );
      await stack.setConfig('portBase', { value: String(base) });
      return base;
    }
  }
  throw new UserError(
    'no free range of host ports between 20000 and 29999',
    'stop some of the services using them and run again',
  );
}

/** The stack on the Pulumi engine, selected (made the first time), with no program yet. */
async function openStack(ctx: Context, stackName: string): Promise<Stack> {
  const pulumi = await probePulumi(ctx);
  return selectStack(
    {
      home: ctx.home,
      ...(pulumi.root && { pulumiRoot: pulumi.root }),
      pulumiVersion: automationSdkVersion,
      pluginDir: paths.pulumiPlugins(ctx),
      workDir: paths.workspace(ctx),
      projectFile: join(projectRoot, 'Pulumi.yaml'),
    },
    stackName,
    async () => {
      throw new Error('the program is set once the stack is rendered');
    },
  );
}

/** A tier's secrets from its stack's config (made the first time): for what reaches its database directly. */
export async function readStackSecrets(ctx: Context, stackName: string): Promise<StackSecrets> {
  const tier = tierOfStack(stackName);
  if (!tierHasSecrets(tier)) return devSecrets;
  return ensureSecrets(await openStack(ctx, stackName), tier);
}

export async function openEnvironment(
  ctx: Context,
  stackName: string,
  user: string,
  options: OpenOptions = {},
  notice: (line: string) => void = () => {},
): Promise<Environment> {
  const tier = tierOfStack(stackName); // an unknown stack name is refused before the engine starts
  const stack = await openStack(ctx, stackName);
  const base = await portBase(stack, user, notice);
  const secrets = await ensureSecrets(stack, tier);
  const sources = { ...(options.sources ?? (await recordedSources(ctx, stackName))), secrets };
  const rendered = withEnvOverrides(
    await renderStack(stackName, projectRoot, base, sources),
    options.envOverrides ?? {},
  );
  stack.workspace.program = program(rendered, { logDir: paths.logs(ctx) });
  return { stack, rendered, portBase: base, secrets };
}

export interface Applied {
  changes: number;
  urls: Record<string, string>;
  rendered: RenderedStack;
}

/**
 * Converges a stack on what it is rendered from (a Pulumi update), then records
 * what it converged to, so that the next `up` of an unchanged stack is proved
 * unchanged without the engine.
 */
export async function applyStack(
  ctx: Context,
  stackName: string,
  user: string,
  options: OpenOptions,
  progress: (line: string) => void,
  notice: (line: string) => void = () => {},
): Promise<Applied> {
  return (await applySteps(ctx, stackName, user, [options.sources], options, progress, {}, notice)).at(-1)!;
}

/**
 * Several updates of one stack in a row, each rendered from its own sources (the
 * steps of a roll), on one opened stack: each step is an update of its own,
 * done before the next starts, recorded like any up.
 */
export async function applySteps(
  ctx: Context,
  stackName: string,
  user: string,
  steps: (StackSources | undefined)[],
  options: OpenOptions,
  progress: (line: string) => void,
  hooks: StepHooks,
  notice: (line: string) => void = () => {},
): Promise<Applied[]> {
  const opened = await openEnvironment(
    ctx,
    stackName,
    user,
    { ...options, ...(steps[0] && { sources: steps[0] }) },
    notice,
  );
  const left = new Set(options.leaveHosts ?? []);
  const hosts = opened.rendered.hosts?.filter((host) => !left.has(host.name));
  if (hosts) await refuseUnreachableHosts(stackName, hosts);
  const excluded = left.size > 0 ? await resourcesOnHosts(opened.stack, opened.rendered, left) : undefined;
  const applied: Applied[] = [];
  for (const [index, sources] of steps.entries()) {
    const rendered =
      index === 0
        ? opened.rendered
        : withEnvOverrides(
            await renderStack(stackName, projectRoot, opened.portBase, {
              ...(sources ?? (await recordedSources(ctx, stackName))),
              secrets: opened.secrets,
            }),
            options.envOverrides ?? {},
          );
    opened.stack.workspace.program = program(rendered, { logDir: paths.logs(ctx) });
    await hooks.before?.(index);
    const result = await upWaitingForLock(
      ctx,
      opened.stack,
      progress,
      options.signal,
      resourcePlace(rendered),
      excluded,
    ).finally(() => hooks.after?.(index));
    await recordConverged(
      ctx.home,
      stackName,
      {
        fingerprint: await fingerprint(rendered, projectRoot),
        portBase: opened.portBase,
        network: rendered.network,
        volumes: rendered.volumes.map((v) => v.name),
        images: rendered.images.map((i) => i.ref),
      },
      dockerClient(),
    );
    applied.push({ changes: changeCount(result.summary.resourceChanges), urls: urlsOf(rendered), rendered });
    hooks.done?.(index);
  }
  return applied;
}

/**
 * A fleet's update starts only when every host's engine answers: one that does
 * not would fail its resources half-way while the others changed. Refused in
 * one line per host, before anything changes anywhere.
 */
async function refuseUnreachableHosts(stack: string, hosts: readonly Host[]): Promise<void> {
  // ssh2 loads only for a fleet: a dev stack's up does not pay for it.
  const { unreachableHosts } = await import('./host-engine.ts');
  const down = await unreachableHosts(hosts);
  if (down.length === 0) return;
  throw new UserError(
    `${stack} was not changed on any host: ${down
      .map(({ host, reason }) => `host ${host.name} (${host.docker}) is unreachable: ${reason}`)
      .join('; ')}`,
    `bring ${down.length === 1 ? 'it' : 'them'} back, or record a fleet without ${down.length === 1 ? 'it' : 'them'} (\`devenv hosts use ${stack} FILE\`), and run again`,
  );
}

/**
 * Everything on the given hosts, to leave out of an update: the components named
 * after them and their children, in the state (what an interrupted step left)
 * and in the program about to run (what the update would make there).
 */
async function resourcesOnHosts(stack: Stack, rendered: RenderedStack, hosts: ReadonlySet<string>): Promise<string[]> {
  const { deployment } = await stack.exportStack();
  const resources = (deployment?.resources ?? []) as { urn: string; parent?: string }[];
  const planned = [...hosts].flatMap((host) => hostResourceUrns(stack.name, rendered, host));
  const components = new Set(planned.filter((urn) => urn.includes(`::${hostComponentType}::`)));
  const inState = resources.filter((r) => r.parent && components.has(r.parent)).map((r) => r.urn);
  return [...new Set([...planned, ...inState])];
}

/** Across a fleet, a resource named in a failure says which host it is on. */
function resourcePlace(rendered: RenderedStack): (resource: string) => string {
  if (!rendered.hosts) return (resource) => resource;
  const hostOf = new Map(rendered.containers.map((c) => [c.name, c.host?.name]));
  return (resource) => {
    const host = hostOf.get(resource) ?? /@([a-z][a-z0-9-]*)$/.exec(resource)?.[1];
    return host && !resource.endsWith(`@${host}`) ? `${resource} on ${host}` : resource;
  };
}

const lockWaitMs = 5 * 60_000;

/**
 * One update of a stack at a time: when another holds the stack's lock (a
 * deploy, an up; or the engine of a killed command finishing), wait for it,
 * clearing the lock as soon as its process is gone.
 */
async function upWaitingForLock(
  ctx: Context,
  stack: Stack,
  progress: (line: string) => void,
  signal?: AbortSignal,
  place: (resource: string) => string = (resource) => resource,
  excluded?: string[],
) {
  const deadline = Date.now() + lockWaitMs;
  const log = engineLog(ctx, stack.name);
  await mkdir(paths.logs(ctx), { recursive: true });
  for (;;) {
    signal?.throwIfAborted();
    const failures: ResourceFailure[] = [];
    const show = showSteps(progress);
    const output = createWriteStream(log);
    output.write(`# devenv: pulumi up of ${stack.name}, ${new Date().toISOString()}\n`);
    try {
      return await stack.up({
        color: 'never',
        onEvent: (event) => {
          show(event);
          const failed = resourceFailure(event);
          if (failed) failures.push({ ...failed, resource: place(failed.resource) });
        },
        onOutput: (text) => output.write(text),
        ...(signal && { signal }),
        // What depends on a left-out resource (the proxy, on the replicas there) is left as it is too.
        ...(excluded && { exclude: excluded, excludeDependents: true }),
      });
    } catch (error) {
      const locked = stackLocked(error as Error);
      const torn = tornSidecar(error);
      if (!(locked || torn) || Date.now() > deadline) {
        output.write(`\n${(error as Error).message ?? error}\n`);
        throw engineFailure(`bringing up ${stack.name}`, failures, log, error);
      }
      progress(`waiting for another update of ${stack.name} to finish`);
      await clearStaleLocks(ctx.home, stack.name);
      if (torn) await repairStateSidecars(ctx.home, stack.name);
      await sleep(2000);
    } finally {
      await new Promise((resolve) => output.end(resolve));
    }
  }
}

/** Where the engine's whole output of a stack's last update goes. */
export function engineLog(ctx: Context, stack: string): string {
  return join(paths.logs(ctx), `engine-${stack}.log`);
}

/** A resource's error diagnostic: which resource, and what its provider said. */
export function resourceFailure(event: EngineEvent): ResourceFailure | undefined {
  const diagnostic = event.diagnosticEvent;
  // The stack's own "update failed" names no resource: the lines above it do.
  if (
    !diagnostic ||
    diagnostic.severity !== 'error' ||
    !diagnostic.urn ||
    diagnostic.urn.includes('::pulumi:pulumi:Stack::')
  )
    return undefined;
  return { resource: diagnostic.urn.split('::').pop() ?? diagnostic.urn, message: diagnostic.message };
}

/** An engine event handler that shows each resource step as the phase's current output. */
export function showSteps(progress: (line: string) => void): (event: EngineEvent) => void {
  return (event) => {
    const line = describeEvent(event);
    if (line) progress(line);
  };
}

/** One line per resource step, for the progress display. */
function describeEvent(event: EngineEvent): string | undefined {
  const pre = event.resourcePreEvent?.metadata;
  if (pre && pre.op !== 'same') return `${pre.op} ${pre.urn.split('::').pop()}`;
  const done = event.resOutputsEvent?.metadata;
  if (done && done.op !== 'same') return `${done.op} ${done.urn.split('::').pop()}: done`;
  const diagnostic = event.diagnosticEvent;
  if (diagnostic && diagnostic.severity === 'error') return diagnostic.message.trim();
  return undefined;
}
