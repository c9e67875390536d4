// devenv graph METRIC...: a stack's metrics from its Graphite, saved as a PNG
// with the stack's deploys drawn as vertical lines.
import type { GraphResult } from '../../stacks/graphite.ts';

export function graphText(result: GraphResult): string {
  return result.path;
}
