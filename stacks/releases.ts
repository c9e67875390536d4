// Releases: a commit exported once into the devenv home, from which a deploy
// builds images, and the record of which release each stack runs (and the one
// before, for rollback). A stack with no release runs the checkout as it is.
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { HostPaths, StackSources } from './render.ts';
import { projectRoot, type Context } from '../lib/paths.ts';
import { readFleet } from './fleet-config.ts';
import { readStackConfig, withConfigValues, writeStackConfig } from './stack-config.ts';

export interface ReleaseRecord {
  commit: string;
  /** the repository the commit was exported from (to export it again if its folder is gone) */
  repo: string;
  previous?: { commit: string; repo: string };
}

/**
 * What a stack runs is recorded in its own Pulumi config (the stack file in
 * devenv's workspace, `devenv:release` and the rest), where plain Pulumi
 * (`bin/pulumi preview -s prod`) reads it too, so both render the same release.
 */
const releaseKeys = {
  commit: 'devenv:release',
  repo: 'devenv:releaseRepo',
  previousCommit: 'devenv:previousRelease',
  previousRepo: 'devenv:previousReleaseRepo',
} as const;
/** Where releases were recorded before they moved into the stack's config: read, never written. */
const legacyRecordFile = (ctx: Context, stack: string) => join(ctx.home, 'releases', `${stack}.json`);

export function releaseRoot(ctx: Context, commit: string): string {
  return join(ctx.home, 'releases', commit);
}

/** A release record from a stack's config values, or undefined when it names none. */
export function releaseFromConfig(config: Record<string, unknown>): ReleaseRecord | undefined {
  const value = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : undefined);
  const commit = value(releaseKeys.commit);
  const repo = value(releaseKeys.repo);
  if (!commit || !repo) return undefined;
  const previousCommit = value(releaseKeys.previousCommit);
  const previousRepo = value(releaseKeys.previousRepo);
  return {
    commit,
    repo,
    ...(previousCommit && previousRepo && { previous: { commit: previousCommit, repo: previousRepo } }),
  };
}

/** The stack file with the release's keys set and everything else in it (other config, the secrets' salt) kept. */
function releaseValues(release: ReleaseRecord): Record<string, string | undefined> {
  return {
    [releaseKeys.commit]: release.commit,
    [releaseKeys.repo]: release.repo,
    [releaseKeys.previousCommit]: release.previous?.commit,
    [releaseKeys.previousRepo]: release.previous?.repo,
  };
}

export function withReleaseConfig(stackFile: string, release: ReleaseRecord): string {
  return withConfigValues(stackFile, releaseValues(release));
}

export async function readRelease(ctx: Context, stack: string): Promise<ReleaseRecord | undefined> {
  const config = await readStackConfig(ctx, stack).catch(() => ({}));
  const recorded = releaseFromConfig(config);
  if (recorded) return recorded;
  const legacy = await readFile(legacyRecordFile(ctx, stack), 'utf8').catch(() => undefined);
  return legacy === undefined ? undefined : (JSON.parse(legacy) as ReleaseRecord);
}

/** Written once the stack runs the release: the record never runs ahead of the stack. */
export async function recordRelease(ctx: Context, stack: string, release: ReleaseRecord): Promise<void> {
  await writeStackConfig(ctx, stack, releaseValues(release));
  await rm(legacyRecordFile(ctx, stack), { force: true });
}

/**
 * The commit's tree in `<home>/releases/<commit>`, exported with `git archive`
 * into a temporary folder and renamed into place, so a half-written export is
 * never taken for a release.
 */
export async function exportRelease(ctx: Context, repo: string, commit: string): Promise<string> {
  const root = releaseRoot(ctx, commit);
  if (existsSync(root)) return root;
  const partial = `${root}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await execa('bash', [
      '-o',
      'pipefail',
      '-c',
      'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
      'export',
      repo,
      commit,
      partial,
    ]);
    await rename(partial, root).catch(async (error: NodeJS.ErrnoException) => {
      // Another deploy exported the same commit meanwhile: theirs is as good.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(partial, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return root;
}

export function hostPaths(ctx: Context): HostPaths {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : '/var/run/docker.sock';
  // The deploy service's container binds the tools folder, and Docker makes no missing bind source:
  // a machine whose engines came from elsewhere (pulumi and a recent node on PATH) has none yet.
  mkdirSync(ctx.tools, { recursive: true });
  return { project: projectRoot, devenvHome: ctx.home, tools: ctx.tools, dockerSocket: socket };
}

/** What a stack is rendered from: its recorded release (else the checkout), on its recorded fleet (else this machine). */
export async function recordedSources(ctx: Context, stack: string): Promise<StackSources> {
  const [release, fleet] = await Promise.all([readRelease(ctx, stack), readFleet(ctx, stack)]);
  return {
    ...(release && { imageRoot: await exportRelease(ctx, release.repo, release.commit) }),
    hostPaths: hostPaths(ctx),
    ...(fleet && { fleet }),
  };
}
