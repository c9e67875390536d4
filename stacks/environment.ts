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
import { candidateBases, portRange } from './ports.ts';
import { program } from './program.ts';
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

export interface Environment {
  stack: Stack;
  rendered: RenderedStack;
  portBase: number;
}

export interface OpenOptions {
  /** env overrides per role, applied on top of production's (tests, experiments) */
  envOverrides?: Record<string, Record<string, string>>;
  /** what to render from (a deploy's release, mid-roll); default: the stack's recorded release, else the checkout */
  sources?: StackSources;
  /** aborted: the engine finishes the steps in flight and stops (Ctrl-C) */
  signal?: AbortSignal;
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

export async function openEnvironment(
  ctx: Context,
  stackName: string,
  user: string,
  options: OpenOptions = {},
  notice: (line: string) => void = () => {},
): Promise<Environment> {
  tierOfStack(stackName); // an unknown stack name is refused before the engine starts
  const pulumi = await probePulumi(ctx);
  const stack = await selectStack(
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
  const base = await portBase(stack, user, notice);
  const sources = options.sources ?? (await recordedSources(ctx, stackName));
  const rendered = withEnvOverrides(
    await renderStack(stackName, projectRoot, base, sources),
    options.envOverrides ?? {},
  );
  stack.workspace.program = program(rendered, { logDir: paths.logs(ctx) });
  return { stack, rendered, portBase: base };
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
  return (await applySteps(ctx, stackName, user, [options.sources], options, progress, () => {}, notice)).at(-1)!;
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
  stepDone: (index: number) => void,
  notice: (line: string) => void = () => {},
): Promise<Applied[]> {
  const opened = await openEnvironment(
    ctx,
    stackName,
    user,
    { ...options, ...(steps[0] && { sources: steps[0] }) },
    notice,
  );
  const applied: Applied[] = [];
  for (const [index, sources] of steps.entries()) {
    const rendered =
      index === 0
        ? opened.rendered
        : withEnvOverrides(
            await renderStack(
              stackName,
              projectRoot,
              opened.portBase,
              sources ?? (await recordedSources(ctx, stackName)),
            ),
            options.envOverrides ?? {},
          );
    opened.stack.workspace.program = program(rendered, { logDir: paths.logs(ctx) });
    const result = await upWaitingForLock(ctx, opened.stack, progress, options.signal);
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
    stepDone(index);
  }
  return applied;
}

const lockWaitMs = 5 * 60_000;

/**
 * One update of a stack at a time: when another holds the stack's lock (a
 * deploy, an up; or the engine of a killed command finishing), wait for it,
 * clearing the lock as soon as its process is gone.
 */
async function upWaitingForLock(ctx: Context, stack: Stack, progress: (line: string) => void, signal?: AbortSignal) {
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
          if (failed) failures.push(failed);
        },
        onOutput: (text) => output.write(text),
        ...(signal && { signal }),
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
