// devenv graph METRIC...: a stack's metrics from its Graphite, saved as a PNG
// with the stack's deploys drawn as vertical lines.
import { join, resolve } from 'node:path';
import { devStackName } from '../../stacks/tiers.ts';
import { UserError } from '../errors.ts';
import { checkRange, expandMetric, fetchGraph, graphFileName, writeGraphFile } from '../graphite.ts';
import { devenvHome } from '../paths.ts';
import { resolveUser } from '../user.ts';

export interface GraphOptions {
  metrics: string[];
  user?: string;
  /** any stack by name @default the user's dev stack */
  stack?: string;
  /** @default "-1h" */
  from?: string;
  /** @default "now" */
  until?: string;
  /** @default <devenv home>/graphs/<stack>-<metrics>-<time>.png */
  out?: string;
}

export interface GraphResult {
  stack: string;
  path: string;
  bytes: number;
  /** the render API's URL of the picture */
  url: string;
  targets: string[];
}

export async function saveGraph(options: GraphOptions): Promise<GraphResult> {
  if (options.metrics.length === 0) throw new UserError('no metric to graph', 'name one or more: requests, errors, latency.p50, latency.p99, flags.<name>, or a Graphite path');
  const from = options.from ?? '-1h';
  const until = options.until ?? 'now';
  const now = new Date();
  checkRange(from, until, Math.floor(now.getTime() / 1000));
  const targets = options.metrics.flatMap(expandMetric);
  const stack = options.stack ?? devStackName((await resolveUser(options.user)).user);
  const title = `${stack}: ${options.metrics.join(', ')}`;
  const { url, png } = await fetchGraph(stack, { targets: targets.map((t) => t.target), from, until, title });
  const path = options.out ? resolve(options.out) : join(devenvHome(), 'graphs', graphFileName(stack, options.metrics, now));
  await writeGraphFile(path, png);
  return { stack, path, bytes: png.length, url, targets: targets.map((t) => t.target) };
}

export function graphText(result: GraphResult): string {
  return result.path;
}
