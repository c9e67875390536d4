// devenv up: the developer's own copy of the production stack, converged.
import { changeCount } from '../../stacks/engine.ts';
import { devStackName } from '../../stacks/tiers.ts';
import { describeEvent, openEnvironment } from '../environment.ts';
import { runTasks } from '../progress.ts';
import { ensurePrerequisites } from '../toolchain/prerequisites.ts';
import { resolveUser } from '../user.ts';

export interface UpOptions {
  user?: string;
  envOverrides?: Record<string, Record<string, string>>;
}

export interface UpResult {
  stack: string;
  /** resources created, updated, replaced or deleted; 0 when it was already converged */
  changes: number;
  urls: Record<string, string>;
  seconds: number;
  notices: string[];
}

export async function up(options: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const { user, normalisedFrom } = await resolveUser(options.user);
  const notices = normalisedFrom ? [`user "${normalisedFrom}" is "${user}" in stack and container names`] : [];
  await ensurePrerequisites();
  const stackName = devStackName(user);
  const context = { changes: 0, urls: {} as Record<string, string> };
  await runTasks(
    [
      {
        title: `Bringing up ${stackName}`,
        task: async (_, task) => {
          const { stack } = await openEnvironment(stackName, user, { ...(options.envOverrides && { envOverrides: options.envOverrides }) }, (line) => notices.push(line));
          const result = await stack.up({
            color: 'never',
            onEvent: (event) => {
              const line = describeEvent(event);
              if (line) task.output = line;
            },
          });
          context.changes = changeCount(result.summary.resourceChanges);
          context.urls = (result.outputs.urls?.value ?? {}) as Record<string, string>;
        },
      },
    ],
    context,
  );
  return { stack: stackName, changes: context.changes, urls: context.urls, seconds: (Date.now() - started) / 1000, notices };
}

export function upText(result: UpResult): string {
  const urls = Object.entries(result.urls).map(([name, url]) => `  ${name.padEnd(12)} ${url}`);
  return [
    ...result.notices.map((line) => `note: ${line}`),
    `${result.stack} is up (${result.changes} change${result.changes === 1 ? '' : 's'}, ${result.seconds.toFixed(1)} s)`,
    ...urls,
  ].join('\n');
}
