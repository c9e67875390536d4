// devenv onboard: a new hire's first day, ending in their first deploy. Their
// photo goes on the team page: validated and processed, committed on a branch,
// tested locally and with try, landed on trunk, queued, deployed to princess
// (checked), then prod (checked), and graphed. Every step says why the practice
// exists. Progress is kept in the devenv home: run it again after an
// interruption and it goes on where it stopped, never adding a second entry or
// deploying twice.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { execa } from 'execa';
import { UserError } from '../../lib/errors.ts';
import { git, repositoryOf, uncommittedFiles } from '../../lib/git.ts';
import { opsClient, type OpsClient } from '../../deploy/client.ts';
import type { Context } from '../../lib/paths.ts';
import { consoleReporter } from '../../lib/report.ts';
import { resolveUser } from '../../lib/user.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase, type FixedStack } from '../../stacks/tiers.ts';
import { proxy } from '../../roles/proxy.ts';
import { escapeHtml } from '../../site/html.ts';
import { processPhoto } from '../../onboard/photo.ts';
import { addMember, hasMember, photoFileName, teamPhotoFiles, validateName } from '../../onboard/team-entry.ts';
import { writeFileAtomic } from '../../lib/files.ts';
import { waitFor } from '../../lib/wait.ts';

export interface OnboardOptions {
  name?: string;
  photo?: string;
  role?: string;
  user?: string;
  /** no questions: fail on anything missing instead of asking */
  yes: boolean;
  cwd: string;
  /** seconds to watch prod after the deploy */
  watchSeconds: number;
}

type StepId =
  | 'doctor'
  | 'up'
  | 'change'
  | 'tests'
  | 'try'
  | 'queue'
  | 'princess'
  | 'check-princess'
  | 'prod'
  | 'check-prod'
  | 'graph';

interface StepDone {
  seconds: number;
  outcome: string;
}

/** What survives an interruption: `<home>/onboard/<user>.json`. */
interface Progress {
  user: string;
  name: string;
  role: string;
  photoFile: string;
  /** sha256 of the processed photo: the bytes princess and prod must serve */
  photoSha256: string;
  branch: string;
  commit?: string;
  done: Partial<Record<StepId, StepDone>>;
}

export interface OnboardResult {
  user: string;
  name: string;
  commit: string;
  photo: { file: string; sha256: string };
  steps: { id: StepId; title: string; seconds: number; outcome: string; resumed: boolean }[];
  seconds: number;
  urls: { princess: string; prod: string };
  graph?: string;
  next: string[];
}

interface Step {
  id: StepId;
  title: string;
  /** two lines on why the team works this way */
  why: [string, string];
  run: (say: (line: string) => void) => Promise<string>;
}

const trunk = 'main';

/** A fixed stack's team page, at its proxy's published port. */
function teamPage(stack: 'princess' | 'prod'): string {
  return `http://127.0.0.1:${hostPort(fixedPortBase(stack), proxy.publish.http!)}/team`;
}
const princessTeam = teamPage('princess');
const prodTeam = teamPage('prod');

/** The stacks the day deploys through, in the order they come up (the queue first). */
const dayStacks: FixedStack[] = ['ops', 'princess', 'prod'];

/** Which of the day's stacks do not serve on this machine now: the deploy service must answer, the others be healthy. */
async function stacksNotUp(): Promise<FixedStack[]> {
  const { status } = await import('../../stacks/status.ts');
  const { opsUrl } = await import('../../deploy/client.ts');
  const serves = async (stack: FixedStack) =>
    stack === 'ops'
      ? (await fetch(`${opsUrl()}/healthz`, { signal: AbortSignal.timeout(5000) })).ok
      : (await status({ stack })).healthy;
  // No Docker engine yet, or no service answering: not up.
  const up = await Promise.all(dayStacks.map((stack) => serves(stack).catch(() => false)));
  return dayStacks.filter((_, index) => !up[index]);
}

/**
 * The day needs the deploy service, princess and prod: the ones not up are
 * brought up at the first step, with the new hire's say-so (a question on a
 * terminal, --yes otherwise), so that nothing is committed before the road is there.
 */
