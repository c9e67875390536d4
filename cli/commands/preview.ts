// devenv preview: what an `up` would change, as Pulumi's preview sees it.
import { devStackName } from '../../stacks/tiers.ts';
import { openEnvironment } from '../../stacks/environment.ts';
import { ensurePrerequisites } from '../../toolchain/prerequisites.ts';
import type { Context } from '../../lib/paths.ts';
import { resolveUser } from '../../lib/user.ts';

export interface PreviewOptions {
  user?: string;
}

export interface PlannedStep {
  op: string;
  resource: string;
  type: string;
  /** the inputs whose change causes the step */
  changed: string[];
}

export interface PreviewResult {
  stack: string;
  steps: PlannedStep[];
  summary: Record<string, number>;
}

export async function preview(ctx: Context, options: PreviewOptions): Promise<PreviewResult> {
  const { user } = await resolveUser(options.user);
  await ensurePrerequisites(ctx);
  const stackName = devStackName(user);
  const { stack } = await openEnvironment(ctx, stackName, user);
  const steps: PlannedStep[] = [];
  const result = await stack.preview({
    color: 'never',
    onEvent: (event) => {
      const meta = event.resourcePreEvent?.metadata;
      if (
        !meta ||
        meta.op === 'same' ||
        meta.type === 'pulumi:pulumi:Stack' ||
        meta.type.startsWith('pulumi:providers:')
      )
        return;
      steps.push({
        op: meta.op,
        resource: meta.urn.split('::').pop() ?? meta.urn,
        type: meta.type.split(':').pop() ?? meta.type,
        changed: meta.diffs ?? [],
      });
    },
  });
  return { stack: stackName, steps, summary: result.changeSummary as Record<string, number> };
}

const symbols: Record<string, string> = {
  create: '+',
  update: '~',
  replace: '+-',
  'create-replacement': '+-',
  delete: '-',
  'delete-replaced': '-',
};

export function previewText(result: PreviewResult): string {
  if (result.steps.length === 0) return `${result.stack}: up would change nothing`;
  const lines = result.steps.map(
    (s) =>
      `${(symbols[s.op] ?? s.op).padEnd(3)} ${s.op.padEnd(18)} ${s.resource}${s.changed.length ? `  (${s.changed.join(', ')} changed)` : ''}`,
  );
  return [
    `${result.stack}: up would make ${result.steps.length} change${result.steps.length === 1 ? '' : 's'}`,
    ...lines,
  ].join('\n');
}
