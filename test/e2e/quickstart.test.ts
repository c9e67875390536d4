// The README's quick start as a new user runs it: `bin/devenv up` on an empty
// devenv home ends with the site answering on 127.0.0.1; status, a second up and
// down behave as the README says.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../cli/paths.ts';
import { fetchText, labelled, removeLabelled, throwawayHome } from '../support/engines.ts';

const devenv = join(projectRoot, 'bin', 'devenv');

describe('quick start: bin/devenv up', { timeout: 15 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let stack = '';
  // A new user: empty devenv home, and a git identity of their own (the default user).
  const user = `newhire${process.pid}`;
  const run = (args: string[]) =>
    execa(devenv, args, {
      env: { DEVENV_HOME: home.home, GIT_CONFIG_GLOBAL: join(home.home, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1' },
      reject: false,
      all: true,
    });

  before(async () => {
    home = await throwawayHome();
    await writeFile(join(home.home, 'gitconfig'), `[user]\n\temail = ${user}@example.com\n`);
  });
  after(async () => {
    if (stack) await removeLabelled(stack);
    await home.remove();
  });

  it('brings up the developer stack and prints a URL that answers', async () => {
    const up = await run(['up']);
    assert.equal(up.exitCode, 0, up.all);
    const match = /^(dev-[a-z0-9-]+) is up/m.exec(up.stdout);
    assert.ok(match, up.stdout);
    stack = match[1]!;
    assert.equal(stack, `dev-${user}`, "the user comes from git's user.email");
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.stdout)?.[0];
    assert.ok(url, up.stdout);
    assert.match(await fetchText(url), /devenv shop/);
  });

  it('status --json says every container is running and healthy', async () => {
    const status = await run(['status', '--json']);
    assert.equal(status.exitCode, 0, status.all);
    const result = JSON.parse(status.stdout) as { healthy: boolean; containers: { role: string; state: string; health: string }[] };
    assert.equal(result.healthy, true);
    assert.deepEqual(result.containers.map((c) => [c.role, c.state]), [['web', 'running']]);
  });

  it('a second up changes nothing', async () => {
    const again = await run(['up', '--json']);
    assert.equal(again.exitCode, 0, again.all);
    assert.equal((JSON.parse(again.stdout) as { changes: number }).changes, 0);
  });

  it('the engine runs Pulumi.yaml itself (bin/pulumi) and agrees nothing changed', async () => {
    const preview = await execa(join(projectRoot, 'bin', 'pulumi'), ['preview', '-s', stack, '--json'], {
      env: { DEVENV_HOME: home.home },
      reject: false,
    });
    assert.equal(preview.exitCode, 0, preview.stderr);
    const summary = (JSON.parse(preview.stdout) as { changeSummary: Record<string, number> }).changeSummary;
    assert.deepEqual(Object.keys(summary), ['same'], JSON.stringify(summary));
  });

  it('down removes everything labelled with the stack', async () => {
    const down = await run(['down']);
    assert.equal(down.exitCode, 0, down.all);
    assert.deepEqual(await labelled(stack), { containers: [], networks: [], volumes: [] });
  });
});