async function agreeToBringUp(options: OnboardOptions, interactive: boolean): Promise<FixedStack[]> {
  const missing = await stacksNotUp();
  if (missing.length === 0 || options.yes) return missing;
  const list = missing.join(', ');
  const [is, them] = missing.length === 1 ? ['is', 'it'] : ['are', 'them'];
  const byHand = missing.map((stack) => `\`devenv ${stack} up\``).join(', ');
  if (!interactive)
    throw new UserError(
      `${list} ${is} not up on this machine, and onboarding deploys through ${them}`,
      `run devenv onboard with --yes to bring ${them} up, or ${byHand} first`,
    );
  const answer = await askOnTerminal(
    `${list} ${is} not up on this machine; your first deploy goes through ${them}. Bring ${them} up now (a few minutes)? [Y/n] `,
  );
  if (/^n/i.test(answer))
    throw new UserError(`onboarding needs ${list}`, `bring ${them} up with ${byHand}, then run devenv onboard again`);
  return missing;
}

const progressFile = (ctx: Context, user: string) => join(ctx.home, 'onboard', `${user}.json`);

async function readProgress(ctx: Context, user: string): Promise<Progress | undefined> {
  const text = await readFile(progressFile(ctx, user), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as Progress);
}

async function saveProgress(ctx: Context, progress: Progress): Promise<void> {
  await writeFileAtomic(progressFile(ctx, progress.user), JSON.stringify(progress, null, 2) + '\n');
}

