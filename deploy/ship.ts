// devenv deploy: ships the group at the head of the queue. The code train builds
// the group's commit, brings princess onto it (migrations first, against
// production's data), smoke-tests it, then rolls prod one web replica at a time,
// each health-gated, and watches the error rate and latency. The config train
// ships only the flags file: princess, check, prod. Any failure rolls back to
// what ran before. Every step is written to the deploy service's history.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { awaitingGood, refusal, type DeployAsk, type Stage, type Train } from './queue.ts';
import type { DeployRecord, DeployState } from './store.ts';
import { renderStack, urlsOf, type RenderedStack, type StackSources } from '../stacks/render.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { lintFlags } from '../site/flags.ts';
import { UserError } from '../lib/errors.ts';
import { changesSince, fileAt, groupCommit, repositoryOf, uncommittedFiles } from '../lib/git.ts';
import { opsClient, type OpsClient, type QueueView } from './client.ts';
import { paths, projectRoot, type Context } from '../lib/paths.ts';
import { consoleReporter, type Phase } from '../lib/report.ts';
import { exportRelease, hostPaths, readRelease, recordedSources, recordRelease } from '../stacks/releases.ts';
import { ensurePrerequisites } from '../toolchain/prerequisites.ts';
import { resolveUser } from '../lib/user.ts';
import { openJournal, type Journal } from './journal.ts';
import {
  buildImages,
  currentFlags,
  distributeImages,
  drainAtProxy,
  type HostImages,
  rollBatches,
  runMigrations,
  runningImages,
  shipFlags,
  smokeTest,
  type Say,
} from './steps.ts';
import type { UnreachableHost } from '../stacks/host-engine.ts';
import { readFleet } from '../stacks/fleet-config.ts';
import type { Fleet, Host } from '../stacks/hosts.ts';
import type { StackSecrets } from '../stacks/secrets.ts';
import { defaultThresholds, parseThresholds, watchVerdict, windowStats } from './watch.ts';

import { markDeploy, saveGraph, sitePrefix } from '../stacks/graphite.ts';
import { sleep } from '../lib/wait.ts';

export interface DeployOptions {
  /** one stage only; default: princess, then prod */
  to?: Stage;
  train: Train;
  /** a developer at the CLI, or the page's buttons (which act for the head group) */
  driver: 'cli' | 'page';
  user?: string;
  /** how long to watch prod's error rate and latency after the roll */
  watchSeconds: number;
  /** web replicas replaced at once in prod's roll @default 1 */
  parallel?: number;
  /** prod goes without waiting for every rider's `.good` (a person at the CLI vouches for the group) */
  force?: boolean;
  cwd: string;
}

export interface StepTime {
  title: string;
  seconds: number;
}

export interface StageOutcome {
  stage: Stage;
  deploy: DeployRecord;
  steps: StepTime[];
}

export interface DeployResult {
  ok: boolean;
  train: Train;
  commit: string;
  users: string[];
  stages: StageOutcome[];
  /** the log of this run on this machine */
  log: string;
}

/** What a stage needs, prepared before it starts. */
interface Shipment {
  train: Train;
  repo: string;
  commit: string;
  entryIds: number[];
  users: string[];
  ask: Omit<DeployAsk, 'stage'>;
  /** config train: the flags file of the commit, already linted */
  flags?: string;
  watchSeconds: number;
  parallel: number;
  user: string;
}

const short = (commit: string) => commit.slice(0, 10);

async function shipmentOf(ops: OpsClient, options: DeployOptions): Promise<{ shipment: Shipment; queue: QueueView }> {
  const repo = await repositoryOf(options.cwd);
  const { user } = options.driver === 'page' ? { user: 'deployer' } : await resolveUser(options.user);
  const driver: DeployAsk['driver'] =
    options.driver === 'page' ? { kind: 'page' } : { kind: 'cli', user, uncommitted: await uncommittedFiles(repo) };
  const queue = await ops.queue();
  // The service applies the same rules when the deploy starts; asking first costs nothing.
  const refused = refusal(queue, { stage: options.to ?? 'princess', train: options.train, driver }, Date.now());
  if (refused) throw new UserError(refused);
  const head = queue.groups[0]!;
  const commit = await groupCommit(
    repo,
    head.entries.map((e) => e.commit),
  );
  const shipment: Shipment = {
    train: options.train,
    repo,
    commit,
    entryIds: head.entries.map((e) => e.id),
    users: head.entries.map((e) => e.user),
    ask: { train: options.train, driver, ...(options.force && { force: true }) },
    watchSeconds: options.watchSeconds,
    parallel: options.parallel ?? 1,
    user,
  };
  if (options.train === 'config') {
    const flags = await fileAt(repo, commit, 'site/flags.yaml').catch(() => {
      throw new UserError(`commit ${short(commit)} has no site/flags.yaml`, 'the config train ships that file');
    });
    const problems = lintFlags(flags);
    if (problems.length > 0) {
      const first = problems[0]!;
      throw new UserError(
        `site/flags.yaml at ${short(commit)} line ${first.line}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`,
        'run `devenv flags lint`, fix the file, commit, and join the queue again; nothing was deployed',
      );
    }
    shipment.flags = flags;
  }
  return { shipment, queue };
}

