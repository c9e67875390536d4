// Graphs end to end on a dev stack of its own (dev-gus): traffic through its
// proxy, a deploy marked in its Graphite, `devenv graph` saving a real PNG with
// the deploy line on it, and the dashboard page in headless Chromium drawing the
// stack's graphs with that line (screenshot in test-artifacts/).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { projectRoot } from '../../lib/paths.ts';
import { deployTarget, expandMetric, markDeploy, renderUrl } from '../../stacks/graphite.ts';
import { dashboardPage } from '../../ops/dashboard.ts';
import { fetchText, removeLabelled, throwawayHome } from '../support/engines.ts';
import { cli, type Cli } from '../support/devenv-cli.ts';
import { startLoad } from '../support/load.ts';

const stack = 'dev-gus';
const artifacts = join(projectRoot, 'test-artifacts');

type Series = { target: string; datapoints: [number | null, number][] }[];

/** Pixels of Graphite's "orange" (255,165,0): the deploy line. */
async function orangePixels(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let count = 0;
  for (let i = 0; i < data.length; i += info.channels)
    if (data[i]! > 235 && data[i + 1]! > 145 && data[i + 1]! < 185 && data[i + 2]! < 40) count++;
  return count;
}

describe('graphs', { timeout: 10 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let devenv: Cli;
  let urls: Record<string, string> = {};

  before(async () => {
    home = await throwawayHome();
    devenv = cli({ DEVENV_HOME: home.home });
    urls = (await devenv.json<{ urls: Record<string, string> }>(['up', '--user', 'gus'])).urls;
  });
  after(async () => {
    await devenv?.run(['down', '--user', 'gus', '--purge-data']);
    await removeLabelled(stack);
    await home?.remove();
  });

  it('draws traffic and a marked deploy into a real PNG', async () => {
    const site = urls['proxy.http']!;
    const graphite = urls['graphite.http']!;
    await fetchText(site, 60_000);
    const load = startLoad(site, 20, { maxRequests: 300, maxSeconds: 15 });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    // In this process, on the test's home: it finds dev-gus's ports there.
    await markDeploy(home.ctx, stack, {
      stage: stack,
      train: 'code',
      commit: '0123456789abcdef0123456789abcdef01234567',
      deployId: 1,
      users: ['gus'],
    });
    const report = await load.stop();
    assert.ok(report.sent >= 50 && report.failed === 0, `${report.sent} sent, ${report.failures.join('; ')}`);

    // statsd flushes every second; the event is stamped to the microsecond, so a
    // render must end in a later second to include it.
    const json = renderUrl(graphite, {
      targets: expandMetric('requests').map((t) => t.target),
      from: '-10min',
      format: 'json',
    });
    const deadline = Date.now() + 60_000;
    let series: Series = [];
    const points = (name: string) =>
      (series.find((s) => s.target === name)?.datapoints ?? []).filter(([value]) => value !== null);
    while (Date.now() < deadline) {
      series = JSON.parse(await fetchText(json)) as Series;
      if (points('deploys').length > 0 && points('requests/s').reduce((sum, [v]) => sum + v! * 2, 0) >= 50) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.equal(
      points('deploys').length,
      1,
      `one deploy point in ${deployTarget}: ${JSON.stringify(series.map((s) => [s.target, s.datapoints.filter(([v]) => v !== null)]))}`,
    );
    assert.ok(points('requests/s').length > 0, 'the traffic is in Graphite');

    const out = join(home.home, 'g.png');
    const result = await devenv.run(['graph', 'requests', '--stack', stack, '--out', out]);
    assert.equal(result.exitCode, 0, result.all);
    assert.equal(result.stdout.trim(), out, 'prints the path');
    const png = await readFile(out);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG magic bytes');
    assert.ok(png.length > 5 * 1024, `${png.length} bytes`);
    const { width, height } = await sharp(png).metadata();
    assert.deepEqual([width, height], [800, 400]);
    assert.ok((await orangePixels(png)) > 100, 'the deploy line is drawn');
  });

  it('refuses a Graphite error instead of saving it as a picture', async () => {
    const out = join(home.home, 'bad.png');
    const result = await devenv.run(['graph', 'nosuchFunction(stats.x)', '--stack', stack, '--out', out]);
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^devenv: the Graphite of dev-gus refused the graph \(HTTP 400\): .*nosuchFunction/);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    await assert.rejects(readFile(out), { code: 'ENOENT' });
  });

  it("the dashboard page draws the stack's graphs with the deploy line", async () => {
    // The page as the deploy service serves it, pointed at dev-gus instead of princess and prod.
    const html = dashboardPage([{ name: stack, graphiteUrl: urls['graphite.http']! }]);
    const server: Server = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      // (a string: this file is type-checked without the DOM's types)
      await page.waitForFunction(
        "[...document.querySelectorAll('img')].every((img) => img.dataset.loaded === 'true' && img.naturalWidth > 0)",
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(await page.locator('img').count(), 4);
      // the range buttons redraw every graph; 15 min shows the test's traffic best
      await page.getByRole('button', { name: '15 min' }).click();
      await page.waitForFunction(
        "[...document.querySelectorAll('img')].every((img) => img.src.includes('from=-15min') && img.complete && img.naturalWidth > 0)",
        undefined,
        { timeout: 30_000 },
      );
      await mkdir(artifacts, { recursive: true });
      const shot = await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
      // four graphs, each with the orange line
      assert.ok((await orangePixels(shot)) > 4 * 80, 'deploy lines on the dashboard');
    } finally {
      await browser.close();
      server.close();
    }
  });
});
