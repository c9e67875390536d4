// The pieces of a deploy that touch the engines directly: building a release's
// images, running its migrations in a one-off container, what a stack runs now,
// the site's smoke tests, and shipping a flags file into a stack's flags volume.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { execIn, labelKeys } from '../stacks/docker-client.ts';
import type { Host } from '../stacks/hosts.ts';
import { engineOf, stackEngines } from '../stacks/host-engine.ts';
import { runOneOff } from '../stacks/one-off.ts';
import { ensureImage } from '../stacks/providers/image.ts';
import { imageInputs } from '../stacks/program.ts';
import type { RenderedStack } from '../stacks/render.ts';
import type { SmokeCheck } from '../site/smoke.ts';
import { paths, type Context } from '../lib/paths.ts';
import { pullOnHost, pushImage, readRegistry } from '../stacks/registry.ts';
import { waitFor } from '../lib/wait.ts';

export type Say = (line: string) => void;

/** Builds the images the engine does not have yet (a tag that exists is never rebuilt). */
export async function buildImages(ctx: Context, rendered: RenderedStack, say: Say): Promise<void> {
  for (const image of rendered.images) {
    say(`image ${image.ref}`);
    await ensureImage(imageInputs(image, paths.logs(ctx)));
  }
}

/** The web role's container spec: migrations run with its image and its environment. */
function webSpec(rendered: RenderedStack) {
  const web = rendered.containers.find((c) => c.role === 'web');
  if (!web) throw new Error(`${rendered.stack} has no web role`);
  return web;
}

/**
 * The release's migrations against the stack's database, before any replica
 * runs the release: a one-off container of the new web image on the stack's
 * network. Each migration runs in its own transaction, so a failing one leaves
 * the schema as it was.
 */
export async function runMigrations(rendered: RenderedStack, say: Say, onHosts?: HostImages): Promise<void> {
  const web = webSpec(rendered);
  // Across a fleet it runs on the first web replica's host, with that replica's env, by the image's digest there.
  const run = await runOneOff({
    stack: rendered.stack,
    role: 'migrate',
    image: web.host ? onHosts!.reference(web.image, web.host) : web.image,
    command: ['node', 'migrate-now.ts'],
    env: web.env,
    network: rendered.network,
    ...(web.host && { engine: web.host }),
  });
  const output = `${run.stdout}\n${run.stderr}`.trim();
  if (output) say(output);
  if (run.exitCode !== 0)
    throw new Error(
      `the migrations failed on ${rendered.stack} (exit ${run.exitCode}): ${output.split('\n').at(-1) ?? ''}`,
    );
}

/** The image each of the stack's containers runs now, by container name, as tagged here (on every host of its fleet). */
export async function runningImages(stack: string, hosts?: readonly Host[]): Promise<Record<string, string>> {
  const found = await Promise.all(
    (await stackEngines(hosts)).map(({ docker }) =>
      docker.listContainers({ all: true, filters: { label: [`${labelKeys.stack}=${stack}`] } }),
    ),
  );
  return Object.fromEntries(
    found.flat().map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c.Labels[labelKeys.image] ?? c.Image]),
  );
}

/**
 * The smoke tests of the release (site/smoke.ts as of its commit) through the
 * stack's proxy. Each check is asked several times, so every replica answers it.
 */
export async function smokeTest(releaseRoot: string, proxyUrl: string, replicas: number, say: Say): Promise<void> {
  const smoke = (await import(pathToFileURL(join(releaseRoot, 'site', 'smoke.ts')).href)) as {
    smokeChecks: readonly SmokeCheck[];
    smokeFailure: (check: SmokeCheck, status: number, body: string) => string | undefined;
  };
  const failures: string[] = [];
  for (const check of smoke.smokeChecks) {
    for (let round = 0; round < replicas * 2; round++) {
      const url = new URL(check.path, proxyUrl);
      const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
        async (response) => ({ status: response.status, body: await response.text() }),
        (error: Error) => ({ status: 0, body: error.message }),
      );
      const failure = smoke.smokeFailure(check, answer.status, answer.body);
      if (failure) {
        failures.push(failure);
        break;
      }
    }
    say(`${failures.some((f) => f.startsWith(check.name)) ? 'FAIL' : 'ok  '} ${check.name}`);
  }
  if (failures.length > 0) throw new Error(`smoke tests failed: ${failures.join('; ')}`);
}

export const flagsPath = '/srv/flags/flags.yaml';
const flagsLimitBytes = 64 * 1024;

export function flagsDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface WebReplica {
  container: Docker.Container;
  /** the fleet host it runs on; none: this machine */
  host?: string;
}

async function webContainers(stack: string, hosts?: readonly Host[]): Promise<WebReplica[]> {
  const found = await Promise.all(
    (await stackEngines(hosts)).map(async ({ host, docker }) =>
      (
        await docker.listContainers({ filters: { label: [`${labelKeys.stack}=${stack}`, `${labelKeys.role}=web`] } })
      ).map((c) => ({ container: docker.getContainer(c.Id), ...(host && { host: host.name }) })),
    ),
  );
  const replicas = found.flat();
  if (replicas.length === 0) throw new Error(`${stack} runs no web container: bring it up first (devenv ${stack} up)`);
  return replicas;
}

/** An exec's answer: stdout when it succeeded (stderr would be a warning mixed into it), both when not. */
async function answerOf(container: Docker.Container, cmd: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await execIn(container, cmd);
  return { code, output: (code === 0 ? stdout : `${stdout}${stderr}`).trim() };
}