/** One step of a stage, shown as a phase and timed in the result. */
interface StageStep {
  title: string;
  run: (phase: Phase) => Promise<void>;
}

/** A stage's steps, and how to undo them once they have touched the stack. */
interface StagePlan {
  steps: StageStep[];
  /** true once the stack has been touched: a failure from then on rolls back */
  touched: () => boolean;
  rollback: () => Promise<void>;
  /** across a fleet: the hosts that do not answer now, each with why (a host lost mid-stage) */
  lostHosts?: () => Promise<UnreachableHost[]>;
}

/** The steps of one stage of the code train; each says what it does to the journal too. */
function codeStage(ctx: Context, stage: Stage, shipment: Shipment, say: Say, markLive: () => Promise<void>): StagePlan {
  const base = fixedPortBase(stage);
  const state = {
    root: '',
    rendered: undefined as RenderedStack | undefined,
    running: {} as Record<string, string>,
    urls: {} as Record<string, string>,
    replicas: 0,
    onHosts: undefined as HostImages | undefined,
    fleet: undefined as Fleet | undefined,
    secrets: undefined as StackSecrets | undefined,
    rolledAt: 0,
    startedAt: Date.now(),
    touched: false,
  };
  const sources = (extra: Partial<StackSources> = {}): StackSources => ({
    imageRoot: state.root,
    hostPaths: hostPaths(ctx),
    ...(state.fleet && { fleet: state.fleet }),
    ...(state.secrets && { secrets: state.secrets }),
    ...extra,
  });
  const apply = async (progress: (line: string) => void, extra: Partial<StackSources>) => {
    const { applyStack } = await import('../stacks/environment.ts');
    return applyStack(ctx, stage, shipment.user, { sources: sources(extra) }, progress);
  };
  const lostHosts = async () => {
    const hosts = state.rendered?.hosts ?? state.fleet?.hosts;
    return hosts ? (await import('../stacks/host-engine.ts')).unreachableHosts(hosts) : [];
  };
  const rollback = async () => {
    // A host lost mid-roll is left as it is; the others go back, and the proxy skips what does not answer.
    const lost = (await lostHosts()).map(({ host }) => host.name);
    say(
      lost.length > 0
        ? `rolling ${stage} back to the images it ran before, on every host but ${lost.join(', ')}`
        : `rolling ${stage} back to the images it ran before`,
    );
    const { applyStack } = await import('../stacks/environment.ts');
    await applyStack(
      ctx,
      stage,
      shipment.user,
      { sources: sources({ rolling: { running: state.running, replicasOnNew: 0 } }), leaveHosts: lost },
      () => {},
    );
    say(
      `${stage} runs what it ran before the deploy${lost.length > 0 ? ` (except on ${lost.join(', ')}, which did not answer)` : ''}`,
    );
  };
  const steps: StageStep[] = [
    {
      title: `Export ${short(shipment.commit)}`,
      run: async () => {
        state.root = await exportRelease(ctx, shipment.repo, shipment.commit);
        state.fleet = await readFleet(ctx, stage);
        // The migrations run with the web role's env, the database password in it.
        state.secrets = await (await import('../stacks/environment.ts')).readStackSecrets(ctx, stage);
        say(`release ${shipment.commit} in ${state.root}`);
      },
    },
    {
      title: 'Build images',
      run: async () => {
        const rendered = await renderStack(stage, projectRoot, base, sources());
        await buildImages(ctx, rendered, say);
        if (rendered.hosts) state.onHosts = await distributeImages(ctx, rendered, say);
        state.rendered = rendered;
        state.urls = urlsOf(rendered);
        state.replicas = rendered.containers.filter((c) => c.role === 'web').length;
      },
    },
    {
      title: `Migrations on ${stage}`,
      run: async () => {
        await runMigrations(state.rendered!, say, state.onHosts);
      },
    },
    {
      title: stage === 'prod' ? 'Roll prod, one web replica at a time' : 'Bring princess onto the release',
      run: async (phase) => {
        const rendered = state.rendered!;
        state.running = await runningImages(stage, rendered.hosts);
        state.touched = true;
        const progress = (line: string) => phase.output(line);
        if (stage === 'princess') {
          await apply(progress, {});
        } else {
          const { applySteps } = await import('../stacks/environment.ts');
          const batches = rollBatches(state.replicas, shipment.parallel);
          const steps = batches.map((batch) =>
            sources({ rolling: { running: state.running, replicasOnNew: batch.at(-1)! } }),
          );
          const web = rendered.containers.filter((c) => c.role === 'web');
          const named = (replicas: number[]) =>
            replicas
              .map((replica) => {
                const host = web.find((c) => c.replica === replica)?.host;
                return host ? `${replica} (${host.name})` : String(replica);
              })
              .join(', ');
          // Across a fleet the proxy balances a list of replicas: each is drained before it is replaced.
          const fleet = rendered.hosts !== undefined;
          await applySteps(ctx, stage, shipment.user, steps, {}, progress, {
            // A batch of every replica (one replica, or --parallel as many) has nothing to fail over to: not drained.
            ...(fleet && {
              before: async (index: number) =>
                batches[index]!.length < state.replicas
                  ? drainAtProxy(rendered, batches[index]!, say)
                  : say(`no other web replica to take the traffic: ${named(batches[index]!)} replaced undrained`),
              after: async (index: number) =>
                batches[index]!.length < state.replicas ? drainAtProxy(rendered, [], say) : undefined,
            }),
            done: (index) =>
              say(
                `web replica${batches[index]!.length > 1 ? 's' : ''} ${named(batches[index]!)} of ${state.replicas} run${batches[index]!.length > 1 ? '' : 's'} ${short(shipment.commit)} and ${batches[index]!.length > 1 ? 'are' : 'is'} healthy`,
              ),
          });
        }
        state.rolledAt = Date.now();
        await markLive();
        say(`${stage} runs ${short(shipment.commit)}`);
      },
    },
    {
      title: `Smoke tests on ${stage}`,
      run: async () => smokeTest(state.root, state.urls['proxy.http']!, state.replicas, say),
    },
    ...(stage === 'prod' && shipment.watchSeconds > 0
      ? [
          {
            title: `Watch prod for ${shipment.watchSeconds} s`,
            run: async (phase: Phase) => {
              const graphite = state.urls['graphite.http']!;
              // Graphite has a point every second, written a moment after statsd flushes.
              const until = state.rolledAt + shipment.watchSeconds * 1000;
              while (Date.now() < until + 4000) {
                phase.output(`${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s left`);
                await sleep(1000);
              }
              const thresholds = await readFile(join(state.root, 'site', 'watch.yaml'), 'utf8').then(
                parseThresholds,
                (error: NodeJS.ErrnoException) => {
                  if (error.code === 'ENOENT') return defaultThresholds;
                  throw error;
                },
              );
              const before = await windowStats(graphite, sitePrefix, state.startedAt - 5 * 60_000, state.startedAt);
              const after = await windowStats(graphite, sitePrefix, state.rolledAt, until);
              const verdict = watchVerdict(before, after, thresholds);
              say(
                `watch: ${after.requests} requests, ${after.errors} errors, p99 ${after.p99Ms?.toFixed(0) ?? '-'} ms after; ${before.requests} requests, ${before.errors} errors, p99 ${before.p99Ms?.toFixed(0) ?? '-'} ms before`,
              );
              const graph = await saveGraph(ctx, {
                metrics: ['requests', 'errors', 'latency.p99'],
                stack: stage,
                from: `-${Math.ceil((Date.now() - state.startedAt) / 60_000) + 5}min`,
              }).then(
                (saved) => saved.path,
                (error: Error) => `(no graph: ${error.message})`,
              );
              say(
                `watch verdict: ${verdict.regressed ? `REGRESSION: ${verdict.reasons.join('; ')}` : 'no regression'}; graph: ${graph}`,
              );
              if (verdict.regressed)
                throw new Error(`the watch saw a regression: ${verdict.reasons.join('; ')} (graph: ${graph})`);
            },
          },
        ]
      : []),
    {
      title: 'Record the release',
      run: async () => {
        const previous = await readRelease(ctx, stage);
        await recordRelease(ctx, stage, {
          commit: shipment.commit,
          repo: shipment.repo,
          ...(previous && { previous: { commit: previous.commit, repo: previous.repo } }),
        });
      },
    },
  ];
  return { steps, touched: () => state.touched, rollback, lostHosts };
}

