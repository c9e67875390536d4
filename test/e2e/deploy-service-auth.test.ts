// Who pressed the button must be known: the real deploy service (`devenv ops up`)
// refuses every state change that does not come from its own origin with JSON
// and a person's credential, records who acted from that credential whatever the
// body claims, and a page of another origin in headless Chromium changes nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { opsPage, opsPort, withFixedStacks, type FixedStacks } from '../support/fixed-stacks.ts';

const service = opsPage.replace(/\/$/, '');

interface Answer {
  status: number;
  body: string;
}

/** A raw HTTP request, so the test chooses every header a browser or an attacker would send, Host included. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: opsPort, method, path, headers: { host: `127.0.0.1:${opsPort}`, ...headers } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the deploy service knows who pressed the button', { timeout: 20 * 60_000 }, () => {
  let stacks: FixedStacks;
  let repo: string;
  const devenv = (args: string[]) => stacks.devenv(args);
  const tokenOf = async (user: string) =>
    (await readFile(join(stacks.home, 'ops', 'tokens', `${user}.token`), 'utf8')).trim();
  /** Everything a state change could touch, read back without a credential. */
  const snapshot = async () =>
    JSON.stringify([
      await (await fetch(`${service}/api/queue`)).json(),
      await (await fetch(`${service}/api/deploys?limit=50`)).json(),
    ]);

  before(async () => {
    stacks = await withFixedStacks(['ops']);
    repo = stacks.repo;
    // Two people on this machine, each with their own token made by their CLI.
    for (const user of ['ada', 'bob']) assert.equal((await devenv(['queue', 'leave', '--user', user])).exitCode, 0);
  });
  after(async () => {
    await stacks?.remove();
  });

  it("keeps each person's token in the devenv home, readable by its owner only", async () => {
    for (const user of ['ada', 'bob']) {
      assert.equal((await stat(join(stacks.home, 'ops', 'tokens', `${user}.token`))).mode & 0o777, 0o600);
      assert.match(await tokenOf(user), /^[A-Za-z0-9_-]{43}$/);
    }
    assert.notEqual(await tokenOf('ada'), await tokenOf('bob'));
    const listed = await devenv(['ops', 'tokens', '--json']);
    assert.equal(listed.exitCode, 0, listed.all);
    const tokens = (JSON.parse(listed.stdout) as { tokens: { user: string; revokedAt: string | null }[] }).tokens;
    assert.deepEqual(tokens.map((t) => `${t.user}:${t.revokedAt === null ? 'live' : 'revoked'}`).sort(), [
      'ada:live',
      'bob:live',
    ]);
    assert.ok(!listed.stdout.includes(await tokenOf('ada')), 'the list never shows a secret');
  });

  it('refuses cross-origin text/plain POSTs to every state-changing endpoint, and changes nothing', async () => {
    const joined = await devenv(['queue', 'join', '--user', 'ada']);
    assert.equal(joined.exitCode, 0, joined.all);
    const before = await snapshot();
    const endpoints: [string, object][] = [
      ['/api/queue/join', { user: 'mallory', train: 'code', commit: 'a'.repeat(40), repo: '/etc' }],
      ['/api/queue/leave', { user: 'ada' }],
      ['/api/queue/hold', { by: 'mallory', reason: 'gotcha' }],
      ['/api/queue/release', {}],
      ['/api/press', { stage: 'prod' }],
      [
        '/api/deploys',
        {
          stage: 'princess',
          train: 'code',
          driver: { kind: 'page' },
          commit: 'a'.repeat(40),
          previousCommit: null,
          entryIds: [1],
          pid: 1,
        },
      ],
      ['/api/deploys/1/finish', { state: 'succeeded' }],
      ['/api/repositories', { path: '/etc' }],
      ['/api/login-links', {}],
      ['/api/tokens', { user: 'mallory', hash: 'a'.repeat(64) }],
      ['/api/tokens/revoke', { user: 'ada' }],
    ];
    for (const [path, claim] of endpoints) {
      // What any page open in a browser can send to loopback without a preflight.
      const simple = await send(
        'POST',
        path,
        { 'content-type': 'text/plain', origin: 'http://evil.example' },
        JSON.stringify(claim),
      );
      assert.equal(simple.status, 403, `${path}: ${simple.body}`);
      // Even carrying a real token: another origin is refused.
      const withToken = await send(
        'POST',
        path,
        { ...json, ...bearer(await tokenOf('ada')), origin: 'http://evil.example' },
        JSON.stringify(claim),
      );
      assert.equal(withToken.status, 403, `${path} with a token from another origin: ${withToken.body}`);
      assert.match(JSON.parse(withToken.body).error, /^Origin "http:\/\/evil\.example" is not this service's/);
      // And text/plain from its own origin: a form cannot post JSON.
      const form = await send(
        'POST',
        path,
        { 'content-type': 'text/plain', ...bearer(await tokenOf('ada')) },
        JSON.stringify(claim),
      );
      assert.equal(form.status, 403, `${path} as text/plain: ${form.body}`);
    }
    assert.equal(await snapshot(), before, 'queue, hold and history as they were');
  });

  it('refuses a request through another host name (DNS rebinding), even with a token', async () => {
    const before = await snapshot();
    const rebound = await send(
      'POST',
      '/api/queue/hold',
      { ...json, ...bearer(await tokenOf('ada')), host: `evil.example:${opsPort}` },
      JSON.stringify({ reason: 'rebound' }),
    );
    assert.equal(rebound.status, 403, rebound.body);
    assert.match(JSON.parse(rebound.body).error, new RegExp(`^Host "evil\\.example:${opsPort}" is not this service's`));
    assert.equal(
      (await send('GET', '/api/queue', { host: `evil.example:${opsPort}` })).status,
      403,
      'nor read through it',
    );
    assert.equal(await snapshot(), before);
  });

  it('refuses no token, a wrong one and a revoked one; the right one works, as its own person whatever the body says', async () => {
    const before = await snapshot();
    const hold = (headers: Record<string, string>) =>
      send('POST', '/api/queue/hold', { ...json, ...headers }, JSON.stringify({ by: 'mallory', reason: 'incident 7' }));
    assert.equal((await hold({})).status, 401);
    assert.equal((await hold(bearer('not-a-token'))).status, 401);
    assert.equal(await snapshot(), before);

    const held = await hold(bearer(await tokenOf('bob')));
    assert.equal(held.status, 200, held.body);
    const { hold: now } = JSON.parse(held.body) as { hold: { by: string; reason: string } };
    assert.deepEqual([now.by, now.reason], ['bob', 'incident 7'], "bob's token held it, not the body's mallory");
    const released = await devenv(['queue', 'release', '--user', 'ada']);
    assert.equal(released.exitCode, 0, released.all);

    const bobsOldToken = await tokenOf('bob');
    const revoked = await devenv(['ops', 'tokens', 'revoke', 'bob']);
    assert.equal(revoked.exitCode, 0, revoked.all);
    assert.match(revoked.stdout, /credentials? of bob revoked/);
    const refused = await hold(bearer(bobsOldToken));
    assert.equal(refused.status, 401, 'refused at once');
    assert.match(JSON.parse(refused.body).error, /revoked/);
    const cli = await devenv(['queue', 'hold', '--user', 'bob', '--reason', 'x']);
    assert.equal(cli.exitCode, 1);
    assert.equal(
      cli.stderr.trim(),
      "devenv: bob's deploy token was revoked; make a new one with `devenv ops tokens new --user bob`",
    );
    assert.equal((await devenv(['ops', 'tokens', 'new', '--user', 'bob'])).exitCode, 0);
    assert.notEqual(await tokenOf('bob'), bobsOldToken);
    assert.equal((await devenv(['queue', 'leave', '--user', 'bob'])).exitCode, 0, 'the new token works');
  });

  it('takes a repository only from the CLI of the person who registered it', async () => {
    const claim = JSON.stringify({ train: 'code', commit: 'b'.repeat(40), repo: '/etc' });
    const joined = await send('POST', '/api/queue/join', { ...json, ...bearer(await tokenOf('bob')) }, claim);
    assert.equal(joined.status, 403, joined.body);
    assert.match(JSON.parse(joined.body).error, /\/etc is not a repository bob's devenv registered/);
    const another = await send(
      'POST',
      '/api/queue/join',
      { ...json, ...bearer(await tokenOf('bob')) },
      JSON.stringify({ train: 'code', commit: 'b'.repeat(40), repo }),
    );
    assert.equal(another.status, 403, "ada's registered repository is not bob's");
  });

  it('two people: the history shows who started a deploy, whatever the request claimed', async () => {
    const queue = (await (await fetch(`${service}/api/queue`)).json()) as {
      groups: { entries: { id: number; user: string; commit: string }[] }[];
    };
    const head = queue.groups[0]!;
    assert.deepEqual(
      head.entries.map((e) => e.user),
      ['ada'],
    );
    const start = (token: string, claimed: string) =>
      send(
        'POST',
        '/api/deploys',
        { ...json, ...bearer(token) },
        JSON.stringify({
          stage: 'princess',
          train: 'code',
          driver: { kind: 'cli', user: claimed, uncommitted: [] },
          commit: head.entries[0]!.commit,
          previousCommit: null,
          entryIds: [head.entries[0]!.id],
          changes: '',
          diffStat: '',
          pid: process.pid,
        }),
      );
    const asBob = await start(await tokenOf('bob'), 'ada');
    assert.equal(asBob.status, 409, 'bob is not at the head, whatever he claims');
    assert.match(JSON.parse(asBob.body).error, /bob.*not in the queue|not at the head/);
    const asAda = await start(await tokenOf('ada'), 'mallory');
    assert.equal(asAda.status, 201, asAda.body);
    const deploy = JSON.parse(asAda.body) as { id: number; driver: string };
    assert.equal(deploy.driver, 'ada');
    const finished = await send(
      'POST',
      `/api/deploys/${deploy.id}/finish`,
      { ...json, ...bearer(await tokenOf('ada')) },
      JSON.stringify({ state: 'failed', error: 'a test deploy' }),
    );
    assert.equal(finished.status, 200, finished.body);
    const history = JSON.parse((await devenv(['deploy', 'history', '--json'])).stdout) as {
      id: number;
      driver: string;
    }[];
    assert.equal(history.find((d) => d.id === deploy.id)?.driver, 'ada');
  });

  it('in Chromium: a page of another origin cannot press or hold; the deploy page works once logged in', async () => {
    const evil: Server = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><title>cute cats</title><body>
<form id="f" method="POST" action="${service}/api/queue/hold" enctype="text/plain"><input name='{"reason":"pwned","x":"' value='"}'></form>
<script>
  const attempts = [
    fetch('${service}/api/press', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ stage: 'prod' }) }),
    fetch('${service}/api/press', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stage: 'prod' }) }),
    fetch('${service}/api/queue/leave', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }),
  ];
  Promise.allSettled(attempts).then(() => { document.title = 'tried'; document.getElementById('f').submit(); });
