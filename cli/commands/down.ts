// devenv down: stops the developer's stack. Data volumes are kept for the next
// `up` unless --purge-data.
import { devStackName, type FixedStack } from '../../stacks/tiers.ts';
import { changeCount } from '../../stacks/engine.ts';
import { openEnvironment, showSteps } from '../../stacks/environment.ts';
import { consoleReporter } from '../../lib/report.ts';
import { ensurePrerequisites } from '../../toolchain/prerequisites.ts';
import { resolveUser } from '../../lib/user.ts';
import { forgetConverged } from '../../stacks/fast-path.ts';
import type { Context } from '../../lib/paths.ts';
import { dockerClient, labelKeys, removeIfPresent } from '../../stacks/docker-client.ts';

export interface DownOptions {
  user?: string;
  /** a fixed stack (prod, princess) instead of the user's dev stack */
  stack?: FixedStack;
  purgeData?: boolean;
}

export interface DownResult {
  stack: string;
  removed: number;
  keptVolumes: string[];
}

export async function down(ctx: Context, options: DownOptions): Promise<DownResult> {
  const { user } = await resolveUser(options.user);
  await ensurePrerequisites(ctx);
  const stackName = options.stack ?? devStackName(user);
  await forgetConverged(ctx.home, stackName);
  const result: DownResult = { stack: stackName, removed: 0, keptVolumes: [] };
  await consoleReporter().phase(
    `Taking down ${stackName}${options.purgeData ? ' and its data' : ''}`,
    async (phase) => {
      // Data volumes are retained by the program's policy; the next `up` adopts them, data and all.
      const { stack } = await openEnvironment(ctx, stackName, user);
      const destroyed = await stack.destroy({ color: 'never', onEvent: showSteps((line) => phase.output(line)) });
      result.removed = changeCount(destroyed.summary.resourceChanges);
      const docker = dockerClient();
      const { Volumes } = await docker.listVolumes({ filters: { label: [`${labelKeys.stack}=${stackName}`] } });
      const kept = (Volumes ?? []).map((v) => v.Name).sort();
      // Retained volumes are out of Pulumi's state by now: purging finds them by label.
      if (options.purgeData) for (const name of kept) await removeIfPresent(() => docker.getVolume(name).remove());
      else result.keptVolumes = kept;
    },
  );
  return result;
}

export function downText(result: DownResult): string {
  const kept =
    result.keptVolumes.length > 0
      ? `\nkept data volumes: ${result.keptVolumes.join(', ')} (remove with --purge-data)`
      : '';
  return `${result.stack} is down (${result.removed} resource${result.removed === 1 ? '' : 's'} removed)${kept}`;
}
