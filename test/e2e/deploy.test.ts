// Deploys end to end, on real ops, princess and prod stacks: the queue's
// refusals, a code change going princess -> prod under load with no request
// dropped, a failing smoke test rolled back before prod, a config deploy that
// restarts nothing, two deploys at once, a deploy killed part-way, and the
// two-button page in headless Chromium.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { chromium } from 'playwright-core';
import { fetchText } from '../support/engines.ts';
import { devenvBin } from '../support/devenv-cli.ts';
import { percentile, startLoad } from '../support/load.ts';
import { opsPage, princess, prod, withFixedStacks, type FixedStacks } from '../support/fixed-stacks.ts';
import { projectRoot } from '../../lib/paths.ts';
import { waitFor } from '../../lib/wait.ts';
import { dockerClient, labelKeys } from '../../stacks/docker-client.ts';

const prodSite = prod.site;
const princessSite = princess.site;
const artifacts = join(projectRoot, 'test-artifacts');

interface Deploy {
  id: number;
  stage: string;
  train: string;
  commit: string;
  state: string;
  users: string[];
  error: string | null;
}
interface DeployResult {
  ok: boolean;
  commit: string;
  stages: { stage: string; deploy: Deploy }[];
}

describe('deploys', { timeout: 45 * 60_000 }, () => {
  let stacks: FixedStacks;
  let repo: string;
  const devenv = (args: string[], options: { cwd?: string } = {}) => stacks.devenv(args, options);
  const git = (...args: string[]) => stacks.git(...args);
  const history = async () =>
    JSON.parse((await devenv(['deploy', 'history', '--limit', '100', '--json'])).stdout) as Deploy[];

  /** Commits an edit of the footer: the release's marker, visible on every page. */
  const release = async (marker: string, extra: () => Promise<void> = async () => {}) => {
    const layout = join(repo, 'site', 'layout.ts');
    const text = (await readFile(layout, 'utf8')).replace(
      /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
      `<footer>Served by \${page.servedBy}. Release ${marker}.</footer>`,
    );
    await writeFile(layout, text);
    await extra();
    await git('commit', '-qam', `Release ${marker}`);
    return git('rev-parse', 'HEAD');
  };
  /** The release markers a site serves, over enough requests to reach every replica. */
  const markers = async (site: string) => {
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) seen.add(/Release (e2e-\d+)/.exec(await fetchText(site))?.[1] ?? 'none');
    return [...seen].sort();
  };
  const webContainers = async (stack: string) => {
    const docker = dockerClient();
    const listed = await docker.listContainers({
      filters: { label: [`${labelKeys.stack}=${stack}`, `${labelKeys.role}=web`] },
    });
    return Promise.all(
      listed.map(async (c) => `${c.Id}@${(await docker.getContainer(c.Id).inspect()).State.StartedAt}`),
    );
  };

  before(async () => {
    stacks = await withFixedStacks(['ops', 'prod', 'princess']);
    repo = stacks.repo;
    await mkdir(artifacts, { recursive: true });
  });
  // A failed test must not leave its riders at the head of the queue for the next one.
  beforeEach(async () => {
    for (const user of ['ada', 'bob']) await devenv(['queue', 'leave', '--user', user]);
  });
  after(async () => {
    await stacks?.remove();
  });

  it('refuses to deploy out of turn, dirty, held, or on the wrong train, and deploys nothing', async () => {
    const empty = await devenv(['deploy']);
    assert.equal(empty.exitCode, 1);
    assert.match(empty.stderr, /^devenv: the queue is empty/m);
    const train = await devenv(['deploy', '--train', 'rocket']);
    assert.equal(train.exitCode, 1);
    assert.match(train.stderr, /argument 'rocket' is invalid/);

    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    await writeFile(join(repo, 'scratch.txt'), 'not committed\n');
    const dirty = await devenv(['deploy', '--user', 'ada']);
    assert.match(dirty.stderr, /uncommitted changes \(scratch\.txt\)/);
    await rm(join(repo, 'scratch.txt'));

    const bob = await devenv(['deploy', '--user', 'bob']);
    assert.match(bob.stderr, /not at the head of the queue \(ada is\): you are not in the queue/);
    const config = await devenv(['deploy', '--config', '--user', 'ada']);
    assert.match(config.stderr, /the head of the queue rides the code train/);

    assert.equal((await devenv(['queue', 'hold', '--reason', 'freeze for the e2e test', '--user', 'ops'])).exitCode, 0);
    const held = await devenv(['deploy', '--user', 'ada']);
    assert.match(held.stderr, /the queue is held by ops \(freeze for the e2e test\)/);
    assert.equal((await devenv(['queue', 'release'])).exitCode, 0);

    for (const refused of [empty, dirty, bob, config, held]) assert.equal(refused.exitCode, 1);
    assert.deepEqual(await history(), [], 'nothing was deployed');
    assert.equal((await devenv(['queue', 'leave', '--user', 'ada'])).exitCode, 0);
  });

  it('ships a code change to princess, then prod one replica at a time, with no request dropped', async () => {
    const commit = await release('e2e-1');
    for (const user of ['ada', 'bob']) assert.equal((await devenv(['queue', 'join', '--user', user])).exitCode, 0);
    const load = startLoad(prodSite, 50, { maxRequests: 50 * 300, maxSeconds: 400 });
    const deploying = devenv(['deploy', '--user', 'bob', '--watch', '5', '--json']);
    // Bob sends it; prod waits for Ada, the other rider, to check her change on princess and say so.
    const early = await devenv(['queue', 'good', '--user', 'ada']);
    assert.match(early.stderr, /princess does not run ada's change yet/, 'a .good before princess is refused');
    await waitFor(async () => ((await devenv(['queue', 'good', '--user', 'ada'])).exitCode === 0 ? true : undefined), {
      intervalMs: 2000,
      timeoutMs: 300_000,
      timedOut: () => new Error('princess never ran the group’s release'),
    });
    const deployed = await deploying;
    const report = await load.stop();
    assert.equal(deployed.exitCode, 0, deployed.all);
    assert.match(deployed.stderr, /Waiting for \.good from ada/);
    const result = JSON.parse(deployed.stdout) as DeployResult;
    assert.equal(result.commit, commit);
    assert.deepEqual(
      result.stages.map((s) => [s.stage, s.deploy.state]),
      [
        ['princess', 'succeeded'],
        ['prod', 'succeeded'],
      ],
    );
    assert.deepEqual(result.stages[0]!.deploy.users, ['ada', 'bob'], 'the group rode together');
    assert.ok(report.sent > 200, `the load ran through the roll (${report.sent} requests)`);
    assert.equal(report.failed, 0, `failed requests during the roll: ${report.failures.join('; ')}`);
    console.log(
      `roll under load: ${report.sent} requests, p50 ${percentile(report.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(report.latenciesMs, 99).toFixed(1)} ms`,
    );
    assert.deepEqual(await markers(prodSite), ['e2e-1']);
    assert.deepEqual(await markers(princessSite), ['e2e-1']);
    assert.deepEqual(
      (await history()).map((d) => [d.stage, d.state, d.commit]),
      [
        ['prod', 'succeeded', commit],
        ['princess', 'succeeded', commit],
      ],
    );
    const queue = JSON.parse((await devenv(['queue', 'status', '--json'])).stdout) as { queue: { groups: unknown[] } };
    assert.equal(queue.queue.groups.length, 0, 'the group left the queue once live on prod');

    // Plain Pulumi reads the release from the stack's config: it plans nothing, so a `pulumi up` cannot roll prod back.
    const preview = await execa(join(projectRoot, 'bin', 'pulumi'), ['preview', '-s', 'prod', '--non-interactive'], {
      env: { DEVENV_HOME: stacks.home },
      reject: false,
      all: true,
    });
    assert.equal(preview.exitCode, 0, preview.all);
    assert.match(preview.stdout, /\d+ unchanged/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /to (create|update|replace|delete)/, preview.stdout);
  });

  it('a deploy whose smoke test fails never reaches prod, and princess is rolled back', async () => {
    const [princessBefore, prodBefore] = [await markers(princessSite), await markers(prodSite)];
    const commit = await release('e2e-2', async () => {
      const smoke = join(repo, 'site', 'smoke.ts');
      const text = (await readFile(smoke, 'utf8')).replace(
        "{ name: 'team page'",
        "{ name: 'a check this release fails', path: '/', status: 200, contains: 'text that no page has' },\n  { name: 'team page'",
      );
      await writeFile(smoke, text);
    });
    try {
      assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
      const failed = await devenv(['deploy', '--user', 'ada', '--watch', '0']);
      assert.equal(failed.exitCode, 1);
      assert.match(
        failed.stderr,
        /to princess failed: smoke tests failed: a check this release fails.*rolled back, princess runs what it ran before/,
      );
      assert.deepEqual(await markers(princessSite), princessBefore, 'princess runs what it ran before');
      assert.deepEqual(await markers(prodSite), prodBefore, 'prod untouched');
      const deploys = await history();
      assert.deepEqual([deploys[0]!.stage, deploys[0]!.state, deploys[0]!.commit], ['princess', 'rolled-back', commit]);
      assert.ok(!deploys.some((d) => d.stage === 'prod' && d.commit === commit), 'prod was never touched');
    } finally {
      await git('reset', '--quiet', '--hard', 'HEAD~1');
    }
  });

  it('a config deploy flips a flag in prod without restarting a container; a malformed flags file never ships', async () => {
    const flagsFile = join(repo, 'site', 'flags.yaml');
    const original = await readFile(flagsFile, 'utf8');
    const before = { prod: await webContainers('prod'), princess: await webContainers('princess') };
    assert.doesNotMatch(await fetchText(prodSite), /data-flag="new_banner"/);

    await writeFile(flagsFile, original.replace(/percent: 0\b/, 'percent: 150'));
    await git('commit', '-qam', 'new_banner to 150%');
    try {
      assert.equal((await devenv(['queue', 'join', '--config', '--user', 'ada'])).exitCode, 0);
      const deploysBefore = (await history()).length;
      const malformed = await devenv(['deploy', '--config', '--user', 'ada']);
      assert.equal(malformed.exitCode, 1);
      assert.match(malformed.stderr, /site\/flags\.yaml at \w+ line \d+: .*150/);
      assert.equal((await history()).length, deploysBefore, 'refused before princess');
    } finally {
      await git('reset', '--quiet', '--hard', 'HEAD~1');
      await devenv(['queue', 'leave', '--user', 'ada']);
    }

    await writeFile(flagsFile, original.replace(/percent: 0\b/, 'percent: 100'));
    await git('commit', '-qam', 'new_banner for everyone');
    assert.equal((await devenv(['queue', 'join', '--config', '--user', 'ada'])).exitCode, 0);
    const shipped = await devenv(['deploy', '--config', '--user', 'ada', '--json']);
    assert.equal(shipped.exitCode, 0, shipped.all);
    assert.deepEqual(
      (JSON.parse(shipped.stdout) as DeployResult).stages.map((s) => [s.stage, s.deploy.train, s.deploy.state]),
      [
        ['princess', 'config', 'succeeded'],
        ['prod', 'config', 'succeeded'],
      ],
    );
    for (let i = 0; i < 6; i++)
      assert.match(await fetchText(prodSite), /data-flag="new_banner" data-variant="(blue|green)"/);
    assert.deepEqual(
      { prod: await webContainers('prod'), princess: await webContainers('princess') },
      before,
      'the same containers, never restarted',
    );
  });

  it('two deploys at once: one runs, the other is refused with a clear message', async () => {
    await release('e2e-3');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    const both = await Promise.all([
      devenv(['deploy', '--to', 'princess', '--user', 'ada']),
      devenv(['deploy', '--to', 'princess', '--user', 'ada']),
    ]);
    const codes = both.map((r) => r.exitCode).sort();
    assert.deepEqual(codes, [0, 1], both.map((r) => r.all).join('\n----\n'));
    const refused = both.find((r) => r.exitCode === 1)!;
    assert.match(refused.stderr, /deploy #\d+ \(princess, ada\) is running since \d+ s: one deploy at a time/);
    const prod = await devenv(['deploy', '--to', 'prod', '--user', 'ada', '--watch', '0']);
    assert.equal(prod.exitCode, 0, prod.all);
    assert.deepEqual(await markers(prodSite), ['e2e-3']);
  });

  it('kill -9 part-way through a prod roll: prod keeps serving, and the next deploy converges', async () => {
    await release('e2e-4');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    assert.equal((await devenv(['deploy', '--to', 'princess', '--user', 'ada'])).exitCode, 0);
    const load = startLoad(prodSite, 20, { maxRequests: 20 * 300, maxSeconds: 300 });
    const doomed: ResultPromise = execa(devenvBin, ['deploy', '--to', 'prod', '--user', 'ada', '--watch', '0'], {
      cwd: repo,
      env: { DEVENV_HOME: stacks.home },
      reject: false,
    });
    // Kill it once the roll has started replacing replicas.
    const deadline = Date.now() + 180_000;
    for (;;) {
      const running = (await history()).find((d) => d.stage === 'prod' && d.state === 'running');
      const log = running ? await (await fetch(`${opsPage}api/deploys/${running.id}/log`)).text() : '';
      if (log.includes('== Roll prod')) break;
      assert.ok(Date.now() < deadline, 'the roll started');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    doomed.kill('SIGKILL');
    await doomed;
    for (let i = 0; i < 20; i++) await fetchText(prodSite, 10_000);

    const again = await devenv(['deploy', '--to', 'prod', '--user', 'ada', '--watch', '0']);
    assert.equal(again.exitCode, 0, again.all);
    const report = await load.stop();
    assert.deepEqual(await markers(prodSite), ['e2e-4']);
    const killed = (await history()).find((d) => d.stage === 'prod' && d.state === 'failed');
    assert.match(killed?.error ?? '', /stopped: its driver \(pid \d+\) is gone/);
    console.log(`kill -9 mid-roll, then a converging deploy: ${report.sent} requests, ${report.failed} failed`);
    assert.equal(report.failed, 0, report.failures.join('; '));
  });

  it('the two-button page: join, press Princess, watch the live log, press Production, see the history', async () => {
    const commit = await release('e2e-5');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // bob presses the buttons for ada's group: the page acts as the person logged in.
      const login = await devenv(['ops', 'login', '--user', 'bob', '--json']);
      assert.equal(login.exitCode, 0, login.all);
      await page.goto((JSON.parse(login.stdout) as { url: string }).url);
      await page.locator('#who').filter({ hasText: 'You are bob.' }).waitFor();
      await page.locator('#head').filter({ hasText: 'ada' }).waitFor();
      await page.locator('#press-princess:enabled').click();
      await page.locator('#log').filter({ hasText: '== Smoke tests on princess' }).waitFor({ timeout: 240_000 });
      const princessRow = page
        .locator('#history-rows tr', { hasText: 'princess' })
        .filter({ hasText: commit.slice(0, 10) })
        .first();
      await princessRow.filter({ hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
      // Prod waits for ada, whose change it is, to have checked it on princess.
      const good = await devenv(['queue', 'good', '--user', 'ada']);
      assert.equal(good.exitCode, 0, good.all);
      await page.locator('#press-prod:enabled').click({ timeout: 30_000 });
      await page.locator('#log').filter({ hasText: '== Roll prod' }).waitFor({ timeout: 240_000 });
      const prodRow = page
        .locator('#history-rows tr', { hasText: 'prod' })
        .filter({ hasText: commit.slice(0, 10) })
        .first();
      await prodRow.filter({ hasText: 'succeeded' }).waitFor({ timeout: 300_000 });
      await page.screenshot({ path: join(artifacts, 'deploy-page.png'), fullPage: true });
      assert.match((await prodRow.textContent()) ?? '', /ada \(by bob on the deploy page\)/);
    } finally {
      await browser.close();
    }
    assert.deepEqual(await markers(prodSite), ['e2e-5']);
  });

  it('a config deploy ramps a flag 0% -> 50% -> 100% in prod, and the exposure counts in Graphite follow', async () => {
    const shares: number[] = [];
    for (const percent of [0, 50, 100]) {
      const set = await devenv([
        'flags',
        'set',
        'new_banner',
        '--percent',
        String(percent),
        '--file',
        join(repo, 'site', 'flags.yaml'),
      ]);
      assert.equal(set.exitCode, 0, set.all);
      await git('commit', '-qam', `new_banner at ${percent}%`);
      assert.equal((await devenv(['queue', 'join', '--config', '--user', 'ada'])).exitCode, 0);
      const shipped = await devenv(['deploy', '--config', '--user', 'ada']);
      assert.equal(shipped.exitCode, 0, shipped.all);
      const from = Math.floor(Date.now() / 1000);
      // 300 first visits: each a new visitor, bucketed afresh.
      for (let i = 0; i < 300; i++) await fetchText(prodSite);
      const exposures = async () => {
        const url = `${prod.graphite}render?target=stats.counters.shop.flags.new_banner.*.count&from=${from}&until=now&format=json&noCache=true`;
        const series = (await (await fetch(url)).json()) as { target: string; datapoints: [number | null, number][] }[];
        const sum = (variant: (target: string) => boolean) =>
          series
            .filter((s) => variant(s.target))
            .reduce((total, s) => total + s.datapoints.reduce((t, [v]) => t + (v ?? 0), 0), 0);
        return { off: sum((t) => t.includes('.off.')), on: sum((t) => !t.includes('.off.')) };
      };
      let counted = await exposures();
      for (let wait = 0; counted.off + counted.on < 300 && wait < 30; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 1000)); // statsd flushes every second
        counted = await exposures();
      }
      assert.ok(counted.off + counted.on >= 300, `Graphite counted ${counted.off + counted.on} of 300 exposures`);
      shares.push(counted.on / (counted.off + counted.on));
    }
    console.log(
      `new_banner shown to ${shares.map((share) => `${(share * 100).toFixed(0)}%`).join(' -> ')} of new visitors`,
    );
    assert.equal(shares[0], 0);
    assert.ok(shares[1]! > 0.38 && shares[1]! < 0.62, `about half at 50% (${shares[1]})`);
    assert.equal(shares[2], 1);
  });

  it('a build that fails in production raises the error rate, and the watch rolls it back', async () => {
    const prodBefore = await markers(prodSite);
    const load = startLoad(`${prodSite}flags.json`, 20, { maxRequests: 20 * 400, maxSeconds: 400 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 10_000)); // a baseline before the deploy
      const commit = await release('e2e-6', async () => {
        const app = join(repo, 'site', 'app.ts');
        const broken = (await readFile(app, 'utf8')).replace(
          'return json(200, { visitor: flags.context.visitorId, flags: flags.all() });',
          "throw new Error('a build that breaks /flags.json');",
        );
        assert.match(broken, /a build that breaks/);
        await writeFile(app, broken);
      });
      assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
      const deployed = await devenv(['deploy', '--user', 'ada', '--watch', '15']);
      assert.equal(deployed.exitCode, 1, deployed.all);
      assert.match(
        deployed.stderr,
        /to prod failed: the watch saw a regression: error rate \d+\.\d% after the deploy.*rolled back, prod runs what it ran before/,
      );
      assert.deepEqual(await markers(prodSite), prodBefore, 'prod runs the release before');
      assert.equal((await fetch(`${prodSite}flags.json`)).status, 200);
      const deploys = await history();
      assert.deepEqual([deploys[0]!.stage, deploys[0]!.state, deploys[0]!.commit], ['prod', 'rolled-back', commit]);
    } finally {
      await load.stop();
      await git('reset', '--quiet', '--hard', 'HEAD~1');
    }
  });
});
