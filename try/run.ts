// devenv try: the diff of your working copy against trunk, applied to a clean
// checkout of trunk, type-checked and tested in a container of the build
// environment (the web image's toolchain). Your repository is only read; each try
// has its own checkout and container, so several can run at once.
import { randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { web } from '../roles/web.ts';
import { dockerClient, labelKeys } from '../stacks/docker-client.ts';
import { imageRepository } from '../stacks/naming.ts';
import { imageBuild, imageHashes } from '../stacks/render.ts';
import { UserError } from '../lib/errors.ts';
import { paths, projectRoot, type Context } from '../lib/paths.ts';
import { consoleReporter, type Phase } from '../lib/report.ts';
import { ensurePrerequisites } from '../toolchain/prerequisites.ts';
import { resolveUser } from '../lib/user.ts';
import { startTryContainer, type TryContainer } from './container.ts';
import { checkoutWithDiff, findRepository, git, workingCopyDiff } from './patch.ts';
import {
  checks,
  containerName,
  depsVolumeName,
  fillDepsScript,
  mounts,
  tryId,
  verdict,
  type StepResult,
} from './plan.ts';

export interface TryOptions {
  /** where to find the repository @default process.cwd() */
  cwd: string;
  /** only what is staged in the index, instead of the whole working copy */
  staged: boolean;
  /** @default origin/main, else main */
  trunk?: string;
}

export interface TryResult {
  ok: boolean;
  id: string;
  repository: string;
  trunk: { ref: string; commit: string };
  base: string;
  staged: boolean;
  /** paths the diff touches */
  files: string[];
  image: string;
  steps: StepResult[];
  seconds: number;
  log: string;
}

/** What the try's phases leave for its verdict and its clean-up. */
interface TryState {
  steps: StepResult[];
  container?: TryContainer;
}

/** The web image's tag for this checkout of devenv, built when missing. */
async function buildEnvironment(ctx: Context): Promise<string> {
  const hashes = await imageHashes(projectRoot, [web]);
  const imageName = `${imageRepository(web.image.name)}:${hashes[web.image.name]}`;
  const { ensureImage } = await import('../stacks/providers/image.ts');
  await ensureImage({
    imageName,
    ...imageBuild(projectRoot, web.image),
    buildArgs: {},
    labels: [{ label: labelKeys.managed, value: 'true' }],
    logDir: paths.logs(ctx),
  });
  return imageName;
}

/** Output as it comes: every byte to the log, every whole line to the phase's output. */
function tee(log: NodeJS.WritableStream, phase: Phase): { write: (text: string) => void; end: () => void } {
  let partial = '';
  return {
    write(text) {
      log.write(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) phase.output(line);
    },
    end() {
      if (partial) phase.output(partial);
      partial = '';
    },
  };
}

// HOME in /tmp: npm writes its cache and logs there, and the image's user owns no home.
const npmEnv = { HOME: '/tmp', npm_config_update_notifier: 'false' };

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export async function tryDiff(ctx: Context, options: TryOptions): Promise<TryResult> {
  const started = performance.now();
  const repo = await findRepository(git, options.cwd, options.trunk);
  const diff = await workingCopyDiff(git, repo, options.staged);
  const { user } = await resolveUser(undefined);
  const id = tryId(new Date(), randomInt(2 ** 32));
  const checkoutDir = join(ctx.home, 'try', id);
  const logPath = join(paths.logs(ctx), `try-${id}.log`);
  await mkdir(join(ctx.home, 'try'), { recursive: true });
  await mkdir(paths.logs(ctx), { recursive: true });

  const state: TryState = { steps: [] };
  const log = createWriteStream(logPath);
  let stop: (error: Error) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => (stop = reject));
  const onSignal = () =>
    stop(new UserError('try interrupted; its container and checkout were removed', `its log so far is ${logPath}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let image = '';
  try {
    const work = (async () => {
      log.write(
        `devenv try ${id}\nrepository ${repo.root}\ntrunk ${repo.trunk.ref} ${repo.trunk.commit}\nbase ${repo.base}\n${options.staged ? 'staged' : 'working copy'}: ${diff.files.length} files\n${diff.files.map((f) => `  ${f}\n`).join('')}`,
      );
      await checkoutWithDiff(git, repo, diff, checkoutDir);
      const lockfile = await readFile(join(checkoutDir, 'site', 'package-lock.json')).catch(() => {
        throw new UserError(
          `site/package-lock.json is missing in ${repo.trunk.ref} with your diff`,
          'commit a lockfile (npm install writes one)',
        );
      });
      // The checkout sees the dependency cache as its own node_modules.
      await rm(join(checkoutDir, 'site', 'node_modules'), { recursive: true, force: true });
      await symlink(`${mounts.deps}/node_modules`, join(checkoutDir, 'site', 'node_modules'));
      await ensurePrerequisites(ctx);
      const report = consoleReporter();
      image = await report.phase('Build environment (the web image)', async (phase) => {
        const built = await buildEnvironment(ctx);
        phase.retitle(`Build environment: ${built}`);
        return built;
      });
      // A failed install ends the try (its checks are skipped) but is a verdict, not an error.
      const installed = await report.phase('Dependencies of the site (npm ci, cached per lockfile)', async (phase) => {
        const since = performance.now();
        const volume = depsVolumeName(lockfile);
        state.container = await startTryContainer(dockerClient(), {
          name: containerName(user, id),
          image,
          checkoutDir,
          depsVolume: volume,
        });
        const quiet = (text: string) => log.write(text);
        const cached =
          (await state.container.exec(
            { command: ['test', '-d', `${mounts.deps}/node_modules`], workingDir: '/' },
            quiet,
          )) === 0;
        if (cached) {
          state.steps.push({ name: 'deps', status: 'pass', seconds: seconds(since), cached: true });
          phase.retitle(`Dependencies: cached in ${volume}`);
          return true;
        }
        log.write(`\n== deps: npm ci into ${volume}\n`);
        const output = tee(log, phase);
        const exitCode = await state.container.exec(
          { command: ['sh', '-c', fillDepsScript(id)], user: 'root', workingDir: '/', env: npmEnv },
          output.write,
        );
        output.end();
        const status = exitCode === 0 ? 'pass' : 'fail';
        state.steps.push({ name: 'deps', status, seconds: seconds(since), cached: false, exitCode });
        log.write(`== deps: ${status} (exit ${exitCode})\n`);
        if (status === 'fail') {
          phase.fail(`installing the site's dependencies failed (exit ${exitCode})`);
          return false;
        }
        phase.retitle(`Dependencies: installed into ${volume} (${seconds(since)} s)`);
        return true;
      });
      // Every check runs, whatever the one before it found: the verdict lists them all.
      for (const check of checks) {
        const title = `${check.name}: ${check.command.join(' ')}`;
        if (!installed) {
          report.skip(title, 'the dependencies did not install');
          continue;
        }
        await report.phase(title, async (phase) => {
          const since = performance.now();
          log.write(`\n== ${check.name}: ${check.command.join(' ')}\n`);
          const output = tee(log, phase);
          const exitCode = await state.container!.exec(
            { command: [...check.command], workingDir: `${mounts.checkout}/site`, env: npmEnv },
            output.write,
          );
          output.end();
          const status = exitCode === 0 ? 'pass' : 'fail';
          state.steps.push({ name: check.name, status, seconds: seconds(since), exitCode });
          log.write(`== ${check.name}: ${status} (exit ${exitCode}, ${seconds(since)} s)\n`);
          if (status === 'fail') phase.fail(`${check.name} failed (exit ${exitCode}, ${seconds(since)} s)`);
          else phase.retitle(`${check.name}: pass (${seconds(since)} s)`);
        });
      }
    })();
    work.catch(() => {}); // when interrupted, whatever the work still throws is moot
    await Promise.race([work, interrupted]);
  } catch (error) {
    log.end(`\nerror: ${(error as Error).message}\n`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await state.container?.remove();
    await rm(checkoutDir, { recursive: true, force: true });
  }

  const ran = new Set(state.steps.map((step) => step.name));
  const steps: StepResult[] = [
    ...state.steps,
    ...checks
      .filter((check) => !ran.has(check.name))
      .map((check): StepResult => ({ name: check.name, status: 'skipped', seconds: 0 })),
  ];
  const ok = verdict(steps);
  const result: TryResult = {
    ok,
    id,
    repository: repo.root,
    trunk: repo.trunk,
    base: repo.base,
    staged: options.staged,
    files: diff.files,
    image,
    steps,
    seconds: seconds(started),
    log: logPath,
  };
  await new Promise<void>((resolve) => log.end(`\n${ok ? 'PASS' : 'FAIL'} in ${result.seconds} s\n`, resolve));
  return result;
}
