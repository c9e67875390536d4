// Commit -> live on prod for a small change, through the whole code train (join,
// export, build, migrations, princess, smoke tests, prod rolled one replica at a
// time), with a steady loopback load on prod: latency p50/p99 idle vs during the
// deploy, and failed requests.
//
//   bin/node bench/deploy.ts [--runs 3] [--rate 50]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../lib/paths.ts';
import { throwawayHome } from '../test/support/engines.ts';
import { devenvBin } from '../test/support/devenv-cli.ts';
import { percentile, startLoad, type LoadReport } from '../test/support/load.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = option('--runs', 3);
const rate = option('--rate', 50);
const prodSite = 'http://127.0.0.1:18100/';

const summary = (report: LoadReport) => ({
  requests: report.sent,
  failed: report.failed,
  p50Ms: Number(percentile(report.latenciesMs, 50).toFixed(1)),
  p99Ms: Number(percentile(report.latenciesMs, 99).toFixed(1)),
});

async function main(): Promise<void> {
  const home = await throwawayHome();
  const repo = join(home.home, 'repo');
  const devenv = async (a: string[]) => {
    const result = await execa(devenvBin, a, { cwd: repo, env: { DEVENV_HOME: home.home }, reject: false, all: true });
    if (result.exitCode !== 0) throw new Error(`devenv ${a.join(' ')} failed:\n${result.all}`);
    return result;
  };
  const git = (...a: string[]) => execa('git', a, { cwd: repo });
  const results = [];
  try {
    await mkdir(home.home, { recursive: true });
    await execa('git', ['clone', '--quiet', projectRoot, repo]);
    await git('config', 'user.email', 'bench@example.com');
    for (const stack of ['ops', 'prod', 'princess']) await devenv([stack, 'up']);

    console.error(`idle: ${rate} req/s on prod for 20 s`);
    const idle = startLoad(prodSite, rate, { maxRequests: rate * 20, maxSeconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 20_500));
    const idleReport = summary(await idle.stop());

    for (let run = 1; run <= runs; run++) {
      const layout = join(repo, 'site', 'layout.ts');
      const text = (await readFile(layout, 'utf8')).replace(
        /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
        `<footer>Served by \${page.servedBy}. Bench ${run}.</footer>`,
      );
      await writeFile(layout, text);
      const load = startLoad(prodSite, rate, { maxRequests: rate * 600, maxSeconds: 600 });
      await git('commit', '-qam', `Bench release ${run}`);
      const committed = performance.now();
      await devenv(['queue', 'join']);
      const deployed = await devenv(['deploy', '--watch', '0', '--json']);
      const liveSeconds = (performance.now() - committed) / 1000;
      const during = summary(await load.stop());
      const served = await (await fetch(prodSite)).text();
      if (!served.includes(`Bench ${run}.`)) throw new Error(`prod does not serve release ${run} after the deploy`);
      const stages = (
        JSON.parse(deployed.stdout) as { stages: { stage: string; steps: { title: string; seconds: number }[] }[] }
      ).stages;
      results.push({
        run,
        commitToLiveSeconds: Number(liveSeconds.toFixed(1)),
        during,
        steps: stages.flatMap((s) => s.steps.map((step) => ({ stage: s.stage, ...step }))),
      });
      console.error(
        `run ${run}: commit -> live ${liveSeconds.toFixed(1)} s, ${during.requests} requests, ${during.failed} failed, p99 ${during.p99Ms} ms`,
      );
    }
    console.log(JSON.stringify({ rate, idle: idleReport, runs: results }, null, 2));
  } finally {
    for (const stack of ['ops', 'prod', 'princess'])
      await execa(devenvBin, [stack, 'down', '--purge-data'], { env: { DEVENV_HOME: home.home }, reject: false });
    await home.remove();
  }
}

await main();
