// The new hire's walkthrough, `devenv onboard`, on a warm machine (images built,
// ops, princess, prod and the hire's dev stack up): total time and each step's
// share. Goal: <= 3 minutes.
//
//   bin/node bench/onboard.ts
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../lib/paths.ts';
import { throwawayHome } from '../test/support/engines.ts';
import { devenvBin } from '../test/support/devenv-cli.ts';
import { makeTestPhoto } from '../test/support/photo.ts';

interface Summary {
  seconds: number;
  steps: { id: string; title: string; seconds: number }[];
}

async function main(): Promise<void> {
  const home = await throwawayHome();
  const repo = join(home.home, 'repo');
  const devenv = async (args: string[]) => {
    const result = await execa(devenvBin, args, {
      cwd: repo,
      env: { DEVENV_HOME: home.home },
      reject: false,
      all: true,
    });
    if (result.exitCode !== 0) throw new Error(`devenv ${args.join(' ')} failed:\n${result.all}`);
    return result;
  };
  try {
    await execa('git', ['clone', '--quiet', projectRoot, repo]);
    await execa('git', ['config', 'user.email', 'hopper@example.com'], { cwd: repo });
    const photo = join(home.home, 'me.jpg');
    await writeFile(photo, await makeTestPhoto({ width: 1200, height: 900 }));
    console.error('warming up: ops, prod, princess and the dev stack');
    for (const stack of ['ops', 'prod', 'princess']) await devenv([stack, 'up']);
    await devenv(['up']);

    console.error('devenv onboard');
    const started = performance.now();
    const run = await devenv([
      'onboard',
      '--name',
      'Grace Hopper',
      '--photo',
      photo,
      '--yes',
      '--watch',
      '10',
      '--json',
    ]);
    const wall = (performance.now() - started) / 1000;
    const summary = JSON.parse(run.stdout) as Summary;
    const steps = summary.steps.map((s) => ({
      step: s.title,
      seconds: s.seconds,
      share: `${((s.seconds / summary.seconds) * 100).toFixed(0)}%`,
    }));
    console.log(JSON.stringify({ wallSeconds: Number(wall.toFixed(1)), goalSeconds: 180, steps }, null, 2));
  } finally {
    for (const stack of ['ops', 'prod', 'princess'])
      await execa(devenvBin, [stack, 'down', '--purge-data'], { env: { DEVENV_HOME: home.home }, reject: false });
    await execa(devenvBin, ['down', '--purge-data'], { cwd: repo, env: { DEVENV_HOME: home.home }, reject: false });
    await home.remove();
  }
}

await main();
