// A new hire's first day: the README's first command brings up the whole
// production stack as dev-<user>, and everything the README promises about it holds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { candidateBases } from '../../stacks/ports.ts';
import { projectRoot } from '../../lib/paths.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import { fetchText, labelled, removeLabelled, throwawayHome } from '../support/engines.ts';
import { cli, devenvBin, type Cli } from '../support/devenv-cli.ts';

interface UpResult {
  stack: string;
  changes: number;
  urls: Record<string, string>;
  fastPath: boolean;
}
interface StatusResult {
  healthy: boolean;
  containers: { role: string; state: string; health: string }[];
}

describe('dev stacks', { timeout: 40 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let devenv: Cli;
  let env: Record<string, string>;
  const stacks = ['dev-ada', 'dev-bob'];
  let ada: Record<string, string> = {};

  before(async () => {
    home = await throwawayHome();
    // A new hire: an empty devenv home, and git knowing who they are.
    await writeFile(join(home.home, 'gitconfig'), '[user]\n\temail = ada@example.com\n');
    env = { DEVENV_HOME: home.home, GIT_CONFIG_GLOBAL: join(home.home, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1' };
    devenv = cli(env);
  });
  after(async () => {
    for (const stack of stacks) await removeLabelled(stack);
    await home.remove();
  });

  it("the README's first command brings up dev-<user> and prints URLs that answer", async () => {
    const up = await execa(devenvBin, ['up'], { env, reject: false, all: true });
    assert.equal(up.exitCode, 0, up.all);
    // Right after up says so, status agrees: before Docker's own first health check has run.
    const status = await devenv.run(['status', '--json']);
    assert.equal(status.exitCode, 0, status.all);
    const now = JSON.parse(status.stdout) as StatusResult;
    assert.deepEqual(
      now.containers.filter((c) => c.health !== 'healthy').map((c) => `${c.role}:${c.health}`),
      [],
      'every role healthy at once',
    );
    assert.match(up.stdout, /^dev-ada is up/m, 'the user comes from git');
    const site = /proxy\.http\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(up.stdout)?.[1];
    const graphite = /graphite\.http\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(up.stdout)?.[1];
    assert.ok(site && graphite, up.stdout);
    ada = { site, graphite };
  });

  it('serves the seeded items and the team page', async () => {
    const home = await fetchText(ada.site!);
    assert.ok((home.match(/class="price"/g) ?? []).length >= 10, 'seeded items listed');
    const team = await fetchText(`${ada.site}team`);
    assert.match(team, /Ada O&#39;Neill|Ada O&#x27;Neill|Ada O&apos;Neill/);
    const photo = await fetch(`${ada.site}team/photos/ada.jpg`);
    assert.equal(photo.status, 200);
    assert.equal(photo.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...new Uint8Array(await photo.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  it('the worker makes the team page thumbnails', async () => {
    const deadline = Date.now() + 60_000;
    let response: Response | undefined;
    while (Date.now() < deadline) {
      response = await fetch(`${ada.site}team/thumbs/ada.jpg`);
      if (response.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(response?.status, 200);
  });

  it('statsd counters reach Graphite', async () => {
    for (let i = 0; i < 20; i++) await fetchText(ada.site!);
    const target = `${ada.graphite}render?target=stats.counters.shop.requests.count&from=-10min&format=json`;
    const deadline = Date.now() + 90_000;
    let total = 0;
    while (Date.now() < deadline && total < 20) {
      const series = JSON.parse(await fetchText(target)) as { datapoints: [number | null, number][] }[];
      total = series.flatMap((s) => s.datapoints).reduce((sum, [value]) => sum + (value ?? 0), 0);
      if (total < 20) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.ok(total >= 20, `Graphite counted ${total} requests`);
  });

  it('status --json says every role is running and healthy', async () => {
    const status = await devenv.json<StatusResult>(['status']);
    assert.equal(status.healthy, true);
    assert.deepEqual(status.containers.map((c) => `${c.role}:${c.state}:${c.health}`).sort(), [
      'cache:running:healthy',
      'db:running:healthy',
      'graphite:running:healthy',
      'proxy:running:healthy',
      'statsd:running:healthy',
      'web:running:healthy',
      'worker:running:healthy',
    ]);
  });

  it('a second up changes nothing, proved without the engine', async () => {
    const again = await devenv.json<UpResult>(['up']);
    assert.equal(again.changes, 0);
    assert.equal(again.fastPath, true);
  });

  it('preview agrees there is nothing to change', async () => {
    const preview = await devenv.json<{ steps: unknown[] }>(['preview']);
    assert.deepEqual(preview.steps, []);
  });

  it('logs merges the containers, filters with --grep and --except', async () => {
    const lines = async (args: string[]) =>
      (await devenv.run(['logs', ...args, '--json'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { container: string; text: string });
    const web = await lines(['web', 'proxy', '--tail', '50']);
    assert.deepEqual([...new Set(web.map((l) => l.container))].sort(), ['proxy', 'web']);
    const gets = await lines(['web', '--grep', '^GET /', '--except', 'healthz']);
    assert.ok(gets.length > 0 && gets.every((l) => /^GET \//.test(l.text) && !l.text.includes('healthz')));
    const unknown = await devenv.run(['logs', 'nosuchrole']);
    assert.equal(unknown.exitCode, 1);
    assert.match(
      unknown.stderr,
      /no role nosuchrole in dev-ada; its roles are cache, db, graphite, proxy, statsd, web, worker/,
    );
  });

  it('parity of the rendered dev-ada and prod passes', async () => {
    const result = await devenv.run(['parity', 'dev-ada', 'prod']);
    assert.equal(result.exitCode, 0, result.all);
    assert.match(result.stdout, /are at parity/);
  });

  it('dev-bob runs beside dev-ada without a clash, moving off a port range another process holds', async () => {
    // Another program listens in bob's own range: devenv says so and takes the next free one.
    const [ownBase] = candidateBases('bob');
    const squatter = createServer().listen(ownBase! + 1, '127.0.0.1');
    await once(squatter, 'listening');
    let bob: UpResult & { notices: string[] };
    try {
      bob = await devenv.json<UpResult & { notices: string[] }>(['up', '--user', 'bob']);
    } finally {
      squatter.close();
    }
    assert.equal(bob.stack, 'dev-bob');
    assert.match(
      bob.notices.join('\n'),
      new RegExp(`ports ${ownBase}-${ownBase! + 9} are taken by another process; using \\d+-\\d+`),
    );
    assert.ok(!bob.urls['proxy.http']!.includes(`:${ownBase}/`));
    assert.notEqual(bob.urls['proxy.http'], ada.site);
    assert.match(await fetchText(bob.urls['proxy.http']!), /class="price"/);
    assert.match(await fetchText(ada.site!), /class="price"/);
    const down = await devenv.run(['down', '--user', 'bob', '--purge-data']);
    assert.equal(down.exitCode, 0, down.all);
    assert.deepEqual(await labelled('dev-bob'), { containers: [], networks: [], volumes: [] });
  });

  it('a container removed by hand is repaired by the next up', async () => {
    await dockerClient().getContainer('dev-ada-cache').remove({ force: true });
    const repaired = await devenv.json<UpResult>(['up']);
    assert.equal(repaired.fastPath, false);
    assert.ok(repaired.changes > 0);
    const info = await dockerClient().getContainer('dev-ada-cache').inspect();
    assert.equal(info.State.Running, true);
    assert.match(await fetchText(ada.site!), /class="price"/);
  });

  it('Ctrl-C during up says it stopped and that the next up converges, which it does', async () => {
    const down = await devenv.run(['down']);
    assert.equal(down.exitCode, 0, down.all);
    const interrupted = execa(devenvBin, ['up'], { env, reject: false, all: true });
    let progress = '';
    let exited = false;
    interrupted.stderr?.on('data', (chunk: Buffer) => (progress += chunk.toString()));
    void interrupted.finally(() => (exited = true));
    const deadline = Date.now() + 120_000;
    while (!/create\s+dev-ada-\w+/.test(progress) && Date.now() < deadline && !exited)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(progress, /create\s+dev-ada-/, 'up reached the engine before Ctrl-C');
    interrupted.kill('SIGINT');
    const stopped = await interrupted;
    assert.equal(stopped.exitCode, 130, stopped.all);
    assert.equal(
      stopped.stderr.trim().split('\n').at(-1),
      'devenv: bringing up dev-ada stopped (Ctrl-C) before it finished; run `devenv up` again: it converges from where this one stopped',
    );
    const again = await devenv.json<UpResult>(['up']);
    assert.ok(again.changes > 0, 'the next up finished the work');
    assert.match(await fetchText(again.urls['proxy.http']!), /class="price"/);
  });

  it('an edit in site/ is served without a rebuild', async () => {
    const file = join(projectRoot, 'site', 'home-page.ts');
    const original = await readFile(file, 'utf8');
    const marker = `live edit ${process.pid}`;
    const imagesBefore = (await dockerClient().listImages()).length;
    try {
      await writeFile(file, original.replace('<h2>Items</h2>', `<h2>Items (${marker})</h2>`));
      const deadline = Date.now() + 30_000;
      let page = '';
      while (Date.now() < deadline && !page.includes(marker)) {
        page = await fetchText(ada.site!).catch(() => '');
        if (!page.includes(marker)) await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.ok(page.includes(marker), 'the edit is served');
      assert.equal((await dockerClient().listImages()).length, imagesBefore, 'no image was built');
    } finally {
      await writeFile(file, original);
    }
  });

  it('down keeps the data and up brings it back', async () => {
    const insert =
      "insert into items (title, price_cents, shop_id) select 'Kept across down', 4200, id from shops order by id limit 1";
    const exec = await execa(
      'docker',
      [
        'exec',
        '-e',
        'PGPASSWORD=shop',
        'dev-ada-db',
        'psql',
        '-h',
        '127.0.0.1',
        '-U',
        'shop',
        '-d',
        'shop',
        '-c',
        insert,
      ],
      { reject: false },
    );
    assert.equal(exec.exitCode, 0, exec.stderr);
    const down = await devenv.run(['down']);
    assert.equal(down.exitCode, 0, down.all);
    assert.deepEqual((await labelled('dev-ada')).containers, []);
    assert.deepEqual((await labelled('dev-ada')).volumes, ['dev-ada-db-data', 'dev-ada-graphite-whisper']);
    const up = await devenv.json<UpResult>(['up']);
    assert.match(await fetchText(up.urls['proxy.http']!), /Kept across down/);
  });

  it('down --purge-data leaves nothing labelled with the stack', async () => {
    const down = await devenv.run(['down', '--purge-data']);
    assert.equal(down.exitCode, 0, down.all);
    assert.deepEqual(await labelled('dev-ada'), { containers: [], networks: [], volumes: [] });
  });
});