/** The flags file a stack's replicas share now. */
export async function currentFlags(stack: string, hosts?: readonly Host[]): Promise<string> {
  const [web] = await webContainers(stack, hosts);
  const { code, output } = await answerOf(web!.container, ['base64', '-w0', flagsPath]);
  if (code !== 0) throw new Error(`cannot read ${flagsPath} in ${stack}: ${output}`);
  return Buffer.from(output, 'base64').toString('utf8');
}

/**
 * Writes the flags file into the stack's flags volume (shared by the web
 * replicas of a host; across a fleet, each host has its own) as a rename over
 * the old one, so no replica reads half a file; then waits until every replica
 * says it serves those flags. Nothing restarts.
 */
export async function shipFlags(
  stack: string,
  text: string,
  say: Say,
  hosts?: readonly Host[],
  timeoutMs = 20_000,
): Promise<void> {
  if (Buffer.byteLength(text) > flagsLimitBytes) throw new Error(`the flags file is over ${flagsLimitBytes / 1024} KB`);
  const webReplicas = await webContainers(stack, hosts);
  const encoded = Buffer.from(text).toString('base64');
  const onePerVolume = webReplicas.filter(
    (replica, index) => webReplicas.findIndex((other) => other.host === replica.host) === index,
  );
  for (const writer of onePerVolume) {
    const write = await answerOf(writer.container, [
      'sh',
      '-c',
      `echo "$0" | base64 -d > ${flagsPath}.next && mv ${flagsPath}.next ${flagsPath}`,
      encoded,
    ]);
    if (write.code !== 0)
      throw new Error(
        `cannot write the flags file in ${stack}${writer.host ? ` on ${writer.host}` : ''}: ${write.output}`,
      );
  }
  const replicas = webReplicas.map((replica) => replica.container);
  const digest = flagsDigest(text);
  const deadline = Date.now() + timeoutMs;
  for (const replica of replicas) {
    const name = (await replica.inspect()).Name.replace(/^\//, '');
    let serves = '';
    await waitFor(
      async () => {
        const asked = await answerOf(replica, [
          'node',
          '-e',
          `fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>r.json()).then(h=>console.log(h.flags))`,
        ]);
        serves = asked.output;
        return serves === digest || undefined;
      },
      {
        intervalMs: 250,
        timeoutMs: Math.max(0, deadline - Date.now()),
        timedOut: () =>
          new Error(
            `${name} did not load the new flags within ${timeoutMs / 1000} s (it serves ${serves.slice(0, 12) || 'nothing'})`,
          ),
      },
    );
    say(`${name} serves flags ${digest.slice(0, 12)}`);
  }
}

/** The replicas replaced together in each step of a roll: 1..n in batches of `parallel`. */
export function rollBatches(replicas: number, parallel: number): number[][] {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be 1 or more, got ${parallel}`);
  return Array.from({ length: Math.ceil(replicas / parallel) }, (_, step) =>
    Array.from({ length: Math.min(parallel, replicas - step * parallel) }, (_, i) => step * parallel + i + 1),
  );
}

/**
 * Across a fleet: marks these web replicas down at the proxy (none: every
 * replica serves), and returns once the proxy's old workers have finished the
 * requests they held, so a drained replica can be stopped without failing one.
 */
export async function drainAtProxy(rendered: RenderedStack, replicas: number[], say: Say): Promise<void> {
  const proxy = rendered.containers.find((c) => c.role === 'proxy');
  if (!proxy?.host) throw new Error(`${rendered.stack}'s proxy is not on a fleet host: nothing to drain`);
  const drained = rendered.containers
    .filter((c) => c.role === 'web' && replicas.includes(c.replica))
    .map((c) => `${c.host!.address}:${c.ports.find((p) => p.name === 'http')!.host}`);
  const container = (await engineOf(proxy.host)).getContainer(proxy.name);
  const { code, output } = await answerOf(container, ['proxy-upstreams', 'apply', ...drained]);
  if (code !== 0)
    throw new Error(
      `the proxy on ${proxy.host.name} could not ${drained.length > 0 ? 'drain' : 'restore'} the web replicas: ${output}`,
    );
  if (drained.length > 0) say(`drained at the proxy: ${drained.join(', ')}`);
}

/**
 * Across a fleet: each image on each host that runs it, by its digest in the
 * registry (pushed from here once, pulled by a host that lacks it).
 */
export interface HostImages {
  reference(localRef: string, host: Host): string;
}

/**
 * Before a fleet's roll: every image of the release pushed once and pulled by
 * each host that will run it, side by side (the roll then pulls nothing, and
 * the migrations can run on a host before any replica is replaced).
 */
export async function distributeImages(ctx: Context, rendered: RenderedStack, say: Say): Promise<HostImages> {
  const registry = await readRegistry(ctx.home);
  const wanted = new Map<string, { image: string; host: Host }>();
  for (const c of rendered.containers)
    if (c.host) wanted.set(`${c.image} ${c.host.name}`, { image: c.image, host: c.host });
  const refs = new Map<string, string>();
  await Promise.all(
    [...wanted.entries()].map(async ([key, { image, host }]) => {
      const { ref } = await pushImage(registry, image);
      const { pulled } = await pullOnHost(registry, { name: host.name, docker: await engineOf(host) }, ref);
      say(
        `${host.name} ${pulled ? 'pulled' : 'has'} ${image} (${ref.slice(ref.indexOf('@') + 1, ref.indexOf('@') + 20)})`,
      );
      refs.set(key, ref);
    }),
  );
  return {
    reference(localRef, host) {
      const ref = refs.get(`${localRef} ${host.name}`);
      if (!ref) throw new Error(`${localRef} was not distributed to ${host.name}`);
      return ref;
    },
  };
}
