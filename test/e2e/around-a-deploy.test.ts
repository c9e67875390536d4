// Around a deploy, as a team meets it: the deploy channel, the live log page and A/B results,
// on the real ops, princess and prod stacks.
//
// The deploy channel: the ops stack's IRC server (ngircd) and the deploy bot,
// met with a real IRC client library as people meet them. Two people join the
// queue from the channel, the bot forms one group and announces each step of
// their deploy, prod waits for both riders' .good; a hold stops the next deploy
// and is posted in #warroom; an unknown nick and bad commands get one answer and
// change nothing; the bot survives its server's restart and says what it missed.
//
// The live log page, in headless Chromium: a line prod's web writes appears
// within 2 s; the filter hides and shows lines, says when a pattern is invalid
// and stops one that takes too long; "unexpected only" hides the expected noise;
// a deploy's link in the history shows the lines of its time.
//
// A/B results: a release in which one variant fails for one visitor in 20, two
// flags to everyone, 2000 visitors (every other one converting): the report
// sets the failing variant apart (p < 0.01), not the alike ones, and so does
// the dashboard's panel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import IRC from 'irc-framework';
import { chromium } from 'playwright-core';
import { fetchText } from '../support/engines.ts';
import { opsPage, prod, withFixedStacks, type FixedStacks } from '../support/fixed-stacks.ts';
import { dockerClient, execIn } from '../../stacks/docker-client.ts';
import { projectRoot } from '../../lib/paths.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase } from '../../stacks/tiers.ts';
import { ircd } from '../../roles/ircd.ts';
import { waitFor } from '../../lib/wait.ts';

const ircPort = hostPort(fixedPortBase('ops'), ircd.publish.irc!);

/** A person on the server: what they heard, by channel, and how to speak. */
interface Person {
  nick: string;
  heard: { target: string; nick: string; text: string }[];
  say(text: string, target?: string): void;
  /** waits for a line from the bot matching the pattern, heard after `since` lines */
  hears(pattern: RegExp, options?: { target?: string; since?: number; timeoutMs?: number }): Promise<string>;
  quit(): void;
}

async function connect(nick: string): Promise<Person> {
  const client = new IRC.Client();
  const heard: Person['heard'] = [];
  client.on('registered', () => {
    client.join('#deploy');
    client.join('#warroom');
  });
  client.on('privmsg', (event: { nick: string; target: string; message: string }) =>
    heard.push({ target: event.target.toLowerCase(), nick: event.nick, text: event.message }),
  );
  const joined = new Promise<void>((resolve) =>
    client.on('join', (event: { nick: string; channel: string }) => {
      if (event.nick === nick && event.channel.toLowerCase() === '#deploy') resolve();
    }),
  );
  client.connect({
    host: '127.0.0.1',
    port: ircPort,
    nick,
    auto_reconnect: true,
    auto_reconnect_max_wait: 2000,
    auto_reconnect_max_retries: 100,
  });
  await joined;
  return {
    nick,
    heard,
    say: (text, target = '#deploy') => client.say(target, text),
    hears: (pattern, options = {}) =>
      waitFor(
        async () =>
          heard
            .slice(options.since ?? 0)
            .find(
              (line) =>
                line.nick === 'deploybot' && line.target === (options.target ?? '#deploy') && pattern.test(line.text),
            )?.text,
        {
          intervalMs: 100,
          timeoutMs: options.timeoutMs ?? 15_000,
          timedOut: () =>
            new Error(
              `${nick} never heard ${pattern} from the bot; heard:\n${heard.map((l) => `${l.target} <${l.nick}> ${l.text}`).join('\n')}`,
            ),
        },
      ),
    quit: () => client.quit('bye'),
  };
}

let stacks: FixedStacks;
const devenv = (args: string[]) => stacks.devenv(args);

before(async () => {
  stacks = await withFixedStacks(['ops', 'princess', 'prod']);
});
after(async () => {
  await stacks?.remove();
});

