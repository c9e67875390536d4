// A new web image onto 4 hosts: through devenv's registry (pushed once, pulled
// by digest on each host) against `docker save | ssh host docker load` to each,
// in the same run, the order rotated each round. The hosts are containers of
// images/host of the benchmark's own (network 10.216.0.0/24, names
// dev-benchimg-*), and the registry is the ops stack's role brought up alone.
// Each round makes two new releases (one per method, so that neither finds the
// other's layers): the web image with the site's code copied in anew, which is
// what a code change rebuilds; the hosts already run the previous release.
//
//   bin/node bench/image-distribution.ts [--rounds 3]
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pack } from 'tar-fs';
import { projectRoot } from '../lib/paths.ts';
import { web } from '../roles/web.ts';
import { contextHash } from '../stacks/context-hash.ts';
import { dockerClient, labelKeys } from '../stacks/docker-client.ts';
import { fleetFiles } from '../stacks/fleet-files.ts';
import { hostDocker } from '../stacks/host-engine.ts';
import type { Host } from '../stacks/hosts.ts';
import { imageRepository } from '../stacks/naming.ts';
import { ensureImage } from '../stacks/providers/image.ts';
import { pullOnHost, pushImage, readRegistry, type Registry } from '../stacks/registry.ts';
import { imageBuild } from '../stacks/render.ts';
import { throwawayHome } from '../test/support/engines.ts';
import { makeOwnHosts } from '../test/support/own-hosts.ts';
import { upRegistryAlone } from '../test/support/registry-alone.ts';

const args = process.argv.slice(2);
const rounds = Math.max(1, Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3);
const stack = 'dev-benchimg';
const subnetPrefix = '10.216.0';
const portBase = 31_300;
const hostCount = 4;
const releaseRepository = 'devenv/web';

type Method = 'registry' | 'ssh';

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The web image as `devenv up` builds it, built when missing. */
async function currentWeb(home: string): Promise<string> {
  const build = imageBuild(projectRoot, web.image);
  const ref = `${imageRepository('web')}:${await contextHash(build)}`;
  await ensureImage({ imageName: ref, ...build, buildArgs: {}, labels: [], logDir: join(home, 'logs') });
  return ref;
}

/** A new release of the web image: the site's code (and a release mark) in a layer of its own over the current one. */
async function newRelease(base: string, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devenv-bench-release-'));
  try {
    await cp(join(projectRoot, 'site'), join(dir, 'site'), {
      recursive: true,
      filter: (source) => !source.includes('node_modules'),
    });
    await writeFile(join(dir, 'site', 'RELEASE'), `${name} ${Date.now()}\n`);
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${base}\nUSER root\nCOPY site /srv/site\nRUN cp /srv/site/flags.yaml /srv/flags/flags.yaml && chown -R site /srv/flags\nUSER site\n`,
    );
    const ref = `${releaseRepository}:bench-${name}`;
    const docker = dockerClient();
    const stream = await docker.buildImage(pack(dir) as unknown as NodeJS.ReadableStream, {
      t: ref,
      labels: { [labelKeys.stack]: stack },
    });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error, events) => {
        const failed = error ?? events.find((event: { error?: string }) => event.error)?.error;
        if (failed) reject(new Error(String(failed)));
        else resolve(undefined);
      }),
    );
    return ref;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function throughRegistry(registry: Registry, home: string, hosts: Host[], ref: string): Promise<void> {
  const pushed = await pushImage(registry, ref);
  await Promise.all(
    hosts.map(async (host) =>
      pullOnHost(registry, { name: host.name, docker: await hostDocker(home, host) }, pushed.ref),
    ),
  );
}

/** The peer: the whole image saved and loaded over SSH to each host, all hosts at once. */
async function throughSsh(home: string, hosts: Host[], ref: string): Promise<void> {
  const files = fleetFiles(home);
  await Promise.all(
    hosts.map((host) =>
      execa('sh', [
        '-c',
        `docker save "$0" | ssh -i "$1" -o UserKnownHostsFile="$2" -o StrictHostKeyChecking=yes -o BatchMode=yes "deploy@$3" docker load`,
        ref,
        files.privateKey,
        files.knownHosts,
        host.address,
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const home = await throwawayHome();
  const made: string[] = [];
  let cleanups: (() => Promise<void>)[] = [];
  try {
    console.error('registry (the ops role alone) and 4 hosts of the benchmark');
    const registryUp = await upRegistryAlone(home.home, {
      stack: `${stack}-reg`,
      portBase,
      hostAddress: `${subnetPrefix}.1`,
    });
    cleanups.push(registryUp.remove);
    const own = await makeOwnHosts(home.home, { stack, subnetPrefix, count: hostCount });
    cleanups = [own.remove, ...cleanups];
    const registry = await readRegistry(home.home);

    const base = await currentWeb(home.home);
    console.error(`the hosts get the current release ${base} first`);
    await throughRegistry(registry, home.home, own.hosts, base);
    const imageBytes = (await dockerClient().getImage(base).inspect()).Size;

    const times: Record<Method, number[]> = { registry: [], ssh: [] };
    for (let round = 1; round <= rounds; round++) {
      const order: Method[] = round % 2 === 1 ? ['registry', 'ssh'] : ['ssh', 'registry'];
      for (const method of order) {
        const ref = await newRelease(base, `${round}-${method}-${process.pid}`);
        made.push(ref);
        const took =
          method === 'registry'
            ? await seconds(() => throughRegistry(registry, home.home, own.hosts, ref))
            : await seconds(() => throughSsh(home.home, own.hosts, ref));
        times[method].push(took);
        console.error(`round ${round}: ${method.padEnd(8)} ${took.toFixed(2)} s`);
      }
    }
    const result = {
      at: new Date().toISOString(),
      hosts: hostCount,
      webImageMiB: imageBytes / 1024 ** 2,
      rounds: times,
      median: { registry: median(times.registry), ssh: median(times.ssh) },
      ratio: median(times.registry) / median(times.ssh),
    };
    console.log(JSON.stringify(result, null, 2));
    console.error(
      `new web image to ${hostCount} hosts: registry ${result.median.registry.toFixed(2)} s, save | ssh | load ${result.median.ssh.toFixed(2)} s (medians of ${rounds}), ratio ${result.ratio.toFixed(2)}x (goal <= 0.5x)`,
    );
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    for (const ref of made)
      await dockerClient()
        .getImage(ref)
        .remove({ force: true })
        .catch(() => {});
    await home.remove();
  }
}

await main();
