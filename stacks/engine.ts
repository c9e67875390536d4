// The Pulumi engine through the Automation API: a local file backend under the
// devenv home, a passphrase secrets provider, and the tools folder on the engine's
// PATH (for the provider shim). The program lives in program.ts; this is the automation.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import { hostname } from 'node:os';
import { SemVer } from 'semver';
import {
  LocalWorkspace,
  PulumiCommand,
  type OpMap,
  type ProjectSettings,
  type Stack,
} from '@pulumi/pulumi/automation/index.js';
import { parse } from 'yaml';
import { execa } from 'execa';
import { paths, type Context } from '../lib/paths.ts';
import { processAlive } from '../lib/processes.ts';
import { sleep } from '../lib/wait.ts';

export interface EngineSettings {
  /** devenv home: state, passphrase, logs */
  home: string;
  /** folder holding bin/pulumi, or undefined for PATH's pulumi */
  pulumiRoot?: string;
  /** minimum engine version the Automation API must find */
  pulumiVersion: string;
  /** folder prepended to the engine's PATH: our Node.js plugins (dynamic providers, language host) */
  pluginDir: string;
  /** the workspace folder: Pulumi.yaml and each stack's config persist there */
  workDir: string;
  /** the project's Pulumi.yaml, declared once in the repository */
  projectFile: string;
}

/** The repository's Pulumi.yaml, with its main made absolute and our file backend. */
async function projectSettings(projectFile: string, state: string): Promise<ProjectSettings> {
  const declared = parse(await readFile(projectFile, 'utf8')) as ProjectSettings;
  if (declared.name !== projectName)
    throw new Error(`${projectFile} names project "${declared.name}", expected "${projectName}"`);
  return {
    ...declared,
    ...(declared.main && { main: resolve(dirname(projectFile), declared.main) }),
    backend: { url: `file://${state}` },
  };
}

export const projectName = 'devenv';