function configStage(
  ctx: Context,
  stage: Stage,
  shipment: Shipment,
  say: Say,
  markLive: () => Promise<void>,
): StagePlan {
  const state = { before: '', touched: false, hosts: undefined as Host[] | undefined };
  const steps: StageStep[] = [
    {
      title: `Ship flags to ${stage}`,
      run: async () => {
        state.hosts = (await readFleet(ctx, stage))?.hosts;
        state.before = await currentFlags(stage, state.hosts);
        state.touched = true;
        await shipFlags(stage, shipment.flags!, say, state.hosts);
        await markLive();
      },
    },
    {
      title: `Smoke tests on ${stage}`,
      run: async () => {
        // The checks of the code the stack runs: its release's, else the checkout's.
        const sources = await recordedSources(ctx, stage);
        const rendered = await renderStack(stage, projectRoot, fixedPortBase(stage), sources);
        const replicas = rendered.containers.filter((c) => c.role === 'web').length;
        await smokeTest(sources.imageRoot ?? projectRoot, urlsOf(rendered)['proxy.http']!, replicas, say);
      },
    },
  ];
  const rollback = async () => {
    say(`putting ${stage}'s previous flags back`);
    await shipFlags(stage, state.before, say, state.hosts);
  };
  return { steps, touched: () => state.touched, rollback };
}

