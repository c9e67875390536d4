// Day one, end to end and non-interactive, on a machine with no ops, princess or
// prod stack: bad names and photos are refused before anything changes (nothing
// brought up either); `onboard --yes` brings up the deploy service, princess and
// prod itself, and a photo with GPS EXIF in it goes all the way to prod, which
// serves exactly the processed bytes, with no metadata, under an escaped name;
// killed mid-deploy and run again, onboarding finishes with one team entry and
// one deploy per stage.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { parse } from 'yaml';
import { fetchText, labelled, removeLabelled, throwawayHome } from '../support/engines.ts';
import { devenvBin } from '../support/devenv-cli.ts';
import { exifGpsTags, makeTestPhoto, metadataIn } from '../support/photo.ts';
import { processPhoto } from '../../onboard/photo.ts';
import { projectRoot } from '../../lib/paths.ts';
import { opsPage, prod } from '../support/fixed-stacks.ts';

const prodSite = prod.site;
const name = 'Grace <script>alert(1)</script> Hopper';

interface Deploy {
  stage: string;
  commit: string;
  state: string;
}

describe('devenv onboard', { timeout: 40 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let repo: string;
  let photo: string;
  const devenv = (args: string[]) =>
    execa(devenvBin, args, { cwd: repo, env: { DEVENV_HOME: home.home }, reject: false, all: true });
  const git = async (...args: string[]) => (await execa('git', args, { cwd: repo })).stdout.trim();
  const onboardArgs = (photoPath: string, who = name) => [
    'onboard',
    '--name',
    who,
    '--photo',
    photoPath,
    '--yes',
    '--watch',
    '5',
    '--user',
    'grace',
  ];

  before(async () => {
    home = await throwawayHome();
    repo = join(home.home, 'repo');
    await execa('git', ['clone', '--quiet', projectRoot, repo]);
    await git('config', 'user.email', 'grace@example.com');
    await git('config', 'user.name', 'Grace');
    photo = join(home.home, 'grace.jpg');
    await writeFile(photo, await makeTestPhoto({ width: 900, height: 700 }));
    // A machine where nobody brought up the road to prod: onboarding must.
    for (const stack of ['ops', 'prod', 'princess']) {
      await devenv([stack, 'down', '--purge-data']);
      await removeLabelled(stack);
    }
  });
  after(async () => {
    for (const stack of ['ops', 'prod', 'princess']) await devenv([stack, 'down', '--purge-data']).catch(() => {});
    await devenv(['down', '--user', 'grace', '--purge-data']).catch(() => {});
    for (const stack of ['ops', 'prod', 'princess', 'dev-grace']) await removeLabelled(stack);
    await home.remove();
  });

  it('refuses bad photos and names in one line, before committing or deploying anything', async () => {
    const head = await git('rev-parse', 'HEAD');
    const text = join(home.home, 'text.jpg');
    await writeFile(text, 'this is not a photo\n');
    const empty = join(home.home, 'empty.jpg');
    await writeFile(empty, '');
    const huge = join(home.home, 'huge.jpg');
    const file = await open(huge, 'w');
    await file.truncate(50 * 1024 * 1024);
    await file.close();
    const wide = join(home.home, 'wide.png');
    await writeFile(
      wide,
      await sharp({ create: { width: 20000, height: 300, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    );
    const someone = (parse(await readFile(join(repo, 'site', 'team', 'team.yaml'), 'utf8')) as { name: string }[])[0]!
      .name;

    const cases: [string[], RegExp][] = [
      [onboardArgs(text), /text\.jpg is not a JPEG, PNG or WebP image \(it looks like text\)/],
      [onboardArgs(empty), /empty/],
      [onboardArgs(huge), /50\.0 MB; the limit is 10 MB/],
      [onboardArgs(wide), /20000 x 300 px; the limit is 8000 px a side/],
      [onboardArgs(photo, '    '), /name/i],
      [onboardArgs(photo, 'x'.repeat(500)), /500 characters|100 characters/],
      [onboardArgs(photo, someone.toUpperCase()), /already on the team page/],
    ];
    for (const [args, message] of cases) {
      const refused = await devenv(args);
      assert.equal(refused.exitCode, 1, refused.all);
      assert.match(refused.stderr, message);
      assert.equal(refused.stderr.trim().split('\n').length, 1, `one line: ${refused.stderr}`);
    }
    assert.equal(await git('rev-parse', 'HEAD'), head, 'nothing committed');
    assert.equal(await git('branch', '--list', 'onboard/*'), '', 'no branch made');
    for (const stack of ['ops', 'prod', 'princess'])
      assert.deepEqual((await labelled(stack)).containers, [], `${stack} not brought up for a refused onboarding`);

    const withoutYes = await devenv(onboardArgs(photo).filter((arg) => arg !== '--yes'));
    assert.equal(withoutYes.exitCode, 1, withoutYes.all);
    assert.equal(
      withoutYes.stderr.trim(),
      'devenv: ops, princess, prod are not up on this machine, and onboarding deploys through them; run devenv onboard with --yes to bring them up, or `devenv ops up`, `devenv princess up`, `devenv prod up` first',
    );
    assert.equal(await git('rev-parse', 'HEAD'), head, 'nothing committed without the stacks');
  });

  it("takes the new hire's photo to prod; killed mid-deploy and run again, it ends with one entry and one deploy", async () => {
    assert.ok(
      exifGpsTags((await sharp(await readFile(photo)).metadata()).exif!).length > 0,
      'the test photo carries a GPS position',
    );
    const doomed = execa(devenvBin, onboardArgs(photo), {
      cwd: repo,
      env: { DEVENV_HOME: home.home },
      reject: false,
      all: true,
    });
    let exited = false;
    void doomed.finally(() => (exited = true));
    const deadline = Date.now() + 25 * 60_000;
    for (;;) {
      const running = ((await (
        await fetch(`${opsPage}api/deploys?limit=5`).catch(() => undefined)
      )
        ?.json()
        .catch(() => [])) ?? []) as { state: string }[];
      if (running.some((d) => d.state === 'running')) break;
      assert.ok(
        Date.now() < deadline && !exited,
        `onboarding reached a deploy: ${exited ? (await doomed).all : 'still before it'}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    doomed.kill('SIGKILL');
    const killed = await doomed;
    for (const stack of ['ops', 'princess', 'prod']) {
      assert.match(
        killed.all,
        new RegExp(`bringing up ${stack} \\(devenv ${stack} up\\)`),
        `the first run brought up ${stack}`,
      );
    }

    const again = await devenv([...onboardArgs(photo), '--json']);
    assert.equal(again.exitCode, 0, again.all);
    const summary = JSON.parse(again.stdout) as {
      commit: string;
      steps: { id: string; resumed: boolean; seconds: number; outcome: string }[];
      photo: { file: string };
    };
    assert.ok(
      summary.steps.some((s) => s.resumed),
      'the second run went on where the first stopped',
    );
    // A deploy killed mid-roll can leave a stack unhealthy: then the second run's first step
    // brings up what is not up (and only that); otherwise it is the first run's, resumed.
    const doctor = summary.steps.find((s) => s.id === 'doctor')!;
    assert.ok(doctor.resumed || /brought up (ops|princess|prod)/.test(doctor.outcome), doctor.outcome);
    console.log(
      `onboarding steps: ${summary.steps.map((s) => `${s.id} ${s.resumed ? '(earlier)' : `${s.seconds} s`}`).join(', ')}`,
    );

    const team = parse(await readFile(join(repo, 'site', 'team', 'team.yaml'), 'utf8')) as { name: string }[];
    assert.equal(team.filter((m) => m.name === name).length, 1, 'one team entry');
    assert.equal(
      (await git('log', '--oneline', '--fixed-strings', '--grep', `Add ${name}`)).split('\n').length,
      1,
      'one commit',
    );
    const deploys = JSON.parse((await devenv(['deploy', 'history', '--json'])).stdout) as Deploy[];
    for (const stage of ['princess', 'prod']) {
      assert.equal(
        deploys.filter((d) => d.stage === stage && d.commit === summary.commit && d.state === 'succeeded').length,
        1,
        `one ${stage} deploy`,
      );
    }

    const expected = (await processPhoto(await readFile(photo))).bytes;
    const served = Buffer.from(
      await (await fetch(`${prodSite}team/photos/${encodeURIComponent(summary.photo.file)}`)).arrayBuffer(),
    );
    assert.ok(served.equals(expected), 'prod serves the bytes the pipeline produced');
    assert.deepEqual(await metadataIn(served), [], 'no metadata left');
    const page = await fetchText(`${prodSite}team`);
    assert.ok(page.includes('Grace &lt;script&gt;alert(1)&lt;/script&gt; Hopper'), 'the name is shown escaped');
    assert.ok(!page.includes('<script>alert(1)'), 'never as markup');

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      let alerted = false;
      tab.on('dialog', (dialog) => {
        alerted = true;
        void dialog.dismiss();
      });
      await tab.goto(`${prodSite}team`);
      const img = tab.locator(`img.photo[src="/team/photos/${encodeURIComponent(summary.photo.file)}"]`);
      await img.waitFor();
      assert.equal(
        await img.evaluate((el) => (el as { naturalWidth: number }).naturalWidth),
        320,
        'the photo loads in the browser',
      );
      await tab.screenshot({ path: join(projectRoot, 'test-artifacts', 'team-page.png'), fullPage: true });
      assert.equal(alerted, false, 'the name ran no script');
    } finally {
      await browser.close();
    }
  });
});
