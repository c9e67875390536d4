// Times each bootstrap step the way a fresh machine runs it: the Pulumi engine
// built from the Go module proxy, the Docker engine installed and started, the
// base image made. Destructive on purpose (it wipes what it times), so it asks
// for --wipe.
//
//   bin/node bench/bootstrap.ts --wipe [--steps pulumi,docker,base-image]
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { contextFromEnvironment, paths } from '../lib/paths.ts';
import { installPulumi } from '../toolchain/pulumi-engine.ts';
import { installDocker, probeDocker, startDocker } from '../toolchain/docker-engine.ts';
import { makeBaseImage } from '../toolchain/base-image.ts';
import { baseImageName, dockerClient } from '../stacks/docker-client.ts';

type Step = 'pulumi' | 'docker' | 'base-image';

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = (stepsAt >= 0 ? (args[stepsAt + 1] ?? '') : 'pulumi,docker,base-image').split(',') as Step[];

async function timed(name: string, run: () => Promise<unknown>): Promise<{ step: string; seconds: number }> {
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${name.padEnd(34)} ${seconds.toFixed(1).padStart(7)} s`);
  return { step: name, seconds };
}

const quiet = () => {};

async function main(): Promise<void> {
  if (!args.includes('--wipe')) {
    console.error(
      'bench/bootstrap.ts wipes the tools folder, Go caches, dockerd and images before timing them: pass --wipe',
    );
    process.exitCode = 2;
    return;
  }
  const ctx = contextFromEnvironment();
  const results = [];
  if (steps.includes('pulumi')) {
    await rm(paths.pulumiRoot(ctx), { recursive: true, force: true });
    await execa('go', ['clean', '-cache', '-modcache']);
    results.push(await timed('pulumi: build from Go module proxy', () => installPulumi(ctx, quiet)));
  }
  if (steps.includes('docker')) {
    await execa('sh', [
      '-c',
      'pkill -x dockerd; pkill -x containerd; sleep 2; DEBIAN_FRONTEND=noninteractive apt-get purge -y docker.io >/dev/null 2>&1 || true',
    ]);
    results.push(await timed('docker: apt-get install docker.io', () => installDocker(ctx, quiet)));
    results.push(await timed('docker: start dockerd until it answers', () => startDocker(ctx, quiet)));
  }
  if (steps.includes('base-image')) {
    if ((await probeDocker()).answers)
      await dockerClient()
        .getImage(baseImageName)
        .remove({ force: true })
        .catch(() => {});
    results.push(await timed(`base image: ${baseImageName}`, () => makeBaseImage(ctx, quiet)));
  }
  console.log(
    JSON.stringify({ at: new Date().toISOString(), goCache: join(homedir(), '.cache', 'go-build'), results }),
  );
}

await main();
