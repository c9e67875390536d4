// devenv up: the developer's own copy of the production stack, converged.
import { devStackName, type FixedStack } from '../../stacks/tiers.ts';
import { renderStack, urlsOf, withEnvOverrides } from '../../stacks/render.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import { fingerprint, observe, readConverged, unchanged } from '../../stacks/fast-path.ts';
import { devenvHome, projectRoot } from '../../lib/paths.ts';
import { interruptible } from '../../lib/interrupt.ts';
import { runTasks } from '../../lib/progress.ts';
import { ensurePrerequisites } from '../../toolchain/prerequisites.ts';
import { resolveUser } from '../../lib/user.ts';
import { UserError } from '../../lib/errors.ts';
import { loadPrincessSample, type SampleResult } from '../../data/princess-sample.ts';
import { recordedSources } from '../../stacks/releases.ts';

export interface UpOptions {
  user?: string;
  /** a fixed stack (prod, princess) instead of the user's dev stack */
  stack?: FixedStack;
  envOverrides?: Record<string, Record<string, string>>;
  /** fill the database with a sample of princess instead of the dev seed */
  princessSample?: { percent: number };
}

export interface UpResult {
  stack: string;
  /** resources created, updated, replaced or deleted; 0 when it was already converged */
  changes: number;
  urls: Record<string, string>;
  seconds: number;
  /** proved unchanged without running the Pulumi engine */
  fastPath: boolean;
  notices: string[];
  sample?: SampleResult;
}

/** The converged record matches the description and the engine: nothing to do. */
async function provedUnchanged(
  stack: string,
  envOverrides: UpOptions['envOverrides'],
): Promise<Record<string, string> | undefined> {
  const converged = await readConverged(devenvHome(), stack);
  if (!converged) return undefined;
  try {
    const rendered = withEnvOverrides(
      await renderStack(stack, projectRoot, converged.portBase, await recordedSources(stack)),
      envOverrides ?? {},
    );
    const [current, observed] = await Promise.all([
      fingerprint(rendered, projectRoot),
      observe(dockerClient(), devenvHome(), stack),
    ]);
    return unchanged(converged, { fingerprint: current, portBase: converged.portBase }, observed)
      ? urlsOf(rendered)
      : undefined;
  } catch {
    return undefined; // the engine or the description disagrees: the full path will say how
  }
}

export async function up(given: UpOptions): Promise<UpResult> {
  // A princess sample replaces the seed: the web must not seed what the sample fills.
  const options = given.princessSample
    ? { ...given, envOverrides: { ...given.envOverrides, web: { ...given.envOverrides?.web, SEED: 'none' } } }
    : given;
  const result = await converge(options);
  if (!options.princessSample) return result;
  const url = result.urls['db.postgres'];
  if (!url) throw new UserError(`${result.stack} publishes no database port to load the sample into`);
  const sample = await loadPrincessSample(url, options.princessSample.percent);
  return { ...result, sample };
}

async function converge(options: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const { user, normalisedFrom } = await resolveUser(options.user);
  const notices = normalisedFrom ? [`user "${normalisedFrom}" is "${user}" in stack and container names`] : [];
  const stackName = options.stack ?? devStackName(user);
  const seconds = () => (Date.now() - started) / 1000;

  const urls = await provedUnchanged(stackName, options.envOverrides);
  if (urls) return { stack: stackName, changes: 0, urls, seconds: seconds(), fastPath: true, notices };

  const context = { changes: 0, urls: {} as Record<string, string> };
  const upCommand = options.stack ? `devenv ${options.stack} up` : 'devenv up';
  await interruptible(
    { what: `bringing up ${stackName}`, next: `run \`${upCommand}\` again: it converges from where this one stopped` },
    async (signal) => {
      await ensurePrerequisites();
      // Loaded here: the Pulumi SDK takes a moment to load, and the fast path needs none of it.
      const { applyStack } = await import('../../stacks/environment.ts');
      await runTasks(
        [
          {
            title: `Bringing up ${stackName}`,
            task: async (_, task) => {
              const applied = await applyStack(
                stackName,
                user,
                { ...(options.envOverrides && { envOverrides: options.envOverrides }), signal },
                task,
                (line) => notices.push(line),
              );
              context.changes = applied.changes;
              context.urls = applied.urls;
            },
          },
        ],
        context,
      );
    },
  );
  return {
    stack: stackName,
    changes: context.changes,
    urls: context.urls,
    seconds: seconds(),
    fastPath: false,
    notices,
  };
}

export function upText(result: UpResult): string {
  const urls = Object.entries(result.urls).map(([name, url]) => `  ${name.padEnd(14)} ${url}`);
  const how = result.fastPath ? 'already converged' : `${result.changes} change${result.changes === 1 ? '' : 's'}`;
  const sample = result.sample
    ? [
        result.sample.alreadyLoaded
          ? 'the princess sample is already loaded'
          : `loaded ${result.sample.percent}% of princess: ${Object.entries(result.sample.rows)
              .map(([t, n]) => `${n} ${t}`)
              .join(', ')}`,
      ]
    : [];
  return [
    ...result.notices.map((line) => `note: ${line}`),
    `${result.stack} is up (${how}, ${result.seconds.toFixed(1)} s)`,
    ...urls,
    ...sample,
  ].join('\n');
}