</script></body>`);
    });
    evil.listen(0, '127.0.0.1');
    await once(evil, 'listening');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const tab = await browser.newPage();
      // Logged in to the deploy page first: the attack has a session to ride on, if it could.
      const link = await devenv(['ops', 'login', '--user', 'bob', '--json']);
      assert.equal(link.exitCode, 0, link.all);
      await tab.goto((JSON.parse(link.stdout) as { url: string }).url);
      await tab.locator('#who').filter({ hasText: 'You are bob.' }).waitFor();
      // The page reads the queue after the session: the buttons follow within a refresh or two.
      await tab.locator('#press-princess:enabled').waitFor({ timeout: 10_000 });
      assert.equal(
        await tab.locator('#press-princess').isEnabled(),
        true,
        'logged in, with ada at the head: the buttons work',
      );
      const usedAgain = await fetch((JSON.parse(link.stdout) as { url: string }).url, { redirect: 'manual' });
      assert.equal(usedAgain.status, 401, 'a login link works once');

      const before = await snapshot();
      await tab.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await tab.waitForURL(`${service}/api/queue/hold`, { timeout: 15_000 });
      assert.match((await tab.content()) ?? '', /not this service's|Content-Type/);
      assert.equal(await snapshot(), before, 'nothing pressed, held or left');

      const stranger = await browser.newPage();
      await stranger.goto(`${service}/`);
      await stranger.locator('#who').filter({ hasText: 'Not logged in' }).waitFor();
      assert.equal(
        await stranger.locator('#press-princess').isEnabled(),
        false,
        'without a session the buttons stay off',
      );
    } finally {
      await browser.close();
      evil.close();
    }
  });
});
