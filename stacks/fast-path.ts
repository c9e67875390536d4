// Proving that an `up` would change nothing without running the Pulumi engine.
//
// After every successful up we record what it converged to: a fingerprint of the
// rendered stack and of the code that turns it into resources, the Pulumi state
// and stack config files' hashes, and the Docker objects it left. The next up
// compares: the same fingerprint, untouched state, and the Docker engine showing
// exactly those objects, running. Anything else, however small, falls through to a
// real Pulumi update.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { labelKeys } from './docker-client.ts';
import { paths } from '../lib/paths.ts';
import type { RenderedStack } from './render.ts';

export interface Converged {
  fingerprint: string;
  portBase: number;
  /** hashes of the Pulumi state and stack config files when we converged */
  files: Record<string, string>;
  containers: Record<string, string>;
  network: string;
  volumes: string[];
  images: string[];
}

export interface Observed {
  files: Record<string, string>;
  /** name -> id of running containers */
  running: Record<string, string>;
  containerCount: number;
  networks: string[];
  volumes: string[];
  images: string[];
}

async function sha256(path: string): Promise<string> {
  return existsSync(path)
    ? createHash('sha256')
        .update(await readFile(path))
        .digest('hex')
    : 'missing';
}

/** The code that turns a rendered stack into resources: a change there must re-run Pulumi. */
async function programSources(projectRoot: string): Promise<string[]> {
  const dirs = [join(projectRoot, 'stacks'), join(projectRoot, 'stacks', 'providers')];
  const files = (
    await Promise.all(
      dirs.map(async (dir) => (await readdir(dir)).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f))),
    )
  ).flat();
  return files.sort();
}

export async function fingerprint(rendered: RenderedStack, projectRoot: string): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(rendered));
  for (const file of await programSources(projectRoot)) hash.update(file).update(await readFile(file));
  return hash.digest('hex');
}

/** Files whose change means someone else (bin/pulumi, another up) moved the stack. */
export function watchedFiles(home: string, stack: string): string[] {
  return [join(home, 'state', '.pulumi', 'stacks', 'devenv', `${stack}.json`), paths.stackConfigFile({ home }, stack)];
}

function recordPath(home: string, stack: string): string {
  return join(home, 'converged', `${stack}.json`);
}

export async function readConverged(home: string, stack: string): Promise<Converged | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(home, stack), 'utf8')) as Converged;
  } catch {
    return undefined;
  }
}

export async function forgetConverged(home: string, stack: string): Promise<void> {
  await rm(recordPath(home, stack), { force: true });
}

export async function observe(docker: Docker, home: string, stack: string): Promise<Observed> {
  const filters = { label: [`${labelKeys.stack}=${stack}`] };
  const [containers, networks, volumes, images, ...hashes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    docker.listImages({ filters: { label: [`${labelKeys.managed}=true`] } }),
    ...watchedFiles(home, stack).map(sha256),
  ]);
  return {
    files: Object.fromEntries(watchedFiles(home, stack).map((file, i) => [file, hashes[i]!])),
    running: Object.fromEntries(
      containers.filter((c) => c.State === 'running').map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c.Id]),
    ),
    containerCount: containers.length,
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    images: images.flatMap((i) => i.RepoTags ?? []),
  };
}

/** Records what an up converged to: the description's side given, the engine's side observed now. */
export async function recordConverged(
  home: string,
  stack: string,
  converged: Omit<Converged, 'files' | 'containers'>,
  docker: Docker,
): Promise<void> {
  const observed = await observe(docker, home, stack);
  await mkdir(join(home, 'converged'), { recursive: true });
  await writeFile(
    recordPath(home, stack),
    JSON.stringify({ ...converged, files: observed.files, containers: observed.running }, null, 2),
  );
}

/** Pure: does what the engine shows prove the stack is exactly as converged? */
export function unchanged(
  converged: Converged,
  current: { fingerprint: string; portBase: number },
  observed: Observed,
): boolean {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  return (
    converged.fingerprint === current.fingerprint &&
    converged.portBase === current.portBase &&
    Object.entries(converged.files).every(([file, hash]) => observed.files[file] === hash) &&
    observed.containerCount === Object.keys(converged.containers).length &&
    Object.entries(converged.containers).every(([name, id]) => observed.running[name] === id) &&
    same(observed.networks, [converged.network]) &&
    same(observed.volumes, converged.volumes) &&
    converged.images.every((ref) => observed.images.includes(ref))
  );
}
