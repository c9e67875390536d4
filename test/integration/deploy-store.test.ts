// The deploy service's store and HTTP service against a throwaway PostgreSQL of
// the db image (no stack around it): the lock's SQL (one running deploy, whatever
// asks at once), people's credentials, and the service's rules in process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as listenOnce, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { openStore, Refused, type Store } from '../../deploy/store.ts';
import { newSecret, secretHash } from '../../deploy/auth.ts';
import { createDeployService } from '../../ops/service.ts';
import { contextHash } from '../../stacks/context-hash.ts';
import { imageBuild } from '../../stacks/render.ts';
import { imageRepository } from '../../stacks/naming.ts';
import { db } from '../../roles/db.ts';
import { projectRoot } from '../../lib/paths.ts';
import { waitFor } from '../../lib/wait.ts';
import { throwawayHome } from '../support/engines.ts';

const container = `devenv-itest-store-${process.pid}`;
const commit = (digit: string) => digit.repeat(40);

async function freePort(): Promise<number> {
  const server = listenOnce().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the deploy service's store and service on a real PostgreSQL", { timeout: 10 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let store: Store;
  let service: Server;
  let url: string;

  before(async () => {
    home = await throwawayHome();
    const image = `${imageRepository('db')}:${await contextHash(imageBuild(projectRoot, db.image))}`;
    // Built as `up` builds it, when no stack has yet.
    if ((await execa('docker', ['image', 'inspect', image], { reject: false })).exitCode !== 0)
      await execa('docker', ['build', '-q', '-t', image, join(projectRoot, 'images', 'db')]);
    await execa('docker', [
      'run',
      '-d',
      '--rm',
      '--name',
      container,
      '-e',
      'POSTGRES_USER=deploys',
      '-e',
      'POSTGRES_PASSWORD=deploys',
      '-e',
      'POSTGRES_DB=deploys',
      '-p',
      '127.0.0.1::5432',
      image,
    ]);
    const published = (await execa('docker', ['port', container, '5432/tcp'])).stdout.split('\n')[0]!.trim();
    store = await waitFor(() => openStore(`postgres://deploys:deploys@${published}/deploys`).catch(() => undefined), {
      intervalMs: 500,
      timeoutMs: 60_000,
      timedOut: () => new Error(`PostgreSQL in ${container} did not answer at ${published}`),
    });
    const port = await freePort();
    service = await createDeployService({ store, port, root: projectRoot, home: home.home });
    service.listen(port, '127.0.0.1');
    await new Promise((resolve) => service.once('listening', resolve));
    url = `http://127.0.0.1:${port}`;
  });
  /** A deploy of the head group (ada's commit), driven by ada's CLI in process `pid`. */
  const adasDeploy = async (stage: 'princess' | 'prod', pid: number) =>
    store.startDeploy({
      ask: { stage, train: 'code', driver: { kind: 'cli', user: 'ada', uncommitted: [] } },
      by: 'ada',
      commit: commit('a'),
      previousCommit: null,
      entryIds: (await store.state()).entries.map((e) => e.id),
      changes: '',
      diffStat: '',
      // prod on a fleet of two, princess on this machine's engine
      hosts: stage === 'prod' ? ['host-1', 'host-2'] : [],
      pid,
    });

  after(async () => {
    await new Promise((resolve) => (service ? service.close(resolve) : resolve(undefined)));
    await store?.close();
    await execa('docker', ['rm', '-f', container], { reject: false });
    await home.remove();
  });

  it('lets one deploy run at a time: of two started at once for the head group, one runs and one is refused', async () => {
    await store.join('ada', 'code', commit('a'), '/repo/ada');
    const start = async () => adasDeploy('princess', process.pid);
    const outcomes = await Promise.allSettled([start(), start()]);
    const started = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(started.length, 1);
    assert.equal(refused.length, 1);
    assert.ok(refused[0]!.reason instanceof Refused, String(refused[0]!.reason));
    assert.match((refused[0]!.reason as Refused).message, /deploy #\d+ \(princess, ada\) is running/);
    const deploy = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof start>>>).value;
    assert.equal((await store.state()).running?.id, deploy.id);
    const finished = await store.finishDeploy(deploy.id, 'succeeded', null);
    assert.equal(finished.state, 'succeeded');
    assert.equal((await store.state()).running, null, 'the lock is free again');
    await assert.rejects(store.finishDeploy(deploy.id, 'failed', null), /already finished/);
  });

  it("frees the lock of a deploy whose driver's process is gone", async () => {
    const driver = execa('true');
    const pid = driver.pid!;
    await driver; // a process that ran and ended: its pid is gone
    const deploy = await adasDeploy('prod', pid);
    assert.deepEqual((await store.deploy(deploy.id))?.hosts, ['host-1', 'host-2'], 'the history names its hosts');
    const state = await store.state();
    assert.equal(state.running, null, 'read back, a deploy with no driver holds nothing');
    assert.equal((await store.deploy(deploy.id))?.state, 'failed');
    assert.match((await store.deploy(deploy.id))?.error ?? '', /driver \(pid \d+\) is gone/);
  });

  it('keeps credentials as hashes: unknown, revoked and expired are told apart; a login code works once', async () => {
    const token = newSecret();
    await store.addCredential('bob', 'cli', secretHash(token));
    assert.deepEqual(await store.identify(secretHash(token)), { user: 'bob', kind: 'cli' });
    assert.equal(await store.identify(secretHash(newSecret())), 'unknown');
    const code = newSecret();
    await store.addCredential('bob', 'login', secretHash(code));
    assert.equal(await store.identify(secretHash(code)), 'unknown', 'a login code is not a credential to act with');
    assert.equal(await store.consumeLogin(secretHash(code)), 'bob');
    assert.equal(await store.consumeLogin(secretHash(code)), undefined, 'once');
    assert.ok((await store.revoke('bob')) >= 1);
    assert.equal(await store.identify(secretHash(token)), 'revoked');
    assert.deepEqual(
      (await store.tokens()).map((t) => [t.user, t.revokedAt !== null]),
      [['bob', true]],
    );
  });

  it('serves its rules in process: JSON from its own origin and a credential, the person from the credential', async () => {
    const adminKey = (await readFile(join(home.home, 'ops', 'admin.key'), 'utf8')).trim();
    const cy = newSecret();
    const register = await fetch(`${url}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ user: 'cy', hash: secretHash(cy) }),
    });
    assert.equal(register.status, 201, await register.text());
    const hold = (headers: Record<string, string>) =>
      fetch(`${url}/api/queue/hold`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ by: 'mallory', reason: 'freeze' }),
      });
    assert.equal((await hold({ 'content-type': 'text/plain', authorization: `Bearer ${cy}` })).status, 403);
    assert.equal((await hold({ 'content-type': 'application/json' })).status, 401);
    assert.equal(
      (await hold({ 'content-type': 'application/json', authorization: `Bearer ${cy}`, origin: 'http://evil.example' }))
        .status,
      403,
    );
    const held = await hold({ 'content-type': 'application/json', authorization: `Bearer ${cy}` });
    assert.equal(held.status, 200);
    assert.equal(((await held.json()) as { hold: { by: string } }).hold.by, 'cy');
    assert.equal((await store.state()).hold?.by, 'cy');
  });
});
