// A code deploy to prod on a fleet of 1, 2 and 4 local hosts (`devenv hosts
// local N`, one web replica on each host, the proxy and the data roles on
// host-1), under a steady load at the edge: the prod stage's time and the roll's,
// as ratios to one host, and the failed requests. Four hosts roll with
// --parallel 2. Princess stays on this machine's engine (its stage is not timed).
//
//   bin/node bench/fleet-deploy.ts [--hosts 1,2,4] [--rate 30]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../lib/paths.ts';
import { localHostSpec, fleetHost } from '../hosts/local-fleet-plan.ts';
import { defaultPlacement } from '../stacks/hosts.ts';
import { production } from '../stacks/production.ts';
import { throwawayHome } from '../test/support/engines.ts';
import { devenvBin } from '../test/support/devenv-cli.ts';
import { startLoad } from '../test/support/load.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};
const fleetSizes = option('--hosts', '1,2,4').split(',').map(Number);
const rate = Number(option('--rate', '30'));
const prodSite = `http://${localHostSpec(1).address}:18100/`;

interface Measured {
  hosts: number;
  parallel: number;
  prodStageSeconds: number;
  rollSeconds: number;
  requests: number;
  failed: number;
}

async function main(): Promise<void> {
  const home = await throwawayHome();
  const repo = join(home.home, 'repo');
  const devenv = async (a: string[]) => {
    const result = await execa(devenvBin, a, { cwd: repo, env: { DEVENV_HOME: home.home }, reject: false, all: true });
    if (result.exitCode !== 0) throw new Error(`devenv ${a.join(' ')} failed:\n${result.all}`);
    return result;
  };
  const git = (...a: string[]) => execa('git', a, { cwd: repo });
  const results: Measured[] = [];
  try {
    await execa('git', ['clone', '--quiet', projectRoot, repo]);
    await git('config', 'user.email', 'bench@example.com');
    await devenv(['ops', 'up']);
    await devenv(['princess', 'up']);
    for (const [round, size] of fleetSizes.entries()) {
      await devenv(['hosts', 'local', String(size)]);
      const hosts = Array.from({ length: size }, (_, i) => fleetHost(localHostSpec(i + 1)));
      const fleetFile = join(home.home, `fleet-${size}.json`);
      const roles = production().roles.map((role) => role.name);
      await writeFile(
        fleetFile,
        JSON.stringify({
          hosts,
          placement: defaultPlacement(
            roles,
            hosts.map((host) => host.name),
            'host-1',
          ),
          replicas: { web: size },
          controller: '10.213.0.1',
        }),
      );
      await devenv(['hosts', 'use', 'prod', fleetFile]);
      await devenv(['prod', 'up']);
      const layout = join(repo, 'site', 'layout.ts');
      const text = (await readFile(layout, 'utf8')).replace(
        /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
        `<footer>Served by \${page.servedBy}. Fleet bench ${round}.</footer>`,
      );
      await writeFile(layout, text);
      await git('commit', '-qam', `Fleet bench release ${round}`);
      await devenv(['queue', 'join']);
      const parallel = size >= 4 ? 2 : 1;
      const load = startLoad(prodSite, rate, { maxRequests: rate * 600, maxSeconds: 600 });
      const deployed = await devenv(['deploy', '--watch', '0', '--parallel', String(parallel), '--json']);
      const report = await load.stop();
      const prodStage = (
        JSON.parse(deployed.stdout) as { stages: { stage: string; steps: { title: string; seconds: number }[] }[] }
      ).stages.find((stage) => stage.stage === 'prod')!;
      const measured: Measured = {
        hosts: size,
        parallel,
        prodStageSeconds: Number(prodStage.steps.reduce((sum, step) => sum + step.seconds, 0).toFixed(1)),
        rollSeconds: prodStage.steps.find((step) => step.title.startsWith('Roll prod'))!.seconds,
        requests: report.sent,
        failed: report.failed,
      };
      results.push(measured);
      console.error(
        `${size} host(s), --parallel ${parallel}: prod stage ${measured.prodStageSeconds} s (roll ${measured.rollSeconds} s), ${report.sent} requests, ${report.failed} failed`,
      );
    }
    const one = results.find((r) => r.hosts === 1);
    console.log(
      JSON.stringify(
        {
          rate,
          results: results.map((r) => ({
            ...r,
            ...(one && {
              prodStageRatio: Number((r.prodStageSeconds / one.prodStageSeconds).toFixed(2)),
              rollRatio: Number((r.rollSeconds / one.rollSeconds).toFixed(2)),
            }),
          })),
        },
        null,
        2,
      ),
    );
  } finally {
    for (const stack of ['prod', 'princess', 'ops'])
      await execa(devenvBin, [stack, 'down', '--purge-data'], { env: { DEVENV_HOME: home.home }, reject: false });
    await execa(devenvBin, ['hosts', 'local', '--down'], { env: { DEVENV_HOME: home.home }, reject: false });
    await home.remove();
  }
}

await main();
