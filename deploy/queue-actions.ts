// What a person does with the deploy queue (join, leave, good, hold, release, look): on the deploy
// service. Code pushers ride together (up to five); a config push rides alone.
import type { Train } from './queue.ts';
import { UserError } from '../lib/errors.ts';
import { headCommit, repositoryOf, uncommittedFiles } from '../lib/git.ts';
import { opsClient, opsUrl, type QueueView } from './client.ts';
import type { Context } from '../lib/paths.ts';
import { resolveUser } from '../lib/user.ts';

export interface QueueResult {
  queue: QueueView;
  /** what this command did, in a sentence */
  done: string;
  page: string;
}

const result = (queue: QueueView, done: string): QueueResult => ({ queue, done, page: `${opsUrl()}/` });

export async function join(ctx: Context, options: { user?: string; train: Train; cwd: string }): Promise<QueueResult> {
  const { user } = await resolveUser(options.user);
  const repo = await repositoryOf(options.cwd);
  const uncommitted = await uncommittedFiles(repo);
  if (uncommitted.length > 0) {
    throw new UserError(
      `you have uncommitted changes (${uncommitted.slice(0, 3).join(', ')}${uncommitted.length > 3 ? ', ...' : ''})`,
      'commit them first: the queue ships commits',
    );
  }
  const commit = await headCommit(repo);
  const { entry, queue } = await opsClient(ctx).join(user, options.train, commit, repo);
  const position = queue.groups.findIndex((g) => g.entries.some((e) => e.id === entry.id)) + 1;
  return result(
    queue,
    `${user} joined the ${entry.train} train with ${commit.slice(0, 10)}: group ${position} of ${queue.groups.length}`,
  );
}

export async function queueStatus(ctx: Context): Promise<QueueResult> {
  const queue = await opsClient(ctx).queue();
  return result(
    queue,
    queue.groups.length === 0
      ? 'the queue is empty'
      : `${queue.groups.length} group${queue.groups.length === 1 ? '' : 's'} waiting`,
  );
}

export async function leave(ctx: Context, options: { user?: string }): Promise<QueueResult> {
  const { user } = await resolveUser(options.user);
  const { left, queue } = await opsClient(ctx).leave(user);
  return result(queue, left ? `${user} left the queue` : `${user} was not in the queue`);
}

export async function hold(ctx: Context, options: { user?: string; reason: string }): Promise<QueueResult> {
  const { user } = await resolveUser(options.user);
  if (options.reason.trim() === '') throw new UserError('say why the queue is held: --reason "..."');
  return result(
    await opsClient(ctx).hold(user, options.reason.trim()),
    `the queue is held by ${user}: nothing deploys until \`devenv queue release\``,
  );
}

export async function release(ctx: Context, options: { user?: string }): Promise<QueueResult> {
  const { user } = await resolveUser(options.user);
  const { released, queue } = await opsClient(ctx).release(user);
  return result(queue, released ? 'the queue is released' : 'the queue was not held');
}

export async function good(ctx: Context, options: { user?: string }): Promise<QueueResult> {
  const { user } = await resolveUser(options.user);
  return result(
    await opsClient(ctx).good(user),
    `${user} checked their change on princess: prod need not wait for them`,
  );
}
