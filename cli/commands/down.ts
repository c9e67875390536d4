// devenv down: stops the developer's stack. Data volumes are kept for the next
// `up` unless --purge-data.
import { devStackName } from '../../stacks/tiers.ts';
import { changeCount } from '../../stacks/engine.ts';
import { describeEvent, openEnvironment } from '../environment.ts';
import { runTasks } from '../progress.ts';
import { ensurePrerequisites } from '../toolchain/prerequisites.ts';
import { resolveUser } from '../user.ts';
import { forgetConverged } from '../fast-path.ts';
import { devenvHome } from '../paths.ts';
import { dockerClient, labelKeys, removeIfPresent } from '../../stacks/docker-client.ts';

export interface DownOptions {
  user?: string;
  purgeData?: boolean;
}

export interface DownResult {
  stack: string;
  removed: number;
  keptVolumes: string[];
}

export async function down(options: DownOptions): Promise<DownResult> {
  const { user } = await resolveUser(options.user);
  await ensurePrerequisites();
  const stackName = devStackName(user);
  await forgetConverged(devenvHome(), stackName);
  const result: DownResult = { stack: stackName, removed: 0, keptVolumes: [] };
  await runTasks(
    [
      {
        title: `Taking down ${stackName}${options.purgeData ? ' and its data' : ''}`,
        task: async (_, task) => {
          const { stack, rendered } = await openEnvironment(stackName, user);
          if (!options.purgeData) {
            // Forget the data volumes so destroy leaves them; the next `up` adopts them, data and all.
            const kept = new Set(rendered.volumes.filter((v) => v.data).map((v) => v.name));
            const deployment = await stack.exportStack();
            const resources = (deployment.deployment.resources ?? []) as { urn: string }[];
            const forgotten = resources.filter((r) => kept.has(r.urn.split('::').pop() ?? ''));
            if (forgotten.length > 0) {
              deployment.deployment.resources = resources.filter((r) => !forgotten.includes(r));
              await stack.importStack(deployment);
              result.keptVolumes = forgotten.map((r) => r.urn.split('::').pop() ?? '');
            }
          }
          const destroyed = await stack.destroy({
            color: 'never',
            onEvent: (event) => {
              const line = describeEvent(event);
              if (line) task.output = line;
            },
          });
          result.removed = changeCount(destroyed.summary.resourceChanges);
          if (options.purgeData) {
            // Volumes kept by an earlier `down` are no longer in the state: find them by label.
            const docker = dockerClient();
            const { Volumes } = await docker.listVolumes({ filters: { label: [`${labelKeys.stack}=${stackName}`] } });
            for (const volume of Volumes ?? []) await removeIfPresent(() => docker.getVolume(volume.Name).remove());
          }
        },
      },
    ],
    {},
  );
  return result;
}

export function downText(result: DownResult): string {
  const kept = result.keptVolumes.length > 0 ? `\nkept data volumes: ${result.keptVolumes.join(', ')} (remove with --purge-data)` : '';
  return `${result.stack} is down (${result.removed} resource${result.removed === 1 ? '' : 's'} removed)${kept}`;
}
