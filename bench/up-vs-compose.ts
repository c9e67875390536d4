// devenv up against Debian's docker-compose on a compose file generated from the
// same stack, in the same run: cold up (base image present, no role images), warm
// no-op up, and the memory of the whole dev stack.
//
//   bin/node bench/up-vs-compose.ts [--runs 5]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../lib/paths.ts';
import { dockerClient, labelKeys } from '../stacks/docker-client.ts';
import { renderStack } from '../stacks/render.ts';
import { composeFile } from './compose-file.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const user = 'bench';
const stack = `dev-${user}`;
const composePortBase = 29_500;

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function removeImages(refs: string[]): Promise<void> {
  for (const ref of refs)
    await dockerClient()
      .getImage(ref)
      .remove({ force: true })
      .catch(() => {});
}

/** Sum of the containers' memory use (cgroup usage less page cache, as docker stats shows it). */
async function stackMemoryMiB(label: string): Promise<{ total: number; byContainer: Record<string, number> }> {
  const docker = dockerClient();
  const containers = await docker.listContainers({ filters: { label: [label] } });
  const byContainer: Record<string, number> = {};
  for (const c of containers) {
    const stats = (await docker.getContainer(c.Id).stats({ stream: false })) as unknown as {
      memory_stats: { usage: number; stats?: Record<string, number> };
    };
    const cache = stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.inactive_file ?? 0;
    byContainer[(c.Names[0] ?? c.Id).replace(/^\//, '')] = (stats.memory_stats.usage - cache) / 1024 ** 2;
  }
  return { total: Object.values(byContainer).reduce((a, b) => a + b, 0), byContainer };
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'devenv-bench-'));
  const env = { ...process.env, DEVENV_HOME: home };
  const devenv = (...a: string[]) => execa(join(projectRoot, 'bin', 'devenv'), a, { env });
  const composeDir = join(home, 'compose');
  const compose = (file: string, ...a: string[]) =>
    execa('docker-compose', ['-p', 'benchcompose', '-f', file, ...a], { cwd: composeDir, env });
  try {
    await execa(
      'sh',
      ['-c', 'command -v docker-compose || DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose'],
      { stdio: 'inherit' },
    );
    await devenv('setup');
    const rendered = await renderStack(stack, projectRoot, composePortBase);
    const roleImages = rendered.images.map((i) => i.ref);
    await execa('mkdir', ['-p', composeDir]);
    await writeFile(join(composeDir, 'build.yml'), composeFile(rendered, { build: true, projectRoot }));

    console.error('cold: docker-compose up -d --build (no role images)');
    await removeImages(roleImages);
    const composeCold = await seconds(() => compose('build.yml', 'up', '-d', '--build'));
    const composeBuilt = (await dockerClient().listImages({ filters: { reference: ['benchcompose_*'] } })).flatMap(
      (i) => i.RepoTags ?? [],
    );
    await compose('build.yml', 'down', '-v');
    await removeImages(composeBuilt);

    console.error('cold: devenv up (no role images)');
    await removeImages(roleImages);
    const devenvCold = await seconds(() => devenv('up', '--user', user));
    await new Promise((resolve) => setTimeout(resolve, 20_000)); // let the stack settle before measuring memory
    const memory = await stackMemoryMiB(`${labelKeys.stack}=${stack}`);

    console.error(`warm no-op: devenv up x${runs}`);
    const devenvNoop: number[] = [];
    for (let i = 0; i < runs; i++) devenvNoop.push(await seconds(() => devenv('up', '--user', user)));

    console.error(`warm no-op: docker-compose up -d x${runs}`);
    // Rendered again now: the tags devenv built are the ones compose must reuse.
    await writeFile(
      join(composeDir, 'images.yml'),
      composeFile(await renderStack(stack, projectRoot, composePortBase), { build: false, projectRoot }),
    );
    await compose('images.yml', 'up', '-d');
    const composeNoop: number[] = [];
    for (let i = 0; i < runs; i++) composeNoop.push(await seconds(() => compose('images.yml', 'up', '-d')));
    await compose('images.yml', 'down', '-v');

    const result = {
      at: new Date().toISOString(),
      cold: { devenv: devenvCold, compose: composeCold, ratio: devenvCold / composeCold },
      noop: {
        devenv: median(devenvNoop),
        compose: median(composeNoop),
        ratio: median(devenvNoop) / median(composeNoop),
        devenvRuns: devenvNoop,
        composeRuns: composeNoop,
      },
      memoryMiB: memory,
    };
    console.log(JSON.stringify(result, null, 2));
    console.error(
      [
        `cold up      devenv ${devenvCold.toFixed(1)} s   compose ${composeCold.toFixed(1)} s   ratio ${result.cold.ratio.toFixed(2)}x (goal <= 1.2x)`,
        `no-op up     devenv ${result.noop.devenv.toFixed(2)} s   compose ${result.noop.compose.toFixed(2)} s   ratio ${result.noop.ratio.toFixed(2)}x (goal <= 1.0x)`,
        `dev stack memory ${memory.total.toFixed(0)} MiB (goal <= 1536 MiB)`,
      ].join('\n'),
    );
  } finally {
    await devenv('down', '--user', user, '--purge-data').catch(() => {});
    await rm(home, { recursive: true, force: true });
  }
}

await main();
