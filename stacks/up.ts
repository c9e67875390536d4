// Bringing a stack up: proved unchanged without the engine when it can be (the
// fast path), else converged by a Pulumi update, stopped cleanly by Ctrl-C.
import { devStackName, tierOfStack, type FixedStack } from './tiers.ts';
import { ensureRegistryFiles } from './registry-files.ts';
import { renderStack, urlsOf, withEnvOverrides } from './render.ts';
import { dockerClient } from './docker-client.ts';
import { fingerprint, observe, readConverged, unchanged } from './fast-path.ts';
import { recordedSources } from './releases.ts';
import { projectRoot, type Context } from '../lib/paths.ts';
import { interruptible } from '../lib/interrupt.ts';
import { consoleReporter, type Reporter } from '../lib/report.ts';
import { resolveUser } from '../lib/user.ts';

export interface UpStackOptions {
  user?: string;
  /** a fixed stack (prod, princess, ops) instead of the user's dev stack */
  stack?: FixedStack;
  envOverrides?: Record<string, Record<string, string>>;
  /**
   * What must be in place before the engine runs (the toolchain's prerequisites):
   * not asked when the fast path proves there is nothing to do.
   */
  beforeEngine: () => Promise<unknown>;
  report?: Reporter;
}

export interface UpStackResult {
  stack: string;
  /** resources created, updated, replaced or deleted; 0 when it was already converged */
  changes: number;
  urls: Record<string, string>;
  seconds: number;
  /** proved unchanged without running the Pulumi engine */
  fastPath: boolean;
  notices: string[];
}

/** The converged record matches the description and the engine: nothing to do. */
async function provedUnchanged(
  ctx: Context,
  stack: string,
  envOverrides: UpStackOptions['envOverrides'],
): Promise<Record<string, string> | undefined> {
  const converged = await readConverged(ctx.home, stack);
  if (!converged) return undefined;
  try {
    const rendered = withEnvOverrides(
      await renderStack(stack, projectRoot, converged.portBase, await recordedSources(ctx, stack)),
      envOverrides ?? {},
    );
    // The record is of this machine's engine; a fleet's hosts are asked by the engine's update.
    if (rendered.hosts) return undefined;
    const [current, observed] = await Promise.all([
      fingerprint(rendered, projectRoot),
      observe(dockerClient(), ctx.home, stack),
    ]);
    return unchanged(converged, { fingerprint: current, portBase: converged.portBase }, observed)
      ? urlsOf(rendered)
      : undefined;
  } catch {
    return undefined; // the engine or the description disagrees: the full path will say how
  }
}

export async function upStack(ctx: Context, options: UpStackOptions): Promise<UpStackResult> {
  const started = Date.now();
  const { user, normalisedFrom } = await resolveUser(options.user);
  const notices = normalisedFrom ? [`user "${normalisedFrom}" is "${user}" in stack and container names`] : [];
  const stackName = options.stack ?? devStackName(user);
  const seconds = () => (Date.now() - started) / 1000;
  const report = options.report ?? consoleReporter();

  // The ops stack's registry reads its CA, certificate and password from the home: made before it starts.
  if (tierOfStack(stackName).composition === 'ops') await ensureRegistryFiles(ctx.home);
  const urls = await provedUnchanged(ctx, stackName, options.envOverrides);
  if (urls) return { stack: stackName, changes: 0, urls, seconds: seconds(), fastPath: true, notices };

  const upCommand = options.stack ? `devenv ${options.stack} up` : 'devenv up';
  const applied = await interruptible(
    { what: `bringing up ${stackName}`, next: `run \`${upCommand}\` again: it converges from where this one stopped` },
    async (signal) => {
      await options.beforeEngine();
      // Loaded here: the Pulumi SDK takes a moment to load, and the fast path needs none of it.
      const { applyStack } = await import('./environment.ts');
      return report.phase(`Bringing up ${stackName}`, (phase) =>
        applyStack(
          ctx,
          stackName,
          user,
          { ...(options.envOverrides && { envOverrides: options.envOverrides }), signal },
          (line) => phase.output(line),
          (line) => notices.push(line),
        ),
      );
    },
  );
  return {
    stack: stackName,
    changes: applied.changes,
    urls: applied.urls,
    seconds: seconds(),
    fastPath: false,
    notices,
  };
}