async function passphraseFile(home: string): Promise<string> {
  const file = join(home, 'passphrase');
  if (!existsSync(file)) {
    await mkdir(home, { recursive: true });
    await writeFile(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' }).catch((error) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  return file;
}

export function stateDir(home: string): string {
  return join(home, 'state');
}

/**
 * A killed command leaves its lock file behind in the file backend, and Pulumi
 * has no `cancel` for it. A lock whose process is gone on this host is stale:
 * removing it lets the next command converge.
 */
export async function clearStaleLocks(home: string, stack: string): Promise<string[]> {
  const dir = join(stateDir(home), '.pulumi', 'locks', 'organization', projectName, stack);
  if (!existsSync(dir)) return [];
  const cleared: string[] = [];
  for (const file of await readdir(dir)) {
    const path = join(dir, file);
    const lock = JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) as { pid?: number; hostname?: string };
    if (lock.hostname && lock.hostname !== hostname()) continue;
    if (lock.pid && processAlive(lock.pid)) continue;
    await rm(path, { force: true });
    cleared.push(file);
  }
  return cleared;
}

/**
 * The file backend keeps each state file's attributes in a `.attrs` sidecar that
 * it truncates and rewrites in place (gocloud's fileblob): an engine killed in
 * between leaves it empty, and from then on every command of the stack fails with
 * "failed to load checkpoint: EOF". A sidecar holds only a content type and a
 * checksum, and the backend reads a missing one as defaults, so an unreadable one
 * is removed; the state file itself is always replaced by a rename, whole.
 */
export async function repairStateSidecars(home: string, stack: string): Promise<string[]> {
  const pulumiDir = join(stateDir(home), '.pulumi');
  const folders = [
    join(pulumiDir, 'stacks', projectName),
    join(pulumiDir, 'locks', 'organization', projectName, stack),
  ];
  const removed: string[] = [];
  for (const folder of folders.filter((dir) => existsSync(dir))) {
    for (const file of (await readdir(folder)).filter((name) => name.endsWith('.attrs'))) {
      const path = join(folder, file);
      if (readableJson(await readFile(path, 'utf8').catch(() => ''))) continue;
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}

function readableJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The backend's read of a torn sidecar (or of one a live engine is rewriting at that moment). */
export function tornSidecar(error: unknown): boolean {
  return /failed to load checkpoint: (unexpected )?EOF/.test(String((error as Error)?.message ?? error));
}

export async function selectStack(
  settings: EngineSettings,
  stackName: string,
  program: pulumi.automation.PulumiFn,
): Promise<Stack> {
  await mkdir(stateDir(settings.home), { recursive: true });
  await mkdir(settings.workDir, { recursive: true });
  const options = await workspaceOptions(settings);
  await clearStaleLocks(settings.home, stackName);
  for (let attempt = 1; ; attempt++) {
    await repairStateSidecars(settings.home, stackName);
    try {
      return await LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, options);
    } catch (error) {
      if (attempt >= 10 || !tornSidecar(error)) throw error;
      await sleep(500);
    }
  }
}

async function workspaceOptions(settings: EngineSettings): Promise<pulumi.automation.LocalWorkspaceOptions> {
  return {
    pulumiCommand: await PulumiCommand.get({
      ...(settings.pulumiRoot && { root: settings.pulumiRoot }),
      version: new SemVer(settings.pulumiVersion),
    }),
    workDir: settings.workDir,
    projectSettings: await projectSettings(settings.projectFile, stateDir(settings.home)),
    secretsProvider: 'passphrase',
    envVars: {
      PULUMI_CONFIG_PASSPHRASE_FILE: await passphraseFile(settings.home),
      PULUMI_HOME: join(settings.home, 'pulumi-home'),
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: 'true',
      PATH: `${settings.pluginDir}:${process.env.PATH ?? ''}`,
      // The plugin shims beside a shared engine run this checkout's code.
      DEVENV_ROOT: dirname(settings.projectFile),
      // The providers reach a fleet's hosts with the key and the pins kept in the home.
      DEVENV_HOME: settings.home,
    },
  };
}

/** Resources changed by an operation: everything except "same". */
export function changeCount(changes: OpMap | undefined): number {
  return Object.entries(changes ?? {})
    .filter(([op]) => op !== 'same')
    .reduce((sum, [, n]) => sum + (n ?? 0), 0);
}

// Finding the engine (installing it is toolchain/pulumi-engine.ts).

/**
 * The engine we install. The newest release the Go module proxy serves; the
 * Automation API (@pulumi/pulumi 3.270) accepts any 3.x engine at or above itself.
 */
export const pulumiVersion = '3.274.1';

/** The Automation API's own version (@pulumi/pulumi): the oldest engine we let it drive. */
export const automationSdkVersion = '3.270.0';

export interface PulumiProbe {
  version?: string;
  source?: 'path' | 'tools';
  broken: boolean;
  /** directory holding bin/pulumi, for the Automation API's PulumiCommand */
  root?: string;
}

export function toolsPulumiBinary(ctx: Context): string {
  return join(paths.pulumiRoot(ctx), 'bin', 'pulumi');
}

export async function versionOf(binary: string): Promise<string | undefined> {
  const result = await execa(binary, ['version'], {
    reject: false,
    timeout: 15_000,
    env: { PULUMI_SKIP_UPDATE_CHECK: 'true' },
  });
  const printed = result.stdout.trim();
  return result.exitCode === 0 && /^v?\d+\.\d+\.\d+/.test(printed) ? printed : undefined;
}

/** The tools folder's engine wins over PATH's: it is the one setup vouches for. */
export async function probePulumi(ctx: Context): Promise<PulumiProbe> {
  const tools = toolsPulumiBinary(ctx);
  if (existsSync(tools)) {
    const version = await versionOf(tools);
    if (version) return { version, source: 'tools', broken: false, root: paths.pulumiRoot(ctx) };
    return { source: 'tools', broken: true };
  }
  const onPath = await execa('sh', ['-c', 'command -v pulumi'], { reject: false });
  if (onPath.exitCode !== 0) return { broken: false };
  const version = await versionOf(onPath.stdout.trim());
  return version
    ? { version, source: 'path', broken: false, root: join(onPath.stdout.trim(), '..', '..') }
    : { source: 'path', broken: true };
}
