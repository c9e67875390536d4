// devenv deploy and deploy history: the workflow is deploy/ship.ts; this defines the commands and says their results.
import { Option } from 'commander';
import type { DeployRecord } from '../../deploy/store.ts';
import type { DeployResult } from '../../deploy/ship.ts';
import { UserError } from '../../lib/errors.ts';
import { defineCommand } from '../define-command.ts';
import { userOption, wholeNumber } from '../options.ts';

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
      const on = d.hosts.length > 0 ? `\n       on ${d.hosts.join(', ')}` : '';
      return `#${String(d.id).padEnd(4)} ${d.startedAt.slice(0, 19).replace('T', ' ')}  ${d.stage.padEnd(8)} ${d.train.padEnd(6)} ${short(d.commit)}  ${took.padEnd(8)} ${d.state.padEnd(11)} ${d.users.join(',')}  ${what}${on}${d.error ? `\n       ${d.error}` : ''}`;
    })
    .join('\n');
}

export const deployCommand = defineCommand({
  name: 'deploy',
  description:
    'ship the group at the head of the queue: princess (migrations, smoke tests), then prod one replica at a time, watched; rolls back on failure',
  options: [
    new Option('--to <stage>', 'one stage only').choices(['princess', 'prod']),
    new Option(
      '--config',
      'the config train: ship only site/flags.yaml (princess, check, prod); no image built, nothing restarted',
    ),
    new Option('--train <train>', 'the train (--config is short for --train config)').choices(['code', 'config']),
    new Option('--watch <seconds>', 'how long to watch prod after the roll (0: no watch)')
      .argParser(wholeNumber('--watch', 0, 3600, 'whole seconds'))
      .default(30),
    new Option('--parallel <n>', 'web replicas replaced at once in the prod roll (each drained at the proxy first)')
      .argParser(wholeNumber('--parallel', 1, 64, 'replicas'))
      .default(1),
    new Option(
      '--force',
      "send prod without waiting for every rider's .good (you vouch for the group; the deploy log says so)",
    ),
    userOption('who deploys (must ride in the head group)'),
    new Option('--driver <driver>').choices(['cli', 'page']).default('cli').hideHelp(),
  ],
  json: 'print the result as JSON',
  run: async (
    _,
    opts: {
      to?: 'princess' | 'prod';
      config?: boolean;
      train?: 'code' | 'config';
      watch: number;
      parallel: number;
      force?: boolean;
      user?: string;
      driver: 'cli' | 'page';
    },
    ctx,
  ) => {
    const { deploy } = await import('../../deploy/ship.ts');
    if (opts.config && opts.train === 'code') throw new UserError('--config and --train code contradict each other');
    return deploy(ctx, {
      train: opts.config ? 'config' : (opts.train ?? 'code'),
      driver: opts.driver,
      watchSeconds: opts.watch,
      parallel: opts.parallel,
      force: opts.force === true,
      cwd: process.cwd(),
      ...(opts.to && { to: opts.to }),
      ...(opts.user && { user: opts.user }),
    });
  },
  text: deployText,
  ok: (result) => result.ok,
  commands: [
    defineCommand({
      name: 'history',
      description: 'every deploy: when, where, who, what, how long, the result',
      options: [
        new Option('--limit <n>', 'how many, newest first (1 to 500)')
          .argParser(wholeNumber('--limit', 1, 500))
          .default(20),
      ],
      json: 'print the deploys as JSON',
      run: async (_, opts: { limit: number }, ctx) =>
        (await import('../../deploy/ship.ts')).deployHistory(ctx, opts.limit),
      text: historyText,
    }),
  ],
});
