// devenv graph METRIC...: a stack's metrics from its Graphite, saved as a PNG
// with the stack's deploys drawn as vertical lines (stacks/graphite.ts); this defines the command.
import { Option } from 'commander';
import type { GraphResult } from '../../stacks/graphite.ts';
import { defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';

export function graphText(result: GraphResult): string {
  return result.path;
}

export const graphCommand = defineCommand({
  name: 'graph',
  description:
    "a stack's metrics from its Graphite saved as a PNG, deploys drawn as vertical lines; prints the file's path",
  arguments: {
    '<metrics...>':
      'requests, errors, latency (p50 and p99), latency.p50, latency.p99, flags, flags.<name>, or Graphite paths and functions',
  },
  options: [
    userOption('whose dev stack'),
    new Option('--stack <name>', 'any stack by name (dev-<user>, princess, prod)'),
    new Option('--from <time>', 'start: -1h, -30min, -2d, seconds since the epoch, YYYYMMDD').default('-1h'),
    new Option('--until <time>', 'end, in the same forms').default('now'),
    new Option('--out <file>', 'where to save it (default: <devenv home>/graphs/<stack>-<metrics>-<time>.png)'),
  ],
  json: 'print the result as JSON',
  run: async (
    [metrics]: [string[]],
    opts: { user?: string; stack?: string; from: string; until: string; out?: string },
    ctx,
  ) => {
    const { saveGraph } = await import('../../stacks/graphite.ts');
    return saveGraph(ctx, {
      metrics,
      from: opts.from,
      until: opts.until,
      ...(opts.user && { user: opts.user }),
      ...(opts.stack && { stack: opts.stack }),
      ...(opts.out && { out: opts.out }),
    });
  },
  text: graphText,
});