describe('the deploy channel', { timeout: 30 * 60_000 }, () => {
  let ada: Person;
  let bob: Person;
  const queue = async () =>
    JSON.parse((await devenv(['queue', 'status', '--json'])).stdout) as {
      queue: { groups: { entries: { user: string }[] }[]; hold: unknown; goods?: string[] };
    };

  before(async () => {
    // Each person's CLI registers their checkout once; the bot joins them with what it has committed.
    for (const user of ['ada', 'bob']) {
      assert.equal((await devenv(['queue', 'join', '--user', user])).exitCode, 0);
      assert.equal((await devenv(['queue', 'leave', '--user', user])).exitCode, 0);
      const nick = await devenv(['chat', 'nick', `${user}_irc`, '--user', user]);
      assert.equal(nick.exitCode, 0, nick.all);
    }
    ada = await connect('ada_irc');
    bob = await connect('bob_irc');
  });
  after(() => {
    ada?.quit();
    bob?.quit();
  });

  it('devenv chat says where the channel is and who you are there', async () => {
    const info = await devenv(['chat', '--user', 'ada']);
    assert.equal(info.exitCode, 0, info.all);
    assert.match(info.stdout, new RegExp(`#deploy on 127\\.0\\.0\\.1:${ircPort}`));
    assert.match(info.stdout, /The bot knows ada_irc as ada/);
  });

  it('answers an unknown nick, unknown words and a hold without a reason in one line each, and changes nothing', async () => {
    const mallory = await connect('mallory');
    try {
      mallory.say('.join');
      await mallory.hears(/^mallory: I do not know who you are, so I do nothing for you/);
      ada.say('.frobnicate');
      await ada.hears(/^ada_irc: I do not know \.frobnicate/);
      ada.say('.hold');
      await ada.hears(/^ada_irc: \.hold needs a reason/);
      const since = ada.heard.length;
      for (let i = 0; i < 8; i++) ada.say('.status');
      await ada.hears(/too many commands at once/, { since });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(
        ada.heard.slice(since).filter((line) => /too many commands/.test(line.text)).length,
        1,
        'a flood gets one answer',
      );
      const { queue: now } = await queue();
      assert.deepEqual(now.groups, []);
      assert.equal(now.hold, null);
    } finally {
      mallory.quit();
    }
  });

  it('two people join from the channel and ride in one group; princess, both .good, prod: the channel sees each step', async () => {
    // A change of theirs to ship.
    const layout = join(stacks.repo, 'site', 'layout.ts');
    const text = (await readFile(layout, 'utf8')).replace(
      /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
      '<footer>Served by ${page.servedBy}. Release channel-1.</footer>',
    );
    await writeFile(layout, text);
    await stacks.git('commit', '-qam', 'Release channel-1');
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // past the flood window of the test before

    const since = ada.heard.length;
    ada.say('.join');
    await ada.hears(/^ada joined the code train: group 1 is ada$/, { since });
    bob.say('.join');
    await ada.hears(/^bob joined the code train: group 1 is ada, bob$/, { since });
    await ada.hears(/^ada, bob: your turn \(code train\)/, { since });
    bob.say('.status');
    await bob.hears(/^group 1 \(code\): ada, bob$/, { since });

    const deploying = devenv(['deploy', '--user', 'ada', '--watch', '0']);
    await ada.hears(/^deploy #\d+: code to princess for ada, bob/, { since, timeoutMs: 60_000 });
    await ada.hears(/^princess runs [0-9a-f]{10}: ada, check your change there and say \.good; bob, check/, {
      since,
      timeoutMs: 300_000,
    });
    bob.say('.good');
    await ada.hears(/^bob checked their change on princess \(\.good\): prod waits for ada$/, { since });
    ada.say('.good');
    await ada.hears(/^ada checked their change on princess \(\.good\): every rider said \.good, prod may go$/, {
      since,
    });
    await ada.hears(/^deploy #\d+: code to prod for ada, bob/, { since, timeoutMs: 60_000 });
    await bob.hears(/^prod is live: [0-9a-f]{10} for ada, bob in [\d.]+ s$/, { since, timeoutMs: 300_000 });
    const deployed = await deploying;
    assert.equal(deployed.exitCode, 0, deployed.all);
  });

  it('.hold stops the next deploy and is posted in #warroom; .release lets it go', async () => {
    const since = ada.heard.length;
    ada.say('.hold the database is on fire');
    await bob.hears(/^the queue is held by ada: the database is on fire$/, { since });
    await bob.hears(/^the queue is held by ada: the database is on fire \(in #deploy\)$/, {
      target: '#warroom',
      since,
    });
    bob.say('.join');
    await bob.hears(/^bob joined the code train/, { since });
    const refused = await devenv(['deploy', '--user', 'bob']);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /the queue is held by ada \(the database is on fire\)/);
    ada.say('.release');
    await bob.hears(/^the queue is released/, { since });
    bob.say('.leave');
    await ada.hears(/^bob left the queue$/, { since });
  });

  it('survives its server restarting: back in the channel, it says what happened meanwhile and the queue', async () => {
    const server = dockerClient().getContainer('ops-ircd');
    await server.stop({ t: 1 });
    // Meanwhile, at the CLI.
    assert.equal((await devenv(['queue', 'join', '--user', 'bob'])).exitCode, 0);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const since = ada.heard.length;
    await server.start();
    await ada.hears(/^back on the server\. While I was away:/, { since, timeoutMs: 60_000 });
    await ada.hears(/^ {2}bob joined the code train: group 1 is bob$/, { since });
    await ada.hears(/^ {2}group 1 \(code\): bob$/, { since });
    bob.say('.leave');
    await ada.hears(/^bob left the queue$/, { since });
  });
});

const artifacts = join(projectRoot, 'test-artifacts');

describe('the live log page', { timeout: 10 * 60_000 }, () => {
  /** Writes a line to prod's first web replica's output, as the site itself would. */
  const writeInProd = async (text: string) => {
    const { code, stderr } = await execIn(dockerClient().getContainer('prod-web-1'), [
      'sh',
      '-c',
      'printf "%s\\n" "$0" > /proc/1/fd/1',
      text,
    ]);
    assert.equal(code, 0, stderr);
  };

  it('streams prod’s lines within 2 s; filters them, says what is wrong with a filter, hides the expected', async () => {
    await mkdir(artifacts, { recursive: true });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${opsPage}logs`);
      const rows = page.locator('#lines .line');
      // The page follows prod once it subscribed: the site's own request lines show it.
      await waitFor(
        async () => {
          await fetchText(prod.site);
          return (await rows.filter({ hasText: 'GET / 200' }).count()) > 0 || undefined;
        },
        { intervalMs: 500, timeoutMs: 30_000, timedOut: () => new Error('no request line of prod reached the page') },
      );

      const marker = `a line of prod ${process.pid}`;
      const written = Date.now();
      await writeInProd(marker);
      await rows.filter({ hasText: marker }).waitFor({ timeout: 5000 });
      const seconds = (Date.now() - written) / 1000;
      console.log(`a line of prod's web reached the page in ${seconds.toFixed(2)} s`);
      assert.ok(seconds < 2, `within 2 s, took ${seconds} s`);
      assert.match((await rows.filter({ hasText: marker }).textContent()) ?? '', /prod web-1 \| /);

      // The filter: only what matches, then everything again.
      await page.fill('#filter', 'line of prod');
      await waitFor(async () => ((await page.locator('#lines .line:not(.hidden)').count()) === 1 ? true : undefined), {
        intervalMs: 100,
        timeoutMs: 5000,
        timedOut: () => new Error('the filter did not hide the other lines'),
      });
      assert.equal(
        await page
          .locator('#lines .line:not(.hidden)')
          .textContent()
          .then((t) => t?.includes(marker)),
        true,
      );
      await page.fill('#filter', '');
      await waitFor(async () => ((await page.locator('#lines .line.hidden').count()) === 0 ? true : undefined), {
        intervalMs: 100,
        timeoutMs: 5000,
        timedOut: () => new Error('clearing the filter did not show the lines again'),
      });

      // An invalid pattern is said; one that would never end is stopped.
      await page.fill('#filter', 'web-(');
      await page.locator('#problem').filter({ hasText: 'not a regular expression' }).waitFor({ timeout: 5000 });
      await writeInProd(`${'a'.repeat(32)}!`);
      await rows.filter({ hasText: 'aaaaaaaaaaaaaaaa!' }).waitFor({ timeout: 5000 });
      await page.fill('#filter', '(a+)+$');
      await page.locator('#problem').filter({ hasText: 'the filter takes too long' }).waitFor({ timeout: 5000 });
      assert.equal(await page.evaluate(() => 1 + 1), 2, 'the page still answers');
      await page.fill('#filter', '');

      // Unexpected only: the request lines (expected noise) go, the marker stays.
      await page.check('#unexpected');
      await waitFor(
        async () => ((await rows.filter({ hasText: 'GET / 200', visible: true }).count()) === 0 ? true : undefined),
        { intervalMs: 100, timeoutMs: 5000, timedOut: () => new Error('the expected lines stayed') },
      );
      assert.equal(await rows.filter({ hasText: marker }).isVisible(), true);
      await page.screenshot({ path: join(artifacts, 'logs-page.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("a deploy's link in the history shows the lines of its time", async () => {
    const [latest] = (await (await fetch(`${opsPage}api/deploys?limit=1`)).json()) as {
      startedAt: string;
      finishedAt: string;
    }[];
    assert.ok(latest, 'the channel’s deploy is in the history');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(opsPage);
      const link = page.locator('#history-rows tr').first().locator('a', { hasText: 'logs' });
      await page.goto(new URL((await link.getAttribute('href'))!, opsPage).toString());
      await page
        .locator('#mode')
        .filter({ hasText: `Lines from ${latest.startedAt}` })
        .waitFor();
      await page.locator('#lines .line').first().waitFor({ timeout: 30_000 });
      assert.ok((await page.locator('#lines .line').count()) > 0);
    } finally {
      await browser.close();
    }
  });
});

describe('A/B results', { timeout: 15 * 60_000 }, () => {
  /** Visitor n's id: a valid visitor cookie, the same every run, so the buckets are too. */
  const visitorId = (n: number) => `e2evisitor${String(n).padStart(6, '0')}`;

  before(async () => {
    // A catalog to visit.
    const generated = await devenv(['prod', 'generate', '--members', '10000', '--seed', '11']);
    assert.equal(generated.exitCode, 0, generated.all);
    // A release in which checkout_test's variant b fails for one visitor in 20 (by their id, so every run alike).
    const app = join(stacks.repo, 'site', 'app.ts');
    const faulty = (await readFile(app, 'utf8')).replace(
      "    case 'home': {\n",
      "    case 'home': {\n      if (flags.variant('checkout_test') === 'b' && Number(flags.context.visitorId.slice(-6)) % 20 === 0)\n        throw new Error('checkout_test b fails for this visitor');\n",
    );
    assert.match(faulty, /checkout_test b fails/);
    await writeFile(app, faulty);
    await stacks.git('commit', '-qam', 'checkout_test: variant b fails for one visitor in 20');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    const code = await devenv(['deploy', '--user', 'ada', '--watch', '0']);
    assert.equal(code.exitCode, 0, code.all);
    // Both flags to everyone: checkout_test a/b, new_banner blue/green (alike).
    for (const args of [
      ['checkout_test', '--percent', '100', '--variants', 'a=50,b=50'],
      ['new_banner', '--percent', '100'],
    ]) {
      const set = await devenv(['flags', 'set', ...args, '--file', join(stacks.repo, 'site', 'flags.yaml')]);
      assert.equal(set.exitCode, 0, set.all);
    }
    await stacks.git('commit', '-qam', 'checkout_test and new_banner to everyone');
    assert.equal((await devenv(['queue', 'join', '--config', '--user', 'ada'])).exitCode, 0);
    const config = await devenv(['deploy', '--config', '--user', 'ada']);
    assert.equal(config.exitCode, 0, config.all);

    // 2000 visitors see the home page; every other one then an item page (a conversion).
    // The home page's items are cached for 30 s: an empty catalog's page may still be served a while.
    const item = await waitFor(async () => /href="\/items\/(\d+)"/.exec(await fetchText(prod.site))?.[1], {
      intervalMs: 2000,
      timeoutMs: 60_000,
      timedOut: () => new Error('the home page never linked an item'),
    });
    const visit = async (n: number) => {
      const first = await fetch(prod.site, { headers: { cookie: `visitor=${visitorId(n)}` } });
      await first.arrayBuffer();
      const seen = first.headers.getSetCookie().find((cookie) => cookie.startsWith('ab_seen='));
      if (n % 2 === 0 || !seen) return;
      const then = await fetch(`${prod.site}items/${item}`, {
        headers: { cookie: `visitor=${visitorId(n)}; ${seen.split(';')[0]}` },
      });
      await then.arrayBuffer();
    };
    const workers = 8;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let n = w; n < 2000; n += workers) await visit(n);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5000)); // statsd's flush, then Graphite's write
  });

  type Report = {
    enoughData: boolean;
    variants: {
      variant: string;
      visitors: number;
      errorRate: { rate: number };
      conversion: { rate: number };
      versusControl?: { conversion: { p: number }; errors: { p: number } };
    }[];
  };
  const report = async (flag: string) => {
    const result = await devenv(['flags', 'report', flag, '--since', '-15min', '--json']);
    assert.equal(result.exitCode, 0, result.all);
    return JSON.parse(result.stdout) as Report;
  };

  it("a variant that fails 5% of its requests stands apart from the control (p < 0.01); alike variants don't", async () => {
    const checkout = await report('checkout_test');
    assert.equal(checkout.enoughData, true, JSON.stringify(checkout));
    const [a, b] = checkout.variants;
    assert.equal(a!.errorRate.rate, 0);
    assert.ok(b!.errorRate.rate > 0.03 && b!.errorRate.rate < 0.07, `b fails ${b!.errorRate.rate}`);
    assert.ok(b!.versusControl!.errors.p < 0.01, `errors p = ${b!.versusControl!.errors.p}`);
    assert.ok(a!.conversion.rate > 0.4 && a!.conversion.rate < 0.6, `conversion ${a!.conversion.rate}`);

    const banner = await report('new_banner');
    assert.equal(banner.enoughData, true);
    const green = banner.variants.find((v) => v.variant === 'green')!;
    assert.ok(green.versusControl!.errors.p > 0.01, `errors p = ${green.versusControl!.errors.p}`);
    assert.ok(green.versusControl!.conversion.p > 0.01, `conversion p = ${green.versusControl!.conversion.p}`);
    const text = await devenv(['flags', 'report', 'checkout_test', '--since', '-15min']);
    assert.match(text.stdout, /^b +\d+ .*errors \+\d\.\d pts, p < 0\.0001$/m);
  });

  it('the dashboard shows the variants, the failing one marked', async () => {
    await mkdir(artifacts, { recursive: true });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${opsPage}dashboard`);
      await page.locator('#ab-reports tr[data-variant="b"] td.significant').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#ab-reports tr[data-variant="green"] td.significant').count(), 0);
      await page.locator('#ab').screenshot({ path: join(artifacts, 'ab-panel.png') });
    } finally {
      await browser.close();
    }
  });

  it('refuses an unknown flag and a time it cannot read in one line, and reads nothing', async () => {
    const unknown = await devenv(['flags', 'report', 'no_such_flag']);
    assert.equal(unknown.exitCode, 1);
    assert.match(unknown.stderr, /^devenv: prod runs no flag "no_such_flag": it is off for everyone there/);
    const when = await devenv(['flags', 'report', 'checkout_test', '--since', 'yesterday']);
    assert.equal(when.exitCode, 1);
    assert.match(when.stderr, /^devenv: --since "yesterday" is not a time before now/);
  });
});