async function askOnTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await terminal.question(question)).trim();
  } finally {
    terminal.close();
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Everything that can be refused is refused before anything changes: the
 * name, the photo, a name already on the team page, a dirty working copy.
 */
async function checkBeforeStarting(
  ctx: Context,
  options: OnboardOptions,
): Promise<{ progress: Progress; photo: Buffer; repo: string; bringUp: FixedStack[] }> {
  const { user } = await resolveUser(options.user);
  const repo = await repositoryOf(options.cwd);
  const saved = await readProgress(ctx, user);
  const interactive = !options.yes && process.stdin.isTTY === true;
  const rawName =
    options.name ??
    saved?.name ??
    (interactive ? await askOnTerminal('Your full name, as the team page shows it: ') : undefined);
  if (rawName === undefined)
    throw new UserError(
      '--name is missing',
      'give your full name: devenv onboard --name "Ada Lovelace" --photo me.jpg',
    );
  const photoPath =
    options.photo ?? (interactive ? await askOnTerminal('A photo of you (JPEG, PNG or WebP): ') : undefined);
  if (photoPath === undefined && !saved?.done.change)
    throw new UserError('--photo is missing', 'give a photo of you: devenv onboard --name "..." --photo me.jpg');
  const name = validateName(rawName);
  if (saved && saved.name !== name) {
    throw new UserError(
      `${user} is already onboarding as "${saved.name}"`,
      `run devenv onboard --name "${saved.name}" to finish, or remove ${progressFile(ctx, user)} to start over`,
    );
  }
  const photo = photoPath === undefined ? Buffer.alloc(0) : (await processPhoto(photoPath)).bytes;
  const team = await readFile(join(repo, 'site', 'team', 'team.yaml'), 'utf8').catch(() => '');
  if (!saved?.done.change) {
    if (hasMember(team, name))
      throw new UserError(`"${name}" is already on the team page`, 'pick the name you go by, or ask who added it');
    const dirty = await uncommittedFiles(repo);
    if (dirty.length > 0)
      throw new UserError(
        `your working copy has uncommitted changes (${dirty.slice(0, 3).join(', ')})`,
        'commit or stash them first: onboarding makes its own commit',
      );
  }
  const progress: Progress = saved ?? {
    user,
    name,
    role: options.role ?? 'New engineer',
    photoFile: photoFileName(name, teamPhotoFiles(team)),
    photoSha256: sha256(photo),
    branch: `onboard/${user}`,
    done: {},
  };
  if (saved && photoPath !== undefined && !saved.done.change) progress.photoSha256 = sha256(photo);
  const bringUp = await agreeToBringUp(options, interactive);
  return { progress, photo, repo, bringUp };
}

/** The team page of a stack serves the name (escaped) and the photo's exact bytes. */
async function checkTeamPage(url: string, progress: Progress): Promise<string> {
  const page = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  if (!page.includes(escapeHtml(progress.name))) throw new Error(`${url} does not show ${progress.name} yet`);
  const photoUrl = new URL(`/team/photos/${encodeURIComponent(progress.photoFile)}`, url);
  const served = Buffer.from(await (await fetch(photoUrl, { signal: AbortSignal.timeout(10_000) })).arrayBuffer());
  if (sha256(served) !== progress.photoSha256)
    throw new Error(`${photoUrl} serves other bytes than the processed photo`);
  return `${url} shows ${progress.name} with the photo (${served.length} bytes, identical)`;
}

/** Succeeded deploys of the commit to a stage: at most one is ever made by onboarding. */
async function deployedTo(ops: OpsClient, stage: 'princess' | 'prod', commit: string): Promise<boolean> {
  return (await ops.history(200)).some((d) => d.stage === stage && d.commit === commit && d.state === 'succeeded');
}

/** Waits for the head of the queue: others ahead deploy first. */
async function waitForTurn(ops: OpsClient, user: string, say: (line: string) => void): Promise<void> {
  await waitFor(
    async () => {
      const queue = await ops.queue();
      const position = queue.groups.findIndex((g) => g.entries.some((e) => e.user === user));
      if (position < 0)
        throw new UserError(`${user} is not in the queue any more`, 'run devenv onboard again: it joins again');
      if (position === 0 && !queue.running && !queue.hold) return true;
      say(
        queue.hold
          ? `the queue is held by ${queue.hold.by}: ${queue.hold.reason}`
          : position > 0
            ? `group ${position + 1} in the queue: waiting for the ones ahead`
            : 'waiting for the running deploy to finish',
      );
      return undefined;
    },
    {
      intervalMs: 3000,
      timeoutMs: 30 * 60_000,
      timedOut: () =>
        new UserError(
          'waited 30 minutes for a turn in the queue',
          'run devenv onboard again later: it goes on from here',
        ),
    },
  );
}

function steps(
  ctx: Context,
  options: OnboardOptions,
  progress: Progress,
  photo: Buffer,
  repo: string,
  bringUp: FixedStack[],
  result: { graph?: string },
): Step[] {
  const commit = () => progress.commit!;
  const ops = opsClient(ctx);
  /** A deploy of the commit to a stage, unless one already succeeded: onboarding never deploys twice. */
  const deployOnce = async (
    stage: 'princess' | 'prod',
    watchSeconds: number,
    say: (line: string) => void,
  ): Promise<string> => {
    if (await deployedTo(ops, stage, commit())) return `already on ${stage}`;
    await waitForTurn(ops, progress.user, say);
    const { deploy } = await import('../../deploy/ship.ts');
    const shipped = await deploy(ctx, {
      to: stage,
      train: 'code',
      driver: 'cli',
      user: progress.user,
      watchSeconds,
      cwd: repo,
    });
    return `deploy #${shipped.stages[0]!.deploy.id} to ${stage} succeeded`;
  };
  return [
    {
      id: 'doctor',
      title: 'Check the machine and the road to prod (devenv doctor)',
      why: [
        'Every engine comes onto the machine the same way, from the project itself,',
        'so your first hour is spent on the product, not on setup.',
      ],
      run: async (say) => {
        const { ensurePrerequisites } = await import('../../toolchain/prerequisites.ts');
        const setup = await ensurePrerequisites(ctx);
        const { upStack } = await import('../../stacks/up.ts');
        for (const stack of bringUp) {
          say(`bringing up ${stack} (devenv ${stack} up)`);
          await upStack(ctx, { stack, beforeEngine: () => ensurePrerequisites(ctx) });
        }
        const machine =
          setup.done.length === 0
            ? 'Node.js, Docker, Pulumi and the base image are in place'
            : `set up: ${setup.done.join('; ')}`;
        return bringUp.length === 0
          ? `${machine}; ${dayStacks.join(', ')} are up`
          : `${machine}; brought up ${bringUp.join(', ')}`;
      },
    },
    {
      id: 'up',
      title: 'Bring up your own production stack (devenv up)',
      why: [
        'Your environment is production in miniature: the same roles, images and config,',
        'so what works for you works in prod (parity is checked, not hoped for).',
      ],
      run: async () => {
        const [{ upStack }, { ensurePrerequisites }] = await Promise.all([
          import('../../stacks/up.ts'),
          import('../../toolchain/prerequisites.ts'),
        ]);
        const stack = await upStack(ctx, { user: progress.user, beforeEngine: () => ensurePrerequisites(ctx) });
        return `${stack.stack} is up: ${stack.urls['proxy.http']}`;
      },
    },
    {
      id: 'change',
      title: 'Add yourself to the team page, on a branch',
      why: [
        'Small changes, committed often, are what makes deploying many times a day safe;',
        'your first one is your own photo, processed and stripped of metadata.',
      ],
      run: async (say) => {
        const branches = (await git(repo, ['branch', '--list', progress.branch])).trim();
        if (branches === '') await git(repo, ['checkout', '--quiet', '-b', progress.branch]);
        else await git(repo, ['checkout', '--quiet', progress.branch]);
        const teamFile = join(repo, 'site', 'team', 'team.yaml');
        const team = await readFile(teamFile, 'utf8').catch(() => '');
        if (!hasMember(team, progress.name)) {
          await mkdir(join(repo, 'site', 'team', 'photos'), { recursive: true });
          await writeFile(join(repo, 'site', 'team', 'photos', progress.photoFile), photo);
          await writeFile(
            teamFile,
            addMember(team, { name: progress.name, role: progress.role, photo: progress.photoFile }),
          );
          await git(repo, ['add', 'site/team/team.yaml', `site/team/photos/${progress.photoFile}`]);
          await git(repo, ['commit', '--quiet', '-m', `Add ${progress.name} to the team page`]);
        }
        progress.commit = (await git(repo, ['rev-parse', 'HEAD'])).trim();
        say(`photo ${progress.photoFile} (${photo.length} bytes, sha256 ${progress.photoSha256.slice(0, 12)})`);
        return `commit ${commit().slice(0, 10)} on ${progress.branch}`;
      },
    },
    {
      id: 'tests',
      title: "Run the site's tests locally",
      why: [
        'Tests run where you work, in seconds, before anyone else sees the change;',
        'a red test on your machine costs you a minute, in prod it costs everyone.',
      ],
      run: async (say) => {
        const site = join(repo, 'site');
        const env = { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH}` };
        if (!existsSync(join(site, 'node_modules'))) {
          say('installing the site dependencies (npm ci)');
          await execa('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: site, env });
        }
        // The site's own test command (package.json's "test"): node expands the glob.
        const run = await execa(process.execPath, ['--test', 'test/**/*.test.ts'], {
          cwd: site,
          env,
          reject: false,
          all: true,
        });
        const summary = /ℹ pass (\d+)[\s\S]*ℹ fail (\d+)/.exec(run.all ?? '');
        if (run.exitCode !== 0)
          throw new Error(
            `the site's tests failed (${summary?.[2] ?? '?'} failing):\n${(run.all ?? '')
              .split('\n')
              .filter((l) => /✖|not ok/.test(l))
              .slice(0, 5)
              .join('\n')}`,
          );
        return `${summary?.[1] ?? 'all'} tests pass`;
      },
    },
    {
      id: 'try',
      title: 'Try the change against trunk in the build environment (devenv try)',
      why: [
        'try runs your diff against trunk in the same build environment CI uses,',
        'so you land only what is known to pass, and trunk stays deployable.',
      ],
      run: async (say) => {
        const { tryDiff } = await import('../../try/run.ts');
        const tried = await tryDiff(ctx, { cwd: repo, staged: false, trunk });
        say(`log: ${tried.log}`);
        if (!tried.ok)
          throw new Error(
            `try failed: ${tried.steps
              .filter((s) => s.status !== 'pass')
              .map((s) => s.name)
              .join(', ')} (log: ${tried.log})`,
          );
        return `${tried.steps.map((s) => `${s.name} ${s.status}`).join(', ')} (${tried.seconds.toFixed(0)} s)`;
      },
    },
    {
      id: 'queue',
      title: 'Land on trunk and join the deploy queue',
      why: [
        'Deploys go through one queue in two trains, config and code: one group at a time,',
        'so every deploy is small, watched, and owned by the people who wrote it.',
      ],
      run: async () => {
        const head = (await git(repo, ['rev-parse', trunk])).trim();
        if (head !== commit()) {
          await git(repo, ['checkout', '--quiet', trunk]);
          await git(repo, ['merge', '--quiet', '--ff-only', progress.branch]).catch(() => {
            throw new UserError(
              `${trunk} has moved on since your branch`,
              `rebase ${progress.branch} onto ${trunk} and run devenv onboard again`,
            );
          });
        }
        const { join: joinQueue } = await import('../../deploy/queue-actions.ts');
        const joined = await joinQueue(ctx, { user: progress.user, train: 'code', cwd: repo });
        return joined.done;
      },
    },
    {
      id: 'princess',
      title: 'Deploy to princess (press Princess)',
      why: [
        'Princess is staging on scrubbed production data: migrations and smoke tests',
        'meet real data there first, before any customer sees the change.',
      ],
      run: (say) => deployOnce('princess', 0, say),
    },
    {
      id: 'check-princess',
      title: "Check princess's team page",
      why: [
        'You look at what you shipped, every time: the deploy tool checks health,',
        'but only you know what your change should look like.',
      ],
      run: async () => checkTeamPage(princessTeam, progress),
    },
    {
      id: 'prod',
      title: 'Deploy to production (press Production)',
      why: [
        'Prod is rolled one replica at a time behind the proxy, each health-gated;',
        'a failed check or a worse error rate rolls back without anyone deciding to.',
      ],
      run: (say) => deployOnce('prod', options.watchSeconds, say),
    },
    {
      id: 'check-prod',
      title: "Check prod's team page",
      why: [
        'Your photo is live: you have been through the whole release process,',
        'which is the heart of how this team works, on your first day.',
      ],
      run: async () => checkTeamPage(prodTeam, progress),
    },
    {
      id: 'graph',
      title: 'See your deploy on the graphs',
      why: [
        'After a deploy you watch: if it moves, we graph it, and deploys are the lines',
        'on every graph, so a change in the numbers points at the deploy that made it.',
      ],
      run: async () => {
        const { saveGraph } = await import('../../stacks/graphite.ts');
        const graph = await saveGraph(ctx, { metrics: ['requests', 'errors'], stack: 'prod', from: '-30min' });
        result.graph = graph.path;
        return `graph of prod with your deploy: ${graph.path}`;
      },
    },
  ];
}

export async function onboard(ctx: Context, options: OnboardOptions): Promise<OnboardResult> {
  const started = performance.now();
  const { progress, photo, repo, bringUp } = await checkBeforeStarting(ctx, options);
  // A stack that went down since an earlier run is brought up again: the first step runs anew.
  if (bringUp.length > 0) delete progress.done.doctor;
  await saveProgress(ctx, progress);
  const result: { graph?: string } = {};
  const list = steps(ctx, options, progress, photo, repo, bringUp, result);
  const report: OnboardResult['steps'] = [];
  const reporter = consoleReporter();
  for (const [index, step] of list.entries()) {
    const title = `${index + 1}/${list.length} ${step.title}`;
    const done = progress.done[step.id];
    if (done) {
      report.push({ id: step.id, title: step.title, seconds: done.seconds, outcome: done.outcome, resumed: true });
      reporter.skip(title, `done before: ${done.outcome}`);
      continue;
    }
    await reporter.phase(title, async (phase) => {
      phase.output(`why: ${step.why[0]} ${step.why[1]}`);
      const stepStarted = performance.now();
      const outcome = await step.run((line) => phase.output(line));
      const seconds = Math.round((performance.now() - stepStarted) / 100) / 10;
      progress.done[step.id] = { seconds, outcome };
      await saveProgress(ctx, progress);
      report.push({ id: step.id, title: step.title, seconds, outcome, resumed: false });
    });
  }
  return {
    user: progress.user,
    name: progress.name,
    commit: progress.commit!,
    photo: { file: progress.photoFile, sha256: progress.photoSha256 },
    steps: report,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    urls: { princess: princessTeam, prod: prodTeam },
    ...(result.graph && { graph: result.graph }),
    next: [
      'docs/onboarding.md: what each step taught, and where to read more',
      'README.md: every devenv command; `devenv flags` to ship code dark',
      `the deploy page: ${(await import('../../deploy/client.ts')).opsUrl()}/`,
    ],
  };
}

export function onboardText(result: OnboardResult): string {
  const width = Math.max(...result.steps.map((s) => s.title.length));
  return [
    `Welcome, ${result.name}: you are on the team page in prod (${result.urls.prod}).`,
    '',
    ...result.steps.map(
      (s) =>
        `  ${s.title.padEnd(width)}  ${s.resumed ? ' (earlier)' : `${s.seconds.toFixed(1).padStart(6)} s`}  ${s.outcome}`,
    ),
    '',
    `  total ${result.seconds.toFixed(1)} s${result.graph ? `; your deploy on prod's graph: ${result.graph}` : ''}`,
    '',
    'Read next:',
    ...result.next.map((line) => `  - ${line}`),
  ].join('\n');
}