async function runStage(
  ctx: Context,
  ops: OpsClient,
  stage: Stage,
  shipment: Shipment,
  log: string,
): Promise<StageOutcome> {
  const previous = await readRelease(ctx, stage);
  const { changes, diffStat } = await changesSince(shipment.repo, previous?.commit ?? null, shipment.commit);
  // Sent past missing .goods: the log says whose, and who sent it.
  const forcedPast = stage === 'prod' && shipment.ask.force ? await missingGoods(ops, shipment) : [];
  const deploy = await ops.startDeploy(shipment.user, {
    stage,
    ...shipment.ask,
    commit: shipment.commit,
    previousCommit: previous?.commit ?? null,
    entryIds: shipment.entryIds,
    changes,
    diffStat,
    hosts: (await readFleet(ctx, stage))?.hosts.map((host) => host.name) ?? [],
    pid: process.pid,
  });
  const journal: Journal = openJournal(ops, shipment.user, deploy.id, log);
  const say: Say = (line) => journal.say(line);
  say(
    `deploy #${deploy.id}: ${shipment.train} train to ${stage}, ${short(shipment.commit)} for ${shipment.users.join(', ')}`,
  );
  if (forcedPast.length > 0) say(`sent without .good from ${forcedPast.join(', ')}: --force by ${shipment.user}`);
  const markLive = () =>
    markDeploy(ctx, stage, {
      stage,
      train: shipment.train,
      commit: shipment.commit,
      deployId: deploy.id,
      users: shipment.users,
    }).catch((error: Error) => say(`no deploy line on ${stage}'s graphs: ${error.message}`));
  const plan =
    shipment.train === 'code'
      ? codeStage(ctx, stage, shipment, say, markLive)
      : configStage(ctx, stage, shipment, say, markLive);
  const steps: StepTime[] = [];
  const report = consoleReporter();
  let finished: DeployRecord;
  try {
    for (const step of plan.steps) {
      const started = performance.now();
      say(`== ${step.title}`);
      await report.phase(step.title, step.run);
      steps.push({ title: step.title, seconds: Math.round((performance.now() - started) / 100) / 10 });
    }
    say(`deploy #${deploy.id} to ${stage} succeeded`);
    await journal.close();
    finished = await ops.finish(shipment.user, deploy.id, 'succeeded', null);
  } catch (error) {
    // An engine failure lists its failed resources a line each: all of them are the reason.
    const lines = (error as Error).message.split('\n').map((line) => line.trim());
    const lost = (await plan.lostHosts?.().catch(() => [])) ?? [];
    const reason =
      lost.length > 0
        ? lost.map(({ host, reason }) => `host ${host.name} (${host.docker}) was lost mid-deploy: ${reason}`).join('; ')
        : error instanceof UserError
          ? lines.filter(Boolean).join(' ')
          : lines[0]!;
    say(`FAILED: ${reason}`);
    let state: DeployState = 'failed';
    let rollbackNote = '';
    if (plan.touched()) {
      try {
        await plan.rollback();
        state = 'rolled-back';
        rollbackNote = `; rolled back, ${stage} runs what it ran before${lost.length > 0 ? ` on every host but ${lost.map(({ host }) => host.name).join(', ')}` : ''}`;
      } catch (rollbackError) {
        rollbackNote = `; the rollback failed too: ${(rollbackError as Error).message.split('\n')[0]}`;
        say(`ROLLBACK FAILED: ${(rollbackError as Error).message}`);
      }
    }
    await journal.close();
    // The service may be what failed: the deploy's own error below says what happened, and the
    // service frees a deploy whose driver stopped reporting within a minute.
    await ops.finish(shipment.user, deploy.id, state, reason + rollbackNote).catch(() => {});
    throw new UserError(`deploy #${deploy.id} to ${stage} failed: ${reason}${rollbackNote}`, `the log: ${log}`);
  }
  return { stage, deploy: finished, steps };
}

