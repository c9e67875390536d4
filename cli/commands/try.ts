// devenv try: the workflow is try/run.ts; this says its result.
import type { TryResult } from '../../try/run.ts';

export function tryText(result: TryResult): string {
  const what = `${result.files.length} file${result.files.length === 1 ? '' : 's'}${result.staged ? ' staged' : ''} against ${result.trunk.ref} ${result.trunk.commit.slice(0, 7)}`;
  const rows = result.steps.map((step) => {
    const detail = step.status === 'skipped' ? '' : step.cached ? 'cached' : `${step.seconds.toFixed(1)} s`;
    return `  ${step.name.padEnd(10)} ${step.status.padEnd(8)} ${detail}`.trimEnd();
  });
  return [
    `try ${result.id}: ${result.ok ? 'PASS' : 'FAIL'} (${what}, ${result.seconds.toFixed(1)} s)`,
    ...rows,
    `log: ${result.log}`,
  ].join('\n');
}
