// The Quick start on a fresh clone: nothing but the committed files, in a folder
// other users cannot enter (mode 0700, like a clone under root's home), with an
// empty devenv home. `bin/devenv up` must work there as it does in a checkout that
// tests, earlier runs or the developer's own habits have filled; and once that
// clone is gone, another checkout takes its stack down.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.ts';
import { devenvBin } from '../support/devenv-cli.ts';
import { fetchText, labelled, removeLabelled, throwawayHome } from '../support/engines.ts';

interface UpResult {
  stack: string;
  urls: Record<string, string>;
}

describe('the Quick start on a fresh clone', { timeout: 30 * 60_000 }, () => {
  let folder: string;
  let clone: string;
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  const devenv = (args: string[]) =>
    execa(join(clone, 'bin', 'devenv'), args, {
      cwd: clone,
      env: { DEVENV_HOME: home.home },
      reject: false,
      all: true,
    });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'devenv-fresh-clone-'));
    clone = join(folder, 'devenv');
    await execa('git', ['clone', '--quiet', '--no-local', projectRoot, clone]);
    home = await throwawayHome();
  });
  after(async () => {
    await removeLabelled('dev-newcomer');
    await home.remove();
    await rm(folder, { recursive: true, force: true });
  });

  it('starts from nothing but the committed files, where other users cannot enter', async () => {
    assert.equal((await stat(folder)).mode & 0o077, 0, 'the folder is closed to others');
    for (const made of ['node_modules', 'site/node_modules', 'test-artifacts', '.tools'])
      assert.equal(existsSync(join(clone, made)), false, `${made} is not in a fresh clone`);
  });

  it('bin/devenv up brings up the stack; its site and team page answer; status agrees', async () => {
    const up = await devenv(['up', '--user', 'newcomer', '--json']);
    assert.equal(up.exitCode, 0, up.all);
    const result = JSON.parse(up.stdout) as UpResult;
    assert.equal(result.stack, 'dev-newcomer');
    const site = result.urls['proxy.http']!;
    assert.match(await fetchText(site), /class="price"/);
    const team = await fetchText(`${site}team`);
    const photos = [...team.matchAll(/<img class="photo" src="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(photos.length > 0, 'the team page shows photos');
    const photo = await fetch(new URL(photos[0]!, site));
    assert.equal(photo.status, 200);
    assert.match(photo.headers.get('content-type') ?? '', /^image\//);
    const status = await devenv(['status', '--user', 'newcomer', '--json']);
    assert.equal(status.exitCode, 0, status.all);
  });

  it('once the clone is gone, another checkout takes its stack down and leaves nothing of it', async () => {
    await rm(folder, { recursive: true, force: true });
    const down = await execa(devenvBin, ['down', '--user', 'newcomer', '--purge-data'], {
      env: { DEVENV_HOME: home.home },
      reject: false,
      all: true,
    });
    assert.equal(down.exitCode, 0, down.all);
    assert.deepEqual(await labelled('dev-newcomer'), { containers: [], networks: [], volumes: [] });
  });
});