/** How long a deploy through both stages waits for the riders' `.good` once princess runs the release. */
const goodWaitMs = 30 * 60_000;

/**
 * Princess runs the release: each other rider checks their change there and
 * says `.good` (in #deploy, or `devenv queue good`) before prod goes. Waited for
 * here, saying once who is missing; at the end of the wait prod is left
 * undeployed, princess keeping the release, and the person told what to run.
 */
/** The riders prod still waits for, as the service sees the queue now. */
async function missingGoods(ops: OpsClient, shipment: Shipment): Promise<string[]> {
  const queue = await ops.queue();
  const head = queue.groups[0];
  return head ? awaitingGood(head, queue.goods ?? [], shipment.user) : [];
}

async function waitForGoods(ops: OpsClient, shipment: Shipment): Promise<void> {
  const report = consoleReporter();
  const missing = () => missingGoods(ops, shipment);
  let waitingFor = await missing();
  if (waitingFor.length === 0) return;
  await report.phase(
    `Waiting for .good from ${waitingFor.join(', ')} (in #deploy, or \`devenv queue good\`), up to ${goodWaitMs / 60_000} min`,
    async () => {
      const deadline = Date.now() + goodWaitMs;
      while (waitingFor.length > 0) {
        if (Date.now() >= deadline)
          throw new UserError(
            `prod did not go: ${waitingFor.join(', ')} did not say .good within ${goodWaitMs / 60_000} min; princess runs ${short(shipment.commit)}`,
            'once they have checked their change on princess, run `devenv deploy --to prod` (or send it anyway with --force)',
          );
        await sleep(2000);
        waitingFor = await missing();
      }
    },
  );
}

export async function deploy(ctx: Context, options: DeployOptions): Promise<DeployResult> {
  const ops = opsClient(ctx);
  const { shipment } = await shipmentOf(ops, options);
  await ensurePrerequisites(ctx);
  await mkdir(paths.logs(ctx), { recursive: true });
  const log = join(paths.logs(ctx), `deploy-${Date.now()}-${process.pid}.log`);
  const stages = options.to ? [options.to] : (['princess', 'prod'] as const);
  const outcomes: StageOutcome[] = [];
  for (const stage of stages) {
    // Through both stages, prod waits here for the other riders' .good (a lone `--to prod` is refused instead).
    if (stage === 'prod' && outcomes.length > 0 && !options.force) await waitForGoods(ops, shipment);
    outcomes.push(await runStage(ctx, ops, stage, shipment, log));
  }
  return { ok: true, train: shipment.train, commit: shipment.commit, users: shipment.users, stages: outcomes, log };
}

export async function deployHistory(ctx: Context, limit: number): Promise<DeployRecord[]> {
  return opsClient(ctx).history(limit);
}
