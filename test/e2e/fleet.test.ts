// Prod and princess on a fleet of three local hosts (`devenv hosts local 3`):
// each host a container with its own Docker engine and sshd, reached over SSH,
// images through the ops stack's registry. From nothing to converged, a code
// deploy rolled across the hosts under load, and a host lost mid-deploy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { fetchText } from '../support/engines.ts';
import { devenvBin } from '../support/devenv-cli.ts';
import { startLoad } from '../support/load.ts';
import { withFixedStacks, type FixedStacks } from '../support/fixed-stacks.ts';
import { dockerClient, execIn, labelKeys } from '../../stacks/docker-client.ts';
import { hostDocker } from '../../stacks/host-engine.ts';
import { localFleetNetwork, localHostSpec } from '../../hosts/local-fleet-plan.ts';
import { fleetHost } from '../../hosts/local-fleet-plan.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase } from '../../stacks/tiers.ts';
import { deployer } from '../../roles/deployer.ts';
import { proxy } from '../../roles/proxy.ts';
import { waitFor } from '../../lib/wait.ts';

const hosts = [1, 2, 3].map((index) => fleetHost(localHostSpec(index)));
// prod's edge and data host is host-1 in the default placement of a local fleet.
const prodSite = `http://${hosts[0]!.address}:${hostPort(fixedPortBase('prod'), proxy.publish.http!)}/`;

