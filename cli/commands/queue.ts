// devenv queue: the actions are deploy/queue-actions.ts; this defines the commands and says their results.
import { Option } from 'commander';
import type { Group } from '../../deploy/queue.ts';
import type { QueueResult } from '../../deploy/queue-actions.ts';
import { defineCommand, defineGroup } from '../define-command.ts';
import { userOption } from '../options.ts';

function groupLine(group: Group, index: number): string {
  const riders = group.entries.map((e) => `${e.user} (${e.commit.slice(0, 10)})`).join(', ');
  return `  ${index === 0 ? 'head' : String(index + 1).padStart(4)}  ${group.train.padEnd(6)} ${riders}${group.groupId !== null ? '  [deploying]' : ''}`;
}

export function queueText(outcome: QueueResult): string {
  const { queue } = outcome;
  return [
    outcome.done,
    ...(queue.hold ? [`held by ${queue.hold.by}: ${queue.hold.reason}`] : []),
    ...(queue.running
      ? [`running: deploy #${queue.running.id} to ${queue.running.stage} (${queue.running.users.join(', ')})`]
      : []),
    ...queue.groups.map(groupLine),
    ...(queue.goods && queue.goods.length > 0 ? [`said .good: ${queue.goods.join(', ')}`] : []),
    `page: ${outcome.page}`,
  ].join('\n');
}

const queueActions = () => import('../../deploy/queue-actions.ts');
const json = 'print the queue as JSON';

export const queueCommand = defineGroup({
  name: 'queue',
  description:
    'the deploy queue: code pushers ride together (up to 5), a config push rides alone; one group deploys at a time',
  commands: [
    defineCommand({
      name: 'join',
      description: 'join the queue with your HEAD commit (the code train; --config for a flags change)',
      options: [
        new Option('--config', 'ride the config train (ships only site/flags.yaml)'),
        userOption('who joins (default: git user.email, else the OS user)'),
      ],
      json,
      run: async (_, opts: { config?: boolean; user?: string }, ctx) =>
        (await queueActions()).join(ctx, {
          train: opts.config ? 'config' : 'code',
          cwd: process.cwd(),
          ...(opts.user && { user: opts.user }),
        }),
      text: queueText,
    }),
    defineCommand({
      name: 'status',
      description: 'the groups waiting, the deploy running, the hold',
      json,
      run: async (_, __, ctx) => (await queueActions()).queueStatus(ctx),
      text: queueText,
    }),
    defineCommand({
      name: 'leave',
      description: 'leave the queue',
      options: [userOption('who leaves')],
      json,
      run: async (_, opts: { user?: string }, ctx) =>
        (await queueActions()).leave(ctx, { ...(opts.user && { user: opts.user }) }),
      text: queueText,
    }),
    defineCommand({
      name: 'good',
      description: 'say you checked your change on princess (as .good in #deploy): prod waits for every rider',
      options: [userOption('who checked')],
      json,
      run: async (_, opts: { user?: string }, ctx) =>
        (await queueActions()).good(ctx, { ...(opts.user && { user: opts.user }) }),
      text: queueText,
    }),
    defineCommand({
      name: 'hold',
      description: 'stop all deploys (an incident, a freeze) until `queue release`',
      options: [
        new Option('--reason <text>', 'why, shown to everyone who tries to deploy').makeOptionMandatory(),
        userOption('who holds it'),
      ],
      json,
      run: async (_, opts: { reason: string; user?: string }, ctx) =>
        (await queueActions()).hold(ctx, { reason: opts.reason, ...(opts.user && { user: opts.user }) }),
      text: queueText,
    }),
    defineCommand({
      name: 'release',
      description: 'let deploys go again',
      options: [userOption('who releases it')],
      json,
      run: async (_, opts: { user?: string }, ctx) =>
        (await queueActions()).release(ctx, { ...(opts.user && { user: opts.user }) }),
      text: queueText,
    }),
  ],
});
