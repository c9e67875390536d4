// devenv deploy and deploy history: the workflow is deploy/ship.ts; this says its results.
import type { DeployRecord } from '../../deploy/store.ts';
import type { DeployResult } from '../../deploy/ship.ts';

const short = (commit: string) => commit.slice(0, 10);

export function deployText(result: DeployResult): string {
  const lines = [`${result.train} train: ${short(result.commit)} for ${result.users.join(', ')}`];
  for (const outcome of result.stages) {
    lines.push(
      `  #${outcome.deploy.id} ${outcome.stage}: ${outcome.deploy.state} in ${outcome.deploy.seconds ?? '?'} s`,
    );
    for (const step of outcome.steps) lines.push(`      ${step.title.padEnd(44)} ${step.seconds.toFixed(1)} s`);
  }
  lines.push(`log: ${result.log}`);
  return lines.join('\n');
}

export function historyText(deploys: DeployRecord[]): string {
  if (deploys.length === 0) return 'no deploys yet';
  return deploys
    .map((d) => {
      const took = d.seconds === null ? 'running' : `${d.seconds} s`;
      const what = d.changes.split('\n')[0] ?? '';
      return `#${String(d.id).padEnd(4)} ${d.startedAt.slice(0, 19).replace('T', ' ')}  ${d.stage.padEnd(8)} ${d.train.padEnd(6)} ${short(d.commit)}  ${took.padEnd(8)} ${d.state.padEnd(11)} ${d.users.join(',')}  ${what}${d.error ? `\n       ${d.error}` : ''}`;
    })
    .join('\n');
}