describe('prod and princess on a fleet of three hosts', { timeout: 40 * 60_000 }, () => {
  let stacks: FixedStacks;
  let repo: string;
  const devenv = (args: string[]) => stacks.devenv(args);

  /** Commits an edit of the footer: the release's marker, visible on every page. */
  const release = async (marker: string) => {
    const layout = join(repo, 'site', 'layout.ts');
    const text = (await readFile(layout, 'utf8')).replace(
      /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
      `<footer>Served by \${page.servedBy}. Release ${marker}.</footer>`,
    );
    await writeFile(layout, text);
    await stacks.git('commit', '-qam', `Release ${marker}`);
    return stacks.git('rev-parse', 'HEAD');
  };
  /** The release markers prod serves, over enough requests to reach every replica. */
  const markers = async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) seen.add(/Release (fleet-\d+)/.exec(await fetchText(prodSite))?.[1] ?? 'none');
    return [...seen].sort();
  };
  /** prod's containers on a host, by name, with the id and start time of each (a replaced one changes). */
  const containersOn = async (index: number) => {
    const docker = await hostDocker(stacks.home, hosts[index - 1]!);
    const listed = await docker.listContainers({ filters: { label: [`${labelKeys.stack}=prod`] } });
    return Object.fromEntries(
      await Promise.all(
        listed.map(async (c) => [
          c.Names[0]!.replace(/^\//, ''),
          `${c.Id}@${(await docker.getContainer(c.Id).inspect()).State.StartedAt}`,
        ]),
      ),
    );
  };
  const hostContainer = (index: number) => dockerClient().getContainer(localHostSpec(index).container);

  before(async () => {
    stacks = await withFixedStacks(['ops']);
    repo = stacks.repo;
    const made = await devenv(['hosts', 'local', '3']);
    assert.equal(made.exitCode, 0, made.all);
    for (const stack of ['prod', 'princess']) {
      const used = await devenv(['hosts', 'use', stack, '--local']);
      assert.equal(used.exitCode, 0, used.all);
    }
  });
  after(async () => {
    if (!stacks) return;
    await hostContainer(3)
      .start()
      .catch(() => {});
    for (const stack of ['prod', 'princess']) await devenv([stack, 'down', '--purge-data']);
    await devenv(['hosts', 'local', '--down']);
    await stacks.remove();
  });

  it('converges prod and princess on three hosts from nothing, through the registry; a second up changes nothing', async () => {
    const prod = await devenv(['prod', 'up', '--json']);
    assert.equal(prod.exitCode, 0, prod.all);
    assert.equal((JSON.parse(prod.stdout) as { urls: Record<string, string> }).urls['proxy.http'], prodSite);
    const princess = await devenv(['princess', 'up']);
    assert.equal(princess.exitCode, 0, princess.all);

    // One web replica on each host, each running its image by the registry's digest.
    for (const index of [1, 2, 3]) {
      const docker = await hostDocker(stacks.home, hosts[index - 1]!);
      const web = await docker.listContainers({
        filters: { label: [`${labelKeys.stack}=prod`, `${labelKeys.role}=web`] },
      });
      assert.equal(web.length, 1, `host-${index} runs one of prod's web replicas`);
      assert.match(web[0]!.Image, /^10\.213\.0\.1:\d+\/devenv\/web@sha256:[0-9a-f]{64}$/);
    }
    assert.match(await fetchText(prodSite), /Served by/);

    // prod's database password: made for prod, handed to its containers, a secret everywhere else.
    const pulumi = (args: string[]) =>
      execa(join(repo, 'bin', 'pulumi'), args, { cwd: repo, env: { DEVENV_HOME: stacks.home }, reject: false });
    const password = (await pulumi(['config', 'get', 'devenv:dbPassword', '-s', 'prod'])).stdout.trim();
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    const princessPassword = (await pulumi(['config', 'get', 'devenv:dbPassword', '-s', 'princess'])).stdout.trim();
    assert.notEqual(princessPassword, password, 'each tier has its own');
    const db = (await hostDocker(stacks.home, hosts[0]!)).getContainer('prod-db');
    assert.ok((await db.inspect()).Config.Env.includes(`POSTGRES_PASSWORD=${password}`));
    const inHome = await execa('grep', ['-rlF', '--', password, stacks.home], { reject: false });
    assert.equal(inHome.stdout, '', 'no file of the devenv home holds it in plain text (state, config, logs)');
    const inRepo = await execa('git', ['grep', '--untracked', '-lF', '--', password], { cwd: repo, reject: false });
    assert.equal(inRepo.stdout, '', 'nor the repository');
    assert.match(
      await readFile(join(stacks.home, 'workspace', 'Pulumi.prod.yaml'), 'utf8'),
      /devenv:dbPassword:\s+secure:/,
    );

    const again = await devenv(['prod', 'up', '--json']);
    assert.equal(again.exitCode, 0, again.all);
    assert.equal((JSON.parse(again.stdout) as { changes: number }).changes, 0, 'a second up changes nothing');
    const status = await devenv(['prod', 'status', '--json']);
    assert.equal(status.exitCode, 0, status.all);
    const rows = (JSON.parse(status.stdout) as { containers: { name: string; host?: string }[] }).containers;
    assert.deepEqual(
      rows.filter((c) => c.name.startsWith('prod-web')).map((c) => c.host),
      ['host-1', 'host-2', 'host-3'],
    );
    const parity = await devenv(['parity', '--user', 'ada']);
    assert.equal(parity.exitCode, 0, parity.all);
    assert.match(parity.stdout, /\(placement\)/);
  });

  it("the deploy service answers the fleet's hosts with a person's token only: an anonymous request changes nothing", async () => {
    assert.equal((await devenv(['queue', 'leave', '--user', 'ada'])).exitCode, 0, 'ada has a token');
    const token = (await readFile(join(stacks.home, 'ops', 'tokens', 'ada.token'), 'utf8')).trim();
    const service = `${localFleetNetwork.gateway}:${hostPort(fixedPortBase('ops'), deployer.publish.http!)}`;
    /** One HTTP request from inside host-1, with bash's /dev/tcp: the status line and the body. */
    const fromHost = async (method: string, path: string, headers: Record<string, string>, body = '') => {
      const request = [
        // HTTP/1.0: the answer comes whole, not in chunks, and the connection closes after it.
        `${method} ${path} HTTP/1.0`,
        `Host: ${service}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n');
      const [address, port] = service.split(':');
      const { code, stdout, stderr } = await execIn(hostContainer(1), [
        'bash',
        '-c',
        `exec 3<>/dev/tcp/${address}/${port} && printf '%s' "$0" >&3 && cat <&3`,
        request,
      ]);
      assert.equal(code, 0, stderr);
      return { status: Number(stdout.split(' ')[1]), body: stdout.slice(stdout.indexOf('\r\n\r\n') + 4) };
    };
    const held = async () =>
      (
        JSON.parse((await fromHost('GET', '/api/queue', { authorization: `Bearer ${token}` })).body) as {
          hold: unknown;
        }
      ).hold;
    // The service listens on the fleet's address once that bridge exists (made after the ops stack): waited for.
    await waitFor(
      async () =>
        (await fromHost('GET', '/healthz', {}).catch(() => ({ status: 0 }))).status === 200 ? true : undefined,
      {
        intervalMs: 1000,
        timeoutMs: 30_000,
        timedOut: () => new Error(`the deploy service never answered host-1 at ${service}`),
      },
    );
    const hold = JSON.stringify({ reason: 'from a host' });
    const json = { 'content-type': 'application/json' };
    assert.equal((await fromHost('GET', '/api/queue', {})).status, 401, 'off loopback even a read names its person');
    assert.equal((await fromHost('POST', '/api/queue/hold', json, hold)).status, 401);
    assert.equal(
      (await fromHost('POST', '/api/queue/hold', { ...json, authorization: 'Bearer not-a-token' }, hold)).status,
      401,
    );
    assert.equal((await fromHost('GET', '/api/tokens', {})).status, 403, 'no admin from a host');
    assert.equal(await held(), null, 'nothing changed');
    const byAda = await fromHost('POST', '/api/queue/hold', { ...json, authorization: `Bearer ${token}` }, hold);
    assert.equal(byAda.status, 200, byAda.body);
    assert.match(JSON.stringify(await held()), /"ada"/);
    const released = await fromHost('POST', '/api/queue/release', { ...json, authorization: `Bearer ${token}` }, '{}');
    assert.equal(released.status, 200, released.body);
  });

  it('rebuilds princess on host-2 from prod on host-1, through the scrubber, with nothing leaked', async () => {
    // The key pseudonyms are made with, as a team keeps it in its devenv home.
    await writeFile(join(stacks.home, 'scrub.key'), `${'5eed'.repeat(12)}\n`);
    const generated = await devenv(['prod', 'generate', '--members', '10000', '--seed', '3']);
    assert.equal(generated.exitCode, 0, generated.all);
    const rebuilt = await devenv(['princess', 'rebuild', '--json']);
    assert.equal(rebuilt.exitCode, 0, rebuilt.all);
    const result = JSON.parse(rebuilt.stdout) as { leaks: { hits: number }; tables: { table: string; rows: number }[] };
    assert.equal(result.leaks.hits, 0);
    assert.equal(result.tables.find((t) => t.table === 'members')?.rows, 10_000);
    const princessSite = `http://${hosts[1]!.address}:${hostPort(fixedPortBase('princess'), proxy.publish.http!)}/`;
    assert.match(await fetchText(princessSite), /class="price"/, 'princess serves the scrubbed copy');
  });

  it('rolls a code deploy across the three hosts under load, with no failed request at the edge', async () => {
    const commit = await release('fleet-1');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    const load = startLoad(prodSite, 40, { maxRequests: 40 * 400, maxSeconds: 400 });
    const deployed = await devenv(['deploy', '--user', 'ada', '--watch', '0', '--json']);
    const report = await load.stop();
    assert.equal(deployed.exitCode, 0, deployed.all);
    assert.equal((JSON.parse(deployed.stdout) as { commit: string }).commit, commit);
    assert.ok(report.sent > 500, `the load ran through the roll (${report.sent} requests)`);
    assert.equal(report.failed, 0, `failed requests: ${report.failures.join('; ')}`);
    assert.deepEqual(await markers(), ['fleet-1']);
    const history = JSON.parse((await devenv(['deploy', 'history', '--json'])).stdout) as {
      stage: string;
      hosts: string[];
    }[];
    assert.deepEqual(history.find((d) => d.stage === 'prod')?.hosts, ['host-1', 'host-2', 'host-3']);
    // Each replica was drained at the proxy before it was replaced.
    const { log } = JSON.parse(deployed.stdout) as { log: string };
    assert.equal((await readFile(log, 'utf8')).match(/drained at the proxy/g)?.length, 3);
  });

  it('a host lost mid-deploy is named, the others roll back, prod keeps serving; back, prod up converges', async () => {
    await release('fleet-2');
    assert.equal((await devenv(['queue', 'join', '--user', 'ada'])).exitCode, 0);
    const before = { host1: await containersOn(1), host2: await containersOn(2) };
    const logs = join(stacks.home, 'logs');
    const earlier = new Set(await readdir(logs));
    const load = startLoad(prodSite, 40, { maxRequests: 40 * 400, maxSeconds: 400 });
    const deploying = devenv(['deploy', '--user', 'ada', '--watch', '0']);
    // Host 3 dies once the roll has moved replica 1, before it reaches replica 3.
    await waitFor(
      async () => {
        const log = (await readdir(logs)).find((name) => name.startsWith('deploy-') && !earlier.has(name));
        const text = log ? await readFile(join(logs, log), 'utf8') : '';
        return /web replica 1 \(host-1\) of 3 runs/.test(text) || undefined;
      },
      { intervalMs: 200, timeoutMs: 300_000, timedOut: () => new Error('the roll never reached replica 2') },
    );
    await hostContainer(3).kill();
    const deployed = await deploying;
    const report = await load.stop();
    assert.equal(deployed.exitCode, 1, deployed.all);
    assert.match(deployed.stderr, /host host-3 \(ssh:\/\/deploy@10\.213\.0\.13\) was lost mid-deploy/);
    assert.match(deployed.stderr, /rolled back, prod runs what it ran before on every host but host-3/);
    assert.equal(report.failed, 0, `failed requests: ${report.failures.join('; ')}`);
    assert.deepEqual(await markers(), ['fleet-1'], 'prod serves the release it ran before, from hosts 1 and 2');

    // With host 3 away, prod up refuses before it changes anything on the others.
    const refused = await devenv(['prod', 'up']);
    assert.equal(refused.exitCode, 1, refused.all);
    assert.match(refused.stderr, /prod was not changed on any host: host host-3 .* is unreachable/);
    const unchanged = { host1: await containersOn(1), host2: await containersOn(2) };
    assert.deepEqual(unchanged.host2, before.host2, 'host-2 runs the containers it ran before the deploy');
    assert.equal(unchanged.host1['prod-db'], before.host1['prod-db'], 'the database was not touched');

    await hostContainer(3).start();
    await waitFor(async () => (await devenv(['hosts', 'check', 'host-3'])).exitCode === 0 || undefined, {
      intervalMs: 1000,
      timeoutMs: 60_000,
      timedOut: () => new Error('host-3 did not answer again within 60 s'),
    });
    const converged = await devenv(['prod', 'up']);
    assert.equal(converged.exitCode, 0, converged.all);
    const second = await devenv(['prod', 'up', '--json']);
    assert.equal((JSON.parse(second.stdout) as { changes: number }).changes, 0, second.all);
    assert.deepEqual(await markers(), ['fleet-1']);
    // Plain Pulumi agrees with devenv: the recorded release on the recorded fleet, nothing to do.
    const preview = await execa(join(repo, 'bin', 'pulumi'), ['preview', '-s', 'prod'], {
      cwd: repo,
      env: { DEVENV_HOME: stacks.home },
      reject: false,
    });
    assert.equal(preview.exitCode, 0, preview.stderr);
    assert.doesNotMatch(preview.stdout, /to (create|update|replace|delete)/);
  });

  it('prod up killed mid-way (devenv and its engine, at once) leaves nothing the next up cannot converge', async () => {
    const down = await devenv(['prod', 'down']);
    assert.equal(down.exitCode, 0, down.all);
    // Its own process group, so the kill takes the Pulumi engine and the providers too, as a crash would.
    const doomed = execa(devenvBin, ['prod', 'up'], {
      cwd: repo,
      env: { DEVENV_HOME: stacks.home },
      reject: false,
      all: true,
      detached: true,
    });
    let progress = '';
    doomed.all!.on('data', (chunk: Buffer) => (progress += chunk.toString()));
    await waitFor(async () => (/create\s+prod-web-\d/.test(progress) ? true : undefined), {
      intervalMs: 100,
      timeoutMs: 300_000,
      timedOut: () => new Error(`prod up never started a web replica:\n${progress}`),
    });
    process.kill(-doomed.pid!, 'SIGKILL');
    await doomed;
    const converged = await devenv(['prod', 'up']);
    assert.equal(converged.exitCode, 0, converged.all);
    const second = await devenv(['prod', 'up', '--json']);
    assert.equal((JSON.parse(second.stdout) as { changes: number }).changes, 0, second.all);
    assert.deepEqual(await markers(), ['fleet-1']);
  });
});
